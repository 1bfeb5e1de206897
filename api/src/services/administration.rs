//! A ward's people: administrators create, change, deactivate and list accounts, reset their
//! passwords, and hand a neighborhood over from one head to the next; each person changes their
//! own password. Who may touch which account is `access::can_manage_account`; what makes an
//! account well formed is `sos_domain::accounts`. Every change is in the administrative log.

use crate::problem::{FieldError, Outcome, Problem, ProblemKind};
use crate::services::Services;
use crate::services::accounts::{Caller, hash_password, verify_password};
use crate::services::audit::{self, Author, account_change};
use crate::services::input;
use crate::wording;
use sos_domain::access::{self, WardScope};
use sos_domain::accounts::{
    self as rules, Attachment, AttachmentProblem, PasswordProblem, UsernameProblem,
};
use sos_domain::language::Lang;
use sos_domain::taxonomy::Role;
use sos_store::accounts::{self as store, AccountFilter};
use sos_store::entities::user;
use sos_store::{ConnectionTrait, Stored, wards};
use uuid::Uuid;

/// Longest display name.
const MAX_DISPLAY_NAME: usize = 200;

/// An account asked for.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub ward_id: Option<Uuid>,
    pub neighborhood_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    pub phone: Option<String>,
    pub email: Option<String>,
    /// A head this account takes over from: deactivated in the same change.
    pub replaces: Option<Uuid>,
}

/// Changes asked to an account: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct AccountChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub ward_id: Option<Option<Uuid>>,
    pub neighborhood_id: Option<Option<Uuid>>,
    pub department_id: Option<Option<Uuid>>,
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub active: Option<bool>,
}

impl AccountChanges {
    fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.role.is_none()
            && self.ward_id.is_none()
            && self.neighborhood_id.is_none()
            && self.department_id.is_none()
            && self.phone.is_none()
            && self.email.is_none()
            && self.active.is_none()
    }

    fn moves(&self) -> bool {
        self.role.is_some()
            || self.ward_id.is_some()
            || self.neighborhood_id.is_some()
            || self.department_id.is_some()
    }
}

/// An account just made, with how its one-time password reaches its owner.
pub struct Created {
    pub account: user::Model,
    pub password: Handover,
}

/// How a one-time password reaches the account's owner.
pub enum Handover {
    /// Shown to the administrator, in the answer only, to hand over in person.
    Shown(String),
    /// Sent to the owner's e-mail address; the administrator never sees it.
    Mailed { to: String },
}

/// Sends the one-time password of a new account to its owner when it has an address, else (or
/// when the letter cannot be sent) gives it back to be shown to the administrator. Sent after
/// the accounts are committed and not through the outbox, so the password is never stored
/// anywhere in clear; a letter lost in a crash is replaced by an administrator's reset.
pub async fn hand_over(services: &Services, account: &user::Model, password: String) -> Handover {
    let Some(address) = account.email.as_deref() else {
        return Handover::Shown(password);
    };
    let letter =
        wording::mail::welcome(&account.display_name, address, &account.username, &password);
    match services
        .mailer
        .send(&services.settings.mail_from, &letter, Uuid::now_v7())
        .await
    {
        Ok(()) => Handover::Mailed {
            to: address.to_owned(),
        },
        Err(error) => {
            tracing::warn!(account = %account.id, %error, "the one-time password could not be mailed; shown to the administrator instead");
            Handover::Shown(password)
        }
    }
}

fn no_such_account() -> Problem {
    Problem::not_found("Không tìm thấy tài khoản này.", "There is no such account.")
}

fn not_yours() -> Problem {
    Problem::forbidden(
        "Tài khoản của bạn không quản lý tài khoản ở phạm vi này.",
        "Your account does not administer accounts there.",
    )
}

/// A one-time password an administrator hands over: twelve characters of an alphabet without
/// look-alikes (no l, o, 0, 1), 60 bits of chance, in three groups easy to read out.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let bytes: [u8; 12] = rand::random();
    let chars: Vec<char> = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
        .collect();
    chars
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Hashes off the async workers: argon2 takes tens of milliseconds of CPU.
async fn hash_off_thread(password: String) -> Outcome<String> {
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(Problem::internal)?
        .map_err(Problem::internal)
}

