//! Phones registering for push notifications. A token belongs to one user at a time: the app
//! registers it after each sign-in (a phone handed over moves to its new user) and removes it
//! on sign-out. A phone may choose the language of its pushes (a shared phone, a phone set to
//! English); otherwise they come in its user's language.

use crate::http::extract::{Json, Path};
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::inbox;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sos_domain::language::Lang;
use sos_store::entities::device;
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRegistration {
    token: String,
    platform: String,
    /// The language of this phone's pushes; absent: the account's.
    #[serde(default)]
    language: Option<Lang>,
}

#[derive(Serialize)]
pub struct Device {
    id: Uuid,
    platform: String,
    language: Option<Lang>,
    #[serde(with = "crate::clock::rfc3339_serde")]
    created_at: DateTime<Utc>,
    #[serde(with = "crate::clock::rfc3339_serde")]
    last_seen_at: DateTime<Utc>,
}

impl From<device::Model> for Device {
    fn from(row: device::Model) -> Self {
        Device {
            id: row.id,
            platform: row.platform,
            language: row.language.map(|chosen| *chosen),
            created_at: row.created_at,
            last_seen_at: row.last_seen_at,
        }
    }
}

/// Registers the caller's phone: 201 the first time, 200 when it was already theirs or moves
/// to them from another user.
pub async fn register(
    State(services): State<Services>,
    caller: Caller,
    Json(body): Json<DeviceRegistration>,
) -> Result<(StatusCode, axum::Json<Device>), Problem> {
    let (created, row) =
        inbox::register_device(&services, &caller, body.token, body.platform, body.language)
            .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(row.into())))
}

/// Stops pushes to one of the caller's phones.
pub async fn unregister(
    State(services): State<Services>,
    caller: Caller,
    Path(token): Path<String>,
) -> Result<StatusCode, Problem> {
    inbox::unregister_device(&services, &caller, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
