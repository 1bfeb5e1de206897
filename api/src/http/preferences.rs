//! Each person's choice of what they hear beyond their inbox: pushes to their phones, e-mail,
//! and for leaders the morning digest; and the language it comes in.

use crate::http::extract::Json;
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::inbox;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use sos_domain::delivery::Preferences as Chosen;
use sos_domain::language::Lang;
use sos_domain::taxonomy::EventType;

#[derive(Serialize)]
pub struct Preferences {
    push: bool,
    email: bool,
    daily_digest: bool,
    /// Empty: every event type the inbox gets.
    event_types: Vec<EventType>,
    email_address: Option<String>,
    /// Of letters, and of pushes to phones that did not choose one.
    language: Lang,
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
    /// Absent: unchanged, so that an app that does not know of languages keeps the one chosen.
    #[serde(default)]
    language: Option<Lang>,
}

fn view(chosen: Chosen, email_address: Option<String>, language: Lang) -> Preferences {
    Preferences {
        push: chosen.push,
        email: chosen.email,
        daily_digest: chosen.daily_digest,
        event_types: chosen.event_types,
        email_address,
        language,
    }
}

pub async fn get(
    State(services): State<Services>,
    caller: Caller,
) -> Result<axum::Json<Preferences>, Problem> {
    let mine = inbox::preferences(&services, &caller).await?;
    Ok(axum::Json(view(
        mine,
        caller.user.email.clone(),
        *caller.user.language,
    )))
}

/// Replaces the caller's choices (and the address their mail goes to, and their language when
/// given).
pub async fn put(
    State(services): State<Services>,
    caller: Caller,
    Json(body): Json<PreferencesUpdate>,
) -> Result<axum::Json<Preferences>, Problem> {
    let chosen = Chosen {
        push: body.push,
        email: body.email,
        daily_digest: body.daily_digest,
        event_types: body.event_types,
    };
    let address = inbox::set_preferences(
        &services,
        &caller,
        &chosen,
        body.email_address.as_deref(),
        body.language,
    )
    .await?;
    let language = body.language.unwrap_or(*caller.user.language);
    Ok(axum::Json(view(chosen, address, language)))
}
