//! A ward's organisation: its neighborhoods, departments and routing table. Everyone attached
//! to the ward may read it; its admins change it.

use crate::problem::{FieldError, Outcome, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::audit::{self, Change};
use crate::services::input;
use sos_domain::access::{can_configure_ward, can_view_ward};
use sos_domain::taxonomy::Subcategory;
use sos_store::entities::{department, neighborhood, province, routing_rule, ward};
use sos_store::{ConnectionTrait, db::is_unique_violation, wards as store};
use uuid::Uuid;

/// A ward the caller may see; any other is "not found", like a missing one.
pub async fn visible_ward(services: &Services, caller: &Caller, id: Uuid) -> Outcome<ward::Model> {
    store::ward(&services.db, id)
        .await?
        .filter(|w| can_view_ward(&caller.actor, w.id))
        .ok_or_else(|| {
            Problem::not_found("Không tìm thấy phường/xã này.", "There is no such ward.")
        })
}

/// A ward the caller may change.
pub async fn configurable_ward(
    services: &Services,
    caller: &Caller,
    id: Uuid,
) -> Outcome<ward::Model> {
    let ward = visible_ward(services, caller, id).await?;
    if !can_configure_ward(&caller.actor, ward.id) {
        return Err(Problem::forbidden(
            "Chỉ quản trị viên của phường được thay đổi cấu hình.",
            "Only the ward's administrators may change its configuration.",
        ));
    }
    Ok(ward)
}

/// The wards the caller may see that are in service (they have departments), with their
/// provinces.
pub async fn list(
    services: &Services,
    caller: &Caller,
) -> Outcome<(Vec<ward::Model>, Vec<province::Model>)> {
    let wards = store::wards_in_service(&services.db)
        .await?
        .into_iter()
        .filter(|w| can_view_ward(&caller.actor, w.id))
        .collect();
    Ok((wards, store::provinces(&services.db).await?))
}

/// The provinces of the national list.
pub async fn provinces(services: &Services) -> Outcome<Vec<province::Model>> {
    Ok(store::provinces(&services.db).await?)
}

pub async fn neighborhoods(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
) -> Outcome<Vec<neighborhood::Model>> {
    let ward = visible_ward(services, caller, ward_id).await?;
    Ok(store::neighborhoods_of(&services.db, [ward.id]).await?)
}

pub async fn departments(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
) -> Outcome<Vec<department::Model>> {
    let ward = visible_ward(services, caller, ward_id).await?;
    Ok(store::departments_of(&services.db, [ward.id]).await?)
}

/// A department asked for.
pub struct NewDepartment {
    pub code: String,
    pub name: String,
    pub external: bool,
    pub email: Option<String>,
}

/// Changes asked to a department: `None` leaves a field as it is; `email: Some(None)` removes
/// the address.
pub struct DepartmentChange {
    pub name: Option<String>,
    pub email: Option<Option<String>>,
}

fn valid_code(code: &str) -> bool {
    let mut chars = code.chars();
    (2..=50).contains(&code.len())
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    input::single_line("/name", name, errors);
    if name.trim().is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new(
            "/name",
            "Tên đơn vị cần từ 1 đến 200 ký tự.",
            "The name must have 1 to 200 characters.",
        ));
    }
}

pub async fn create_department(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
    asked: NewDepartment,
) -> Outcome<department::Model> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    let mut errors = Vec::new();
    if !valid_code(&asked.code) {
        errors.push(FieldError::new(
            "/code",
            "Mã đơn vị gồm 2–50 ký tự a-z, 0-9, _ và bắt đầu bằng chữ.",
            "A department code has 2–50 characters a-z, 0-9 or _, starting with a letter.",
        ));
    }
    check_name(&asked.name, &mut errors);
    input::email("/email", asked.email.as_deref(), &mut errors);
    if asked.external && asked.email.is_none() {
        errors.push(FieldError::new(
            "/email",
            "Cơ quan bên ngoài cần địa chỉ e-mail để nhận phản ánh.",
            "An external agency needs an e-mail address to receive reports.",
        ));
    }
    Problem::check(errors)?;
    let row = department::Model {
        id: Uuid::now_v7(),
        ward_id: ward.id,
        code: asked.code,
        name: asked.name.trim().to_owned(),
        external: asked.external,
        email: asked.email.map(|e| e.trim().to_owned()),
        triage_desk: false,
        created_at: services.clock.now(),
    };
    let txn = services.begin_write().await?;
    let created = store::insert_department(&*txn, row).await.map_err(|e| {
        if is_unique_violation(&e) {
            Problem::conflict(
                "Phường đã có đơn vị với mã này.",
                "The ward already has a department with this code.",
            )
        } else {
            e.into()
        }
    })?;
    let change = Change::of(
        "department.created",
        Some(ward.id),
        "department",
        created.id,
        Some(department_facts(&created)),
    );
    audit::log(&*txn, services, caller, change).await?;
    txn.commit().await?;
    services.organisation_changed(Some(created.ward_id)).await;
    Ok(created)
}

