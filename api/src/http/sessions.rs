//! Signing in, refreshing the session, signing out, and who am I.

use crate::http::auth::SignedIn;
use crate::http::extract::Json;
use crate::http::views::{DepartmentRef, NeighborhoodRef, WardRef};
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::{self, TokenPair};
use crate::services::audit::Origin;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

pub async fn login(
    State(services): State<Services>,
    origin: Origin,
    Json(body): Json<LoginRequest>,
) -> Result<axum::Json<TokenPair>, Problem> {
    let pair = accounts::login(&services, &body.username, body.password, &origin).await?;
    Ok(axum::Json(pair))
}

/// Rotates a refresh token (see `accounts::refresh`).
pub async fn refresh(
    State(services): State<Services>,
    Json(body): Json<RefreshRequest>,
) -> Result<axum::Json<TokenPair>, Problem> {
    Ok(axum::Json(
        accounts::refresh(&services, &body.refresh_token).await?,
    ))
}

/// Ends the session of a refresh token (its whole family). Always 204: signing out twice is fine.
pub async fn logout(
    State(services): State<Services>,
    Json(body): Json<RefreshRequest>,
) -> Result<StatusCode, Problem> {
    accounts::logout(&services, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct Me {
    id: Uuid,
    username: String,
    display_name: String,
    role: String,
    ward: Option<WardRef>,
    neighborhood: Option<NeighborhoodRef>,
    department: Option<DepartmentRef>,
    phone: Option<String>,
    email: Option<String>,
    /// The password was given by an administrator: change it before anything else.
    must_change_password: bool,
}

/// Who the caller is; also for someone who must still change the password they were given.
pub async fn me(
    State(services): State<Services>,
    SignedIn(caller): SignedIn,
) -> Result<axum::Json<Me>, Problem> {
    let profile = accounts::profile(&services, caller).await?;
    let user = profile.user;
    Ok(axum::Json(Me {
        id: user.id,
        role: user.role.as_str().to_owned(),
        username: user.username,
        display_name: user.display_name,
        ward: profile.ward.as_ref().map(Into::into),
        neighborhood: profile.neighborhood.as_ref().map(Into::into),
        department: profile.department.as_ref().map(Into::into),
        phone: user.phone,
        email: user.email,
        must_change_password: user.must_change_password,
    }))
}
