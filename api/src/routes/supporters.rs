//! Joining a report: a head who finds the problem already reported nearby follows that
//! report instead of filing it again; the ward sees one problem with its supporters, and
//! every supporter hears the answer.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Path;
use crate::state::AppState;
use crate::store::entities::{report, report_supporter};
use crate::store::reports::{self as store, now};
use axum::extract::State;
use axum::http::StatusCode;
use sea_orm::{EntityTrait, Set};
use serde::Serialize;
use sos_domain::taxonomy::{Role, Status};
use uuid::Uuid;

#[derive(Serialize)]
pub struct Joined {
    report_id: Uuid,
    supporters: u64,
}

/// A report a head may join: open, of their own ward, and not one they filed.
async fn joinable(state: &AppState, current: &CurrentUser, id: Uuid) -> ApiResult<report::Model> {
    let actor = &current.actor;
    if actor.role != Role::NeighborhoodHead {
        return Err(ApiError::forbidden(
            "Chỉ trưởng khu phố tham gia phản ánh.",
            "Only neighborhood heads join reports.",
        ));
    }
    let report = report::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|r| Some(r.ward_id) == actor.ward_id)
        .ok_or_else(ApiError::report_not_found)?;
    let open = report.status.parse::<Status>().is_ok_and(Status::is_open);
    if !open || report.reporter_id == actor.user_id {
        return Err(ApiError::conflict(
            "conflict",
            "Chỉ tham gia được phản ánh đang xử lý do người khác gửi.",
            "Only an open report filed by someone else can be joined.",
        ));
    }
    Ok(report)
}

async fn count(state: &AppState, id: Uuid) -> ApiResult<u64> {
    use sea_orm::{ColumnTrait, PaginatorTrait, QueryFilter};
    Ok(report_supporter::Entity::find()
        .filter(report_supporter::Column::ReportId.eq(id))
        .count(&state.db)
        .await?)
}

/// Joins the report (again: nothing changes).
pub async fn join(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<(StatusCode, axum::Json<Joined>)> {
    let report = joinable(&state, &current, id).await?;
    let user_id = current.user.id;
    let status = if store::supports(&state.db, report.id, user_id).await? {
        StatusCode::OK
    } else {
        let txn = state.begin_write().await?;
        let inserted = report_supporter::Entity::insert(report_supporter::ActiveModel {
            report_id: Set(report.id),
            user_id: Set(user_id),
            created_at: Set(now()),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&*txn)
        .await?;
        txn.commit().await?;
        match inserted {
            sea_orm::TryInsertResult::Inserted(n) if n > 0 => StatusCode::CREATED,
            // A second request of the same head got there first.
            _ => StatusCode::OK,
        }
    };
    tracing::info!(report = %report.id, "head joined a report");
    Ok((
        status,
        axum::Json(Joined {
            report_id: report.id,
            supporters: count(&state, report.id).await?,
        }),
    ))
}

/// Leaves a report joined earlier.
pub async fn leave(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<StatusCode> {
    let txn = state.begin_write().await?;
    let deleted = report_supporter::Entity::delete_by_id((id, current.user.id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found(
            "Bạn chưa tham gia phản ánh này.",
            "You have not joined this report.",
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}
