//! A ward's organisation: its neighborhoods, departments and routing table. Everyone attached
//! to the ward may read it; its admins change it.

use crate::auth::CurrentUser;
use crate::db::is_unique_violation;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{Json, Path};
use crate::routes::views::{Department, DepartmentRef, NeighborhoodRef};
use crate::state::AppState;
use crate::store::entities::{department, neighborhood, routing_rule, ward};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use sos_domain::access::{can_configure_ward, can_view_ward};
use sos_domain::taxonomy::Subcategory;
use uuid::Uuid;

#[derive(Serialize)]
pub struct Ward {
    id: Uuid,
    code: i32,
    name: String,
    division_type: String,
    province_code: i32,
    province_name: String,
}

/// Loads a ward the caller may see; any other is "not found", like a missing one.
pub(crate) async fn visible_ward(
    state: &AppState,
    current: &CurrentUser,
    id: Uuid,
) -> ApiResult<ward::Model> {
    ward::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .filter(|w| can_view_ward(&current.actor, w.id))
        .ok_or_else(|| {
            ApiError::not_found("Không tìm thấy phường/xã này.", "There is no such ward.")
        })
}

pub(crate) async fn configurable_ward(
    state: &AppState,
    current: &CurrentUser,
    id: Uuid,
) -> ApiResult<ward::Model> {
    let ward = visible_ward(state, current, id).await?;
    if !can_configure_ward(&current.actor, ward.id) {
        return Err(ApiError::forbidden(
            "Chỉ quản trị viên của phường được thay đổi cấu hình.",
            "Only the ward's administrators may change its configuration.",
        ));
    }
    Ok(ward)
}

/// The wards the caller may see that are in service (they have departments).
pub async fn list_wards(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<axum::Json<Vec<Ward>>> {
    let in_service: Vec<Uuid> = department::Entity::find()
        .all(&state.db)
        .await?
        .into_iter()
        .map(|d| d.ward_id)
        .collect();
    let wards = ward::Entity::find()
        .filter(ward::Column::Id.is_in(in_service))
        .order_by_asc(ward::Column::Code)
        .all(&state.db)
        .await?;
    let provinces = crate::store::entities::province::Entity::find()
        .all(&state.db)
        .await?;
    Ok(axum::Json(
        wards
            .into_iter()
            .filter(|w| can_view_ward(&current.actor, w.id))
            .map(|w| Ward {
                province_name: provinces
                    .iter()
                    .find(|p| p.code == w.province_code)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                id: w.id,
                code: w.code,
                name: w.name,
                division_type: w.division_type,
                province_code: w.province_code,
            })
            .collect(),
    ))
}

pub async fn list_neighborhoods(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<NeighborhoodRef>>> {
    let ward = visible_ward(&state, &current, id).await?;
    let rows = neighborhood::Entity::find()
        .filter(neighborhood::Column::WardId.eq(ward.id))
        .order_by_asc(neighborhood::Column::Code)
        .all(&state.db)
        .await?;
    Ok(axum::Json(rows.iter().map(Into::into).collect()))
}

pub async fn list_departments(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Vec<Department>>> {
    let ward = visible_ward(&state, &current, id).await?;
    let rows = department::Entity::find()
        .filter(department::Column::WardId.eq(ward.id))
        .order_by_asc(department::Column::Code)
        .all(&state.db)
        .await?;
    Ok(axum::Json(rows.iter().map(Into::into).collect()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentCreate {
    code: String,
    name: String,
    external: bool,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentUpdate {
    #[serde(default)]
    name: Option<String>,
    /// Absent: unchanged; `null`: removed.
    #[serde(default, with = "double_option")]
    email: Option<Option<String>>,
}

/// Tells an absent field from an explicit `null`.
mod double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Option<String>>, D::Error> {
        Option::<String>::deserialize(d).map(Some)
    }
}

fn valid_code(code: &str) -> bool {
    let mut chars = code.chars();
    (2..=50).contains(&code.len())
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn valid_email(email: &str) -> bool {
    let email = email.trim();
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !email.contains(char::is_whitespace)
        }
        None => false,
    }
}

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    if name.trim().is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new(
            "/name",
            "Tên đơn vị cần từ 1 đến 200 ký tự.",
            "The name must have 1 to 200 characters.",
        ));
    }
}

fn check_email(email: Option<&str>, errors: &mut Vec<FieldError>) {
    if email.is_some_and(|e| !valid_email(e)) {
        errors.push(FieldError::new(
            "/email",
            "Địa chỉ e-mail không hợp lệ.",
            "This is not a valid e-mail address.",
        ));
    }
}

pub async fn create_department(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<DepartmentCreate>,
) -> ApiResult<(StatusCode, axum::Json<Department>)> {
    let ward = configurable_ward(&state, &current, id).await?;
    let mut errors = Vec::new();
    if !valid_code(&body.code) {
        errors.push(FieldError::new(
            "/code",
            "Mã đơn vị gồm 2–50 ký tự a-z, 0-9, _ và bắt đầu bằng chữ.",
            "A department code has 2–50 characters a-z, 0-9 or _, starting with a letter.",
        ));
    }
    check_name(&body.name, &mut errors);
    check_email(body.email.as_deref(), &mut errors);
    if body.external && body.email.is_none() {
        errors.push(FieldError::new(
            "/email",
            "Cơ quan bên ngoài cần địa chỉ e-mail để nhận phản ánh.",
            "An external agency needs an e-mail address to receive reports.",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let created = department::ActiveModel {
        id: Set(Uuid::now_v7()),
        ward_id: Set(ward.id),
        code: Set(body.code),
        name: Set(body.name.trim().to_owned()),
        external: Set(body.external),
        email: Set(body.email.map(|e| e.trim().to_owned())),
        triage_desk: Set(false),
        created_at: Set(Utc::now()),
    }
    .insert(&state.db)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            ApiError::conflict(
                "conflict",
                "Phường đã có đơn vị với mã này.",
                "The ward already has a department with this code.",
            )
        } else {
            e.into()
        }
    })?;
    Ok((StatusCode::CREATED, axum::Json((&created).into())))
}

async fn department_by_code(
    state: &AppState,
    ward_id: Uuid,
    code: &str,
) -> ApiResult<department::Model> {
    department::Entity::find()
        .filter(department::Column::WardId.eq(ward_id))
        .filter(department::Column::Code.eq(code))
        .one(&state.db)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(
                "Phường không có đơn vị với mã này.",
                "The ward has no department with this code.",
            )
        })
}

