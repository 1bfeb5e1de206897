//! The inbox of the signed-in user: what happened to the reports of their neighborhood.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{Path, Query};
use crate::routes::params;
use crate::routes::views::{Notification, Page};
use crate::state::AppState;
use crate::store::entities::notification;
use crate::store::reports::now;
use axum::extract::State;
use sea_orm::prelude::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    unread: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// Newest first. Ids are UUIDv7, time-ordered, so the id alone is the cursor.
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<InboxQuery>,
) -> ApiResult<axum::Json<Page<Notification>>> {
    let mut errors = Vec::new();
    let unread = params::flag("unread", query.unread.as_deref(), &mut errors);
    let limit = params::limit(
        query.limit.as_deref(),
        params::DEFAULT_PAGE,
        params::MAX_PAGE,
        &mut errors,
    );
    let cursor = match query.cursor.as_deref().map(|c| Uuid::parse_str(c.trim())) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            errors.push(FieldError::new(
                "cursor",
                "Con trỏ trang không hợp lệ.",
                "Invalid cursor.",
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut select =
        notification::Entity::find().filter(notification::Column::UserId.eq(current.user.id));
    if unread {
        select = select.filter(notification::Column::ReadAt.is_null());
    }
    if let Some(cursor) = cursor {
        select = select.filter(notification::Column::Id.lt(cursor));
    }
    let mut rows = select
        .order_by_desc(notification::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|n| n.id.to_string())
    } else {
        None
    };
    Ok(axum::Json(Page {
        items: rows.iter().map(Into::into).collect(),
        next_cursor,
    }))
}

/// Marks an entry read; reading it again keeps the first time.
pub async fn mark_read(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Notification>> {
    let not_found =
        || ApiError::not_found("Không có thông báo này.", "There is no such notification.");
    let owned = notification::Column::UserId.eq(current.user.id);
    notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now()))
        .filter(notification::Column::Id.eq(id))
        .filter(owned.clone())
        .filter(notification::Column::ReadAt.is_null())
        .exec(&state.db)
        .await?;
    let entry = notification::Entity::find_by_id(id)
        .filter(owned)
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    Ok(axum::Json((&entry).into()))
}
