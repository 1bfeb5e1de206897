//! `Idempotency-Key` on every write: a phone that lost an answer sends the write again with the
//! same key and gets the first answer (status and body, marked `Idempotent-Replayed: true`)
//! instead of a second comment or a 409 for an action already done. Stripe's semantics: keys
//! are per account and kept 24 hours; the same key with another request is a 422 problem; a
//! request arriving while its twin is still running waits for the twin's answer, then gets 409.

use crate::http::auth;
use crate::http::routes;
use crate::http::state::AppState;
use crate::problem::{Problem, ProblemKind};
use crate::services::idempotency::{self as use_case, Start};
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use sos_domain::idempotency::{self, MAX_KEY_CHARS};
use sos_store::idempotency::Answer;
use uuid::Uuid;

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The largest answer kept for replay; the answers to writes are a few kilobytes.
const MAX_KEPT_ANSWER: u64 = 1024 * 1024;

/// Middleware: runs a keyed write once per account and key, and replays its answer.
pub async fn remember(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if request.method().is_safe() {
        return next.run(request).await;
    }
    let Some(key) = request.headers().get(IDEMPOTENCY_KEY) else {
        return next.run(request).await;
    };
    let Some(key) = key.to_str().ok().filter(|k| idempotency::valid_key(k)) else {
        return bad_key().into_response();
    };
    let key = key.to_owned();
    // Keys belong to accounts. A request with no valid token runs as if it had no key: the
    // route refuses it as it always does, and nothing was kept.
    let account = auth::bearer_token(request.headers())
        .and_then(|token| state.services.jwt.verify(token).ok())
        .map(|claims| claims.sub);
    let Some(account) = account else {
        return next.run(request).await;
    };
    let (request, fingerprint) = match fingerprint(request, &state).await {
        Ok(fingerprinted) => fingerprinted,
        Err(problem) => return problem.into_response(),
    };
    let services = &state.services;
    let started = match use_case::start(services, account, &key, &fingerprint).await {
        Ok(Start::InProgress) => {
            use_case::wait_for_twin(services, account, &key, &fingerprint).await
        }
        started => started,
    };
    match started {
        Ok(Start::Run) => run(&state, account, &key, request, next).await,
        Ok(Start::Replay(answer)) => replay(answer),
        Ok(Start::KeyReused) => key_reused().into_response(),
        Ok(Start::InProgress) => in_progress().into_response(),
        Err(error) => Problem::from(error).into_response(),
    }
}

/// Runs the request that holds the key, and keeps its answer when a retry should get it.
async fn run(state: &AppState, account: Uuid, key: &str, request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status().as_u16();
    let size = response.body().size_hint().exact();
    let keep = idempotency::keeps_answer(status) && size.is_some_and(|s| s <= MAX_KEPT_ANSWER);
    if !keep {
        // Not kept (refused before running, failed, or an answer too large to keep): the key
        // is released so that a retry runs afresh.
        if let Err(error) = use_case::finish(&state.services, account, key, None).await {
            tracing::warn!(%error, "could not release an idempotency key");
        }
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match axum::body::to_bytes(body, MAX_KEPT_ANSWER as usize).await {
        Ok(body) => body,
        Err(error) => {
            let _ = use_case::finish(&state.services, account, key, None).await;
            return Problem::internal(anyhow::anyhow!("answer unreadable: {error}"))
                .into_response();
        }
    };
    let header_text = |name: header::HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let answer = Answer {
        status,
        content_type: header_text(header::CONTENT_TYPE),
        location: header_text(header::LOCATION),
        body: body.to_vec(),
    };
    if let Err(error) = use_case::finish(&state.services, account, key, Some(answer)).await {
        // The write is done; only its replay is lost. A retry then runs it again, which the
        // routes that were idempotent before keys (filing, photos, devices) still absorb.
        tracing::warn!(%error, "could not keep the answer of an idempotent write");
    }
    Response::from_parts(parts, Body::from(body))
}

/// The first answer again.
fn replay(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body).into_response();
    let headers = response.headers_mut();
    let text = |value: Option<String>| value.and_then(|v| HeaderValue::from_str(&v).ok());
    if let Some(value) = text(answer.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = text(answer.location) {
        headers.insert(header::LOCATION, value);
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}

/// What stands for a request: its method, route, query and body. An upload
/// (`multipart/form-data`) stands by its length instead of its bytes, because a client
/// chooses a new part boundary each time it sends one; the photos in it are idempotent by
/// their own ids anyway. Other bodies are read here, within the route's limit, and handed on.
async fn fingerprint(request: Request, state: &AppState) -> Result<(Request, String), Problem> {
    let (parts, body) = request.into_parts();
    let mut hash = Sha256::new();
    hash.update(parts.method.as_str());
    hash.update(b"\n");
    hash.update(parts.uri.path());
    hash.update(b"?");
    hash.update(parts.uri.query().unwrap_or(""));
    hash.update(b"\n");
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let body = if content_type.starts_with("multipart/") {
        let length = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        hash.update(b"multipart ");
        hash.update(length);
        body
    } else {
        let limit = parts
            .extensions
            .get::<MatchedPath>()
            .and_then(|path| routes::larger_body_limit(path.as_str()))
            .unwrap_or(state.services.settings.max_body_bytes);
        let bytes: Bytes = axum::body::to_bytes(body, limit)
            .await
            .map_err(|_| too_large(limit))?;
        hash.update(content_type);
        hash.update(b"\n");
        hash.update(&bytes);
        Body::from(bytes)
    };
    Ok((
        Request::from_parts(parts, body),
        hex::encode(hash.finalize()),
    ))
}

fn bad_key() -> Problem {
    Problem::of(
        ProblemKind::BadParameter,
        format!(
            "Idempotency-Key phải gồm 1 đến {MAX_KEY_CHARS} ký tự ASCII in được, không dấu cách."
        ),
        format!(
            "Idempotency-Key must be 1 to {MAX_KEY_CHARS} visible ASCII characters, no spaces."
        ),
    )
}

fn key_reused() -> Problem {
    Problem::of(
        ProblemKind::IdempotencyKeyReused,
        "Idempotency-Key này đã được dùng cho một yêu cầu khác; hãy dùng khóa mới cho mỗi thao tác.",
        "This Idempotency-Key was used for another request; use a new key for each operation.",
    )
}

fn in_progress() -> Problem {
    let mut problem = Problem::of(
        ProblemKind::IdempotencyInProgress,
        "Yêu cầu cùng Idempotency-Key này đang được xử lý; hãy gửi lại sau giây lát.",
        "A request with this Idempotency-Key is still being processed; send it again shortly.",
    );
    problem.retry_after_seconds = Some(1);
    problem
}

fn too_large(limit: usize) -> Problem {
    Problem::of(
        ProblemKind::PayloadTooLarge,
        format!("Nội dung yêu cầu vượt quá {limit} byte."),
        format!("The request body exceeds {limit} bytes."),
    )
}
