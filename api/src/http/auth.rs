//! Who is calling: the bearer token of a request turned into the [`Caller`] that use cases
//! take, read fresh from the database on every request.

use crate::http::state::AppState;
use crate::problem::Problem;
use crate::services::accounts::{self, Caller};
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                Problem::unauthorized(
                    "Cần đăng nhập: thiếu mã truy cập (Authorization: Bearer ...).",
                    "Sign in first: the Authorization: Bearer header is missing.",
                )
            })?;
        accounts::caller(&state.services, token.trim()).await
    }
}
