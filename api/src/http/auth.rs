//! Who is calling: the bearer token of a request turned into the [`Caller`] that use cases
//! take, read fresh from the database on every request.

use crate::http::state::AppState;
use crate::problem::{Problem, ProblemKind};
use crate::services::accounts::{self, Caller};
use crate::services::audit::Origin;
use crate::services::limits;
use axum::extract::ConnectInfo;
use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};
use sos_domain::access;
use std::net::{IpAddr, SocketAddr};

/// Where a request came from: the client's address is the connection's, or, behind the proxy
/// the operator named (`SOS_CLIENT_ADDRESS_HEADER`), the last address that proxy added.
pub fn origin(parts: &Parts, state: &AppState) -> Origin {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| peer.ip());
    let forwarded = state
        .services
        .settings
        .client_address_header
        .as_deref()
        .and_then(|name| parts.headers.get_all(name).iter().next_back())
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.rsplit(',').next())
        .and_then(|last| last.trim().parse::<IpAddr>().ok());
    Origin {
        address: forwarded.or(peer),
        request_id: parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

impl FromRequestParts<AppState> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(origin(parts, state))
    }
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
}

/// The person a request's bearer token stands for, whatever the state of their password.
async fn bearer(parts: &Parts, state: &AppState) -> Result<Caller, Problem> {
    let token = bearer_token(&parts.headers).ok_or_else(Problem::token_missing)?;
    let mut caller = accounts::caller(&state.services, token).await?;
    caller.origin = origin(parts, state);
    // Counted here, before any body is read: every write goes through this extractor.
    if !parts.method.is_safe() {
        limits::write(&state.services, caller.user.id).await?;
    }
    Ok(caller)
}

/// Every route but two takes a [`Caller`]: someone signed in with a password of their own.
/// Until a person replaces the one-time password an administrator gave them, they may only
/// read who they are and change it ([`SignedIn`]).
impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let caller = bearer(parts, state).await?;
        if caller.user.must_change_password {
            return Err(Problem::of(
                ProblemKind::PasswordChangeRequired,
                "Hãy đổi mật khẩu được cấp trước khi dùng dịch vụ (PUT /v1/me/password).",
                "Change the password you were given before using the service (PUT /v1/me/password).",
            ));
        }
        Ok(caller)
    }
}

/// Someone signed in, even with a one-time password still to change.
pub struct SignedIn(pub Caller);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        Ok(SignedIn(bearer(parts, state).await?))
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
