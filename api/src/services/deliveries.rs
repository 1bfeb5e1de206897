//! Sending what the outbox holds (webhooks, e-mail, mobile push), and what admins do with it:
//! a ward's webhook subscriptions, the list of deliveries, sending a dead one again.
//!
//! Every replica sends: a worker claims due deliveries by pushing their next attempt forward
//! (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so replicas take different rows), sends them,
//! and records the outcomes; one whose worker died is taken again when its claim runs out
//! (`SOS_DELIVERY_LEASE_SECONDS`). Failures are tried again with exponential backoff and
//! jitter, then parked as `dead` for an admin to retry. The receiver gets the outbox row's id
//! as `Idempotency-Key` on every attempt, and the body signed with HMAC-SHA256 over
//! `{timestamp}.{body}` (header `X-SOS-Signature: t=…,v1=…`).

use crate::infra::push::{PushError, PushMessage};
use crate::infra::webhooks::{Refused, check_receiver};
use crate::problem::{FieldError, Outcome, Problem};
use crate::services::Services;
use crate::services::accounts::{Caller, random_token};
use crate::services::audit::{self, Change};
use crate::services::wards::configurable_ward;
use crate::wording::mail::OutgoingMail;

use futures_util::FutureExt;
use hmac::{KeyInit, Mac};
use sos_domain::delivery::{self, DeliveryChannel, DeliveryStatus};
use sos_domain::taxonomy::{EventType, Role};
use sos_store::entities::{outbox, webhook_subscription};
use sos_store::outbox::{self as store, Outcome as Attempt};
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use uuid::Uuid;

/// Deliveries claimed at once by one worker.
pub const CLAIM: u64 = 32;
/// Longest wait between two attempts.
const RETRY_CAP: Duration = Duration::from_secs(6 * 3600);

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

/// Claims the deliveries that are due and sends them; returns how many it claimed.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn deliver_due(services: &Services) -> anyhow::Result<usize> {
    let now = services.clock.now();
    // A read first: most polls find nothing, and need not wait for SQLite's writer.
    if !store::any_due(&services.db, now).await? {
        return Ok(0);
    }
    let lease_end = now + chrono::Duration::from_std(services.settings.delivery_lease)?;
    let txn = services.begin_write().await?;
    let claimed = store::claim(&*txn, now, lease_end, CLAIM).await?;
    txn.commit().await?;
    let count = claimed.len();
    if count == 0 {
        return Ok(0);
    }
    let subscriptions = store::active_subscriptions_by_id(
        &services.db,
        claimed.iter().filter_map(|row| row.subscription_id),
    )
    .await?;
    let sends = claimed.into_iter().map(|row| {
        let (id, attempts) = (row.id, row.attempts);
        // One delivery that cannot be made never takes the others down: a panic is its own
        // failure, retried and then parked like any other.
        let sending = AssertUnwindSafe(deliver(services, &subscriptions, row)).catch_unwind();
        async move {
            match sending.await {
                Ok(sent) => sent,
                Err(_) => {
                    let error = "the delivery could not be made (it failed inside)".to_owned();
                    (id, failed(services, attempts, error, false), None)
                }
            }
        }
    });
    let outcomes = futures_util::future::join_all(sends).await;
    // One transaction for the batch's outcomes: SQLite's single writer is shared with intake.
    let txn = services.begin_write().await?;
    for (id, outcome, forget) in outcomes {
        store::record(&*txn, id, outcome).await?;
        if let Some(token) = forget {
            sos_store::accounts::forget_device(&*txn, &token).await?;
        }
    }
    txn.commit().await?;
    Ok(count)
}

/// Why a delivery failed.
enum Failure {
    /// Tried again later, up to the limit.
    Retry(String),
    /// Never worth trying again: the push token is gone.
    GiveUp(String),
}

