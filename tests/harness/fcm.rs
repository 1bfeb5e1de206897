//! A stand-in for Google's OAuth2 token server and Firebase Cloud Messaging's HTTP v1 API on
//! loopback. It checks each request as Google's documentation describes it (the signed
//! service-account assertion, the bearer token, the shape of `messages:send`) and answers as
//! Google does, including `UNREGISTERED` for tokens it is told are gone. Anything it would
//! refuse is recorded in `problems`, which a test expects to stay empty.

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

pub const PROJECT: &str = "sos-khu-pho-test";
pub const CLIENT_EMAIL: &str = "push@sos-khu-pho-test.iam.gserviceaccount.com";
const KEY_ID: &str = "test-key-1";
const PRIVATE_KEY: &str = include_str!("fixtures/fcm-test-key.pem");
const PUBLIC_KEY: &str = include_str!("fixtures/fcm-test-key.pub.pem");

#[derive(Default)]
struct Recorded {
    /// Access tokens issued, in order.
    issued: Vec<String>,
    /// Accepted messages: the `message` object of each.
    messages: Vec<Value>,
    problems: Vec<String>,
    unregistered: HashSet<String>,
}

#[derive(Clone)]
pub struct FakeFcm {
    pub url: String,
    recorded: Arc<Mutex<Recorded>>,
}

#[derive(Clone)]
struct Shared {
    token_uri: String,
    recorded: Arc<Mutex<Recorded>>,
}

impl FakeFcm {
    pub async fn start() -> FakeFcm {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let recorded = Arc::new(Mutex::new(Recorded::default()));
        let shared = Shared {
            token_uri: format!("{url}/token"),
            recorded: recorded.clone(),
        };
        let app = Router::new()
            .route("/token", post(token))
            .route("/v1/projects/{project}/messages:send", post(send))
            .with_state(shared);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FakeFcm { url, recorded }
    }

    /// A service-account key file as Google issues it, pointing at this server.
    pub fn service_account(&self) -> String {
        json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": KEY_ID,
            "private_key": PRIVATE_KEY,
            "client_email": CLIENT_EMAIL,
            "client_id": "100000000000000000001",
            "token_uri": format!("{}/token", self.url),
        })
        .to_string()
    }

    /// From now on, FCM answers `UNREGISTERED` for this token.
    pub fn unregister(&self, token: &str) {
        self.recorded
            .lock()
            .unwrap()
            .unregistered
            .insert(token.to_owned());
    }

    pub fn messages(&self) -> Vec<Value> {
        self.recorded.lock().unwrap().messages.clone()
    }

    pub fn messages_to(&self, token: &str) -> Vec<Value> {
        self.messages()
            .into_iter()
            .filter(|m| m["token"] == token)
            .collect()
    }

    pub fn tokens_issued(&self) -> usize {
        self.recorded.lock().unwrap().issued.len()
    }

    pub fn problems(&self) -> Vec<String> {
        self.recorded.lock().unwrap().problems.clone()
    }
}

fn refuse(shared: &Shared, status: StatusCode, problem: String) -> Response {
    shared
        .recorded
        .lock()
        .unwrap()
        .problems
        .push(problem.clone());
    (
        status,
        axum::Json(json!({ "error": { "code": status.as_u16(), "message": problem, "status": "INVALID_ARGUMENT" } })),
    )
        .into_response()
}

