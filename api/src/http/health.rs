//! Liveness and readiness for load balancers and orchestrators.

use crate::problem::{Problem, ProblemKind};
use crate::services::Services;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// The process is up and answering.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The process can do its work: the database answers.
pub async fn readyz(State(services): State<Services>) -> Result<Json<Value>, Problem> {
    match sos_store::db::ping(&services.db).await {
        Ok(()) => Ok(Json(json!({"status": "ready"}))),
        Err(error) => {
            tracing::warn!(%error, "database is not reachable");
            Err(Problem::of(
                ProblemKind::Unavailable,
                "Cơ sở dữ liệu chưa sẵn sàng.",
                "The database is not reachable.",
            ))
        }
    }
}