fn username_problem(problem: UsernameProblem) -> FieldError {
    match problem {
        UsernameProblem::Length => FieldError::new(
            "/username",
            "Tên đăng nhập cần từ 3 đến 64 ký tự.",
            "A username has 3 to 64 characters.",
        ),
        UsernameProblem::Characters => FieldError::new(
            "/username",
            "Tên đăng nhập chỉ gồm chữ thường không dấu, số và . _ -, bắt đầu bằng chữ hoặc số.",
            "A username has only lower-case letters without accents, digits and . _ -, starting with a letter or digit.",
        ),
    }
}

fn attachment_problem(problem: AttachmentProblem) -> FieldError {
    use AttachmentProblem::*;
    let (field, vi, en) = match problem {
        WardMissing => (
            "/ward_id",
            "Vai trò này cần thuộc một phường/xã.",
            "This role belongs to a ward.",
        ),
        WardNotAllowed => (
            "/ward_id",
            "Lãnh đạo thành phố không thuộc phường/xã nào.",
            "A city leader belongs to no ward.",
        ),
        NeighborhoodMissing => (
            "/neighborhood_id",
            "Trưởng khu phố cần thuộc một khu phố.",
            "A neighborhood head belongs to a neighborhood.",
        ),
        NeighborhoodNotAllowed => (
            "/neighborhood_id",
            "Chỉ trưởng khu phố thuộc một khu phố.",
            "Only neighborhood heads belong to a neighborhood.",
        ),
        DepartmentMissing => (
            "/department_id",
            "Cán bộ cần thuộc một đơn vị.",
            "Department staff belong to a department.",
        ),
        DepartmentNotAllowed => (
            "/department_id",
            "Chỉ cán bộ đơn vị thuộc một đơn vị.",
            "Only department staff belong to a department.",
        ),
    };
    FieldError::new(field, vi, en)
}

/// The problem with a password one chose, in words.
pub fn password_problem(field: &str, problem: PasswordProblem) -> FieldError {
    let (min, max) = (rules::PASSWORD_CHARS.start(), rules::PASSWORD_CHARS.end());
    match problem {
        PasswordProblem::TooShort => FieldError::new(
            field,
            format!("Mật khẩu cần ít nhất {min} ký tự."),
            format!("A password has at least {min} characters."),
        ),
        PasswordProblem::TooLong => FieldError::new(
            field,
            format!("Mật khẩu tối đa {max} ký tự."),
            format!("A password has at most {max} characters."),
        ),
        PasswordProblem::TooWeak => FieldError::new(
            field,
            "Mật khẩu quá dễ đoán (phổ biến, theo mẫu, hoặc giống tên của bạn); hãy dùng một câu dài hơn.",
            "This password is too easy to guess (common, a pattern, or like your name); use a longer phrase.",
        ),
    }
}

/// Checks the person's fields (name, phone, e-mail) and returns the phone in its stored form.
fn personal_fields(
    display_name: &str,
    phone: Option<&str>,
    email: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    input::name("/display_name", display_name, MAX_DISPLAY_NAME, errors);
    input::email("/email", email, errors);
    let stored_phone = phone.and_then(rules::phone);
    if phone.is_some() && stored_phone.is_none() {
        errors.push(FieldError::new(
            "/phone",
            "Số điện thoại Việt Nam không hợp lệ (ví dụ 0912 345 678).",
            "Not a valid Vietnamese phone number (for example 0912 345 678).",
        ));
    }
    stored_phone
}

/// Checks that an account's role is attached as it needs, to a ward in service and to a
/// neighborhood or department of that ward that still works.
async fn check_attachment(
    db: &impl ConnectionTrait,
    account: &user::Model,
    errors: &mut Vec<FieldError>,
) -> Outcome<()> {
    let asked = Attachment {
        ward: account.ward_id.is_some(),
        neighborhood: account.neighborhood_id.is_some(),
        department: account.department_id.is_some(),
    };
    if let Err(problem) = rules::check_attachment(*account.role, asked) {
        errors.push(attachment_problem(problem));
        return Ok(());
    }
    if let Some(ward_id) = account.ward_id {
        let in_service = wards::ward(db, ward_id)
            .await?
            .is_some_and(|w| w.activated_at.is_some() && w.deactivated_at.is_none());
        if !in_service {
            errors.push(FieldError::new(
                "/ward_id",
                "Phường/xã này chưa hoặc không còn sử dụng dịch vụ.",
                "This ward is not in service.",
            ));
            return Ok(());
        }
    }
    if let Some(id) = account.neighborhood_id {
        let fits = wards::neighborhood(db, id)
            .await?
            .is_some_and(|n| Some(n.ward_id) == account.ward_id && n.active);
        if !fits {
            errors.push(FieldError::new(
                "/neighborhood_id",
                "Khu phố không thuộc phường/xã này hoặc đã ngừng hoạt động.",
                "The neighborhood is not one of this ward's, or is closed.",
            ));
        }
    }
    if let Some(id) = account.department_id {
        let fits = wards::department(db, id)
            .await?
            .is_some_and(|d| Some(d.ward_id) == account.ward_id && !d.external);
        if !fits {
            errors.push(FieldError::new(
                "/department_id",
                "Đơn vị không thuộc phường/xã này (cơ quan bên ngoài không có tài khoản).",
                "The department is not one of this ward's (outside agencies have no accounts).",
            ));
        }
    }
    Ok(())
}