/// Google's token endpoint for the JWT bearer grant (RFC 7523).
async fn token(
    State(shared): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("grant_type").map(String::as_str)
        != Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
    {
        return refuse(
            &shared,
            StatusCode::BAD_REQUEST,
            format!("grant_type: {form:?}"),
        );
    }
    let Some(assertion) = form.get("assertion") else {
        return refuse(&shared, StatusCode::BAD_REQUEST, "no assertion".into());
    };
    let header = match jsonwebtoken::decode_header(assertion) {
        Ok(header) => header,
        Err(e) => return refuse(&shared, StatusCode::BAD_REQUEST, format!("header: {e}")),
    };
    if header.alg != Algorithm::RS256 || header.kid.as_deref() != Some(KEY_ID) {
        return refuse(
            &shared,
            StatusCode::BAD_REQUEST,
            format!("header: {header:?}"),
        );
    }
    let mut validation = Validation::new(Algorithm::RS256);
    validation.set_audience(&[shared.token_uri.as_str()]);
    validation.set_issuer(&[CLIENT_EMAIL]);
    validation.set_required_spec_claims(&["exp", "iat", "iss", "aud"]);
    let key = DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).unwrap();
    let claims = match jsonwebtoken::decode::<Value>(assertion, &key, &validation) {
        Ok(data) => data.claims,
        Err(e) => return refuse(&shared, StatusCode::BAD_REQUEST, format!("assertion: {e}")),
    };
    let now = chrono::Utc::now().timestamp();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap_or(0),
        claims["exp"].as_i64().unwrap_or(0),
    );
    if claims["scope"] != "https://www.googleapis.com/auth/firebase.messaging"
        || (iat - now).abs() > 60
        || exp - iat > 3600
    {
        return refuse(
            &shared,
            StatusCode::BAD_REQUEST,
            format!("claims: {claims}"),
        );
    }
    let mut recorded = shared.recorded.lock().unwrap();
    let access_token = format!("ya29.test-{}", recorded.issued.len() + 1);
    recorded.issued.push(access_token.clone());
    axum::Json(json!({ "access_token": access_token, "expires_in": 3599, "token_type": "Bearer" }))
        .into_response()
}

/// Checks a `message` against the v1 API's `Message` resource for what the service sends.
fn check_message(message: &Value) -> Result<&str, String> {
    let object = message.as_object().ok_or("message is not an object")?;
    for key in object.keys() {
        if !["token", "notification", "data", "android", "apns"].contains(&key.as_str()) {
            return Err(format!("unexpected message field {key}"));
        }
    }
    let token = message["token"].as_str().ok_or("no token")?;
    let notification = &message["notification"];
    if !notification["title"].is_string() || !notification["body"].is_string() {
        return Err(format!("notification: {notification}"));
    }
    let data = message["data"].as_object().ok_or("data is not a map")?;
    if let Some((key, _)) = data.iter().find(|(_, v)| !v.is_string()) {
        return Err(format!("data value {key} is not a string"));
    }
    if !["NORMAL", "HIGH"].contains(&message["android"]["priority"].as_str().unwrap_or("")) {
        return Err(format!("android: {}", message["android"]));
    }
    Ok(token)
}

/// `POST /v1/projects/{project}/messages:send`.
async fn send(
    State(shared): State<Shared>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if project != PROJECT {
        return refuse(&shared, StatusCode::NOT_FOUND, format!("project {project}"));
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let known = bearer
        .as_ref()
        .is_some_and(|b| shared.recorded.lock().unwrap().issued.contains(b));
    if !known {
        return refuse(
            &shared,
            StatusCode::UNAUTHORIZED,
            format!("bearer {bearer:?}"),
        );
    }
    if headers.get("content-type").and_then(|v| v.to_str().ok()) != Some("application/json") {
        return refuse(&shared, StatusCode::BAD_REQUEST, "content type".into());
    }
    let request: Value = match serde_json::from_str(&body) {
        Ok(value) => value,
        Err(e) => return refuse(&shared, StatusCode::BAD_REQUEST, format!("body: {e}")),
    };
    if request.as_object().map(|o| o.len()) != Some(1) {
        return refuse(
            &shared,
            StatusCode::BAD_REQUEST,
            format!("request: {request}"),
        );
    }
    let message = &request["message"];
    let token = match check_message(message) {
        Ok(token) => token.to_owned(),
        Err(problem) => return refuse(&shared, StatusCode::BAD_REQUEST, problem),
    };
    let mut recorded = shared.recorded.lock().unwrap();
    if recorded.unregistered.contains(&token) {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({ "error": {
                "code": 404,
                "message": "Requested entity was not found.",
                "status": "NOT_FOUND",
                "details": [{
                    "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                    "errorCode": "UNREGISTERED"
                }]
            }})),
        )
            .into_response();
    }
    recorded.messages.push(message.clone());
    let name = format!("projects/{PROJECT}/messages/{}", recorded.messages.len());
    axum::Json(json!({ "name": name })).into_response()
}
