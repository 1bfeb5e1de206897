//! Phones registering for push notifications. A token belongs to one user at a time: the app
//! registers it after each sign-in (a phone handed over moves to its new user) and removes it
//! on sign-out.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{Json, Path};
use crate::state::AppState;
use crate::store::entities::device;
use crate::store::reports::now;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// FCM tokens are about 160 characters; APNs and web push ones are shorter.
const MAX_TOKEN_CHARS: usize = 4096;
const PLATFORMS: [&str; 3] = ["android", "ios", "web"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRegistration {
    token: String,
    platform: String,
}

#[derive(Serialize)]
pub struct Device {
    id: Uuid,
    platform: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
}

impl From<device::Model> for Device {
    fn from(row: device::Model) -> Self {
        Device {
            id: row.id,
            platform: row.platform,
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
        }
    }
}

fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= MAX_TOKEN_CHARS
        && token.bytes().all(|b| b.is_ascii_graphic())
}

/// Registers the caller's phone: 201 the first time, 200 when it was already theirs or moves
/// to them from another user.
pub async fn register(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(body): Json<DeviceRegistration>,
) -> ApiResult<(StatusCode, axum::Json<Device>)> {
    let mut errors = Vec::new();
    if !valid_token(&body.token) {
        errors.push(FieldError::new(
            "/token",
            format!("Mã thiết bị gồm 1 đến {MAX_TOKEN_CHARS} ký tự ASCII, không có khoảng trắng."),
            format!("The device token is 1 to {MAX_TOKEN_CHARS} ASCII characters without spaces."),
        ));
    }
    if !PLATFORMS.contains(&body.platform.as_str()) {
        errors.push(FieldError::new(
            "/platform",
            "Nền tảng là android, ios hoặc web.",
            "The platform is android, ios or web.",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let at = now();
    let txn = state.begin_write().await?;
    let existing = device::Entity::find()
        .filter(device::Column::Token.eq(body.token.as_str()))
        .one(&*txn)
        .await?;
    let (status, row) = match existing {
        Some(row) => {
            let mut active: device::ActiveModel = row.into();
            active.user_id = Set(current.user.id);
            active.platform = Set(body.platform);
            active.last_seen_at = Set(at);
            (StatusCode::OK, active.update(&*txn).await?)
        }
        None => {
            let row = device::Model {
                id: Uuid::now_v7(),
                user_id: current.user.id,
                token: body.token,
                platform: body.platform,
                created_at: at,
                last_seen_at: at,
            };
            device::Entity::insert(device::ActiveModel::from(row.clone()))
                .exec_without_returning(&*txn)
                .await?;
            (StatusCode::CREATED, row)
        }
    };
    txn.commit().await?;
    Ok((status, axum::Json(row.into())))
}

/// Stops pushes to one of the caller's phones.
pub async fn unregister(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(token): Path<String>,
) -> ApiResult<StatusCode> {
    let txn = state.begin_write().await?;
    let deleted = device::Entity::delete_many()
        .filter(device::Column::Token.eq(token))
        .filter(device::Column::UserId.eq(current.user.id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found(
            "Thiết bị này chưa đăng ký nhận thông báo.",
            "This device is not registered for notifications.",
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}
