//! Accounts and sessions: password hashing (argon2id), short-lived access tokens (JWT, HS256,
//! audience and expiry required), rotating refresh tokens stored hashed, and who is calling
//! ([`Caller`]), read fresh from the database on every request so that a disabled account or
//! a changed role takes effect at once.

use crate::problem::{FieldError, Outcome, Problem};
use crate::services::Services;
use crate::services::audit::{self, Author, Origin};
use crate::services::limits;
use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use base64::Engine;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sos_domain::access::Actor;
use sos_domain::taxonomy::Role;
use sos_store::accounts::{self as store, NewRefreshToken};
use sos_store::entities::{department, neighborhood, user, ward};
use sos_store::{ConnectionTrait, wards};
use std::net::IpAddr;
use std::sync::LazyLock;
use std::time::Duration;
use uuid::Uuid;

/// How long after its expiry a token is still accepted, for clocks that differ a little.
pub const LEEWAY_SECONDS: u64 = 5;

/// How long a spent refresh token still brings back the pair it was exchanged for, so that a
/// phone that never got the answer (a train going into a tunnel) can ask again. Later, a spent
/// token presented again means it was copied: the whole session is revoked.
pub const REFRESH_GRACE_SECONDS: i64 = 60;

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
    /// The sign-in (refresh token family) the token belongs to: signing out of it ends what the
    /// token keeps open, its live streams.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
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
    /// Derives the refresh token that follows another (see [`JwtKeys::successor`]).
    successors: hmac::Hmac<Sha256>,
    pub access_ttl: Duration,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        // Clocks of replicas and phones differ a little; a token is not good long after its end.
        validation.leeway = LEEWAY_SECONDS;
        JwtKeys {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            successors: hmac::KeyInit::new_from_slice(secret).expect("any key length"),
            access_ttl,
        }
    }

    /// The refresh token issued in exchange for `refresh_token`: an HMAC of it under the
    /// service's secret, so that every replica derives the same one and the database keeps
    /// only its hash, as of every refresh token. Without the secret it cannot be guessed.
    pub fn successor(&self, refresh_token: &str) -> String {
        use hmac::Mac;
        let mut mac = self.successors.clone();
        // A prefix no JWT signing input can have (they are base64url with one dot).
        mac.update(b"sos-khu-pho refresh successor\n");
        mac.update(refresh_token.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// An access token issued at `now`, of the sign-in `session` when there is one.
    pub fn issue(
        &self,
        user_id: Uuid,
        role: Role,
        now: DateTime<Utc>,
        session: Option<Uuid>,
    ) -> anyhow::Result<String> {
        let now = now.timestamp();
        let claims = Claims {
            sub: user_id,
            sid: session,
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

    /// The claims of a token of ours; `token-expired` past its expiry and the leeway,
    /// `token-invalid` for anything else wrong with it.
    pub fn verify(&self, token: &str) -> Outcome<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|d| d.claims)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => Problem::token_expired(),
                _ => Problem::token_invalid(),
            })
    }
}

/// The signed-in person making a request, with what the access rules know of them.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: user::Model,
    pub actor: Actor,
    /// What the request's token allows for how long.
    pub session: Session,
    /// Where the request came from, for the administrative log.
    pub origin: Origin,
}

