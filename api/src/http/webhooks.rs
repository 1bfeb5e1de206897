//! A ward's webhook subscriptions (its admins), and the deliveries of the outbox (webhooks,
//! e-mail and push): admins see what failed and send it again.

use crate::http::auth::Administrator;
use crate::http::extract::{Json, Path, Query};
use crate::http::params;
use crate::problem::{FieldError, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::deliveries::{self, NewSubscription};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sos_domain::delivery::{self, DeliveryChannel, DeliveryStatus};
use sos_domain::taxonomy::EventType;
use sos_store::entities::{outbox, webhook_subscription};
use uuid::Uuid;

#[derive(Serialize)]
pub struct Webhook {
    id: Uuid,
    ward_id: Uuid,
    url: String,
    /// Empty: every event type.
    event_types: Vec<EventType>,
    active: bool,
    #[serde(with = "crate::clock::rfc3339_serde")]
    created_at: DateTime<Utc>,
    /// Shown once, when the subscription is made.
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

impl Webhook {
    fn new(row: &webhook_subscription::Model, show_secret: bool) -> Self {
        Webhook {
            id: row.id,
            ward_id: row.ward_id,
            url: row.url.clone(),
            event_types: delivery::event_types_of(&row.event_types),
            active: row.active,
            created_at: row.created_at,
            secret: show_secret.then(|| row.secret.clone()),
        }
    }
}

#[derive(Serialize)]
pub struct WebhookList {
    items: Vec<Webhook>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookCreate {
    url: String,
    #[serde(default)]
    event_types: Vec<EventType>,
    #[serde(default)]
    secret: Option<String>,
}

pub async fn list(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<WebhookList>, Problem> {
    let rows = deliveries::subscriptions(&services, &caller, id).await?;
    Ok(axum::Json(WebhookList {
        items: rows.iter().map(|row| Webhook::new(row, false)).collect(),
    }))
}

/// Subscribes an outside system to the ward's events; the secret is shown in this answer
/// only.
pub async fn create(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path(id): Path<Uuid>,
    Json(body): Json<WebhookCreate>,
) -> Result<(StatusCode, axum::Json<Webhook>), Problem> {
    let asked = NewSubscription {
        url: body.url,
        event_types: body.event_types,
        secret: body.secret,
    };
    let row = deliveries::subscribe(&services, &caller, id, asked).await?;
    Ok((StatusCode::CREATED, axum::Json(Webhook::new(&row, true))))
}

/// Ends a subscription; deliveries still waiting for it are given up.
pub async fn delete(
    State(services): State<Services>,
    caller: Caller,
    Path((id, webhook_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, Problem> {
    deliveries::unsubscribe(&services, &caller, id, webhook_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct Delivery {
    id: Uuid,
    channel: DeliveryChannel,
    webhook_id: Option<Uuid>,
    recipient: Option<String>,
    report_id: Option<Uuid>,
    event_type: String,
    status: DeliveryStatus,
    attempts: i32,
    #[serde(with = "crate::clock::rfc3339_serde::option")]
    next_attempt_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    #[serde(with = "crate::clock::rfc3339_serde")]
    created_at: DateTime<Utc>,
    #[serde(with = "crate::clock::rfc3339_serde::option")]
    sent_at: Option<DateTime<Utc>>,
}

impl From<outbox::Model> for Delivery {
    fn from(row: outbox::Model) -> Self {
        Delivery {
            id: row.id,
            webhook_id: row.subscription_id,
            // A phone's push token is its user's, not for an admin's eyes: its end is enough
            // to tell two apart.
            recipient: match *row.channel {
                DeliveryChannel::Push => row.recipient.map(|token| {
                    let end: String = token.chars().rev().take(6).collect();
                    format!("…{}", end.chars().rev().collect::<String>())
                }),
                _ => row.recipient,
            },
            channel: *row.channel,
            // A morning digest belongs to no report.
            report_id: (!row.report_id.is_nil()).then_some(row.report_id),
            event_type: row.event_type,
            next_attempt_at: (*row.status == DeliveryStatus::Pending)
                .then_some(row.next_attempt_at),
            status: *row.status,
            attempts: row.attempts,
            last_error: row.last_error,
            created_at: row.created_at,
            sent_at: row.sent_at,
        }
    }
}

#[derive(Serialize)]
pub struct DeliveryList {
    items: Vec<Delivery>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    status: Option<String>,
    limit: Option<String>,
}

/// Deliveries, newest first: `status=dead` for those given up.
pub async fn deliveries(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<DeliveryQuery>,
) -> Result<axum::Json<DeliveryList>, Problem> {
    // Who may see deliveries is answered before what is wrong with the query.
    deliveries::delivery_scope(&caller)?;
    let mut errors = Vec::new();
    let limit = params::limit(query.limit.as_deref(), 50, 500, &mut errors);
    let status = match query.status.as_deref().map(str::trim) {
        None => None,
        Some(code) => code.parse::<DeliveryStatus>().ok().or_else(|| {
            errors.push(FieldError::new(
                "status",
                "Trạng thái là pending, sent hoặc dead.",
                "The status is pending, sent or dead.",
            ));
            None
        }),
    };
    Problem::check(errors)?;
    let rows = deliveries::list(&services, &caller, status, limit).await?;
    Ok(axum::Json(DeliveryList {
        items: rows.into_iter().map(Delivery::from).collect(),
    }))
}

/// Sends a dead delivery again, with the same idempotency key.
pub async fn retry(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<Delivery>, Problem> {
    let row = deliveries::retry(&services, &caller, id).await?;
    Ok(axum::Json(Delivery::from(row)))
}
