//! Each person's choice of what they hear beyond their inbox: pushes to their phones, e-mail,
//! and for leaders the morning digest.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::Json;
use crate::state::AppState;
use crate::store::entities::{notification_preference, user};
use crate::store::{preferences, reports::now};
use axum::extract::State;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use sos_domain::delivery::{self, Preferences as Chosen};
use sos_domain::taxonomy::EventType;

const MAX_EMAIL_CHARS: usize = 254;

#[derive(Serialize)]
pub struct Preferences {
    push: bool,
    email: bool,
    daily_digest: bool,
    /// Empty: every event type the inbox gets.
    event_types: Vec<EventType>,
    email_address: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreferencesUpdate {
    push: bool,
    email: bool,
    daily_digest: bool,
    #[serde(default)]
    event_types: Vec<EventType>,
    email_address: Option<String>,
}

fn view(chosen: Chosen, email_address: Option<String>) -> Preferences {
    Preferences {
        push: chosen.push,
        email: chosen.email,
        daily_digest: chosen.daily_digest,
        event_types: chosen.event_types,
        email_address,
    }
}

pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<axum::Json<Preferences>> {
    let mut chosen = preferences::of(&state.db, std::slice::from_ref(&current.user)).await?;
    let mine = chosen
        .remove(&current.user.id)
        .unwrap_or_else(|| Chosen::default_for(current.actor.role));
    Ok(axum::Json(view(mine, current.user.email.clone())))
}

/// Replaces the caller's choices (and the address their mail goes to).
pub async fn put(
    State(state): State<AppState>,
    current: CurrentUser,
    Json(body): Json<PreferencesUpdate>,
) -> ApiResult<axum::Json<Preferences>> {
    let address = body
        .email_address
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    let mut errors = Vec::new();
    if let Some(address) = &address
        && (address.chars().count() > MAX_EMAIL_CHARS
            || address.parse::<lettre::Address>().is_err())
    {
        errors.push(FieldError::new(
            "/email_address",
            "Địa chỉ e-mail không hợp lệ.",
            "The e-mail address is not valid.",
        ));
    }
    if (body.email || body.daily_digest) && address.is_none() {
        errors.push(FieldError::new(
            "/email_address",
            "Cần địa chỉ e-mail để nhận thư.",
            "Mail needs an e-mail address.",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let chosen = Chosen {
        push: body.push,
        email: body.email,
        daily_digest: body.daily_digest,
        event_types: body.event_types,
    };
    let txn = state.begin_write().await?;
    notification_preference::Entity::insert(notification_preference::ActiveModel {
        user_id: Set(current.user.id),
        push: Set(chosen.push),
        email: Set(chosen.email),
        daily_digest: Set(chosen.daily_digest),
        event_types: Set(delivery::event_types_field(&chosen.event_types)),
        updated_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(notification_preference::Column::UserId)
            .update_columns([
                notification_preference::Column::Push,
                notification_preference::Column::Email,
                notification_preference::Column::DailyDigest,
                notification_preference::Column::EventTypes,
                notification_preference::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&*txn)
    .await?;
    user::ActiveModel {
        id: Set(current.user.id),
        email: Set(address.clone()),
        ..Default::default()
    }
    .update(&*txn)
    .await?;
    txn.commit().await?;
    Ok(axum::Json(view(chosen, address)))
}