/// The sign-in a request's token belongs to.
#[derive(Debug, Clone, Copy)]
pub struct Session {
    /// The refresh token family of the sign-in (`None` for a token issued without one).
    pub id: Option<Uuid>,
    /// When the token stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// The access rules' view of an account.
pub async fn actor_of(db: &impl ConnectionTrait, user: &user::Model) -> Outcome<Actor> {
    let triage_desk = match user.department_id {
        Some(id) => store::is_triage_desk(db, id).await?,
        None => false,
    };
    Ok(Actor {
        triage_desk,
        ..head_actor(user)
    })
}

/// The access rules' view of an account without a department, such as a neighborhood head's:
/// nothing more to read.
pub fn head_actor(user: &user::Model) -> Actor {
    Actor {
        user_id: user.id,
        role: *user.role,
        ward_id: user.ward_id,
        neighborhood_id: user.neighborhood_id,
        department_id: user.department_id,
        triage_desk: false,
    }
}

/// The caller an access token stands for: its account must still be active.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn caller(services: &Services, token: &str) -> Outcome<Caller> {
    let claims = services.jwt.verify(token)?;
    // A deactivated account's sign-ins end at once, its access tokens with them.
    let user = store::user(&services.db, claims.sub)
        .await?
        .filter(|u| u.active)
        .ok_or_else(Problem::session_ended)?;
    let actor = actor_of(&services.db, &user).await?;
    let session = Session {
        id: claims.sid,
        expires_at: DateTime::from_timestamp(claims.exp, 0).unwrap_or_default(),
    };
    Ok(Caller {
        user,
        actor,
        session,
        origin: Origin::default(),
    })
}

/// An access token and a refresh token.
#[derive(Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub refresh_token: String,
    pub refresh_expires_in: u64,
    /// The password was set by an administrator: until the person chooses their own
    /// (`PUT /v1/me/password`), the token serves for that and for `GET /v1/me` only.
    pub password_change_required: bool,
}

/// A hash to verify against when the username does not exist, so that a wrong username takes
/// as long as a wrong password and does not reveal which accounts exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("not a real password").unwrap_or_default());

/// Signs in with a username and password, from `origin`. Sign-ins and failed ones are in the
/// administrative log.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn login(
    services: &Services,
    username: &str,
    password: String,
    origin: &Origin,
) -> Outcome<TokenPair> {
    let address = origin
        .address
        .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED));
    let username = username.trim().to_lowercase();
    let mut errors = Vec::new();
    if username.is_empty() || username.chars().count() > 100 {
        errors.push(FieldError::new(
            "/username",
            "Cần tên đăng nhập (tối đa 100 ký tự).",
            "A username of at most 100 characters is required.",
        ));
    }
    if password.is_empty() || password.chars().count() > 200 {
        errors.push(FieldError::new(
            "/password",
            "Cần mật khẩu (tối đa 200 ký tự).",
            "A password of at most 200 characters is required.",
        ));
    }
    Problem::check(errors)?;
    limits::sign_in_attempt(services, &username, address).await?;
    let found = store::by_username(&services.db, &username)
        .await?
        .filter(|u| u.active);
    let hash = found
        .as_ref()
        .map_or_else(|| DUMMY_HASH.clone(), |u| u.password_hash.clone());
    // Hashing takes tens of milliseconds of CPU: keep it off the async workers.
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(Problem::internal)?;
    let now = services.clock.now();
    let author = Author {
        id: found.as_ref().map(|u| u.id),
        username: Some(username.clone()),
        origin: origin.clone(),
    };
    let sign_in = |action, user: Option<&user::Model>| audit::Change {
        action,
        ward_id: user.and_then(|u| u.ward_id),
        target_kind: "account",
        target_id: user.map(|u| u.id.to_string()),
        before: None,
        after: None,
    };
    let txn = services.begin_write().await?;
    let Some(user) = found.filter(|_| matches) else {
        let known = store::by_username(&*txn, &username).await?;
        audit::record(
            &*txn,
            now,
            &author,
            sign_in("auth.sign_in_failed", known.as_ref()),
        )
        .await?;
        txn.commit().await?;
        return Err(Problem::bad_credentials());
    };
    let pair = issue_pair(services, &*txn, &user, Uuid::now_v7()).await?;
    audit::record(&*txn, now, &author, sign_in("auth.signed_in", Some(&user))).await?;
    txn.commit().await?;
    tracing::info!(user = %user.username, "signed in");
    Ok(pair)
}

/// Issues an access token and a refresh token of `family`, stored through `db`.
async fn issue_pair(
    services: &Services,
    db: &impl ConnectionTrait,
    user: &user::Model,
    family: Uuid,
) -> Outcome<TokenPair> {
    let now = services.clock.now();
    issue_pair_with(services, db, user, family, random_token(), now).await
}