pub async fn update_department(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, code)): Path<(Uuid, String)>,
    Json(body): Json<DepartmentUpdate>,
) -> ApiResult<axum::Json<Department>> {
    let ward = configurable_ward(&state, &current, id).await?;
    let existing = department_by_code(&state, ward.id, &code).await?;
    let mut errors = Vec::new();
    if body.name.is_none() && body.email.is_none() {
        errors.push(FieldError::new(
            "",
            "Cần ít nhất một trường để sửa (name, email).",
            "Give at least one field to change (name, email).",
        ));
    }
    if let Some(name) = &body.name {
        check_name(name, &mut errors);
    }
    if let Some(email) = &body.email {
        check_email(email.as_deref(), &mut errors);
        if existing.external && email.is_none() {
            errors.push(FieldError::new(
                "/email",
                "Cơ quan bên ngoài phải có e-mail.",
                "An external agency must keep an e-mail address.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let mut model = existing.into_active_model();
    if let Some(name) = body.name {
        model.name = Set(name.trim().to_owned());
    }
    if let Some(email) = body.email {
        model.email = Set(email.map(|e| e.trim().to_owned()));
    }
    let updated = model.update(&state.db).await?;
    Ok(axum::Json((&updated).into()))
}

#[derive(Serialize)]
pub struct RoutingRule {
    subcategory: String,
    department: DepartmentRef,
}

#[derive(Serialize)]
pub struct RoutingTable {
    ward_id: Uuid,
    rules: Vec<RoutingRule>,
}

pub async fn routing_table(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<RoutingTable>> {
    let ward = visible_ward(&state, &current, id).await?;
    let departments = department::Entity::find()
        .filter(department::Column::WardId.eq(ward.id))
        .all(&state.db)
        .await?;
    let rules = routing_rule::Entity::find()
        .filter(routing_rule::Column::WardId.eq(ward.id))
        .all(&state.db)
        .await?;
    // Taxonomy order, which is the order people read the table in.
    let rules = Subcategory::ALL
        .iter()
        .filter_map(|s| rules.iter().find(|r| r.subcategory == s.as_str()))
        .filter_map(|rule| {
            departments
                .iter()
                .find(|d| d.id == rule.department_id)
                .map(|d| RoutingRule {
                    subcategory: rule.subcategory.clone(),
                    department: d.into(),
                })
        })
        .collect();
    Ok(axum::Json(RoutingTable {
        ward_id: ward.id,
        rules,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRuleUpdate {
    department: String,
}

pub async fn set_routing_rule(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, subcategory)): Path<(Uuid, String)>,
    Json(body): Json<RoutingRuleUpdate>,
) -> ApiResult<axum::Json<RoutingRule>> {
    let ward = configurable_ward(&state, &current, id).await?;
    let subcategory: Subcategory = subcategory.parse().map_err(|_| {
        ApiError::not_found("Không có phân loại này.", "There is no such subcategory.")
    })?;
    let target = crate::store::reports::receiving_department(
        &state.db,
        ward.id,
        &body.department,
        "/department",
    )
    .await?;
    let txn = state.begin_write().await?;
    routing_rule::Entity::delete_many()
        .filter(routing_rule::Column::WardId.eq(ward.id))
        .filter(routing_rule::Column::Subcategory.eq(subcategory.as_str()))
        .exec(&*txn)
        .await?;
    routing_rule::ActiveModel {
        ward_id: Set(ward.id),
        subcategory: Set(subcategory.as_str().to_owned()),
        department_id: Set(target.id),
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    tracing::info!(ward = ward.code, %subcategory, department = %target.code, "routing rule changed");
    Ok(axum::Json(RoutingRule {
        subcategory: subcategory.as_str().to_owned(),
        department: (&target).into(),
    }))
}
