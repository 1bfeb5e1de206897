//! The outbox: webhooks, e-mail and mobile push. When an event is written, its deliveries (to
//! every webhook of the report's ward that wants it, to the outside company concerned, to each
//! phone of each user it puts in an inbox) are written in the same transaction ([`enqueue`]),
//! so a
//! change that rolls back sends nothing and a change that commits is never forgotten, even if
//! the process dies the next instant. Every replica works the outbox ([`keep_delivering`]): a
//! worker claims due deliveries by pushing their next attempt forward (on PostgreSQL with
//! `FOR UPDATE SKIP LOCKED`, so replicas take different rows), sends them, and records the
//! outcome; one whose worker died is taken again when its claim runs out
//! (`SOS_DELIVERY_LEASE_SECONDS`). Failures are tried
//! again with exponential backoff and jitter, then parked as `dead` for an admin to retry.
//!
//! The receiver gets the outbox row's id as `Idempotency-Key` on every attempt, and the body
//! signed with HMAC-SHA256 over `{timestamp}.{body}` (header `X-SOS-Signature: t=…,v1=…`).

use crate::push::{PushError, PushMessage};
use crate::state::AppState;
use crate::store::entities::{
    department, device, neighborhood, notification, outbox, report, report_event, user, ward,
    webhook_subscription,
};
use crate::store::preferences;
use crate::store::reports::{index, wards_of};
use chrono::{DateTime, Utc};
use hmac::{KeyInit, Mac};
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use sos_domain::delivery::{self, Channel};
use sos_domain::routing;
use sos_domain::taxonomy::{EventType, Subcategory};
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

/// Deliveries claimed at once by one worker.
const CLAIM: u64 = 32;
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait between two attempts.
const RETRY_CAP: Duration = Duration::from_secs(6 * 3600);

pub const WEBHOOK: &str = "webhook";
pub const EMAIL: &str = "email";
pub const PUSH: &str = "push";

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const DEAD: &str = "dead";

/// The `X-SOS-Signature` value for a body sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "t={timestamp},v1={}",
        hex::encode(mac.finalize().into_bytes())
    )
}