/// Issues at `now` an access token and the refresh token `refresh` of `family`, stored
/// through `db`.
async fn issue_pair_with(
    services: &Services,
    db: &impl ConnectionTrait,
    user: &user::Model,
    family: Uuid,
    refresh: String,
    now: DateTime<Utc>,
) -> Outcome<TokenPair> {
    let access_token = services.jwt.issue(user.id, *user.role, now, Some(family))?;
    let ttl = services.settings.refresh_token_ttl;
    store::insert_refresh_token(
        db,
        NewRefreshToken {
            user_id: user.id,
            family_id: family,
            token_hash: sha256_hex(refresh.as_bytes()),
            expires_at: now + ttl,
            created_at: now,
        },
    )
    .await?;
    Ok(TokenPair {
        access_token,
        token_type: "Bearer",
        expires_in: services.jwt.access_ttl.as_secs(),
        refresh_token: refresh,
        refresh_expires_in: ttl.as_secs(),
        password_change_required: user.must_change_password,
    })
}

/// Rotates a refresh token. A token is good once: the pair it is exchanged for is issued in
/// the transaction that spends it, its refresh token derived from the spent one
/// ([`JwtKeys::successor`]). Presented again within [`REFRESH_GRACE_SECONDS`] while that
/// successor is unused, it brings back the same pair (the phone never got the answer), on any
/// replica. Presented again later, or after its successor was used, it was copied: the whole
/// family of that login is revoked and both holders must sign in again.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn refresh(services: &Services, refresh_token: &str) -> Outcome<TokenPair> {
    let presented = refresh_token.trim();
    let hash = sha256_hex(presented.as_bytes());
    let now = services.clock.now();
    let txn = services.begin_write().await?;
    let token = store::refresh_token_by_hash(&*txn, &hash)
        .await?
        .ok_or_else(Problem::session_ended)?;
    if token.revoked_at.is_some() || token.expires_at <= now {
        return Err(Problem::session_ended());
    }
    let user = store::user(&*txn, token.user_id)
        .await?
        .filter(|u| u.active)
        .ok_or_else(Problem::session_ended)?;
    let successor = services.jwt.successor(presented);
    if store::spend_refresh_token(&*txn, token.id, now).await? {
        let pair = issue_pair_with(services, &*txn, &user, token.family_id, successor, now).await?;
        txn.commit().await?;
        return Ok(pair);
    }
    // Spent already. Read again: a concurrent refresh may have spent it since the first read.
    let spent_at = store::refresh_token_by_hash(&*txn, &hash)
        .await?
        .and_then(|t| t.used_at);
    let next = store::refresh_token_by_hash(&*txn, &sha256_hex(successor.as_bytes())).await?;
    if let (Some(spent_at), Some(next)) = (spent_at, next)
        && now - spent_at <= chrono::Duration::seconds(REFRESH_GRACE_SECONDS)
        && next.family_id == token.family_id
        && next.used_at.is_none()
        && next.revoked_at.is_none()
    {
        txn.commit().await?;
        tracing::info!(family = %token.family_id, "refresh token presented again within the grace: the same pair");
        // The access token issued at the exchange, signed again: the same bytes.
        let access_token =
            services
                .jwt
                .issue(user.id, *user.role, spent_at, Some(token.family_id))?;
        let access_ends = spent_at + services.jwt.access_ttl;
        return Ok(TokenPair {
            access_token,
            token_type: "Bearer",
            expires_in: seconds_until(access_ends, now),
            refresh_token: successor,
            refresh_expires_in: seconds_until(next.expires_at, now),
            password_change_required: user.must_change_password,
        });
    }
    store::revoke_family(&*txn, token.family_id, now).await?;
    txn.commit().await?;
    services.hub.end_sessions([token.family_id]).await;
    tracing::warn!(family = %token.family_id, "refresh token reused: session family revoked");
    Err(Problem::session_ended())
}

