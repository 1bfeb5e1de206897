//! Liveness and readiness for load balancers and orchestrators.

use crate::error::{ApiError, ApiResult, Text};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

/// The process is up and answering.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The process can do its work: the database answers.
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => Ok(Json(json!({"status": "ready"}))),
        Err(error) => {
            tracing::warn!(%error, "database is not reachable");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                Text::new(
                    "Cơ sở dữ liệu chưa sẵn sàng.",
                    "The database is not reachable.",
                ),
            ))
        }
    }
}
