//! Mobile push: a short message in Vietnamese to each phone of a user who got an inbox entry.
//!
//! The outbox sends them through a [`PushProvider`]: Firebase Cloud Messaging (HTTP v1) when
//! `FCM_SERVICE_ACCOUNT` names a service-account key file, otherwise a folder under
//! `SOS_DATA_DIR/push` where each message is written as JSON (the embedded default, like mail).
//!
//! FCM wants an OAuth2 access token: the service signs a JWT with the account's key
//! (jsonwebtoken, RS256), trades it at the account's `token_uri` and keeps the token until a
//! minute before it expires. A token FCM reports as `UNREGISTERED` or `INVALID_ARGUMENT` (the
//! errors its documentation names for a token to forget) makes the device be removed.

use crate::clock::Clock;
use crate::config::Settings;
use anyhow::Context;
use futures_util::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a phone shows, and the data the app opens the report with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushMessage {
    pub title: String,
    pub body: String,
    /// FCM data values are strings.
    pub data: BTreeMap<String, String>,
}

/// Why a push was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// The token is no longer valid: the device is to be forgotten, not tried again.
    Unregistered(String),
    /// Worth trying again later.
    Failed(String),
}

/// Sends one message to one device token.
pub trait PushProvider: Send + Sync {
    fn send<'a>(
        &'a self,
        device_token: &'a str,
        message: &'a PushMessage,
        key: uuid::Uuid,
    ) -> BoxFuture<'a, Result<(), PushError>>;
}

/// The provider the settings choose.
pub fn from_settings(settings: &Settings, clock: Clock) -> anyhow::Result<Arc<dyn PushProvider>> {
    match &settings.fcm_service_account {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read FCM_SERVICE_ACCOUNT {}", path.display()))?;
            Ok(Arc::new(Fcm::new(&text, &settings.fcm_endpoint, clock)?))
        }
        None => {
            let folder = settings.data_dir.join("push");
            std::fs::create_dir_all(&folder)
                .with_context(|| format!("cannot create {}", folder.display()))?;
            Ok(Arc::new(PushFolder(folder)))
        }
    }
}

/// Writes each message to a folder instead of sending it: `{key}.json`, so a repeated
/// attempt overwrites the same file.
pub struct PushFolder(PathBuf);

impl PushProvider for PushFolder {
    fn send<'a>(
        &'a self,
        device_token: &'a str,
        message: &'a PushMessage,
        key: uuid::Uuid,
    ) -> BoxFuture<'a, Result<(), PushError>> {
        Box::pin(async move {
            let record = serde_json::json!({ "token": device_token, "message": message });
            tokio::fs::write(self.0.join(format!("{key}.json")), record.to_string())
                .await
                .map_err(|e| PushError::Failed(format!("push folder: {e}")))
        })
    }
}

/// The fields of a Google service-account key file that signing in needs.
#[derive(Deserialize)]
struct ServiceAccount {
    project_id: String,
    client_email: String,
    private_key: String,
    private_key_id: Option<String>,
    token_uri: String,
}

/// The scope that lets a token send FCM messages.
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// How long a signed assertion is valid (Google accepts at most an hour).
const ASSERTION_LIFETIME: i64 = 3600;
/// A cached access token is renewed this long before it expires.
const RENEW_MARGIN: Duration = Duration::from_secs(60);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

struct AccessToken {
    value: String,
    renew_at: Instant,
}

/// Firebase Cloud Messaging, HTTP v1 API.
pub struct Fcm {
    account: ServiceAccount,
    key: EncodingKey,
    send_url: String,
    client: reqwest::Client,
    token: tokio::sync::Mutex<Option<AccessToken>>,
    /// The time assertions are signed at.
    clock: Clock,
}

#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: u64,
}

impl Fcm {
    /// From a service-account key file's text; `endpoint` is FCM's base URL.
    pub fn new(key_file: &str, endpoint: &str, clock: Clock) -> anyhow::Result<Fcm> {
        let account: ServiceAccount =
            serde_json::from_str(key_file).context("not a service-account key file")?;
        let key = EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .context("the service account's private_key is not an RSA key")?;
        let send_url = format!(
            "{}/v1/projects/{}/messages:send",
            endpoint.trim_end_matches('/'),
            account.project_id
        );
        Ok(Fcm {
            account,
            key,
            send_url,
            client: reqwest::Client::builder()
                .timeout(REQUEST_TIMEOUT)
                .build()?,
            token: tokio::sync::Mutex::new(None),
            clock,
        })
    }

