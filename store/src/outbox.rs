//! The outbox (deliveries to webhooks, mailboxes and phones, written in the transaction of
//! their event), the wards' webhook subscriptions, and the morning digests queued.

use crate::code::Stored;
use crate::entities::{daily_digest, outbox, webhook_subscription};
use crate::index;
use crate::rows::id_lists;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TryInsertResult,
};
use sos_domain::delivery::DeliveryStatus;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert(txn: &impl ConnectionTrait, rows: &[outbox::Model]) -> Result<(), DbErr> {
    crate::rows::insert::<outbox::ActiveModel>(txn, rows).await
}

pub async fn active_subscriptions_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, webhook_subscription::Model>, DbErr> {
    Ok(index(
        webhook_subscription::Entity::find()
            .filter(webhook_subscription::Column::Active.eq(true))
            .filter(webhook_subscription::Column::Id.is_in(ids))
            .all(db)
            .await?,
        |s| s.id,
    ))
}

pub async fn subscriptions_of_ward(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
) -> Result<Vec<webhook_subscription::Model>, DbErr> {
    webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::WardId.eq(ward_id))
        .order_by_asc(webhook_subscription::Column::CreatedAt)
        .all(db)
        .await
}

pub async fn insert_subscription(
    txn: &impl ConnectionTrait,
    row: &webhook_subscription::Model,
) -> Result<(), DbErr> {
    webhook_subscription::Entity::insert(webhook_subscription::ActiveModel::from(row.clone()))
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Ends a subscription of the ward and gives up its waiting deliveries; false when the ward
/// has no such subscription.
pub async fn delete_subscription(
    txn: &impl ConnectionTrait,
    ward_id: Uuid,
    id: Uuid,
) -> Result<bool, DbErr> {
    let deleted = webhook_subscription::Entity::delete_many()
        .filter(webhook_subscription::Column::Id.eq(id))
        .filter(webhook_subscription::Column::WardId.eq(ward_id))
        .exec(txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Ok(false);
    }
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Stored(DeliveryStatus::Dead).into())
        .col_expr(
            outbox::Column::LastError,
            Some("the subscription was removed".to_owned()).into(),
        )
        .filter(outbox::Column::SubscriptionId.eq(id))
        .filter(outbox::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .exec(txn)
        .await?;
    Ok(true)
}

fn due(now: DateTime<Utc>) -> sea_orm::Select<outbox::Entity> {
    outbox::Entity::find()
        .filter(outbox::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(outbox::Column::NextAttemptAt.lte(now))
}

/// Whether a delivery is due: most polls find nothing, and need not wait for a writer.
pub async fn any_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<bool, DbErr> {
    Ok(due(now).one(db).await?.is_some())
}

/// Claims up to `limit` due deliveries no other worker holds, pushing their next attempt to
/// `lease_end` (if the claimer dies, another takes them then) and counting the attempt; on
/// PostgreSQL with `FOR UPDATE SKIP LOCKED`, SQLite's single writer giving the same guarantee.
/// A row that cannot be read (a code this version does not know) is parked as dead with the
/// reason, and the others are claimed: one bad row never stops the deliveries.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn claim(
    txn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    lease_end: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let ids: Vec<Uuid> = due(now)
        .select_only()
        .column(outbox::Column::Id)
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_tuple()
        .all(txn)
        .await?;
    let mut claimed = HashMap::with_capacity(ids.len());
    let mut readable = true;
    for list in id_lists(&ids) {
        outbox::Entity::update_many()
            .col_expr(
                outbox::Column::Attempts,
                Expr::col(outbox::Column::Attempts).add(1),
            )
            .col_expr(outbox::Column::NextAttemptAt, lease_end.into())
            .filter(outbox::Column::Id.is_in(list.iter().copied()))
            .exec(txn)
            .await?;
        if readable {
            match outbox::Entity::find()
                .filter(outbox::Column::Id.is_in(list))
                .all(txn)
                .await
            {
                Ok(rows) => claimed.extend(rows.into_iter().map(|row| (row.id, row))),
                Err(_) => readable = false,
            }
        }
    }
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if readable {
            rows.extend(claimed.remove(&id));
            continue;
        }
        match outbox::Entity::find_by_id(id).one(txn).await {
            Ok(Some(row)) => rows.push(row),
            Ok(None) => {}
            Err(unreadable) => park_unreadable(txn, id, &unreadable).await?,
        }
    }
    Ok(rows)
}

