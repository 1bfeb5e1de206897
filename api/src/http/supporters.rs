//! Joining a report filed nearby instead of filing the same problem again.

use crate::http::extract::Path;
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::reports::supporters;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
pub struct Joined {
    report_id: Uuid,
    supporters: u64,
}

/// Joins the report: 201, or 200 when the head had joined it already.
pub async fn join(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<(StatusCode, axum::Json<Joined>), Problem> {
    let joined = supporters::join(&services, &caller, id).await?;
    let status = if joined.newly {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        axum::Json(Joined {
            report_id: joined.report_id,
            supporters: joined.supporters,
        }),
    ))
}

/// Leaves a report joined earlier.
pub async fn leave(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, Problem> {
    supporters::leave(&services, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