fn refresh_search_text(account: &mut user::Model) {
    account.search_text = rules::search_text(
        &account.username,
        &account.display_name,
        account.phone.as_deref(),
        account.email.as_deref(),
    );
}

/// The account a head takes over from: an active head of the same neighborhood.
async fn predecessor(
    db: &impl ConnectionTrait,
    caller: &Caller,
    new: &user::Model,
    replaces: Uuid,
) -> Outcome<user::Model> {
    let old = store::user(db, replaces)
        .await?
        .filter(|u| access::can_manage_account(&caller.actor, u.ward_id))
        .ok_or_else(no_such_account)?;
    let same_place = *old.role == Role::NeighborhoodHead
        && *new.role == Role::NeighborhoodHead
        && old.neighborhood_id == new.neighborhood_id
        && old.active;
    if !same_place {
        return Err(Problem::field(
            "/replaces",
            "Chỉ thay được trưởng khu phố đang hoạt động của cùng khu phố.",
            "Only an active head of the same neighborhood can be replaced.",
        ));
    }
    Ok(old)
}

/// The account asked for, checked (what is wrong goes to `errors`): its row, without a password
/// yet, to change at first sign-in.
pub async fn checked_account(
    db: &impl ConnectionTrait,
    asked: &NewAccount,
    now: chrono::DateTime<chrono::Utc>,
    errors: &mut Vec<FieldError>,
) -> Outcome<user::Model> {
    let username = rules::username(&asked.username)
        .map_err(|p| errors.push(username_problem(p)))
        .unwrap_or_default();
    let phone = personal_fields(
        &asked.display_name,
        asked.phone.as_deref(),
        asked.email.as_deref(),
        errors,
    );
    let mut account = user::Model {
        id: Uuid::now_v7(),
        username,
        password_hash: String::new(),
        display_name: asked.display_name.trim().to_owned(),
        role: Stored(asked.role),
        ward_id: asked.ward_id,
        neighborhood_id: asked.neighborhood_id,
        department_id: asked.department_id,
        email: asked.email.as_ref().map(|e| e.trim().to_owned()),
        active: true,
        created_at: now,
        phone,
        must_change_password: true,
        search_text: String::new(),
        // The person chooses theirs in the app (`PUT /v1/me/preferences`).
        language: Stored(Lang::Vi),
    };
    check_attachment(db, &account, errors).await?;
    refresh_search_text(&mut account);
    Ok(account)
}

/// `POST /v1/accounts`: a new account with a one-time password, which its owner must change at
/// their first sign-in.
pub async fn create(services: &Services, caller: &Caller, asked: NewAccount) -> Outcome<Created> {
    let initial_password = one_time_password();
    let account = create_with_password(
        services,
        &Author::of(caller),
        Some(caller),
        asked,
        &initial_password,
        true,
    )
    .await?;
    let password = hand_over(services, &account, initial_password).await;
    Ok(Created { account, password })
}

