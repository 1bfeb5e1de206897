//! A ward's organisation over HTTP: its neighborhoods, departments and routing table.

use crate::http::auth::{Administrator, CityAdministrator};
use crate::http::extract::{Json, Path, Query, double_option};
use crate::http::params;
use crate::http::views::{Department, DepartmentRef};
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::organisation::{self, Activation, Contacts, WardChanges};
use crate::services::wards::{self, DepartmentChange, NewDepartment};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sos_store::entities::{neighborhood, province, ward};
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Serialize)]
pub struct Ward {
    id: Uuid,
    code: i32,
    name: String,
    division_type: String,
    province_code: i32,
    province_name: String,
    /// Put in service and not closed since: takes new reports.
    in_service: bool,
    #[serde(with = "crate::clock::rfc3339_serde::option")]
    activated_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::clock::rfc3339_serde::option")]
    deactivated_at: Option<DateTime<Utc>>,
    contact_phone: Option<String>,
    contact_email: Option<String>,
    contact_address: Option<String>,
}

impl Ward {
    fn new(w: ward::Model, provinces: &[province::Model]) -> Self {
        Ward {
            province_name: provinces
                .iter()
                .find(|p| p.code == w.province_code)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            in_service: w.activated_at.is_some() && w.deactivated_at.is_none(),
            id: w.id,
            code: w.code,
            name: w.name,
            division_type: w.division_type,
            province_code: w.province_code,
            activated_at: w.activated_at,
            deactivated_at: w.deactivated_at,
            contact_phone: w.contact_phone,
            contact_email: w.contact_email,
            contact_address: w.contact_address,
        }
    }
}

