//! Who is calling: the bearer token of a request turned into the [`Caller`] that use cases
//! take, read fresh from the database on every request.

use crate::http::state::AppState;
use crate::problem::Problem;
use crate::services::accounts::{self, Caller};
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use sos_domain::access;

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

/// Declares an extractor for the callers of a kind a route is for. Extractors of the request's
/// parts run before its body is read, so a request nobody of that kind may make is refused
/// before any upload; the use case checks the rest with what the body names in hand.
macro_rules! callers_of_a_kind {
    ($(#[$meta:meta])* $name:ident, $allows:path) => {
        $(#[$meta])*
        pub struct $name(pub Caller);

        impl FromRequestParts<AppState> for $name {
            type Rejection = Problem;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<Self, Problem> {
                let caller = Caller::from_request_parts(parts, state).await?;
                if !$allows(&caller.actor) {
                    return Err(Problem::forbidden(
                        "Tài khoản của bạn không được dùng chức năng này.",
                        "Your account may not use this.",
                    ));
                }
                Ok($name(caller))
            }
        }
    };
}

callers_of_a_kind!(
    /// An administrator of a ward or of every ward.
    Administrator,
    access::is_administrator
);
callers_of_a_kind!(
    /// A city-wide administrator.
    CityAdministrator,
    access::can_configure_calendar
);
callers_of_a_kind!(
    /// A neighborhood head, who files reports.
    Head,
    access::can_file_report
);
