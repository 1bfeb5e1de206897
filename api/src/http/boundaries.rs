//! Boundaries over HTTP: admins import a version, anyone attached to a ward draws its map.

use crate::http::auth::Administrator;
use crate::http::extract::{Json, Path, Query};
use crate::http::params;
use crate::problem::{FieldError, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::geography::{self, Import, ImportError, Imported};
use crate::services::wards::visible_ward;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use sos_domain::boundaries::Level;
use uuid::Uuid;

/// The largest boundary file accepted over HTTP: official ward outlines run to thousands of
/// points.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    level: Option<String>,
    valid_from: Option<String>,
    approximate: Option<String>,
}

/// Imports a GeoJSON FeatureCollection of one level (admins; a ward's admin for their ward
/// only). The features that pass every check are stored; the answer lists the others with
/// their reasons. When none passes, it is a 422 naming each.
pub async fn import(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Query(query): Query<ImportQuery>,
    Json(collection): Json<Value>,
) -> Result<axum::Json<Imported>, Problem> {
    let actor = &caller.actor;
    let importer = geography::importer(actor)?;
    let mut errors = Vec::new();
    let level = match query.level.as_deref().map(|l| l.trim().parse::<Level>()) {
        Some(Ok(level)) => Some(level),
        _ => {
            errors.push(FieldError::new(
                "level",
                "level là ward hoặc neighborhood.",
                "level is ward or neighborhood.",
            ));
            None
        }
    };
    let valid_from = params::date("valid_from", query.valid_from.as_deref(), &mut errors)
        .unwrap_or_else(|| services.clock.today());
    let approximate = params::flag("approximate", query.approximate.as_deref(), &mut errors);
    let Some(level) = level.filter(|_| errors.is_empty()) else {
        return Err(Problem::validation(errors));
    };
    let asked = Import {
        level,
        collection: &collection,
        valid_from,
        approximate,
        source: format!("import by {}", caller.user.username),
        importer,
    };
    let imported = geography::import_here(&services, asked)
        .await
        .map_err(|e| match e {
            ImportError::Unreadable(why) => Problem::field(
                "",
                format!("Không đọc được: {why}."),
                format!("Unreadable: {why}."),
            ),
            ImportError::Database(e) => e.into(),
        })?;
    if imported.accepted.is_empty() && !imported.rejected.is_empty() {
        return Err(Problem::validation(
            imported
                .rejected
                .iter()
                .map(|r| {
                    let why = r.reasons.join("; ");
                    FieldError::new(format!("/features/{}", r.feature), why.clone(), why)
                })
                .collect(),
        ));
    }
    tracing::info!(
        level = %imported.level,
        accepted = imported.accepted.len(),
        rejected = imported.rejected.len(),
        "boundaries imported"
    );
    Ok(axum::Json(imported))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapQuery {
    at: Option<String>,
}

/// The ward's boundary and its neighborhoods' in force on `at` (today by default), as RFC 7946
/// GeoJSON for a map.
pub async fn ward_map(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Query(query): Query<MapQuery>,
) -> Result<Response, Problem> {
    let ward = visible_ward(&services, &caller, id).await?;
    let mut errors = Vec::new();
    let at = params::date("at", query.at.as_deref(), &mut errors)
        .unwrap_or_else(|| services.clock.today());
    Problem::check(errors)?;
    let rows = sos_store::geography::in_force(&services.db, at, Some(ward.id)).await?;
    let neighborhoods = sos_store::wards::neighborhoods_of(&services.db, [ward.id]).await?;
    let mut features: Vec<(u8, String, Value)> = rows
        .iter()
        .filter_map(|b| {
            let geometry: Value = serde_json::from_str(&b.geometry).ok()?;
            let kp = b
                .neighborhood_id
                .and_then(|n| neighborhoods.iter().find(|k| k.id == n));
            let (order, level) = match *b.level {
                Level::Ward => (0, "ward"),
                Level::Neighborhood => (1, "neighborhood"),
            };
            let sort_key = kp.map(|k| k.code.clone()).unwrap_or_default();
            Some((
                order,
                sort_key,
                json!({
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {
                        "level": level,
                        "ward_id": ward.id,
                        "ward_code": ward.code,
                        "ward_name": ward.name,
                        "neighborhood_id": kp.map(|k| k.id),
                        "neighborhood_code": kp.map(|k| k.code.clone()),
                        "neighborhood_name": kp.map(|k| k.name.clone()),
                        "valid_from": b.valid_from,
                        "approximate": b.approximate,
                    },
                }),
            ))
        })
        .collect();
    features.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let body = json!({
        "type": "FeatureCollection",
        "features": features.into_iter().map(|(_, _, f)| f).collect::<Vec<_>>(),
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/geo+json"),
        )],
        axum::Json(body),
    )
        .into_response())
}