/// The wards the caller may see that were put in service (closed ones too: their reports are
/// kept).
pub async fn list_wards(
    State(services): State<Services>,
    caller: Caller,
) -> Result<axum::Json<Vec<Ward>>, Problem> {
    let (wards, provinces) = wards::list(&services, &caller).await?;
    Ok(axum::Json(
        wards
            .into_iter()
            .map(|w| Ward::new(w, &provinces))
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NationalQuery {
    province_code: Option<String>,
}

/// The national list of wards (3,321 units since 1 July 2025), for city administrators
/// choosing which to put in service.
pub async fn national_list(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<NationalQuery>,
) -> Result<axum::Json<Vec<Ward>>, Problem> {
    let mut errors = Vec::new();
    let province = query
        .province_code
        .as_deref()
        .map(|raw| params::number("province_code", Some(raw), 0, 1..=99, &mut errors));
    Problem::check(errors)?;
    let rows = organisation::national_list(&services, &caller, province).await?;
    let provinces = wards::provinces(&services).await?;
    Ok(axum::Json(
        rows.into_iter().map(|w| Ward::new(w, &provinces)).collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WardActivation {
    code: i32,
    #[serde(default)]
    contact_phone: Option<String>,
    #[serde(default)]
    contact_email: Option<String>,
    #[serde(default)]
    contact_address: Option<String>,
    /// The address of each outside agency of the template, by its code.
    #[serde(default)]
    agency_emails: BTreeMap<String, String>,
}

/// Puts a ward of the national list in service with the default template.
pub async fn activate(
    CityAdministrator(caller): CityAdministrator,
    State(services): State<Services>,
    Json(body): Json<WardActivation>,
) -> Result<(StatusCode, axum::Json<Ward>), Problem> {
    let asked = Activation {
        code: body.code,
        contacts: Contacts {
            phone: body.contact_phone.map(Some),
            email: body.contact_email.map(Some),
            address: body.contact_address.map(Some),
        },
        agency_emails: body.agency_emails.into_iter().collect(),
    };
    let ward = organisation::activate(&services, &caller, asked).await?;
    let provinces = wards::provinces(&services).await?;
    Ok((StatusCode::CREATED, axum::Json(Ward::new(ward, &provinces))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WardUpdate {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    active: Option<bool>,
    #[serde(default, with = "double_option")]
    contact_phone: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    contact_email: Option<Option<String>>,
    #[serde(default, with = "double_option")]
    contact_address: Option<Option<String>>,
}

pub async fn update_ward(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path(id): Path<Uuid>,
    Json(body): Json<WardUpdate>,
) -> Result<axum::Json<Ward>, Problem> {
    let changes = WardChanges {
        name: body.name,
        active: body.active,
        contacts: Contacts {
            phone: body.contact_phone,
            email: body.contact_email,
            address: body.contact_address,
        },
    };
    let ward = organisation::update_ward(&services, &caller, id, changes).await?;
    let provinces = wards::provinces(&services).await?;
    Ok(axum::Json(Ward::new(ward, &provinces)))
}

/// A neighborhood of a ward, with its state.
#[derive(Serialize)]
pub struct Neighborhood {
    id: Uuid,
    code: String,
    name: String,
    active: bool,
    merged_into: Option<Uuid>,
    merged_from: Option<NaiveDate>,
}

impl From<&neighborhood::Model> for Neighborhood {
    fn from(n: &neighborhood::Model) -> Self {
        Neighborhood {
            id: n.id,
            code: n.code.clone(),
            name: n.name.clone(),
            active: n.active,
            merged_into: n.merged_into,
            merged_from: n.merged_from,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeighborhoodCreate {
    code: String,
    name: String,
}

pub async fn create_neighborhood(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path(id): Path<Uuid>,
    Json(body): Json<NeighborhoodCreate>,
) -> Result<(StatusCode, axum::Json<Neighborhood>), Problem> {
    let created =
        organisation::create_neighborhood(&services, &caller, id, body.code, body.name).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Neighborhood::from(&created)),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NeighborhoodUpdate {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    active: Option<bool>,
}

pub async fn update_neighborhood(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path((id, neighborhood_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<NeighborhoodUpdate>,
) -> Result<axum::Json<Neighborhood>, Problem> {
    let updated = organisation::update_neighborhood(
        &services,
        &caller,
        (id, neighborhood_id),
        body.name,
        body.active,
    )
    .await?;
    Ok(axum::Json(Neighborhood::from(&updated)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    into: Uuid,
    from: NaiveDate,
}

#[derive(Serialize)]
pub struct MergeResult {
    neighborhood: Neighborhood,
    into: Neighborhood,
    reports_moved: u64,
    heads_moved: u64,
}

pub async fn merge_neighborhood(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path((id, neighborhood_id)): Path<(Uuid, Uuid)>,
    Json(body): Json<MergeRequest>,
) -> Result<axum::Json<MergeResult>, Problem> {
    let merged = organisation::merge_neighborhood(
        &services,
        &caller,
        (id, neighborhood_id),
        body.into,
        body.from,
    )
    .await?;
    Ok(axum::Json(MergeResult {
        neighborhood: Neighborhood::from(&merged.neighborhood),
        into: Neighborhood::from(&merged.into),
        reports_moved: merged.reports_moved,
        heads_moved: merged.heads_moved,
    }))
}

pub async fn list_neighborhoods(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<Vec<Neighborhood>>, Problem> {
    let rows = wards::neighborhoods(&services, &caller, id).await?;
    Ok(axum::Json(rows.iter().map(Into::into).collect()))
}

pub async fn list_departments(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<Vec<Department>>, Problem> {
    let rows = wards::departments(&services, &caller, id).await?;
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
    #[serde(default, with = "crate::http::extract::double_option")]
    email: Option<Option<String>>,
}

pub async fn create_department(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path(id): Path<Uuid>,
    Json(body): Json<DepartmentCreate>,
) -> Result<(StatusCode, axum::Json<Department>), Problem> {
    let asked = NewDepartment {
        code: body.code,
        name: body.name,
        external: body.external,
        email: body.email,
    };
    let created = wards::create_department(&services, &caller, id, asked).await?;
    Ok((StatusCode::CREATED, axum::Json((&created).into())))
}

pub async fn update_department(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path((id, code)): Path<(Uuid, String)>,
    Json(body): Json<DepartmentUpdate>,
) -> Result<axum::Json<Department>, Problem> {
    let change = DepartmentChange {
        name: body.name,
        email: body.email,
    };
    let updated = wards::update_department(&services, &caller, id, &code, change).await?;
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
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<RoutingTable>, Problem> {
    let (ward_id, table) = wards::routing_table(&services, &caller, id).await?;
    Ok(axum::Json(RoutingTable {
        ward_id,
        rules: table
            .iter()
            .map(|(subcategory, department)| RoutingRule {
                subcategory: subcategory.as_str().to_owned(),
                department: department.into(),
            })
            .collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRuleUpdate {
    department: String,
}

pub async fn set_routing_rule(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path((id, subcategory)): Path<(Uuid, String)>,
    Json(body): Json<RoutingRuleUpdate>,
) -> Result<axum::Json<RoutingRule>, Problem> {
    let (subcategory, department) =
        wards::set_routing_rule(&services, &caller, id, &subcategory, &body.department).await?;
    Ok(axum::Json(RoutingRule {
        subcategory: subcategory.as_str().to_owned(),
        department: (&department).into(),
    }))
}
