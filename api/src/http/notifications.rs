//! The inbox of the signed-in user: what happened to the reports of their neighborhood.

use crate::http::extract::{Path, Query};
use crate::http::params;
use crate::http::views::{Notification, Page};
use crate::problem::{FieldError, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::inbox;
use axum::extract::State;
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
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<InboxQuery>,
) -> Result<axum::Json<Page<Notification>>, Problem> {
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
    Problem::check(errors)?;
    let (rows, next) = inbox::page(&services, &caller, unread, cursor, limit).await?;
    Ok(axum::Json(Page {
        items: rows.iter().map(Into::into).collect(),
        next_cursor: next.map(|id| id.to_string()),
    }))
}

/// Marks an entry read; reading it again keeps the first time.
pub async fn mark_read(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<Notification>, Problem> {
    let entry = inbox::mark_read(&services, &caller, id).await?;
    Ok(axum::Json((&entry).into()))
}