fn department_facts(d: &department::Model) -> serde_json::Value {
    serde_json::json!({"code": d.code, "name": d.name, "external": d.external, "email": d.email})
}

pub async fn update_department(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
    code: &str,
    change: DepartmentChange,
) -> Outcome<department::Model> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    let existing = store::department_by_code(&services.db, ward.id, code)
        .await?
        .ok_or_else(|| {
            Problem::not_found(
                "Phường không có đơn vị với mã này.",
                "The ward has no department with this code.",
            )
        })?;
    let mut errors = Vec::new();
    if change.name.is_none() && change.email.is_none() {
        errors.push(FieldError::new(
            "",
            "Cần ít nhất một trường để sửa (name, email).",
            "Give at least one field to change (name, email).",
        ));
    }
    if let Some(name) = &change.name {
        check_name(name, &mut errors);
    }
    if let Some(email) = &change.email {
        input::email("/email", email.as_deref(), &mut errors);
        if existing.external && email.is_none() {
            errors.push(FieldError::new(
                "/email",
                "Cơ quan bên ngoài phải có e-mail.",
                "An external agency must keep an e-mail address.",
            ));
        }
    }
    Problem::check(errors)?;
    let before = department_facts(&existing);
    let txn = services.begin_write().await?;
    let updated = store::update_department(
        &*txn,
        existing,
        change.name.map(|n| n.trim().to_owned()),
        change.email.map(|e| e.map(|e| e.trim().to_owned())),
    )
    .await?;
    let change = Change::of(
        "department.updated",
        Some(ward.id),
        "department",
        updated.id,
        Some(department_facts(&updated)),
    );
    audit::log(&*txn, services, caller, change.was(before)).await?;
    txn.commit().await?;
    services.organisation_changed(Some(updated.ward_id)).await;
    Ok(updated)
}

/// The department of a ward that a report can be given to, named by its code in the request
/// field `field`. External agencies are reached by e-mail and have no one to work a report, so
/// a ward department always stays responsible: they cannot receive one.
pub async fn receiving_department(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
    code: &str,
    field: &str,
) -> Outcome<department::Model> {
    let department = store::department_by_code(db, ward_id, code.trim())
        .await?
        .ok_or_else(|| {
            Problem::field(
                field,
                "Phường không có đơn vị với mã này.",
                "The ward has no department with this code.",
            )
        })?;
    if department.external {
        return Err(Problem::field(
            field,
            "Cơ quan bên ngoài không nhận phản ánh trực tiếp; hãy giao cho một đơn vị của phường.",
            "An external agency cannot own a report; give it to a department of the ward.",
        ));
    }
    Ok(department)
}

/// A ward's routing table: each routed subcategory with its department, in taxonomy order
/// (the order people read the table in).
pub async fn routing_table(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
) -> Outcome<(Uuid, Vec<(Subcategory, department::Model)>)> {
    let ward = visible_ward(services, caller, ward_id).await?;
    let departments = store::departments_of(&services.db, [ward.id]).await?;
    let rules: Vec<routing_rule::Model> = store::routing_rules(&services.db, ward.id).await?;
    let table = Subcategory::ALL
        .iter()
        .filter_map(|s| rules.iter().find(|r| *r.subcategory == *s))
        .filter_map(|rule| {
            departments
                .iter()
                .find(|d| d.id == rule.department_id)
                .map(|d| (*rule.subcategory, d.clone()))
        })
        .collect();
    Ok((ward.id, table))
}

/// Routes a subcategory of the ward to one of its departments.
pub async fn set_routing_rule(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
    subcategory: &str,
    department_code: &str,
) -> Outcome<(Subcategory, department::Model)> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    let subcategory: Subcategory = subcategory.parse().map_err(|_| {
        Problem::not_found("Không có phân loại này.", "There is no such subcategory.")
    })?;
    let target =
        receiving_department(&services.db, ward.id, department_code, "/department").await?;
    let txn = services.begin_write().await?;
    store::set_routing_rule(&*txn, ward.id, subcategory, target.id).await?;
    let after = serde_json::json!({"subcategory": subcategory, "department": target.code});
    let change = Change::of(
        "routing.set",
        Some(ward.id),
        "routing_rule",
        subcategory,
        Some(after),
    );
    audit::log(&*txn, services, caller, change).await?;
    txn.commit().await?;
    services.organisation_changed(Some(ward.id)).await;
    tracing::info!(ward = ward.code, %subcategory, department = %target.code, "routing rule changed");
    Ok((subcategory, target))
}
