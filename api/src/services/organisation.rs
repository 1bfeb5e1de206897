//! Putting wards and neighborhoods in and out of service: a city administrator activates a ward
//! of the national list with the default template, renames or closes it; a ward's
//! administrators keep its contacts and its neighborhoods (created, renamed, closed, merged).
//! Every change is in the administrative log.

use crate::problem::{FieldError, Outcome, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::audit::{self, Author, Change};
use crate::services::input;
use crate::services::seed;
use crate::services::wards::configurable_ward;
use chrono::NaiveDate;
use serde_json::{Value, json};
use sos_domain::access;
use sos_store::entities::{neighborhood, ward};
use sos_store::{db::is_unique_violation, wards as store};
use uuid::Uuid;

/// Longest name of a ward or a neighborhood.
const MAX_NAME: usize = 200;

fn city_only() -> Problem {
    Problem::forbidden(
        "Chỉ quản trị viên thành phố đưa phường/xã vào hoặc ra khỏi dịch vụ.",
        "Only city administrators put wards in or out of service.",
    )
}

fn ward_facts(w: &ward::Model) -> Value {
    json!({
        "code": w.code,
        "name": w.name,
        "activated_at": w.activated_at.map(crate::clock::rfc3339),
        "deactivated_at": w.deactivated_at.map(crate::clock::rfc3339),
        "contact_phone": w.contact_phone,
        "contact_email": w.contact_email,
        "contact_address": w.contact_address,
    })
}

fn ward_change(action: &'static str, before: Option<&ward::Model>, after: &ward::Model) -> Change {
    Change {
        action,
        ward_id: Some(after.id),
        target_kind: "ward",
        target_id: Some(after.id.to_string()),
        before: before.map(ward_facts),
        after: Some(ward_facts(after)),
    }
}

fn neighborhood_facts(n: &neighborhood::Model) -> Value {
    json!({
        "code": n.code,
        "name": n.name,
        "active": n.active,
        "merged_into": n.merged_into,
        "merged_from": n.merged_from,
    })
}

fn neighborhood_change(
    action: &'static str,
    before: Option<&neighborhood::Model>,
    after: &neighborhood::Model,
) -> Change {
    Change {
        action,
        ward_id: Some(after.ward_id),
        target_kind: "neighborhood",
        target_id: Some(after.id.to_string()),
        before: before.map(neighborhood_facts),
        after: Some(neighborhood_facts(after)),
    }
}

/// How a ward can be reached by its people and the public.
#[derive(Debug, Clone, Default)]
pub struct Contacts {
    pub phone: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub address: Option<Option<String>>,
}

impl Contacts {
    fn is_empty(&self) -> bool {
        self.phone.is_none() && self.email.is_none() && self.address.is_none()
    }

    /// Checks the contacts given and writes them on `ward`.
    fn apply(&self, ward: &mut ward::Model, errors: &mut Vec<FieldError>) {
        if let Some(phone) = &self.phone {
            ward.contact_phone = match phone.as_deref() {
                None => None,
                Some(raw) => sos_domain::accounts::phone(raw).or_else(|| {
                    errors.push(FieldError::new(
                        "/contact_phone",
                        "Số điện thoại Việt Nam không hợp lệ.",
                        "Not a valid Vietnamese phone number.",
                    ));
                    None
                }),
            };
        }
        if let Some(email) = &self.email {
            input::email("/contact_email", email.as_deref(), errors);
            ward.contact_email = email.as_ref().map(|e| e.trim().to_owned());
        }
        if let Some(address) = &self.address {
            if let Some(text) = address {
                input::name("/contact_address", text, 300, errors);
            }
            ward.contact_address = address.as_ref().map(|a| a.trim().to_owned());
        }
    }
}

/// A ward of the national list to put in service.
#[derive(Debug, Clone, Default)]
pub struct Activation {
    /// Its official code.
    pub code: i32,
    pub contacts: Contacts,
    /// The address of each outside agency of the template (`power_utility`, …), if known now.
    pub agency_emails: Vec<(String, String)>,
}

/// `POST /v1/wards`: puts a ward of the national list in service with the default template
/// (TAXONOMY's departments, the triage desk, the three outside agencies, the routing table).
pub async fn activate(
    services: &Services,
    caller: &Caller,
    asked: Activation,
) -> Outcome<ward::Model> {
    if !access::can_activate_wards(&caller.actor) {
        return Err(city_only());
    }
    let before = store::wards_by_code(&services.db, [asked.code])
        .await?
        .remove(&asked.code)
        .ok_or_else(|| {
            Problem::field(
                "/code",
                "Không có phường/xã với mã này trong danh mục.",
                "There is no ward with this code in the national list.",
            )
        })?;
    if before.activated_at.is_some() {
        return Err(Problem::conflict(
            "Phường/xã này đã được đưa vào dịch vụ (mở lại bằng PATCH nếu đã ngừng).",
            "This ward was put in service already (reopen it with PATCH if it was closed).",
        ));
    }
    let mut errors = Vec::new();
    let mut after = before.clone();
    asked.contacts.apply(&mut after, &mut errors);
    for (agency, email) in &asked.agency_emails {
        if !seed::AGENCIES.iter().any(|(code, _, _)| code == agency) {
            errors.push(FieldError::new(
                format!("/agency_emails/{agency}"),
                "Không có cơ quan này trong mẫu.",
                "There is no such agency in the template.",
            ));
        }
        input::email(
            &format!("/agency_emails/{agency}"),
            Some(email),
            &mut errors,
        );
    }
    Problem::check(errors)?;
    let now = services.clock.now();
    let departments = seed::template_departments(
        &before,
        |code| {
            asked
                .agency_emails
                .iter()
                .find(|(agency, _)| agency == code)
                .map(|(_, email)| email.trim().to_owned())
        },
        now,
    );
    let txn = services.begin_write().await?;
    seed::install_template(&*txn, &before, &departments, now)
        .await
        .map_err(Problem::internal)?;
    after.activated_at = Some(now);
    after.deactivated_at = None;
    let after = store::update_ward(&*txn, after).await?;
    audit::record(
        &*txn,
        now,
        &Author::of(caller),
        ward_change("ward.activated", Some(&before), &after),
    )
    .await?;
    txn.commit().await?;
    services.organisation_changed(Some(after.id)).await;
    tracing::info!(ward = after.code, "ward put in service");
    Ok(after)
}

/// Changes asked to a ward.
#[derive(Debug, Clone, Default)]
pub struct WardChanges {
    pub name: Option<String>,
    /// False closes the ward to new reports (its reports are kept); true reopens it.
    pub active: Option<bool>,
    pub contacts: Contacts,
}

/// `PATCH /v1/wards/{id}`: the city's administrators rename, close and reopen wards; a ward's
/// own administrators keep its contacts.
pub async fn update_ward(
    services: &Services,
    caller: &Caller,
    id: Uuid,
    changes: WardChanges,
) -> Outcome<ward::Model> {
    let before = configurable_ward(services, caller, id).await?;
    if (changes.name.is_some() || changes.active.is_some())
        && !access::can_activate_wards(&caller.actor)
    {
        return Err(city_only());
    }
    if changes.name.is_none() && changes.active.is_none() && changes.contacts.is_empty() {
        return Err(Problem::field(
            "",
            "Cần ít nhất một trường để sửa.",
            "Give at least one field to change.",
        ));
    }
    if before.activated_at.is_none() {
        return Err(Problem::conflict(
            "Phường/xã này chưa được đưa vào dịch vụ (POST /v1/wards).",
            "This ward is not in service yet (POST /v1/wards).",
        ));
    }
    let mut errors = Vec::new();
    let mut after = before.clone();
    if let Some(name) = &changes.name {
        input::name("/name", name, MAX_NAME, &mut errors);
        after.name = name.trim().to_owned();
    }
    changes.contacts.apply(&mut after, &mut errors);
    Problem::check(errors)?;
    let now = services.clock.now();
    let action = match changes.active {
        Some(false) if before.deactivated_at.is_none() => {
            after.deactivated_at = Some(now);
            "ward.deactivated"
        }
        Some(true) if before.deactivated_at.is_some() => {
            after.deactivated_at = None;
            "ward.reactivated"
        }
        _ => "ward.updated",
    };
    let txn = services.begin_write().await?;
    let after = store::update_ward(&*txn, after).await?;
    audit::record(
        &*txn,
        now,
        &Author::of(caller),
        ward_change(action, Some(&before), &after),
    )
    .await?;
    txn.commit().await?;
    services.organisation_changed(Some(after.id)).await;
    Ok(after)
}

/// A neighborhood code: short, lower case (`kp7`, `ap-3`).
fn check_code(code: &str, errors: &mut Vec<FieldError>) {
    let well_formed = (1..=30).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !well_formed {
        errors.push(FieldError::new(
            "/code",
            "Mã khu phố gồm 1–30 ký tự a-z, 0-9, _ hoặc -.",
            "A neighborhood code has 1–30 characters a-z, 0-9, _ or -.",
        ));
    }
}

fn no_such_neighborhood() -> Problem {
    Problem::not_found(
        "Phường/xã không có khu phố này.",
        "The ward has no such neighborhood.",
    )
}

/// A neighborhood of the ward.
async fn neighborhood_of(
    services: &Services,
    ward: &ward::Model,
    id: Uuid,
) -> Outcome<neighborhood::Model> {
    store::neighborhood(&services.db, id)
        .await?
        .filter(|n| n.ward_id == ward.id)
        .ok_or_else(no_such_neighborhood)
}

/// `POST /v1/wards/{id}/neighborhoods`.
pub async fn create_neighborhood(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
    code: String,
    name: String,
) -> Outcome<neighborhood::Model> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    let mut errors = Vec::new();
    let code = code.trim().to_owned();
    check_code(&code, &mut errors);
    input::name("/name", &name, MAX_NAME, &mut errors);
    Problem::check(errors)?;
    let now = services.clock.now();
    let row = neighborhood::Model {
        id: Uuid::now_v7(),
        ward_id: ward.id,
        code,
        name: name.trim().to_owned(),
        created_at: now,
        active: true,
        merged_into: None,
        merged_from: None,
    };
    let txn = services.begin_write().await?;
    let created = store::insert_neighborhood(&*txn, row).await.map_err(|e| {
        if is_unique_violation(&e) {
            Problem::conflict(
                "Phường/xã đã có khu phố với mã này.",
                "The ward already has a neighborhood with this code.",
            )
        } else {
            e.into()
        }
    })?;
    audit::record(
        &*txn,
        now,
        &Author::of(caller),
        neighborhood_change("neighborhood.created", None, &created),
    )
    .await?;
    txn.commit().await?;
    services.organisation_changed(Some(created.ward_id)).await;
    Ok(created)
}

