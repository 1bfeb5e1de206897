//! A ward's organisation over HTTP: its neighborhoods, departments and routing table.

use crate::http::auth::Administrator;
use crate::http::extract::{Json, Path};
use crate::http::views::{Department, DepartmentRef, NeighborhoodRef};
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::wards::{self, DepartmentChange, NewDepartment};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
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

/// The wards the caller may see that are in service (they have departments).
pub async fn list_wards(
    State(services): State<Services>,
    caller: Caller,
) -> Result<axum::Json<Vec<Ward>>, Problem> {
    let (wards, provinces) = wards::list(&services, &caller).await?;
    Ok(axum::Json(
        wards
            .into_iter()
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
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<Vec<NeighborhoodRef>>, Problem> {
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