/// Writes, in the caller's transaction, the deliveries of events: of public ones to every
/// active webhook of the report's ward that wants the event, and an e-mail to the outside
/// company concerned when a report of its kind is routed (internal notes stay inside the
/// ward); and to each user the events put in an inbox, what they chose: a push to every
/// phone, a letter.
pub async fn enqueue(
    txn: &impl ConnectionTrait,
    events: &[report_event::Model],
    inbox: &[notification::Model],
) -> Result<(), DbErr> {
    let public: Vec<&report_event::Model> =
        events.iter().filter(|e| e.visibility == "public").collect();
    let mut rows = personal_rows(txn, events, inbox).await?;
    if !public.is_empty() {
        rows.extend(webhook_rows(txn, &public).await?);
        rows.extend(agency_mail_rows(txn, &public).await?);
    }
    for chunk in rows.chunks(500) {
        outbox::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// For each inbox entry, what its user chose beyond the inbox: a push per phone, and a
/// letter. The push carries the entry's title and text, and what the app needs to open the
/// report (the delivery id lets it drop a repeat).
async fn personal_rows(
    txn: &impl ConnectionTrait,
    events: &[report_event::Model],
    inbox: &[notification::Model],
) -> Result<Vec<outbox::ActiveModel>, DbErr> {
    let mut rows = Vec::new();
    if inbox.is_empty() {
        return Ok(rows);
    }
    let mut user_ids: Vec<Uuid> = inbox.iter().map(|entry| entry.user_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    // Only people with a phone registered or an address can hear more; most have neither,
    // and one read on every event finds out.
    let with_devices = sea_orm::sea_query::Query::select()
        .column(device::Column::UserId)
        .from(device::Entity)
        .to_owned();
    let users = user::Entity::find()
        .filter(user::Column::Id.is_in(user_ids))
        .filter(user::Column::Active.eq(true))
        .filter(
            sea_orm::Condition::any()
                .add(user::Column::Email.is_not_null())
                .add(user::Column::Id.in_subquery(with_devices)),
        )
        .all(txn)
        .await?;
    if users.is_empty() {
        return Ok(rows);
    }
    let devices = device::Entity::find()
        .filter(device::Column::UserId.is_in(users.iter().map(|u| u.id)))
        .all(txn)
        .await?;
    let preferences = preferences::of(txn, &users).await?;
    let users = index(users, |u| u.id);
    let wards = wards_of(txn, inbox.iter().map(|entry| entry.report_id)).await?;
    let events = index(events.to_vec(), |e| e.id);
    for entry in inbox {
        let (Some(event), Some(&ward_id), Some(user), Some(chosen), Ok(event_type)) = (
            events.get(&entry.event_id),
            wards.get(&entry.report_id),
            users.get(&entry.user_id),
            preferences.get(&entry.user_id),
            entry.event_type.parse::<EventType>(),
        ) else {
            continue;
        };
        let mut row = |channel: &str, payload: String, recipient: &str, id: Uuid| {
            let mut row = pending(id, channel, ward_id, event, payload);
            row.report_id = Set(entry.report_id);
            row.recipient = Set(Some(recipient.to_owned()));
            rows.push(row);
        };
        if chosen.wants(Channel::Push, event_type) {
            for phone in devices.iter().filter(|d| d.user_id == entry.user_id) {
                let id = Uuid::now_v7();
                let message = PushMessage {
                    title: entry.title.clone(),
                    body: entry.body.clone(),
                    data: [
                        ("delivery_id", id.to_string()),
                        ("notification_id", entry.id.to_string()),
                        ("report_id", entry.report_id.to_string()),
                        ("type", entry.event_type.clone()),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                };
                let payload = serde_json::to_string(&message).unwrap_or_default();
                row(PUSH, payload, &phone.token, id);
            }
        }
        if let Some(address) = user.email.as_deref()
            && chosen.wants(Channel::Email, event_type)
        {
            let mail = crate::mail::inbox_notice(
                &user.display_name,
                address,
                &entry.title,
                &entry.body,
                entry.report_id,
            );
            let payload = serde_json::to_string(&mail).unwrap_or_default();
            row(EMAIL, payload, address, Uuid::now_v7());
        }
    }
    Ok(rows)
}

/// Queues a letter that belongs to no report (the morning digest), in the caller's
/// transaction; its event and report ids are nil.
pub async fn enqueue_letter(
    txn: &impl ConnectionTrait,
    id: Uuid,
    ward_id: Uuid,
    event_type: &str,
    mail: &crate::mail::OutgoingMail,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let event = report_event::Model {
        id: Uuid::nil(),
        report_id: Uuid::nil(),
        event_type: event_type.to_owned(),
        actor_id: None,
        from_status: None,
        to_status: None,
        visibility: "internal".to_owned(),
        text: None,
        data: serde_json::Value::Null,
        created_at: at,
    };
    let mut row = pending(
        id,
        EMAIL,
        ward_id,
        &event,
        serde_json::to_string(mail).unwrap_or_default(),
    );
    row.recipient = Set(Some(mail.to.clone()));
    outbox::Entity::insert(row)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// A delivery due at once.
fn pending(
    id: Uuid,
    channel: &str,
    ward_id: Uuid,
    event: &report_event::Model,
    payload: String,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        id: Set(id),
        channel: Set(channel.to_owned()),
        ward_id: Set(ward_id),
        subscription_id: Set(None),
        recipient: Set(None),
        event_id: Set(event.id),
        report_id: Set(event.report_id),
        event_type: Set(event.event_type.clone()),
        payload: Set(payload),
        status: Set(PENDING.to_owned()),
        attempts: Set(0),
        next_attempt_at: Set(event.created_at),
        last_error: Set(None),
        created_at: Set(event.created_at),
        sent_at: Set(None),
    }
}

fn unique_report_ids(events: &[&report_event::Model]) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = events.iter().map(|e| e.report_id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

async fn webhook_rows(
    txn: &impl ConnectionTrait,
    public: &[&report_event::Model],
) -> Result<Vec<outbox::ActiveModel>, DbErr> {
    let report_ids = unique_report_ids(public);
    // Most wards have no webhook: one query finds out.
    let wards_of_reports = sea_orm::sea_query::Query::select()
        .column(report::Column::WardId)
        .from(report::Entity)
        .and_where(report::Column::Id.is_in(report_ids.clone()))
        .to_owned();
    let subscriptions = webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::Active.eq(true))
        .filter(webhook_subscription::Column::WardId.in_subquery(wards_of_reports))
        .all(txn)
        .await?;
    let mut rows = Vec::new();
    if subscriptions.is_empty() {
        return Ok(rows);
    }
    let places: HashMap<Uuid, (Uuid, Uuid)> = report::Entity::find()
        .select_only()
        .column(report::Column::Id)
        .column(report::Column::WardId)
        .column(report::Column::NeighborhoodId)
        .filter(report::Column::Id.is_in(report_ids))
        .into_tuple::<(Uuid, Uuid, Uuid)>()
        .all(txn)
        .await?
        .into_iter()
        .map(|(id, ward, neighborhood)| (id, (ward, neighborhood)))
        .collect();
    for event in public {
        let Ok(event_type) = event.event_type.parse::<EventType>() else {
            continue;
        };
        let Some(&(ward_id, neighborhood_id)) = places.get(&event.report_id) else {
            continue;
        };
        for subscription in subscriptions
            .iter()
            .filter(|s| s.ward_id == ward_id && delivery::subscribes(&s.event_types, event_type))
        {
            let id = Uuid::now_v7();
            let payload = json!({
                "id": id,
                "type": event.event_type,
                "occurred_at": event.created_at,
                "report_id": event.report_id,
                "ward_id": ward_id,
                "neighborhood_id": neighborhood_id,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "text": event.text,
                "data": event.data,
            });
            let mut row = pending(id, WEBHOOK, ward_id, event, payload.to_string());
            row.subscription_id = Set(Some(subscription.id));
            rows.push(row);
        }
    }
    Ok(rows)
}

/// E-mails to the outside companies of the reports routed in these events.
async fn agency_mail_rows(
    txn: &impl ConnectionTrait,
    public: &[&report_event::Model],
) -> Result<Vec<outbox::ActiveModel>, DbErr> {
    let assigned: Vec<&report_event::Model> = public
        .iter()
        .copied()
        .filter(|e| e.event_type == EventType::Assigned.as_str())
        .collect();
    let mut rows = Vec::new();
    if assigned.is_empty() {
        return Ok(rows);
    }
    let with_agency = Subcategory::ALL
        .iter()
        .filter(|s| routing::external_agency(**s).is_some())
        .map(|s| s.as_str());
    let reports: HashMap<Uuid, (report::Model, &'static str)> = report::Entity::find()
        .filter(report::Column::Id.is_in(unique_report_ids(&assigned)))
        .filter(report::Column::Subcategory.is_in(with_agency))
        .all(txn)
        .await?
        .into_iter()
        .filter_map(|r| {
            let agency = routing::external_agency(r.subcategory.parse().ok()?)?;
            Some((r.id, (r, agency)))
        })
        .collect();
    if reports.is_empty() {
        return Ok(rows);
    }
    let ward_ids: Vec<Uuid> = reports.values().map(|(r, _)| r.ward_id).collect();
    let agencies = department::Entity::find()
        .filter(department::Column::WardId.is_in(ward_ids.clone()))
        .filter(department::Column::External.eq(true))
        .filter(department::Column::Email.is_not_null())
        .all(txn)
        .await?;
    let wards = index(
        ward::Entity::find()
            .filter(ward::Column::Id.is_in(ward_ids))
            .all(txn)
            .await?,
        |w| w.id,
    );
    let neighborhoods = index(
        neighborhood::Entity::find()
            .filter(
                neighborhood::Column::Id.is_in(reports.values().map(|(r, _)| r.neighborhood_id)),
            )
            .all(txn)
            .await?,
        |n| n.id,
    );
    for event in assigned {
        let Some((report, code)) = reports.get(&event.report_id) else {
            continue;
        };
        let (Some(agency), Some(ward)) = (
            agencies
                .iter()
                .find(|a| a.ward_id == report.ward_id && a.code == *code),
            wards.get(&report.ward_id),
        ) else {
            continue;
        };
        let mail = crate::mail::agency_notice(
            report,
            agency,
            ward,
            neighborhoods.get(&report.neighborhood_id),
            report.address.as_deref().unwrap_or("không ghi"),
        );
        let mut row = pending(
            Uuid::now_v7(),
            EMAIL,
            report.ward_id,
            event,
            serde_json::to_string(&mail).unwrap_or_default(),
        );
        row.recipient = Set(Some(mail.to.clone()));
        rows.push(row);
    }
    Ok(rows)
}

/// Runs the delivery worker of this replica until aborted.
pub fn keep_delivering(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder().timeout(SEND_TIMEOUT).build() {
            Ok(client) => client,
            Err(error) => {
                tracing::error!("webhook client cannot start: {error}");
                return;
            }
        };
        loop {
            match deliver_due(&state, &client).await {
                // A full claim: there may be more waiting.
                Ok(claimed) if claimed as u64 == CLAIM => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!("webhook deliveries: {error:#}"),
            }
            tokio::time::sleep(state.settings.delivery_interval).await;
        }
    })
}

/// Claims the deliveries that are due and sends them; returns how many it claimed.
pub async fn deliver_due(state: &AppState, client: &reqwest::Client) -> anyhow::Result<usize> {
    let claimed = claim(state).await?;
    let count = claimed.len();
    if count == 0 {
        return Ok(0);
    }
    let subscriptions = index(
        webhook_subscription::Entity::find()
            .filter(webhook_subscription::Column::Active.eq(true))
            .filter(
                webhook_subscription::Column::Id
                    .is_in(claimed.iter().filter_map(|row| row.subscription_id)),
            )
            .all(&state.db)
            .await?,
        |s| s.id,
    );
    let sends = claimed
        .into_iter()
        .map(|row| deliver(state, client, &subscriptions, row));
    let outcomes = futures_util::future::join_all(sends).await;
    // One transaction for the batch's outcomes: SQLite's single writer is shared with intake.
    let txn = state.begin_write().await?;
    for (outcome, forget) in outcomes {
        outcome.update(&*txn).await?;
        if let Some(token) = forget {
            device::Entity::delete_many()
                .filter(device::Column::Token.eq(token))
                .exec(&*txn)
                .await?;
        }
    }
    txn.commit().await?;
    Ok(count)
}

async fn claim(state: &AppState) -> Result<Vec<outbox::Model>, DbErr> {
    let now = crate::store::reports::now();
    let due = |select: sea_orm::Select<outbox::Entity>| {
        select
            .filter(outbox::Column::Status.eq(PENDING))
            .filter(outbox::Column::NextAttemptAt.lte(now))
    };
    // A read first: most polls find nothing, and need not wait for SQLite's writer.
    if due(outbox::Entity::find()).one(&state.db).await?.is_none() {
        return Ok(Vec::new());
    }
    let txn = state.begin_write().await?;
    let due = due(outbox::Entity::find())
        .order_by_asc(outbox::Column::NextAttemptAt)
        .limit(CLAIM)
        // SQLite has one writer at a time, which is the same guarantee.
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&*txn)
        .await?;
    // A delivery not finished when its claim runs out is taken again (its worker died).
    let lease_end = now + chrono::Duration::from_std(state.settings.delivery_lease).expect("lease");
    for row in &due {
        outbox::ActiveModel {
            id: Set(row.id),
            attempts: Set(row.attempts + 1),
            next_attempt_at: Set(lease_end),
            ..Default::default()
        }
        .update(&*txn)
        .await?;
    }
    txn.commit().await?;
    Ok(due
        .into_iter()
        .map(|row| outbox::Model {
            attempts: row.attempts + 1,
            ..row
        })
        .collect())
}

/// Why a delivery failed.
enum Failure {
    /// Tried again later, up to the limit.
    Retry(String),
    /// Never worth trying again: the push token is gone.
    GiveUp(String),
}

/// Sends one delivery; returns the change that records how it went, and a push token to
/// forget.
async fn deliver(
    state: &AppState,
    client: &reqwest::Client,
    subscriptions: &HashMap<Uuid, webhook_subscription::Model>,
    row: outbox::Model,
) -> (outbox::ActiveModel, Option<String>) {
    let mut forget = None;
    let outcome = match (row.channel.as_str(), row.subscription_id) {
        (WEBHOOK, Some(subscription_id)) => match subscriptions.get(&subscription_id) {
            None => Err(Failure::Retry("the subscription was removed".to_owned())),
            Some(subscription) => send(client, subscription, &row)
                .await
                .map_err(Failure::Retry),
        },
        (EMAIL, _) => match serde_json::from_str::<crate::mail::OutgoingMail>(&row.payload) {
            Ok(mail) => state
                .mailer
                .send(&state.settings.mail_from, &mail, row.id)
                .await
                .map_err(Failure::Retry),
            Err(error) => Err(Failure::Retry(format!("unreadable message: {error}"))),
        },
        (PUSH, _) => match (
            row.recipient.as_deref(),
            serde_json::from_str::<PushMessage>(&row.payload),
        ) {
            (Some(token), Ok(message)) => match state.push.send(token, &message, row.id).await {
                Ok(()) => Ok(()),
                Err(PushError::Failed(error)) => Err(Failure::Retry(error)),
                Err(PushError::Unregistered(error)) => {
                    forget = Some(token.to_owned());
                    Err(Failure::GiveUp(error))
                }
            },
            (None, _) => Err(Failure::GiveUp("no device token".to_owned())),
            (_, Err(error)) => Err(Failure::Retry(format!("unreadable message: {error}"))),
        },
        (channel, _) => Err(Failure::Retry(format!("unknown channel {channel}"))),
    };
    let now = crate::store::reports::now();
    let mut update = outbox::ActiveModel {
        id: Set(row.id),
        ..Default::default()
    };
    match outcome {
        Ok(()) => {
            update.status = Set(SENT.to_owned());
            update.sent_at = Set(Some(now));
            update.last_error = Set(None);
        }
        Err(failure) => {
            let (error, give_up) = match failure {
                Failure::Retry(error) => (error, false),
                Failure::GiveUp(error) => (error, true),
            };
            tracing::info!(delivery = %row.id, channel = %row.channel, attempt = row.attempts, "delivery failed: {error}");
            update.last_error = Set(Some(error));
            if give_up || row.attempts as u32 >= state.settings.delivery_max_attempts {
                update.status = Set(DEAD.to_owned());
            } else {
                let wait = delivery::retry_delay(
                    row.attempts as u32,
                    state.settings.delivery_retry_base,
                    RETRY_CAP,
                    rand::random::<f64>(),
                );
                update.next_attempt_at =
                    Set(now + chrono::Duration::from_std(wait).unwrap_or_default());
            }
        }
    }
    (update, forget)
}

async fn send(
    client: &reqwest::Client,
    subscription: &webhook_subscription::Model,
    row: &outbox::Model,
) -> Result<(), String> {
    let timestamp = Utc::now().timestamp();
    let response = client
        .post(&subscription.url)
        .header("content-type", "application/json")
        .header("idempotency-key", row.id.to_string())
        .header("x-sos-event", &row.event_type)
        .header(
            "x-sos-signature",
            signature(&subscription.secret, timestamp, row.payload.as_bytes()),
        )
        .body(row.payload.clone())
        .send()
        .await
        .map_err(|e| format!("cannot reach the receiver: {e}"))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}

/// Puts a dead delivery back in line, now.
pub async fn retry(state: &AppState, id: Uuid, at: DateTime<Utc>) -> Result<bool, DbErr> {
    let txn = state.begin_write().await?;
    let result = outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, PENDING.into())
        .col_expr(outbox::Column::Attempts, 0.into())
        .col_expr(outbox::Column::NextAttemptAt, at.into())
        .filter(outbox::Column::Id.eq(id))
        .filter(outbox::Column::Status.eq(DEAD))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(result.rows_affected == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_cover_the_time_and_the_body() {
        let one = signature("secret", 1_700_000_000, b"{\"a\":1}");
        assert!(one.starts_with("t=1700000000,v1="));
        assert_eq!(one.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(one, signature("secret", 1_700_000_001, b"{\"a\":1}"));
        assert_ne!(one, signature("secret", 1_700_000_000, b"{\"a\":2}"));
        assert_ne!(one, signature("other", 1_700_000_000, b"{\"a\":1}"));
    }
}