/// Sends one delivery; returns how it went, and a push token to forget.
async fn deliver(
    services: &Services,
    subscriptions: &HashMap<Uuid, webhook_subscription::Model>,
    row: outbox::Model,
) -> (Uuid, Attempt, Option<String>) {
    let mut forget = None;
    let outcome = match (*row.channel, row.subscription_id) {
        (DeliveryChannel::Webhook, Some(subscription_id)) => {
            match subscriptions.get(&subscription_id) {
                None => Err(Failure::Retry("the subscription was removed".to_owned())),
                Some(subscription) => send(services, subscription, &row)
                    .await
                    .map_err(Failure::Retry),
            }
        }
        (DeliveryChannel::Webhook, None) => Err(Failure::GiveUp(
            "a webhook delivery without its subscription".to_owned(),
        )),
        (DeliveryChannel::Email, _) => match serde_json::from_str::<OutgoingMail>(&row.payload) {
            Ok(mail) => services
                .mailer
                .send(&services.settings.mail_from, &mail, row.id)
                .await
                .map_err(Failure::Retry),
            Err(error) => Err(Failure::Retry(format!("unreadable message: {error}"))),
        },
        (DeliveryChannel::Push, _) => match (
            row.recipient.as_deref(),
            serde_json::from_str::<PushMessage>(&row.payload),
        ) {
            (Some(token), Ok(message)) => match services.push.send(token, &message, row.id).await {
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
    };
    let attempt = match outcome {
        Ok(()) => Attempt::Sent {
            at: services.clock.now(),
        },
        Err(failure) => {
            let (error, give_up) = match failure {
                Failure::Retry(error) => (error, false),
                Failure::GiveUp(error) => (error, true),
            };
            tracing::info!(delivery = %row.id, channel = %row.channel, attempt = row.attempts, "delivery failed: {error}");
            failed(services, row.attempts, error, give_up)
        }
    };
    (row.id, attempt, forget)
}

/// A failed attempt: tried again after a backoff, or parked as dead once it has had its
/// attempts (or when it is not worth trying again).
fn failed(services: &Services, attempts: i32, error: String, give_up: bool) -> Attempt {
    if give_up || attempts as u32 >= services.settings.delivery_max_attempts {
        return Attempt::Dead { error };
    }
    let wait = delivery::retry_delay(
        attempts as u32,
        services.settings.delivery_retry_base,
        RETRY_CAP,
        rand::random::<f64>(),
    );
    Attempt::Retry {
        error,
        next_at: services.clock.now() + chrono::Duration::from_std(wait).unwrap_or_default(),
    }
}

/// Posts a delivery to its receiver; a failure says why without echoing what the receiver
/// answered (its body is never read).
async fn send(
    services: &Services,
    subscription: &webhook_subscription::Model,
    row: &outbox::Model,
) -> Result<(), String> {
    let url =
        reqwest::Url::parse(&subscription.url).map_err(|e| format!("invalid address: {e}"))?;
    let client = services
        .webhooks
        .for_url(&url)
        .map_err(|refused| format!("refused: {refused}"))?;
    let timestamp = services.clock.now().timestamp();
    let response = client
        .post(url)
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
        .map_err(|e| format!("cannot reach the receiver: {}", e.without_url()))?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the receiver answered {status}"))
    }
}

const MAX_URL_CHARS: usize = 2000;
const MIN_SECRET_CHARS: usize = 16;
const MAX_SECRET_CHARS: usize = 200;

/// A subscription asked for.
pub struct NewSubscription {
    pub url: String,
    pub event_types: Vec<EventType>,
    pub secret: Option<String>,
}

pub async fn subscriptions(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
) -> Outcome<Vec<webhook_subscription::Model>> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    Ok(store::subscriptions_of_ward(&services.db, ward.id).await?)
}

/// Subscribes an outside system to the ward's events. The secret that signs the bodies is
/// generated unless given.
pub async fn subscribe(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
    asked: NewSubscription,
) -> Outcome<webhook_subscription::Model> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    let mut errors = Vec::new();
    let url = asked.url.trim();
    let parsed = reqwest::Url::parse(url)
        .ok()
        .filter(|_| url.len() <= MAX_URL_CHARS && sos_domain::text::is_single_line(url));
    match &parsed {
        None => errors.push(FieldError::new(
            "/url",
            "Địa chỉ nhận phải là URL http(s) hợp lệ.",
            "The receiving address must be a valid http(s) URL.",
        )),
        Some(parsed) => {
            if let Err(refused) = check_receiver(&services.settings.webhook_targets, parsed) {
                errors.push(receiver_refused(refused));
            }
        }
    }
    let secret = asked.secret.map(|s| s.trim().to_owned());
    if secret.as_ref().is_some_and(|s| {
        !(MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&s.chars().count())
            || !sos_domain::text::is_single_line(s)
    }) {
        errors.push(FieldError::new(
            "/secret",
            format!("Khoá bí mật dài từ {MIN_SECRET_CHARS} đến {MAX_SECRET_CHARS} ký tự."),
            format!("The secret is {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters long."),
        ));
    }
    Problem::check(errors)?;
    let row = webhook_subscription::Model {
        id: Uuid::now_v7(),
        ward_id: ward.id,
        url: parsed.map_or_else(|| url.to_owned(), |p| p.to_string()),
        secret: secret.unwrap_or_else(random_token),
        event_types: delivery::event_types_field(&asked.event_types),
        active: true,
        created_by: caller.user.id,
        created_at: services.clock.now(),
    };
    let txn = services.begin_write().await?;
    store::insert_subscription(&*txn, &row).await?;
    // The secret stays out of the log.
    let after = serde_json::json!({"url": row.url, "event_types": row.event_types});
    let change = Change::of(
        "webhook.subscribed",
        Some(ward.id),
        "webhook",
        row.id,
        Some(after),
    );
    audit::log(&*txn, services, caller, change).await?;
    txn.commit().await?;
    services.organisation_changed(Some(ward.id)).await;
    tracing::info!(ward = %ward.id, webhook = %row.id, "webhook subscribed");
    Ok(row)
}