/// Whole seconds from `now` to `end`, none when it has passed.
fn seconds_until(end: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    u64::try_from((end - now).num_seconds()).unwrap_or(0)
}

/// Ends the session of a refresh token (its whole family). Signing out twice is fine.
pub async fn logout(services: &Services, refresh_token: &str) -> Outcome<()> {
    let hash = sha256_hex(refresh_token.trim().as_bytes());
    let txn = services.begin_write().await?;
    let token = store::refresh_token_by_hash(&*txn, &hash).await?;
    if let Some(token) = &token {
        store::revoke_family(&*txn, token.family_id, services.clock.now()).await?;
    }
    txn.commit().await?;
    // What the sign-in keeps open ends with it: its live streams.
    services.hub.end_sessions(token.map(|t| t.family_id)).await;
    Ok(())
}

/// The caller's account with where they belong.
pub struct Profile {
    pub user: user::Model,
    pub ward: Option<ward::Model>,
    pub neighborhood: Option<neighborhood::Model>,
    pub department: Option<department::Model>,
}

pub async fn profile(services: &Services, caller: Caller) -> Outcome<Profile> {
    let db = &services.db;
    let user = caller.user;
    Ok(Profile {
        ward: match user.ward_id {
            Some(id) => wards::ward(db, id).await?,
            None => None,
        },
        neighborhood: match user.neighborhood_id {
            Some(id) => wards::neighborhood(db, id).await?,
            None => None,
        },
        department: match user.department_id {
            Some(id) => wards::department(db, id).await?,
            None => None,
        },
        user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::ProblemKind;

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
        let now = Utc::now();
        let token = keys.issue(id, Role::WardLeader, now, None).unwrap();
        assert_eq!(keys.verify(&token).unwrap().sub, id);
        assert!(
            JwtKeys::new(&[8; 32], Duration::from_secs(900))
                .verify(&token)
                .is_err()
        );

        let now = now.timestamp();
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
        assert_eq!(
            keys.verify(&forge(expired)).unwrap_err().kind,
            ProblemKind::TokenExpired
        );
        // The leeway is a few seconds for clocks that differ, not jsonwebtoken's minute.
        let mut just_over = base.clone();
        just_over["exp"] = (now - 2).into();
        assert!(keys.verify(&forge(just_over)).is_ok(), "within the leeway");
        let mut past_leeway = base.clone();
        past_leeway["exp"] = (now - LEEWAY_SECONDS as i64 - 5).into();
        assert_eq!(
            keys.verify(&forge(past_leeway)).unwrap_err().kind,
            ProblemKind::TokenExpired
        );
        assert!(keys.verify(&forge(base.clone())).is_err(), "exp missing");
        let mut string_exp = base.clone();
        string_exp["exp"] = "never".into();
        assert!(
            keys.verify(&forge(string_exp)).unwrap_err().kind == ProblemKind::TokenInvalid,
            "exp of the wrong type"
        );
        let mut other_audience = base;
        other_audience["exp"] = (now + 600).into();
        other_audience["aud"] = "someone-else".into();
        assert_eq!(
            keys.verify(&forge(other_audience)).unwrap_err().kind,
            ProblemKind::TokenInvalid,
            "audience"
        );
    }

    #[test]
    fn a_refresh_tokens_successor_is_the_same_on_every_replica_and_secret_to_others() {
        let keys = JwtKeys::new(&[7; 32], Duration::from_secs(900));
        let replica = JwtKeys::new(&[7; 32], Duration::from_secs(900));
        let token = random_token();
        let next = keys.successor(&token);
        assert_eq!(next, replica.successor(&token));
        assert_eq!(next.len(), token.len(), "256 bits, as a random token");
        assert_ne!(next, keys.successor(&random_token()));
        let stranger = JwtKeys::new(&[8; 32], Duration::from_secs(900));
        assert_ne!(next, stranger.successor(&token));
    }
}
