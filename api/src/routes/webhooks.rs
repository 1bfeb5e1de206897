//! A ward's webhook subscriptions (its admins), and the deliveries of the outbox (webhooks and
//! e-mail): admins see what failed and send it again.

use crate::auth::{CurrentUser, random_token};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{Json, Path, Query};
use crate::outbox;
use crate::routes::params;
use crate::routes::wards::configurable_ward;
use crate::state::AppState;
use crate::store::entities::{outbox as outbox_row, webhook_subscription};
use crate::store::reports::now;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use sos_domain::delivery;
use sos_domain::taxonomy::{EventType, Role};
use uuid::Uuid;

const MAX_URL_CHARS: usize = 2000;
const MIN_SECRET_CHARS: usize = 16;
const MAX_SECRET_CHARS: usize = 200;

#[derive(Serialize)]
pub struct Webhook {
    id: Uuid,
    ward_id: Uuid,
    url: String,
    /// Empty: every event type.
    event_types: Vec<EventType>,
    active: bool,
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
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<WebhookList>> {
    let ward = configurable_ward(&state, &current, id).await?;
    let rows = webhook_subscription::Entity::find()
        .filter(webhook_subscription::Column::WardId.eq(ward.id))
        .order_by_asc(webhook_subscription::Column::CreatedAt)
        .all(&state.db)
        .await?;
    Ok(axum::Json(WebhookList {
        items: rows.iter().map(|row| Webhook::new(row, false)).collect(),
    }))
}

/// Subscribes an outside system to the ward's events. The secret that signs the bodies is
/// generated unless given, and shown in this answer only.
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<WebhookCreate>,
) -> ApiResult<(StatusCode, axum::Json<Webhook>)> {
    let ward = configurable_ward(&state, &current, id).await?;
    let mut errors = Vec::new();
    let url = body.url.trim();
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.len() > MAX_URL_CHARS || reqwest::Url::parse(url).is_err() {
        errors.push(FieldError::new(
            "/url",
            "Địa chỉ nhận phải là URL http(s) hợp lệ.",
            "The receiving address must be a valid http(s) URL.",
        ));
    }
    let secret = body.secret.map(|s| s.trim().to_owned());
    if secret
        .as_ref()
        .is_some_and(|s| !(MIN_SECRET_CHARS..=MAX_SECRET_CHARS).contains(&s.chars().count()))
    {
        errors.push(FieldError::new(
            "/secret",
            format!("Khoá bí mật dài từ {MIN_SECRET_CHARS} đến {MAX_SECRET_CHARS} ký tự."),
            format!("The secret is {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters long."),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let row = webhook_subscription::Model {
        id: Uuid::now_v7(),
        ward_id: ward.id,
        url: url.to_owned(),
        secret: secret.unwrap_or_else(random_token),
        event_types: delivery::event_types_field(&body.event_types),
        active: true,
        created_by: current.user.id,
        created_at: now(),
    };
    let txn = state.begin_write().await?;
    webhook_subscription::Entity::insert(webhook_subscription::ActiveModel::from(row.clone()))
        .exec_without_returning(&*txn)
        .await?;
    txn.commit().await?;
    tracing::info!(ward = %ward.id, webhook = %row.id, "webhook subscribed");
    Ok((StatusCode::CREATED, axum::Json(Webhook::new(&row, true))))
}

/// Ends a subscription; deliveries still waiting for it are given up.
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, webhook_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let ward = configurable_ward(&state, &current, id).await?;
    let txn = state.begin_write().await?;
    let deleted = webhook_subscription::Entity::delete_many()
        .filter(webhook_subscription::Column::Id.eq(webhook_id))
        .filter(webhook_subscription::Column::WardId.eq(ward.id))
        .exec(&*txn)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found(
            "Không có đăng ký webhook này.",
            "There is no such webhook.",
        ));
    }
    outbox_row::Entity::update_many()
        .col_expr(outbox_row::Column::Status, outbox::DEAD.into())
        .col_expr(
            outbox_row::Column::LastError,
            Some("the subscription was removed".to_owned()).into(),
        )
        .filter(outbox_row::Column::SubscriptionId.eq(webhook_id))
        .filter(outbox_row::Column::Status.eq(outbox::PENDING))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct Delivery {
    id: Uuid,
    channel: String,
    webhook_id: Option<Uuid>,
    recipient: Option<String>,
    report_id: Option<Uuid>,
    event_type: String,
    status: String,
    attempts: i32,
    next_attempt_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

impl From<outbox_row::Model> for Delivery {
    fn from(row: outbox_row::Model) -> Self {
        Delivery {
            id: row.id,
            webhook_id: row.subscription_id,
            // A phone's push token is its user's, not for an admin's eyes: its end is enough
            // to tell two apart.
            recipient: match row.channel.as_str() {
                outbox::PUSH => row.recipient.map(|token| {
                    let end: String = token.chars().rev().take(6).collect();
                    format!("…{}", end.chars().rev().collect::<String>())
                }),
                _ => row.recipient,
            },
            channel: row.channel,
            // A morning digest belongs to no report.
            report_id: (!row.report_id.is_nil()).then_some(row.report_id),
            event_type: row.event_type,
            next_attempt_at: (row.status == outbox::PENDING).then_some(row.next_attempt_at),
            status: row.status,
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

/// The ward whose deliveries the admin sees, or `None` for every ward.
fn admin_scope(current: &CurrentUser) -> ApiResult<Option<Uuid>> {
    let actor = &current.actor;
    if actor.role != Role::Admin {
        return Err(ApiError::forbidden(
            "Chỉ quản trị viên xem các lần gửi.",
            "Only administrators see deliveries.",
        ));
    }
    Ok(actor.ward_id)
}

/// Deliveries, newest first: `status=dead` for those given up.
pub async fn deliveries(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<DeliveryQuery>,
) -> ApiResult<axum::Json<DeliveryList>> {
    let scope = admin_scope(&current)?;
    let mut errors = Vec::new();
    let limit = params::limit(query.limit.as_deref(), 50, 500, &mut errors);
    let status = query.status.as_deref().map(str::trim);
    if status.is_some_and(|s| ![outbox::PENDING, outbox::SENT, outbox::DEAD].contains(&s)) {
        errors.push(FieldError::new(
            "status",
            "Trạng thái là pending, sent hoặc dead.",
            "The status is pending, sent or dead.",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut select = outbox_row::Entity::find();
    if let Some(status) = status {
        select = select.filter(outbox_row::Column::Status.eq(status));
    }
    if let Some(ward_id) = scope {
        select = select.filter(outbox_row::Column::WardId.eq(ward_id));
    }
    let rows = select
        .order_by_desc(outbox_row::Column::CreatedAt)
        .order_by_desc(outbox_row::Column::Id)
        .limit(limit)
        .all(&state.db)
        .await?;
    Ok(axum::Json(DeliveryList {
        items: rows.into_iter().map(Delivery::from).collect(),
    }))
}

/// Sends a dead delivery again, with the same idempotency key.
pub async fn retry(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Delivery>> {
    let scope = admin_scope(&current)?;
    let row = outbox_row::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|row| scope.is_none_or(|ward_id| row.ward_id == ward_id))
        .ok_or_else(|| {
            ApiError::not_found("Không có lần gửi này.", "There is no such delivery.")
        })?;
    if !outbox::retry(&state, row.id, now()).await? {
        return Err(ApiError::conflict(
            "conflict",
            "Chỉ gửi lại được lần gửi đã bỏ (dead).",
            "Only a delivery given up (dead) can be retried.",
        ));
    }
    let row = outbox_row::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("delivery {id} vanished")))?;
    Ok(axum::Json(Delivery::from(row)))
}