fn receiver_refused(refused: Refused) -> FieldError {
    let vi = match refused {
        Refused::Scheme => "Địa chỉ nhận phải là URL http(s) hợp lệ.",
        Refused::Credentials => {
            "Không ghi tên đăng nhập, mật khẩu trong địa chỉ; các yêu cầu đã được ký bằng khoá bí mật."
        }
        Refused::PlainHttp => "Chỉ dùng http trong mạng quản trị viên cho phép; hãy dùng https.",
        Refused::Inside => {
            "Địa chỉ này là máy chủ hoặc mạng nội bộ, webhook không được gửi tới đó."
        }
        Refused::Unresolved => "Địa chỉ nhận thiếu tên máy chủ.",
    };
    FieldError::new("/url", vi, refused.to_string())
}

/// Ends a subscription; deliveries still waiting for it are given up.
pub async fn unsubscribe(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
    webhook_id: Uuid,
) -> Outcome<()> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    let txn = services.begin_write().await?;
    if !store::delete_subscription(&*txn, ward.id, webhook_id).await? {
        return Err(Problem::not_found(
            "Không có đăng ký webhook này.",
            "There is no such webhook.",
        ));
    }
    let change = Change::of(
        "webhook.deleted",
        Some(ward.id),
        "webhook",
        webhook_id,
        None,
    );
    audit::log(&*txn, services, caller, change).await?;
    txn.commit().await?;
    services.organisation_changed(Some(ward.id)).await;
    Ok(())
}

/// The ward whose deliveries an admin sees, or `None` for every ward; only admins see them.
pub fn delivery_scope(caller: &Caller) -> Outcome<Option<Uuid>> {
    let actor = &caller.actor;
    if actor.role != Role::Admin {
        return Err(Problem::forbidden(
            "Chỉ quản trị viên xem các lần gửi.",
            "Only administrators see deliveries.",
        ));
    }
    Ok(actor.ward_id)
}

/// Deliveries, newest first, of one status when given.
pub async fn list(
    services: &Services,
    caller: &Caller,
    status: Option<DeliveryStatus>,
    limit: u64,
) -> Outcome<Vec<outbox::Model>> {
    let scope = delivery_scope(caller)?;
    Ok(store::deliveries(&services.db, status, scope, limit).await?)
}

/// Sends a dead delivery again, with the same idempotency key.
pub async fn retry(services: &Services, caller: &Caller, id: Uuid) -> Outcome<outbox::Model> {
    let scope = delivery_scope(caller)?;
    let not_found = || Problem::not_found("Không có lần gửi này.", "There is no such delivery.");
    let row = store::delivery(&services.db, id)
        .await?
        .filter(|row| scope.is_none_or(|ward_id| row.ward_id == ward_id))
        .ok_or_else(not_found)?;
    let txn = services.begin_write().await?;
    let retried = store::retry(&*txn, row.id, services.clock.now()).await?;
    txn.commit().await?;
    if !retried {
        return Err(Problem::conflict(
            "Chỉ gửi lại được lần gửi đã bỏ (dead).",
            "Only a delivery given up (dead) can be retried.",
        ));
    }
    store::delivery(&services.db, id)
        .await?
        .ok_or_else(|| Problem::internal(anyhow::anyhow!("delivery {id} vanished")))
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
