//! What people hear: their inbox (what happened to the reports they follow), the phones that
//! receive its entries as pushes, and their choices of what reaches them beyond the inbox.

use crate::problem::{FieldError, Outcome, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use chrono::{DateTime, Utc};
use sos_domain::delivery::Preferences;
use sos_domain::language::Lang;
use sos_store::entities::{device, notification};
use sos_store::{Stored, accounts};
use uuid::Uuid;

/// A page of the caller's inbox, newest first.
pub struct InboxPage {
    pub entries: Vec<notification::Model>,
    pub next: Option<Uuid>,
    /// Of the whole inbox, not only this page: the badge on the app's icon.
    pub unread: u64,
}

/// A page of the caller's inbox, newest first, with the cursor of the next.
pub async fn page(
    services: &Services,
    caller: &Caller,
    unread_only: bool,
    changed_since: Option<DateTime<Utc>>,
    before: Option<Uuid>,
    limit: u64,
) -> Outcome<InboxPage> {
    let (entries, more) = sos_store::inbox::page(
        &services.db,
        caller.user.id,
        unread_only,
        changed_since,
        before,
        limit,
    )
    .await?;
    let next = if more {
        entries.last().map(|n| n.id)
    } else {
        None
    };
    let unread = sos_store::inbox::unread_count(&services.db, caller.user.id).await?;
    Ok(InboxPage {
        entries,
        next,
        unread,
    })
}

/// Marks every unread entry of the caller read, up to `up_to` when given; how many.
pub async fn mark_all_read(
    services: &Services,
    caller: &Caller,
    up_to: Option<Uuid>,
) -> Outcome<u64> {
    let now = services.clock.now();
    Ok(sos_store::inbox::mark_all_read(&services.db, caller.user.id, up_to, now).await?)
}

/// Marks an entry read; reading it again keeps the first time.
pub async fn mark_read(
    services: &Services,
    caller: &Caller,
    id: Uuid,
) -> Outcome<notification::Model> {
    sos_store::inbox::mark_read(&services.db, caller.user.id, id, services.clock.now())
        .await?
        .ok_or_else(|| {
            Problem::not_found("Không có thông báo này.", "There is no such notification.")
        })
}

/// FCM tokens are about 160 characters; APNs and web push ones are shorter.
const MAX_TOKEN_CHARS: usize = 4096;
const PLATFORMS: [&str; 3] = ["android", "ios", "web"];

fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= MAX_TOKEN_CHARS
        && token.bytes().all(|b| b.is_ascii_graphic())
}

/// Registers the caller's phone, with the language of its pushes (none: the account's); `true`
/// the first time, `false` when it was already theirs or moves to them from another user
/// (phones change hands). Registering again replaces the platform and the language.
pub async fn register_device(
    services: &Services,
    caller: &Caller,
    token: String,
    platform: String,
    language: Option<Lang>,
) -> Outcome<(bool, device::Model)> {
    let mut errors = Vec::new();
    if !valid_token(&token) {
        errors.push(FieldError::new(
            "/token",
            format!("Mã thiết bị gồm 1 đến {MAX_TOKEN_CHARS} ký tự ASCII, không có khoảng trắng."),
            format!("The device token is 1 to {MAX_TOKEN_CHARS} ASCII characters without spaces."),
        ));
    }
    if !PLATFORMS.contains(&platform.as_str()) {
        errors.push(FieldError::new(
            "/platform",
            "Nền tảng là android, ios hoặc web.",
            "The platform is android, ios or web.",
        ));
    }
    Problem::check(errors)?;
    let at = services.clock.now();
    let txn = services.begin_write().await?;
    let registered = match accounts::device_by_token(&*txn, &token).await? {
        Some(existing) => (
            false,
            accounts::move_device(&*txn, existing, caller.user.id, &platform, language, at).await?,
        ),
        None => {
            let row = device::Model {
                id: Uuid::now_v7(),
                user_id: caller.user.id,
                token,
                platform,
                created_at: at,
                last_seen_at: at,
                language: language.map(Stored),
            };
            accounts::insert_device(&*txn, &row).await?;
            (true, row)
        }
    };
    txn.commit().await?;
    // The ward's directory knows who has a phone. A phone that goes away needs no word: a
    // push finds none to send to.
    services.people_changed([caller.user.ward_id]).await;
    Ok(registered)
}

/// Stops pushes to one of the caller's phones.
pub async fn unregister_device(services: &Services, caller: &Caller, token: &str) -> Outcome<()> {
    let txn = services.begin_write().await?;
    let deleted = accounts::delete_device(&*txn, token, caller.user.id).await?;
    txn.commit().await?;
    if !deleted {
        return Err(Problem::not_found(
            "Thiết bị này chưa đăng ký nhận thông báo.",
            "This device is not registered for notifications.",
        ));
    }
    Ok(())
}

/// The caller's choices, or their role's defaults.
pub async fn preferences(services: &Services, caller: &Caller) -> Outcome<Preferences> {
    let mut chosen =
        accounts::preferences_of(&services.db, std::slice::from_ref(&caller.user)).await?;
    Ok(chosen
        .remove(&caller.user.id)
        .unwrap_or_else(|| Preferences::default_for(caller.actor.role)))
}

const MAX_EMAIL_CHARS: usize = 254;

/// Replaces the caller's choices and the address their mail goes to, and sets their language
/// when one is given; returns the address kept.
pub async fn set_preferences(
    services: &Services,
    caller: &Caller,
    chosen: &Preferences,
    email_address: Option<&str>,
    language: Option<Lang>,
) -> Outcome<Option<String>> {
    let address = email_address
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    let mut errors = Vec::new();
    if let Some(address) = &address
        && (address.chars().count() > MAX_EMAIL_CHARS
            || !sos_domain::text::is_single_line(address)
            || address.parse::<lettre::Address>().is_err())
    {
        errors.push(FieldError::new(
            "/email_address",
            "Địa chỉ e-mail không hợp lệ.",
            "The e-mail address is not valid.",
        ));
    }
    if (chosen.email || chosen.daily_digest) && address.is_none() {
        errors.push(FieldError::new(
            "/email_address",
            "Cần địa chỉ e-mail để nhận thư.",
            "Mail needs an e-mail address.",
        ));
    }
    Problem::check(errors)?;
    let txn = services.begin_write().await?;
    accounts::set_preferences(
        &*txn,
        caller.user.id,
        chosen,
        address.as_deref(),
        language,
        services.clock.now(),
    )
    .await?;
    txn.commit().await?;
    services.people_changed([caller.user.ward_id]).await;
    Ok(address)
}