/// `PATCH /v1/wards/{id}/neighborhoods/{neighborhood_id}`: renames, closes or reopens. A
/// neighborhood with active heads is not closed: they are moved or deactivated first (or the
/// neighborhood merged into another, which takes them).
pub async fn update_neighborhood(
    services: &Services,
    caller: &Caller,
    (ward_id, id): (Uuid, Uuid),
    name: Option<String>,
    active: Option<bool>,
) -> Outcome<neighborhood::Model> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    let before = neighborhood_of(services, &ward, id).await?;
    if name.is_none() && active.is_none() {
        return Err(Problem::field(
            "",
            "Cần ít nhất một trường để sửa (name, active).",
            "Give at least one field to change (name, active).",
        ));
    }
    let mut errors = Vec::new();
    let mut after = before.clone();
    if let Some(name) = &name {
        input::name("/name", name, MAX_NAME, &mut errors);
        after.name = name.trim().to_owned();
    }
    Problem::check(errors)?;
    if before.merged_into.is_some() && active == Some(true) {
        return Err(Problem::conflict(
            "Khu phố đã sáp nhập không mở lại được.",
            "A merged neighborhood cannot be reopened.",
        ));
    }
    if active == Some(false) && before.active && store::active_heads(&services.db, id).await? > 0 {
        return Err(Problem::conflict(
            "Khu phố còn trưởng khu phố đang hoạt động: chuyển hoặc khóa tài khoản trước, hoặc sáp nhập.",
            "The neighborhood still has active heads: move or deactivate them first, or merge it.",
        ));
    }
    after.active = active.unwrap_or(after.active);
    let action = match (before.active, after.active) {
        (true, false) => "neighborhood.deactivated",
        (false, true) => "neighborhood.reactivated",
        _ => "neighborhood.updated",
    };
    let now = services.clock.now();
    let txn = services.begin_write().await?;
    let after = store::update_neighborhood(&*txn, after).await?;
    audit::record(
        &*txn,
        now,
        &Author::of(caller),
        neighborhood_change(action, Some(&before), &after),
    )
    .await?;
    txn.commit().await?;
    services.organisation_changed(Some(after.ward_id)).await;
    Ok(after)
}