    /// A valid access token: the cached one, or a new one.
    async fn access_token(&self) -> Result<String, PushError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.value.clone());
        }
        let now = self.clock.now().timestamp();
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.account.private_key_id.clone();
        let assertion = jsonwebtoken::encode(
            &header,
            &Assertion {
                iss: &self.account.client_email,
                scope: SCOPE,
                aud: &self.account.token_uri,
                iat: now,
                exp: now + ASSERTION_LIFETIME,
            },
            &self.key,
        )
        .map_err(|e| PushError::Failed(format!("cannot sign the assertion: {e}")))?;
        let response = self
            .client
            .post(&self.account.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|e| PushError::Failed(format!("cannot reach the token server: {e}")))?;
        if !response.status().is_success() {
            return Err(PushError::Failed(format!(
                "the token server answered {}",
                response.status()
            )));
        }
        let token: TokenResponse = response
            .json()
            .await
            .map_err(|e| PushError::Failed(format!("unreadable token response: {e}")))?;
        let lifetime = Duration::from_secs(token.expires_in).saturating_sub(RENEW_MARGIN);
        *cached = Some(AccessToken {
            value: token.access_token.clone(),
            renew_at: Instant::now() + lifetime,
        });
        Ok(token.access_token)
    }

    /// The message as FCM's `messages:send` takes it.
    fn body(device_token: &str, message: &PushMessage) -> serde_json::Value {
        serde_json::json!({
            "message": {
                "token": device_token,
                "notification": { "title": message.title, "body": message.body },
                "data": message.data,
                "android": { "priority": "HIGH" },
                "apns": { "headers": { "apns-priority": "10" } },
            }
        })
    }
}

/// FCM's error body: `error.status`, and an `FcmError` detail with its `errorCode`.
fn fcm_error_code(body: &serde_json::Value) -> Option<&str> {
    let error = body.get("error")?;
    error
        .get("details")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter(|d| {
            d.get("@type").and_then(|t| t.as_str())
                == Some("type.googleapis.com/google.firebase.fcm.v1.FcmError")
        })
        .find_map(|d| d.get("errorCode")?.as_str())
        .or_else(|| error.get("status")?.as_str())
}

impl PushProvider for Fcm {
    fn send<'a>(
        &'a self,
        device_token: &'a str,
        message: &'a PushMessage,
        _key: uuid::Uuid,
    ) -> BoxFuture<'a, Result<(), PushError>> {
        Box::pin(async move {
            let token = self.access_token().await?;
            let response = self
                .client
                .post(&self.send_url)
                .bearer_auth(token)
                .json(&Fcm::body(device_token, message))
                .send()
                .await
                .map_err(|e| PushError::Failed(format!("cannot reach FCM: {e}")))?;
            let status = response.status();
            if status.is_success() {
                return Ok(());
            }
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let code = fcm_error_code(&body).unwrap_or("").to_owned();
            match code.as_str() {
                "UNREGISTERED" | "INVALID_ARGUMENT" => Err(PushError::Unregistered(format!(
                    "FCM answered {status} {code}: the token is no longer valid"
                ))),
                _ => {
                    if status == reqwest::StatusCode::UNAUTHORIZED {
                        // The token was revoked early: sign in again next time.
                        *self.token.lock().await = None;
                    }
                    Err(PushError::Failed(format!("FCM answered {status} {code}")))
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fcm_errors_are_read_from_their_details() {
        let unregistered = serde_json::json!({ "error": {
            "code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found.",
            "details": [{
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": "UNREGISTERED"
            }]
        }});
        assert_eq!(fcm_error_code(&unregistered), Some("UNREGISTERED"));
        let quota = serde_json::json!({ "error": { "code": 429, "status": "RESOURCE_EXHAUSTED" } });
        assert_eq!(fcm_error_code(&quota), Some("RESOURCE_EXHAUSTED"));
        assert_eq!(fcm_error_code(&serde_json::json!({})), None);
    }
}
