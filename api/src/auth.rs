//! Accounts and sessions: password hashing (argon2id), short-lived access tokens (JWT, HS256,
//! audience and expiry required), rotating refresh tokens stored hashed, the login limiter and
//! the extractor that turns a bearer token into the signed-in [`CurrentUser`].

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::store::entities::{department, user};
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use base64::Engine;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::EntityTrait;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sos_domain::access::Actor;
use sos_domain::taxonomy::Role;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;
use uuid::Uuid;

/// Who tokens are for and who issues them; both are checked on every request.
const AUDIENCE: &str = "sos-khu-pho-api";
const ISSUER: &str = "sos-khu-pho";

pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A random token of 256 bits, URL-safe.
pub fn random_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 30;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
        }
    }

    pub fn issue(&self, user_id: Uuid, role: Role) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            role,
            aud: AUDIENCE.to_owned(),
            iss: ISSUER.to_owned(),
            iat: now,
            exp: now + self.access_ttl.as_secs() as i64,
        };
        Ok(jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &self.encoding,
        )?)
    }

    pub fn verify(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|d| d.claims)
    }
}

/// Limits login attempts per username and per client address, so that guessing passwords is
/// slow. Each replica counts on its own; with N replicas an attacker gets at most N times the
/// quota, which still defeats guessing.
pub struct LoginLimiter {
    by_username: DefaultKeyedRateLimiter<String>,
    by_address: DefaultKeyedRateLimiter<IpAddr>,
}

impl LoginLimiter {
    pub fn new(per_username: u32, per_address: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        LoginLimiter {
            by_username: RateLimiter::keyed(quota(per_username)),
            by_address: RateLimiter::keyed(quota(per_address)),
        }
    }

    /// Counts one attempt; on refusal returns the seconds to wait.
    pub fn check(&self, username: &str, address: IpAddr) -> Result<(), u64> {
        let clock = governor::clock::DefaultClock::default();
        let wait = |not_until: governor::NotUntil<_>| {
            use governor::clock::Clock;
            not_until.wait_time_from(clock.now()).as_secs().max(1)
        };
        self.by_address.check_key(&address).map_err(wait)?;
        self.by_username
            .check_key(&username.to_lowercase())
            .map_err(wait)?;
        Ok(())
    }

    /// Forgets keys that have been idle long enough to be full again.
    pub fn prune(&self) {
        self.by_username.retain_recent();
        self.by_address.retain_recent();
    }
}

/// The signed-in user, loaded fresh from the database on every request so that a disabled
/// account or a changed role takes effect at once.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub user: user::Model,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "Cần đăng nhập: thiếu mã truy cập (Authorization: Bearer ...).",
                    "Sign in first: the Authorization: Bearer header is missing.",
                )
            })?;
        let invalid = || {
            ApiError::unauthorized(
                "Mã truy cập không hợp lệ hoặc đã hết hạn, hãy đăng nhập lại.",
                "The access token is invalid or expired; sign in again.",
            )
        };
        let claims = state.jwt.verify(token.trim()).ok_or_else(invalid)?;
        let user = user::Entity::find_by_id(claims.sub)
            .one(&state.db)
            .await?
            .filter(|u| u.active)
            .ok_or_else(invalid)?;
        let actor = actor_of(&state.db, &user).await?;
        Ok(CurrentUser { user, actor })
    }
}

pub async fn actor_of(db: &sea_orm::DatabaseConnection, user: &user::Model) -> ApiResult<Actor> {
    let role: Role = user
        .role
        .parse()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("user {}: {e}", user.id)))?;
    let triage_desk = match user.department_id {
        Some(id) => department::Entity::find_by_id(id)
            .one(db)
            .await?
            .is_some_and(|d| d.triage_desk),
        None => false,
    };
    Ok(Actor {
        user_id: user.id,
        role,
        ward_id: user.ward_id,
        neighborhood_id: user.neighborhood_id,
        department_id: user.department_id,
        triage_desk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_against_their_hash_only() {
        let hash = hash_password("sos-demo").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("sos-demo", &hash));
        assert!(!verify_password("sos-demo ", &hash));
        assert!(!verify_password("sos-demo", "not a hash"));
    }

    #[test]
    fn tokens_need_our_key_audience_and_an_unexpired_exp() {
        let keys = JwtKeys::new(&[7; 32], Duration::from_secs(900));
        let id = Uuid::now_v7();
        let token = keys.issue(id, Role::WardLeader).unwrap();
        assert_eq!(keys.verify(&token).unwrap().sub, id);
        assert!(
            JwtKeys::new(&[8; 32], Duration::from_secs(900))
                .verify(&token)
                .is_none()
        );

        let now = chrono::Utc::now().timestamp();
        let forge = |claims: serde_json::Value| {
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(&[7; 32]),
            )
            .unwrap()
        };
        let base = serde_json::json!({"sub": id, "role": "admin", "aud": AUDIENCE, "iss": ISSUER, "iat": now});
        let mut expired = base.clone();
        expired["exp"] = (now - 3600).into();
        assert!(keys.verify(&forge(expired)).is_none(), "expired");
        assert!(keys.verify(&forge(base.clone())).is_none(), "exp missing");
        let mut string_exp = base.clone();
        string_exp["exp"] = "never".into();
        assert!(
            keys.verify(&forge(string_exp)).is_none(),
            "exp of the wrong type"
        );
        let mut other_audience = base;
        other_audience["exp"] = (now + 600).into();
        other_audience["aud"] = "someone-else".into();
        assert!(keys.verify(&forge(other_audience)).is_none(), "audience");
    }

    #[test]
    fn login_attempts_are_limited_per_username() {
        let limiter = LoginLimiter::new(2, 100);
        let ip: IpAddr = [127, 0, 0, 1].into();
        assert!(limiter.check("tnp.kp1", ip).is_ok());
        assert!(limiter.check("TNP.kp1", ip).is_ok());
        assert!(limiter.check("tnp.kp1", ip).unwrap_err() >= 1);
        assert!(limiter.check("tnp.kp2", ip).is_ok());
    }
}