async fn park_unreadable(txn: &impl ConnectionTrait, id: Uuid, why: &DbErr) -> Result<(), DbErr> {
    tracing::error!(delivery = %id, error = %why, "unreadable delivery parked as dead");
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Stored(DeliveryStatus::Dead).into())
        .col_expr(
            outbox::Column::LastError,
            Some(format!("the delivery cannot be read: {why}")).into(),
        )
        .filter(outbox::Column::Id.eq(id))
        .exec(txn)
        .await?;
    Ok(())
}

/// How one attempt of a delivery went.
#[derive(Debug, Clone)]
pub enum Outcome {
    Sent {
        at: DateTime<Utc>,
    },
    /// Failed; tried again at `next_at`.
    Retry {
        error: String,
        next_at: DateTime<Utc>,
    },
    /// Failed for good.
    Dead {
        error: String,
    },
}

pub async fn record(txn: &impl ConnectionTrait, id: Uuid, outcome: Outcome) -> Result<(), DbErr> {
    let mut update = outbox::ActiveModel {
        id: Set(id),
        ..Default::default()
    };
    match outcome {
        Outcome::Sent { at } => {
            update.status = Set(Stored(DeliveryStatus::Sent));
            update.sent_at = Set(Some(at));
            update.last_error = Set(None);
        }
        Outcome::Retry { error, next_at } => {
            update.last_error = Set(Some(error));
            update.next_attempt_at = Set(next_at);
        }
        Outcome::Dead { error } => {
            update.last_error = Set(Some(error));
            update.status = Set(Stored(DeliveryStatus::Dead));
        }
    }
    update.update(txn).await?;
    Ok(())
}

/// Puts a dead delivery back in line at `at`; false when it is not dead.
pub async fn retry(txn: &impl ConnectionTrait, id: Uuid, at: DateTime<Utc>) -> Result<bool, DbErr> {
    let result = outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Stored(DeliveryStatus::Pending).into(),
        )
        .col_expr(outbox::Column::Attempts, 0.into())
        .col_expr(outbox::Column::NextAttemptAt, at.into())
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(DeliveryStatus::Dead.as_str()))
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn delivery(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<outbox::Model>, DbErr> {
    outbox::Entity::find_by_id(id).one(db).await
}

/// Deliveries, newest first, of one status and one ward when given.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    status: Option<DeliveryStatus>,
    ward_id: Option<Uuid>,
    limit: u64,
) -> Result<Vec<outbox::Model>, DbErr> {
    let mut select = outbox::Entity::find();
    if let Some(status) = status {
        select = select.filter(outbox::Column::Status.eq(status.as_str()));
    }
    if let Some(ward_id) = ward_id {
        select = select.filter(outbox::Column::WardId.eq(ward_id));
    }
    select
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// The leaders whose digest of `day` is queued already.
pub async fn digests_queued(db: &impl ConnectionTrait, day: &str) -> Result<HashSet<Uuid>, DbErr> {
    Ok(daily_digest::Entity::find()
        .filter(daily_digest::Column::Day.eq(day))
        .all(db)
        .await?
        .into_iter()
        .map(|row| row.user_id)
        .collect())
}

/// Claims a leader's digest of a day; false when another replica claimed it first.
pub async fn claim_digest(
    txn: &impl ConnectionTrait,
    user_id: Uuid,
    day: &str,
    delivery_id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let claimed = daily_digest::Entity::insert(daily_digest::ActiveModel {
        user_id: Set(user_id),
        day: Set(day.to_owned()),
        delivery_id: Set(delivery_id),
        created_at: Set(at),
    })
    .on_conflict_do_nothing_on([daily_digest::Column::UserId, daily_digest::Column::Day])
    .exec_without_returning(txn)
    .await?;
    Ok(matches!(claimed, TryInsertResult::Inserted(n) if n > 0))
}