/// What a merge moved.
pub struct Merged {
    pub neighborhood: neighborhood::Model,
    pub into: neighborhood::Model,
    pub reports_moved: u64,
    pub heads_moved: u64,
}

/// `POST /v1/wards/{id}/neighborhoods/{neighborhood_id}/merge`: another neighborhood of the
/// ward takes this one over from `from` (today or a past day: a decision already taken). Its
/// reports and heads move to the other, so their history, answers and figures follow; its
/// boundary counts as the other's from that day; it takes nothing new.
pub async fn merge_neighborhood(
    services: &Services,
    caller: &Caller,
    (ward_id, id): (Uuid, Uuid),
    into: Uuid,
    from: NaiveDate,
) -> Outcome<Merged> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    let before = neighborhood_of(services, &ward, id).await?;
    let survivor = store::neighborhood(&services.db, into)
        .await?
        .filter(|n| n.ward_id == ward.id && n.active && n.id != id)
        .ok_or_else(|| {
            Problem::field(
                "/into",
                "Khu phố nhận sáp nhập phải là một khu phố khác, đang hoạt động, của cùng phường/xã.",
                "The neighborhood taking it over must be another active one of the same ward.",
            )
        })?;
    if before.merged_into.is_some() {
        return Err(Problem::conflict(
            "Khu phố này đã được sáp nhập.",
            "This neighborhood was merged already.",
        ));
    }
    let today = services.clock.today();
    if from > today || !sos_domain::sla::is_sane(from) {
        return Err(Problem::field(
            "/from",
            "Ngày sáp nhập phải là hôm nay hoặc một ngày đã qua.",
            "The merge takes effect today or on a past day.",
        ));
    }
    let now = services.clock.now();
    let mut after = before.clone();
    after.active = false;
    after.merged_into = Some(survivor.id);
    after.merged_from = Some(from);
    let txn = services.begin_write().await?;
    let after = store::update_neighborhood(&*txn, after).await?;
    let (reports_moved, heads_moved) = store::move_neighborhood(&*txn, id, survivor.id).await?;
    let mut change = neighborhood_change("neighborhood.merged", Some(&before), &after);
    if let Some(facts) = change.after.as_mut() {
        facts["reports_moved"] = json!(reports_moved);
        facts["heads_moved"] = json!(heads_moved);
    }
    audit::record(&*txn, now, &Author::of(caller), change).await?;
    txn.commit().await?;
    services.organisation_changed(Some(survivor.ward_id)).await;
    tracing::info!(from = %before.code, into = %survivor.code, reports_moved, heads_moved, "neighborhoods merged");
    Ok(Merged {
        neighborhood: after,
        into: survivor,
        reports_moved,
        heads_moved,
    })
}

/// The wards of the national list, for a city administrator choosing which to put in service:
/// by province and name.
pub async fn national_list(
    services: &Services,
    caller: &Caller,
    province_code: Option<i32>,
) -> Outcome<Vec<ward::Model>> {
    if !access::can_activate_wards(&caller.actor) {
        return Err(city_only());
    }
    Ok(store::national_list(&services.db, province_code).await?)
}
