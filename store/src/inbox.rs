//! Inbox entries of people (what happened to the reports they follow) and the reading of new
//! events by live streams.

use crate::entities::{notification, report, report_event};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use sos_domain::access::Actor;
use uuid::Uuid;

/// A page of a user's inbox, newest first, before `before` (ids are UUIDv7, time-ordered, so
/// the id alone is the cursor); with whether more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    unread_only: bool,
    changed_since: Option<DateTime<Utc>>,
    before: Option<Uuid>,
    limit: u64,
) -> Result<(Vec<notification::Model>, bool), DbErr> {
    let mut select = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    if unread_only {
        select = select.filter(notification::Column::ReadAt.is_null());
    }
    // An entry changes twice: when it arrives, and when it is read (on any of the phones).
    if let Some(since) = changed_since {
        select = select.filter(
            Condition::any()
                .add(notification::Column::CreatedAt.gte(since))
                .add(notification::Column::ReadAt.gte(since)),
        );
    }
    if let Some(cursor) = before {
        select = select.filter(notification::Column::Id.lt(cursor));
    }
    let mut rows = select
        .order_by_desc(notification::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, more))
}

/// How many of a user's entries are not read yet.
pub async fn unread_count(db: &impl ConnectionTrait, user_id: Uuid) -> Result<u64, DbErr> {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await
}

/// Marks read at `at` every unread entry of a user up to `up_to` (the newest the app showed,
/// so an entry that arrived meanwhile stays unread), or all; how many.
pub async fn mark_all_read(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    up_to: Option<Uuid>,
    at: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(at))
        .filter(notification::Column::UserId.eq(user_id))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(newest) = up_to {
        update = update.filter(notification::Column::Id.lte(newest));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// Marks a user's entry read at `at` (reading it again keeps the first time); the entry, or
/// `None` when the user has no such entry.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<notification::Model>, DbErr> {
    let owned = notification::Column::UserId.eq(user_id);
    notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(at))
        .filter(notification::Column::Id.eq(id))
        .filter(owned.clone())
        .filter(notification::Column::ReadAt.is_null())
        .exec(db)
        .await?;
    notification::Entity::find_by_id(id)
        .filter(owned)
        .one(db)
        .await
}

/// The id of a user's newest entry.
pub async fn newest(db: &impl ConnectionTrait, user_id: Uuid) -> Result<Option<Uuid>, DbErr> {
    Ok(notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id))
        .order_by_desc(notification::Column::Id)
        .one(db)
        .await?
        .map(|n| n.id))
}

/// A user's entries after `after`, oldest first, at most `limit`.
pub async fn after(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<notification::Model>, DbErr> {
    let mut select = notification::Entity::find().filter(notification::Column::UserId.eq(user_id));
    if let Some(after) = after {
        select = select.filter(notification::Column::Id.gt(after));
    }
    select
        .order_by_asc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The events of the reports an actor may read with an id after `after`, oldest first, at
/// most `limit`.
pub async fn events_after(
    db: &impl ConnectionTrait,
    actor: &Actor,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<report_event::Model>, DbErr> {
    let Some(visible) = crate::reports::visible(actor) else {
        return Ok(Vec::new());
    };
    // Driven by the few recent events, each checked against its report: `report_id IN
    // (the reports visible)` made SQLite build the set of every visible report first, a
    // city's million for a city leader's stream (half a second at each connection).
    let its_report_visible = visible
        .select_only()
        .expr(Expr::val(1))
        .filter(
            Expr::col((report::Entity, report::Column::Id))
                .equals((report_event::Entity, report_event::Column::ReportId)),
        )
        .into_query();
    let mut select = report_event::Entity::find().filter(Expr::exists(its_report_visible));
    if let Some(after) = after {
        select = select.filter(report_event::Column::Id.gt(after));
    }
    select
        .order_by_asc(report_event::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
