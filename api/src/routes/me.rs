//! Who am I: the signed-in account with its ward, neighborhood and department.

use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::routes::views::{DepartmentRef, NeighborhoodRef, WardRef};
use crate::state::AppState;
use crate::store::entities::{department, neighborhood, ward};
use axum::Json;
use axum::extract::State;
use sea_orm::EntityTrait;
use serde::Serialize;
use uuid::Uuid;

#[derive(Serialize)]
pub struct Me {
    id: Uuid,
    username: String,
    display_name: String,
    role: String,
    ward: Option<WardRef>,
    neighborhood: Option<NeighborhoodRef>,
    department: Option<DepartmentRef>,
}

pub async fn me(State(state): State<AppState>, current: CurrentUser) -> ApiResult<Json<Me>> {
    let user = current.user;
    let ward = match user.ward_id {
        Some(id) => ward::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    let neighborhood = match user.neighborhood_id {
        Some(id) => neighborhood::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    let department = match user.department_id {
        Some(id) => department::Entity::find_by_id(id).one(&state.db).await?,
        None => None,
    };
    Ok(Json(Me {
        id: user.id,
        username: user.username,
        display_name: user.display_name,
        role: user.role,
        ward: ward.as_ref().map(Into::into),
        neighborhood: neighborhood.as_ref().map(Into::into),
        department: department.as_ref().map(Into::into),
    }))
}