/// Makes an account with `password`: for an administrator (`caller`), or for the operator at
/// the command line (no caller: the first administrator of an empty database).
pub async fn create_with_password(
    services: &Services,
    author: &Author,
    caller: Option<&Caller>,
    asked: NewAccount,
    password: &str,
    must_change_password: bool,
) -> Outcome<user::Model> {
    if let Some(caller) = caller
        && !access::can_manage_account(&caller.actor, asked.ward_id)
    {
        return Err(not_yours());
    }
    let now = services.clock.now();
    let mut errors = Vec::new();
    let mut account = checked_account(&services.db, &asked, now, &mut errors).await?;
    account.must_change_password = must_change_password;
    if let Err(problem) =
        rules::check_password(password, &[&account.username, &account.display_name])
    {
        errors.push(password_problem("/password", problem));
    }
    Problem::check(errors)?;
    let replaced = match (caller, asked.replaces) {
        (Some(caller), Some(old)) => Some(predecessor(&services.db, caller, &account, old).await?),
        _ => None,
    };
    account.password_hash = hash_off_thread(password.to_owned()).await?;
    let txn = services.begin_write().await?;
    if store::by_username(&*txn, &account.username)
        .await?
        .is_some()
    {
        return Err(Problem::of(
            ProblemKind::Conflict,
            "Tên đăng nhập này đã có người dùng.",
            "This username is taken.",
        ));
    }
    store::insert_user(&*txn, account.clone()).await?;
    audit::record(
        &*txn,
        now,
        author,
        account_change("account.created", None, Some(&account)),
    )
    .await?;
    if let Some(old) = &replaced {
        let mut retired = old.clone();
        retired.active = false;
        let retired = store::update_user(&*txn, retired).await?;
        store::end_sign_ins(&*txn, old.id, None, now).await?;
        audit::record(
            &*txn,
            now,
            author,
            account_change("account.replaced", Some(old), Some(&retired)),
        )
        .await?;
    }
    txn.commit().await?;
    services
        .people_changed([
            account.ward_id,
            replaced.as_ref().and_then(|old| old.ward_id),
        ])
        .await;
    if let Some(old) = replaced {
        services.hub.end_accounts([old.id]).await;
    }
    tracing::info!(account = %account.username, role = %account.role.as_str(), "account created");
    Ok(account)
}

/// Whether some active administrator exists: without one, nobody can set the service up.
pub async fn has_administrator(services: &Services) -> Outcome<bool> {
    Ok(store::active_of_role(&services.db, Role::Admin).await? > 0)
}

/// The id of a ward of the national list, by its official code.
pub async fn ward_id_of(services: &Services, code: i32) -> Outcome<Uuid> {
    wards::wards_by_code(&services.db, [code])
        .await?
        .remove(&code)
        .map(|w| w.id)
        .ok_or_else(|| {
            Problem::not_found(
                format!("Không có phường/xã mã {code} trong danh mục."),
                format!("There is no ward with code {code} in the national list."),
            )
        })
}

/// An account the caller administers; any other is "not found".
pub async fn account(services: &Services, caller: &Caller, id: Uuid) -> Outcome<user::Model> {
    store::user(&services.db, id)
        .await?
        .filter(|u| access::can_manage_account(&caller.actor, u.ward_id))
        .ok_or_else(no_such_account)
}

/// The scope of accounts the caller administers; 403 for someone who administers none.
fn administered(caller: &Caller) -> Outcome<WardScope> {
    match access::administered(&caller.actor) {
        WardScope::Nothing => Err(Problem::forbidden(
            "Chỉ quản trị viên quản lý tài khoản.",
            "Only administrators manage accounts.",
        )),
        scope => Ok(scope),
    }
}

/// `GET /v1/accounts`.
pub async fn page(
    services: &Services,
    caller: &Caller,
    filter: &AccountFilter,
    limit: u64,
    after: Option<&str>,
) -> Outcome<(Vec<user::Model>, Option<String>)> {
    let scope = administered(caller)?;
    Ok(store::page(&services.db, scope, filter, limit, after).await?)
}

