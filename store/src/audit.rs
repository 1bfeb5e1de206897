//! The administrative log: rows are inserted in the transaction of the change they record, and
//! never updated or deleted.

use crate::entities::audit_entry;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sos_domain::access::WardScope;
use uuid::Uuid;

pub async fn insert(db: &impl ConnectionTrait, entry: audit_entry::Model) -> Result<(), DbErr> {
    audit_entry::ActiveModel::from(entry).insert(db).await?;
    Ok(())
}

/// What a reader of the log narrows it to.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Actions starting with this (`account.` for every change to accounts).
    pub action: Option<String>,
    pub actor_id: Option<Uuid>,
    /// Changes to one thing (an account's id, a ward's…).
    pub target_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A page of the log within `scope`, newest first, after the entry `after` (ids grow with
/// time); with the last id when there may be more.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn page(
    db: &impl ConnectionTrait,
    scope: WardScope,
    filter: &AuditFilter,
    limit: u64,
    after: Option<Uuid>,
) -> Result<(Vec<audit_entry::Model>, Option<Uuid>), DbErr> {
    let mut select = audit_entry::Entity::find();
    select = match scope {
        WardScope::All => select,
        WardScope::Ward(ward) => select.filter(audit_entry::Column::WardId.eq(ward)),
        WardScope::Nothing => return Ok((Vec::new(), None)),
    };
    if let Some(action) = &filter.action {
        select = select.filter(audit_entry::Column::Action.starts_with(action));
    }
    if let Some(actor) = filter.actor_id {
        select = select.filter(audit_entry::Column::ActorId.eq(actor));
    }
    if let Some(target) = &filter.target_id {
        select = select.filter(audit_entry::Column::TargetId.eq(target.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(audit_entry::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(audit_entry::Column::At.lt(to));
    }
    if let Some(after) = after {
        select = select.filter(audit_entry::Column::Id.lt(after));
    }
    let mut rows = select
        .order_by_desc(audit_entry::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let next = more.then(|| rows.last().map(|r| r.id)).flatten();
    Ok((rows, next))
}
