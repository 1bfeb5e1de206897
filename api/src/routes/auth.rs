//! Signing in, refreshing the session, signing out.

use crate::auth::{hash_password, random_token, sha256_hex, verify_password};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::Json;
use crate::state::AppState;
use crate::store::entities::{refresh_token, user};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use chrono::Utc;
use sea_orm::prelude::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::LazyLock;
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

#[derive(Serialize)]
pub struct TokenPair {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
    refresh_token: String,
    refresh_expires_in: u64,
}

/// A hash to verify against when the username does not exist, so that a wrong username takes
/// as long as a wrong password and does not reveal which accounts exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("not a real password").unwrap_or_default());

fn wrong_credentials() -> ApiError {
    ApiError::unauthorized(
        "Tên đăng nhập hoặc mật khẩu không đúng.",
        "Wrong username or password.",
    )
}

pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(body): Json<LoginRequest>,
) -> ApiResult<axum::Json<TokenPair>> {
    let username = body.username.trim().to_lowercase();
    let mut errors = Vec::new();
    if username.is_empty() || username.chars().count() > 100 {
        errors.push(FieldError::new(
            "/username",
            "Cần tên đăng nhập (tối đa 100 ký tự).",
            "A username of at most 100 characters is required.",
        ));
    }
    if body.password.is_empty() || body.password.chars().count() > 200 {
        errors.push(FieldError::new(
            "/password",
            "Cần mật khẩu (tối đa 200 ký tự).",
            "A password of at most 200 characters is required.",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    if let Err(wait) = state.login_limiter.check(&username, peer.ip()) {
        let mut error = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            crate::error::Text::new(
                format!("Đăng nhập sai quá nhiều lần, hãy thử lại sau {wait} giây."),
                format!("Too many sign-in attempts; try again in {wait} seconds."),
            ),
        );
        error.retry_after_seconds = Some(wait);
        return Err(error);
    }
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username.as_str()))
        .one(&state.db)
        .await?
        .filter(|u| u.active);
    let hash = found
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |u| u.password_hash.clone());
    // Hashing takes tens of milliseconds of CPU: keep it off the async workers.
    let password = body.password;
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(ApiError::internal)?;
    let user = found.filter(|_| matches).ok_or_else(wrong_credentials)?;
    let pair = issue_pair(&state, &user, Uuid::now_v7()).await?;
    tracing::info!(user = %user.username, "signed in");
    Ok(axum::Json(pair))
}

/// Issues an access token and a refresh token of `family`.
async fn issue_pair(state: &AppState, user: &user::Model, family: Uuid) -> ApiResult<TokenPair> {
    let role = user
        .role
        .parse()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    let access_token = state.jwt.issue(user.id, role)?;
    let refresh = random_token();
    let now = Utc::now();
    let ttl = state.settings.refresh_token_ttl;
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        family_id: Set(family),
        token_hash: Set(sha256_hex(refresh.as_bytes())),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(&state.db)
    .await?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer",
        expires_in: state.jwt.access_ttl.as_secs(),
        refresh_token: refresh,
        refresh_expires_in: ttl.as_secs(),
    })
}

fn invalid_refresh() -> ApiError {
    ApiError::unauthorized(
        "Phiên đăng nhập đã hết hạn hoặc bị thu hồi, hãy đăng nhập lại.",
        "The session has expired or was revoked; sign in again.",
    )
}

async fn revoke_family(db: &impl sea_orm::ConnectionTrait, family: Uuid) -> ApiResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Rotates a refresh token. A token is good once: presenting a spent one means it was copied,
/// so the whole family of that login is revoked and both holders must sign in again.
pub async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<RefreshRequest>,
) -> ApiResult<axum::Json<TokenPair>> {
    let hash = sha256_hex(body.refresh_token.trim().as_bytes());
    let txn = state.begin_write().await?;
    let token = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&*txn)
        .await?
        .ok_or_else(invalid_refresh)?;
    let now = Utc::now();
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(invalid_refresh());
    }
    // Spending the token and checking it was unspent is one statement, so two concurrent
    // refreshes with the same token cannot both win.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .exec(&*txn)
        .await?;
    if spent.rows_affected != 1 {
        revoke_family(&*txn, token.family_id).await?;
        txn.commit().await?;
        tracing::warn!(family = %token.family_id, "refresh token reused: session family revoked");
        return Err(invalid_refresh());
    }
    txn.commit().await?;
    let user = user::Entity::find_by_id(token.user_id)
        .one(&state.db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(invalid_refresh)?;
    Ok(axum::Json(
        issue_pair(&state, &user, token.family_id).await?,
    ))
}

/// Ends the session of a refresh token (its whole family). Always 204: signing out twice is fine.
pub async fn logout(
    State(state): State<AppState>,
    Json(body): Json<RefreshRequest>,
) -> ApiResult<StatusCode> {
    let hash = sha256_hex(body.refresh_token.trim().as_bytes());
    let txn = state.begin_write().await?;
    if let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&*txn)
        .await?
    {
        revoke_family(&*txn, token.family_id).await?;
    }
    txn.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