/// `PATCH /v1/accounts/{id}`. A deactivated account's sign-ins and streams end at once; one
/// given another role or place keeps its sign-ins, and its streams end so that it reconnects
/// to what it now may hear.
pub async fn update(
    services: &Services,
    caller: &Caller,
    id: Uuid,
    changes: AccountChanges,
) -> Outcome<user::Model> {
    administered(caller)?;
    let before = account(services, caller, id).await?;
    if changes.is_empty() {
        return Err(Problem::field(
            "",
            "Cần ít nhất một trường để sửa.",
            "Give at least one field to change.",
        ));
    }
    if id == caller.user.id && (changes.moves() || changes.active == Some(false)) {
        return Err(Problem::conflict(
            "Không tự đổi vai trò, phạm vi hay khóa tài khoản của chính mình.",
            "You cannot change your own role or scope, nor deactivate yourself.",
        ));
    }
    let mut after = before.clone();
    if let Some(name) = &changes.display_name {
        after.display_name = name.trim().to_owned();
    }
    if let Some(role) = changes.role {
        after.role = Stored(role);
    }
    after.ward_id = changes.ward_id.unwrap_or(after.ward_id);
    after.neighborhood_id = changes.neighborhood_id.unwrap_or(after.neighborhood_id);
    after.department_id = changes.department_id.unwrap_or(after.department_id);
    after.email = changes
        .email
        .clone()
        .unwrap_or(after.email)
        .map(|e| e.trim().to_owned());
    after.active = changes.active.unwrap_or(after.active);
    if !access::can_manage_account(&caller.actor, after.ward_id) {
        return Err(not_yours());
    }
    let mut errors = Vec::new();
    let asked_phone = changes.phone.clone().unwrap_or(None);
    let phone = personal_fields(
        &after.display_name,
        asked_phone.as_deref(),
        after.email.as_deref(),
        &mut errors,
    );
    if changes.phone.is_some() {
        after.phone = phone;
    }
    if changes.moves() || changes.active == Some(true) {
        check_attachment(&services.db, &after, &mut errors).await?;
    }
    Problem::check(errors)?;
    refresh_search_text(&mut after);
    let now = services.clock.now();
    let txn = services.begin_write().await?;
    let after = store::update_user(&*txn, after).await?;
    let deactivated = before.active && !after.active;
    if deactivated {
        store::end_sign_ins(&*txn, id, None, now).await?;
    }
    let action = match (before.active, after.active) {
        (true, false) => "account.deactivated",
        (false, true) => "account.reactivated",
        _ => "account.updated",
    };
    audit::record(
        &*txn,
        now,
        &Author::of(caller),
        account_change(action, Some(&before), Some(&after)),
    )
    .await?;
    txn.commit().await?;
    services
        .people_changed([before.ward_id, after.ward_id])
        .await;
    if deactivated || changes.moves() {
        services.hub.end_accounts([id]).await;
    }
    Ok(after)
}

/// `POST /v1/accounts/{id}/password-reset`: a new one-time password; every sign-in of the
/// account ends.
pub async fn reset_password(services: &Services, caller: &Caller, id: Uuid) -> Outcome<String> {
    administered(caller)?;
    let before = account(services, caller, id).await?;
    let password = one_time_password();
    let mut after = before.clone();
    after.password_hash = hash_off_thread(password.clone()).await?;
    after.must_change_password = true;
    let now = services.clock.now();
    let txn = services.begin_write().await?;
    store::update_user(&*txn, after.clone()).await?;
    let ended = store::end_sign_ins(&*txn, id, None, now).await?;
    audit::record(
        &*txn,
        now,
        &Author::of(caller),
        account_change("account.password_reset", Some(&before), Some(&after)),
    )
    .await?;
    txn.commit().await?;
    services.hub.end_sessions(ended).await;
    Ok(password)
}

/// `PUT /v1/me/password`: the caller chooses a new password, giving the current one; every
/// other sign-in of the account ends.
pub async fn change_own_password(
    services: &Services,
    caller: &Caller,
    current: String,
    new: String,
) -> Outcome<()> {
    if current.chars().count() > 200 {
        return Err(Problem::field(
            "/current_password",
            "Mật khẩu hiện tại không đúng.",
            "The current password is wrong.",
        ));
    }
    let before = caller.user.clone();
    let hash = before.password_hash.clone();
    let current_matches = tokio::task::spawn_blocking(move || verify_password(&current, &hash))
        .await
        .map_err(Problem::internal)?;
    if !current_matches {
        return Err(Problem::field(
            "/current_password",
            "Mật khẩu hiện tại không đúng.",
            "The current password is wrong.",
        ));
    }
    let personal = [
        before.username.as_str(),
        before.display_name.as_str(),
        before.email.as_deref().unwrap_or(""),
    ];
    if let Err(problem) = rules::check_password(&new, &personal) {
        Problem::check(vec![password_problem("/new_password", problem)])?;
    }
    let mut after = before.clone();
    after.password_hash = hash_off_thread(new).await?;
    after.must_change_password = false;
    let now = services.clock.now();
    let txn = services.begin_write().await?;
    store::update_user(&*txn, after.clone()).await?;
    let ended = store::end_sign_ins(&*txn, before.id, caller.session.id, now).await?;
    audit::record(
        &*txn,
        now,
        &Author::of(caller),
        account_change("account.password_changed", Some(&before), Some(&after)),
    )
    .await?;
    txn.commit().await?;
    services.hub.end_sessions(ended).await;
    Ok(())
}
