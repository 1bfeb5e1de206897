//! Preview of the classifier, so the app can show its suggestion before the head submits.

use crate::http::extract::Json;
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::Caller;
use axum::extract::State;
use serde::Deserialize;
use serde_json::{Value, json};
use sos_domain::classify::Classifier;
use sos_domain::routing;

const MAX_TEXT_CHARS: usize = 4000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    text: String,
}

/// What filing this text would give: subcategory, priority, confidence, suggestions, and
/// whether it would go to the triage desk. Nothing is stored.
pub async fn preview(
    State(services): State<Services>,
    _caller: Caller,
    Json(body): Json<PreviewRequest>,
) -> Result<axum::Json<Value>, Problem> {
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(Problem::field(
            "/text",
            format!("Cần nội dung từ 1 đến {MAX_TEXT_CHARS} ký tự."),
            format!("A text of 1 to {MAX_TEXT_CHARS} characters is required."),
        ));
    }
    let classification = services.classifier.classify(text);
    let route = routing::route(&classification, None, services.settings.triage_threshold);
    let mut view = serde_json::to_value(&classification).map_err(Problem::internal)?;
    view["routed_to_triage"] = json!(route.to_triage);
    Ok(axum::Json(view))
}

/// The model in use on this replica and the threshold under which reports go to triage.
pub async fn model_info(
    State(services): State<Services>,
    _caller: Caller,
) -> Result<axum::Json<Value>, Problem> {
    let mut view =
        serde_json::to_value(&services.classifier.current().info).map_err(Problem::internal)?;
    view["triage_threshold"] = json!(services.settings.triage_threshold);
    Ok(axum::Json(view))
}
