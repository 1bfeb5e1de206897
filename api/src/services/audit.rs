//! The administrative log: every change to a ward's people and organisation, and every sign-in,
//! written in the transaction of the change itself (a change is never without its entry, nor an
//! entry without its change), and read by the ward's administrators and leaders.

use crate::problem::{Outcome, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sos_domain::access;
use sos_store::ConnectionTrait;
use sos_store::audit::{self as store, AuditFilter};
use sos_store::entities::{audit_entry, user};
use std::net::IpAddr;
use uuid::Uuid;

/// Where a request came from: the client's address (as the trusted proxy saw it, when one is
/// configured) and the request's id, which its answer and the service's log repeat.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub address: Option<IpAddr>,
    pub request_id: Option<String>,
}

/// Who made a change: an account, or the operator at the command line.
#[derive(Debug, Clone, Default)]
pub struct Author {
    pub id: Option<Uuid>,
    pub username: Option<String>,
    pub origin: Origin,
}

impl Author {
    pub fn of(caller: &Caller) -> Author {
        Author {
            id: Some(caller.user.id),
            username: Some(caller.user.username.clone()),
            origin: caller.origin.clone(),
        }
    }

    /// The operator's command line (`sos admin …`).
    pub fn operator() -> Author {
        Author {
            username: Some("(sos admin)".to_owned()),
            ..Author::default()
        }
    }
}

/// One change, as the log keeps it.
pub struct Change {
    /// What was done, `thing.verb` (`account.created`, `auth.sign_in_failed`).
    pub action: &'static str,
    /// The ward whose people may read it; none for city-wide changes.
    pub ward_id: Option<Uuid>,
    pub target_kind: &'static str,
    pub target_id: Option<String>,
    /// The thing before and after, secrets left out.
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl Change {
    /// A change to a thing of a ward (or of the city, with no ward), as it now is.
    pub fn of(
        action: &'static str,
        ward_id: Option<Uuid>,
        target_kind: &'static str,
        target_id: impl ToString,
        after: Option<Value>,
    ) -> Change {
        Change {
            action,
            ward_id,
            target_kind,
            target_id: Some(target_id.to_string()),
            before: None,
            after,
        }
    }

    pub fn was(mut self, before: Value) -> Change {
        self.before = Some(before);
        self
    }
}

/// Writes the entry of a change the caller makes now, in the transaction that makes it.
pub async fn log(
    txn: &impl ConnectionTrait,
    services: &Services,
    caller: &Caller,
    change: Change,
) -> Outcome<()> {
    record(txn, services.clock.now(), &Author::of(caller), change).await
}

/// Writes the entry of a change, in the transaction that makes it.
pub async fn record(
    txn: &impl ConnectionTrait,
    at: DateTime<Utc>,
    author: &Author,
    change: Change,
) -> Outcome<()> {
    store::insert(
        txn,
        audit_entry::Model {
            id: Uuid::now_v7(),
            at,
            actor_id: author.id,
            actor_username: author.username.clone(),
            ward_id: change.ward_id,
            action: change.action.to_owned(),
            target_kind: change.target_kind.to_owned(),
            target_id: change.target_id,
            address: author.origin.address.map(|a| a.to_string()),
            request_id: author.origin.request_id.clone(),
            before: change.before,
            after: change.after,
        },
    )
    .await?;
    Ok(())
}

/// An account as the log shows it: everything but its password.
pub fn account_facts(user: &user::Model) -> Value {
    json!({
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.as_str(),
        "ward_id": user.ward_id,
        "neighborhood_id": user.neighborhood_id,
        "department_id": user.department_id,
        "phone": user.phone,
        "email": user.email,
        "active": user.active,
        "must_change_password": user.must_change_password,
    })
}

/// A change to an account, filed under its ward.
pub fn account_change(
    action: &'static str,
    before: Option<&user::Model>,
    after: Option<&user::Model>,
) -> Change {
    let subject = after.or(before);
    Change {
        action,
        ward_id: subject.and_then(|u| u.ward_id),
        target_kind: "account",
        target_id: subject.map(|u| u.id.to_string()),
        before: before.map(account_facts),
        after: after.map(account_facts),
    }
}

/// The most entries one page holds.
pub const MAX_PAGE: u64 = 200;

/// `GET /v1/audit`: the log the caller may read, newest first.
pub async fn page(
    services: &Services,
    caller: &Caller,
    filter: &AuditFilter,
    limit: u64,
    after: Option<Uuid>,
) -> Outcome<(Vec<audit_entry::Model>, Option<Uuid>)> {
    let scope = access::audit_scope(&caller.actor);
    if scope == access::WardScope::Nothing {
        return Err(Problem::forbidden(
            "Chỉ quản trị viên và lãnh đạo phường xem nhật ký quản trị.",
            "Only administrators and ward leaders read the administrative log.",
        ));
    }
    Ok(store::page(&services.db, scope, filter, limit.min(MAX_PAGE), after).await?)
}
