//! `GET /v1/audit` and its CSV: the administrative log of the wards the caller may read.

use crate::http::csv::CsvFile;
use crate::http::extract::Query;
use crate::http::params;
use crate::problem::{FieldError, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::audit;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sos_store::audit::AuditFilter;
use sos_store::entities::audit_entry;
use uuid::Uuid;

#[derive(Serialize)]
pub struct AuditEntry {
    id: Uuid,
    #[serde(with = "crate::clock::rfc3339_serde")]
    at: DateTime<Utc>,
    actor_id: Option<Uuid>,
    actor_username: Option<String>,
    ward_id: Option<Uuid>,
    action: String,
    target_kind: String,
    target_id: Option<String>,
    address: Option<String>,
    request_id: Option<String>,
    before: Option<Value>,
    after: Option<Value>,
}

impl From<audit_entry::Model> for AuditEntry {
    fn from(e: audit_entry::Model) -> Self {
        AuditEntry {
            id: e.id,
            at: e.at,
            actor_id: e.actor_id,
            actor_username: e.actor_username,
            ward_id: e.ward_id,
            action: e.action,
            target_kind: e.target_kind,
            target_id: e.target_id,
            address: e.address,
            request_id: e.request_id,
            before: e.before,
            after: e.after,
        }
    }
}

#[derive(Serialize)]
pub struct AuditPage {
    items: Vec<AuditEntry>,
    next_cursor: Option<Uuid>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    action: Option<String>,
    actor_id: Option<String>,
    target_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// An action filter: a prefix of `thing.verb` codes (`account.` or `account.created`).
fn action_prefix(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<String> {
    let raw = raw?.trim();
    let well_formed = (1..=64).contains(&raw.len())
        && raw
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
    if !well_formed {
        errors.push(FieldError::new(
            "action",
            "action là mã thao tác, ví dụ account. hoặc account.created.",
            "action is an action code or its start, such as account. or account.created.",
        ));
        return None;
    }
    Some(raw.to_owned())
}

fn read_query(query: &AuditQuery, max: u64) -> Result<(AuditFilter, u64, Option<Uuid>), Problem> {
    let mut errors = Vec::new();
    let target_id = query.target_id.as_deref().map(str::trim).map(str::to_owned);
    if target_id.as_ref().is_some_and(|t| t.len() > 64) {
        errors.push(FieldError::new(
            "target_id",
            "target_id tối đa 64 ký tự.",
            "target_id has at most 64 characters.",
        ));
    }
    let filter = AuditFilter {
        action: action_prefix(query.action.as_deref(), &mut errors),
        actor_id: params::uuid("actor_id", query.actor_id.as_deref(), &mut errors),
        target_id,
        from: params::time("from", query.from.as_deref(), &mut errors),
        to: params::time("to", query.to.as_deref(), &mut errors),
    };
    let limit = params::limit(query.limit.as_deref(), 50, max, &mut errors);
    let cursor = params::uuid("cursor", query.cursor.as_deref(), &mut errors);
    Problem::check(errors)?;
    Ok((filter, limit, cursor))
}

pub async fn list(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<axum::Json<AuditPage>, Problem> {
    let (filter, limit, cursor) = read_query(&query, audit::MAX_PAGE)?;
    let (rows, next) = audit::page(&services, &caller, &filter, limit, cursor).await?;
    Ok(axum::Json(AuditPage {
        items: rows.into_iter().map(AuditEntry::from).collect(),
        next_cursor: next,
    }))
}

/// The most entries one CSV holds; a larger one must be narrowed by its filters.
const MAX_EXPORT_ROWS: usize = 50_000;

/// The same log as a spreadsheet, every page of it.
pub async fn export_csv(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<AuditQuery>,
) -> Result<Response, Problem> {
    let (filter, _, mut cursor) = read_query(&query, audit::MAX_PAGE)?;
    let mut file = CsvFile::new(
        "audit.csv",
        &[
            "id",
            "at",
            "actor_username",
            "ward_id",
            "action",
            "target_kind",
            "target_id",
            "address",
            "request_id",
            "before",
            "after",
        ],
    )?;
    let mut written = 0;
    loop {
        let (rows, next) =
            audit::page(&services, &caller, &filter, audit::MAX_PAGE, cursor).await?;
        written += rows.len();
        if written > MAX_EXPORT_ROWS {
            return Err(Problem::field(
                "from",
                format!("Quá {MAX_EXPORT_ROWS} dòng; hãy thu hẹp khoảng thời gian hoặc bộ lọc."),
                format!("More than {MAX_EXPORT_ROWS} entries; narrow the period or the filters."),
            ));
        }
        for e in rows {
            let json = |v: Option<Value>| v.map_or(String::new(), |v| v.to_string());
            file.row([
                e.id.to_string(),
                crate::clock::rfc3339(e.at),
                e.actor_username.unwrap_or_default(),
                e.ward_id.map_or(String::new(), |w| w.to_string()),
                e.action,
                e.target_kind,
                e.target_id.unwrap_or_default(),
                e.address.unwrap_or_default(),
                e.request_id.unwrap_or_default(),
                json(e.before),
                json(e.after),
            ])?;
        }
        match next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    file.into_response()
}
