//! The inbox of the signed-in user: what happened to the reports of their neighborhood, in the
//! request's language.

use crate::http::error::current_lang;
use crate::http::extract::{Path, Query};
use crate::http::params;
use crate::http::views::Notification;
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::inbox;
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sos_domain::sync;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    unread: Option<String>,
    updated_since: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// A page of the inbox, with the unread entries of the whole inbox.
#[derive(Serialize)]
pub struct InboxPage {
    items: Vec<Notification>,
    next_cursor: Option<String>,
    unread_count: u64,
    /// On the first page only: what to send as `updated_since` next time.
    #[serde(
        with = "crate::clock::rfc3339_serde::option",
        skip_serializing_if = "Option::is_none"
    )]
    synced_at: Option<DateTime<Utc>>,
}

/// Newest first. Ids are UUIDv7, time-ordered, so the id alone is the cursor. With
/// `updated_since`, only the entries that arrived or were read since.
pub async fn list(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<InboxQuery>,
) -> Result<axum::Json<InboxPage>, Problem> {
    let mut errors = Vec::new();
    let unread = params::flag("unread", query.unread.as_deref(), &mut errors);
    let limit = params::limit(
        query.limit.as_deref(),
        params::DEFAULT_PAGE,
        params::MAX_PAGE,
        &mut errors,
    );
    let since = params::time("updated_since", query.updated_since.as_deref(), &mut errors);
    let cursor = params::uuid("cursor", query.cursor.as_deref(), &mut errors);
    Problem::check(errors)?;
    // Taken before reading, so that whatever changes while the app pages comes next time.
    let synced_at = cursor.is_none().then(|| sync::mark(services.clock.now()));
    let page = inbox::page(&services, &caller, unread, since, cursor, limit).await?;
    let lang = current_lang();
    Ok(axum::Json(InboxPage {
        items: page
            .entries
            .iter()
            .map(|entry| Notification::new(entry, lang))
            .collect(),
        next_cursor: page.next.map(|id| id.to_string()),
        unread_count: page.unread,
        synced_at,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadAllQuery {
    up_to: Option<String>,
}

#[derive(Serialize)]
pub struct MarkedRead {
    marked: u64,
}

/// Marks the whole inbox read, up to the newest entry the app showed (`up_to`) so that one
/// arriving meanwhile stays unread.
pub async fn mark_all_read(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<ReadAllQuery>,
) -> Result<axum::Json<MarkedRead>, Problem> {
    let mut errors = Vec::new();
    let up_to = params::uuid("up_to", query.up_to.as_deref(), &mut errors);
    Problem::check(errors)?;
    let marked = inbox::mark_all_read(&services, &caller, up_to).await?;
    Ok(axum::Json(MarkedRead { marked }))
}

/// Marks an entry read; reading it again keeps the first time.
pub async fn mark_read(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<Notification>, Problem> {
    let entry = inbox::mark_read(&services, &caller, id).await?;
    Ok(axum::Json(Notification::new(&entry, current_lang())))
}
