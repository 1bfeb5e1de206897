//! A ward's people, for its administrators: accounts made, changed, deactivated, listed and
//! given a new one-time password; and each person's own password.

use crate::http::auth::{Administrator, SignedIn};
use crate::http::extract::{Body, Json, Path, Query, double_option};
use crate::http::params;
use crate::problem::{FieldError, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::administration::{self, AccountChanges, Created, Handover, NewAccount};
use crate::services::roster;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sos_domain::taxonomy::Role;
use sos_store::accounts::AccountFilter;
use sos_store::entities::user;
use uuid::Uuid;

/// An account as administrators see it (never its password).
#[derive(Serialize)]
pub struct Account {
    id: Uuid,
    username: String,
    display_name: String,
    role: Role,
    ward_id: Option<Uuid>,
    neighborhood_id: Option<Uuid>,
    department_id: Option<Uuid>,
    phone: Option<String>,
    email: Option<String>,
    active: bool,
    must_change_password: bool,
    #[serde(with = "crate::clock::rfc3339_serde")]
    created_at: DateTime<Utc>,
}

impl From<&user::Model> for Account {
    fn from(u: &user::Model) -> Self {
        Account {
            id: u.id,
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: *u.role,
            ward_id: u.ward_id,
            neighborhood_id: u.neighborhood_id,
            department_id: u.department_id,
            phone: u.phone.clone(),
            email: u.email.clone(),
            active: u.active,
            must_change_password: u.must_change_password,
            created_at: u.created_at,
        }
    }
}

/// A new account and its one-time password: in this answer only, or, when it was mailed to
/// the owner, the address it went to instead.
#[derive(Serialize)]
pub struct AccountWithPassword {
    #[serde(flatten)]
    account: Account,
    initial_password: Option<String>,
    password_sent_to: Option<String>,
}

impl From<Created> for AccountWithPassword {
    fn from(created: Created) -> Self {
        let (initial_password, password_sent_to) = match created.password {
            Handover::Shown(password) => (Some(password), None),
            Handover::Mailed { to } => (None, Some(to)),
        };
        AccountWithPassword {
            account: Account::from(&created.account),
            initial_password,
            password_sent_to,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountCreate {
    username: String,
    display_name: String,
    role: Role,
    #[serde(default)]
    ward_id: Option<Uuid>,
    #[serde(default)]
    neighborhood_id: Option<Uuid>,
    #[serde(default)]
    department_id: Option<Uuid>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    replaces: Option<Uuid>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountUpdate {
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    role: Option<Role>,
    #[serde(default, with = "double_option")]
    ward_id: Option<Option<Uuid>>,
    #[serde(default, with = "double_option")]
    neighborhood_id: Option<Option<Uuid>>,
    #[serde(default, with = "double_option")]
    department_id: Option<Option<Uuid>>,
    #[serde(default, with = "double_option")]
    phone: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    email: Option<Option<String>>,
    #[serde(default)]
    active: Option<bool>,
}

/// An answer that must not be kept by a cache on the way: it holds a password.
fn uncached(status: StatusCode, body: impl Serialize) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

pub async fn create(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Json(body): Json<AccountCreate>,
) -> Result<Response, Problem> {
    let asked = NewAccount {
        username: body.username,
        display_name: body.display_name,
        role: body.role,
        ward_id: body.ward_id,
        neighborhood_id: body.neighborhood_id,
        department_id: body.department_id,
        phone: body.phone,
        email: body.email,
        replaces: body.replaces,
    };
    let created = administration::create(&services, &caller, asked).await?;
    let location = format!("/v1/accounts/{}", created.account.id);
    let mut response = uncached(StatusCode::CREATED, AccountWithPassword::from(created));
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountQuery {
    ward_id: Option<String>,
    role: Option<String>,
    neighborhood_id: Option<String>,
    department_id: Option<String>,
    active: Option<String>,
    q: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

#[derive(Serialize)]
pub struct AccountPage {
    items: Vec<Account>,
    next_cursor: Option<String>,
}

/// The longest search text.
const MAX_SEARCH_CHARS: usize = 100;

fn account_filter(query: &AccountQuery, errors: &mut Vec<FieldError>) -> AccountFilter {
    let text = query
        .q
        .as_deref()
        .map(sos_domain::accounts::search_query)
        .filter(|q| !q.is_empty());
    if query
        .q
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS)
    {
        errors.push(FieldError::new(
            "q",
            format!("Từ khóa tìm kiếm tối đa {MAX_SEARCH_CHARS} ký tự."),
            format!("A search has at most {MAX_SEARCH_CHARS} characters."),
        ));
    }
    AccountFilter {
        ward_id: params::uuid("ward_id", query.ward_id.as_deref(), errors),
        role: params::code("role", query.role.as_deref(), errors),
        neighborhood_id: params::uuid("neighborhood_id", query.neighborhood_id.as_deref(), errors),
        department_id: params::uuid("department_id", query.department_id.as_deref(), errors),
        active: query
            .active
            .as_deref()
            .map(|raw| params::flag("active", Some(raw), errors)),
        text,
    }
}

/// Accounts the caller administers, by username, a page at a time.
pub async fn list(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<AccountQuery>,
) -> Result<axum::Json<AccountPage>, Problem> {
    let mut errors = Vec::new();
    let filter = account_filter(&query, &mut errors);
    let limit = params::limit(
        query.limit.as_deref(),
        params::DEFAULT_PAGE,
        params::MAX_PAGE,
        &mut errors,
    );
    if query.cursor.as_ref().is_some_and(|c| c.len() > 64) {
        errors.push(FieldError::new(
            "cursor",
            "Con trỏ trang không hợp lệ.",
            "The page cursor is not valid.",
        ));
    }
    Problem::check(errors)?;
    let (rows, next) =
        administration::page(&services, &caller, &filter, limit, query.cursor.as_deref()).await?;
    Ok(axum::Json(AccountPage {
        items: rows.iter().map(Account::from).collect(),
        next_cursor: next,
    }))
}

pub async fn get(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<Account>, Problem> {
    let account = administration::account(&services, &caller, id).await?;
    Ok(axum::Json(Account::from(&account)))
}

pub async fn update(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path(id): Path<Uuid>,
    Json(body): Json<AccountUpdate>,
) -> Result<axum::Json<Account>, Problem> {
    let changes = AccountChanges {
        display_name: body.display_name,
        role: body.role,
        ward_id: body.ward_id,
        neighborhood_id: body.neighborhood_id,
        department_id: body.department_id,
        phone: body.phone,
        email: body.email,
        active: body.active,
    };
    let account = administration::update(&services, &caller, id, changes).await?;
    Ok(axum::Json(Account::from(&account)))
}

#[derive(Serialize)]
pub struct PasswordReset {
    initial_password: String,
}

/// A new one-time password for an account; its sign-ins end.
pub async fn reset_password(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path(id): Path<Uuid>,
) -> Result<Response, Problem> {
    let initial_password = administration::reset_password(&services, &caller, id).await?;
    Ok(uncached(StatusCode::OK, PasswordReset { initial_password }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// The caller chooses their own password; their other sign-ins end.
pub async fn change_password(
    SignedIn(caller): SignedIn,
    State(services): State<Services>,
    Json(body): Json<PasswordChange>,
) -> Result<StatusCode, Problem> {
    administration::change_own_password(
        &services,
        &caller,
        body.current_password,
        body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    dry_run: Option<String>,
}

#[derive(Serialize)]
pub struct RowProblem {
    field: String,
    message: String,
}

#[derive(Serialize)]
pub struct RowCheck {
    line: usize,
    username: Option<String>,
    problems: Vec<RowProblem>,
}

#[derive(Serialize)]
pub struct RosterCheck {
    dry_run: bool,
    valid: usize,
    invalid: usize,
    rows: Vec<RowCheck>,
}

#[derive(Serialize)]
pub struct RosterImported {
    created: Vec<AccountWithPassword>,
}

/// Makes a ward's accounts from a spreadsheet: `dry_run=true` checks every row and writes
/// nothing; otherwise every account is made, or (one row wrong) none.
pub async fn import(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path(ward_id): Path<Uuid>,
    Query(query): Query<ImportQuery>,
    Body(file): Body,
) -> Result<Response, Problem> {
    let mut errors = Vec::new();
    let dry_run = params::flag("dry_run", query.dry_run.as_deref(), &mut errors);
    Problem::check(errors)?;
    let imported = roster::import(&services, &caller, ward_id, &file, dry_run).await?;
    if dry_run {
        let lang = crate::http::error::current_lang();
        let rows: Vec<RowCheck> = imported
            .rows
            .into_iter()
            .map(|row| RowCheck {
                line: row.line,
                username: row.username,
                problems: row
                    .problems
                    .into_iter()
                    .map(|p| RowProblem {
                        field: p.field,
                        message: p.message.pick(lang).to_owned(),
                    })
                    .collect(),
            })
            .collect();
        let invalid = rows.iter().filter(|r| !r.problems.is_empty()).count();
        let body = RosterCheck {
            dry_run: true,
            valid: rows.len() - invalid,
            invalid,
            rows,
        };
        return Ok((StatusCode::OK, axum::Json(body)).into_response());
    }
    let created = imported
        .created
        .into_iter()
        .map(AccountWithPassword::from)
        .collect();
    Ok(uncached(StatusCode::CREATED, RosterImported { created }))
}
