//! Problems as HTTP answers: `application/problem+json` (RFC 9457), each kind with its status,
//! in the language of the request. The language and the request id are known to the renderer
//! through a task-local set by [`request_context`], so handlers never pass them around.

use crate::i18n::Lang;
use crate::problem::{Problem, ProblemKind};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sos_domain::taxonomy::Action;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// What the renderer of a response needs to know about the request it answers.
#[derive(Debug, Clone)]
struct RequestContext {
    lang: Lang,
    request_id: String,
}

tokio::task_local! {
    static REQUEST: RequestContext;
}

/// Middleware: makes the request's language and id known to whatever renders its response, and
/// says which language the answer is in (`Content-Language`) and that JSON answers depend on
/// `Accept-Language` (`Vary`), so that a cache never serves one person's language to another.
pub async fn request_context(request: Request, next: Next) -> Response {
    let accept = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let context = RequestContext {
        lang: Lang::negotiate(accept),
        request_id: request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    };
    let lang = context.lang;
    let mut response = REQUEST.scope(context, next.run(request)).await;
    let status = response.status();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_LANGUAGE,
        HeaderValue::from_static(lang.as_str()),
    );
    if speaks(status, headers) {
        vary_by_language(headers);
    }
    response
}

/// Whether an answer carries words in the request's language: JSON (answers, problems) and
/// live events, and a 304 standing for a JSON answer (conditional reads are of JSON only),
/// which repeats the `Vary` of the answer it stands for. Photos, spreadsheets and pages are
/// the same for every language.
fn speaks(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::NOT_MODIFIED
        || headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|media| {
                let media = media.trim();
                media.ends_with("/json") || media.ends_with("+json") || media == "text/event-stream"
            })
}

/// Adds `Accept-Language` to the answer's `Vary`, keeping what it already names (`Origin`…).
fn vary_by_language(headers: &mut HeaderMap) {
    let named: Vec<String> = headers
        .get_all(header::VARY)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect();
    if named
        .iter()
        .any(|name| name == "*" || name.eq_ignore_ascii_case("accept-language"))
    {
        return;
    }
    let mut vary = named.join(", ");
    if !vary.is_empty() {
        vary.push_str(", ");
    }
    vary.push_str("Accept-Language");
    if let Ok(value) = HeaderValue::from_str(&vary) {
        headers.insert(header::VARY, value);
    }
}

/// The language of the request being answered.
pub fn current_lang() -> Lang {
    REQUEST.try_with(|c| c.lang).unwrap_or(Lang::Vi)
}

fn current_request_id() -> Option<String> {
    REQUEST
        .try_with(|c| c.request_id.clone())
        .ok()
        .filter(|id| !id.is_empty())
}

/// The status of each kind of problem.
pub fn status(kind: ProblemKind) -> StatusCode {
    match kind {
        ProblemKind::Validation | ProblemKind::IdempotencyKeyReused => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        ProblemKind::MalformedBody | ProblemKind::BadParameter => StatusCode::BAD_REQUEST,
        ProblemKind::TokenMissing
        | ProblemKind::TokenInvalid
        | ProblemKind::TokenExpired
        | ProblemKind::BadCredentials
        | ProblemKind::SessionEnded => StatusCode::UNAUTHORIZED,
        ProblemKind::Forbidden | ProblemKind::PasswordChangeRequired => StatusCode::FORBIDDEN,
        ProblemKind::NotFound | ProblemKind::RouteNotFound => StatusCode::NOT_FOUND,
        ProblemKind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ProblemKind::TransitionRefused
        | ProblemKind::IdempotencyConflict
        | ProblemKind::IdempotencyInProgress
        | ProblemKind::Stale
        | ProblemKind::Conflict
        | ProblemKind::TooManyPhotos
        | ProblemKind::NoSuggestion
        | ProblemKind::OutsideWard => StatusCode::CONFLICT,
        ProblemKind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ProblemKind::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ProblemKind::UriTooLong => StatusCode::URI_TOO_LONG,
        ProblemKind::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ProblemKind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ProblemKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ProblemKind::AppTooOld => StatusCode::UPGRADE_REQUIRED,
        ProblemKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ProblemKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The `WWW-Authenticate` challenge of a 401 (RFC 9110 §11.6.1, RFC 6750 §3): `Bearer`, with
/// `error="invalid_token"` when the token presented is malformed, not ours or expired, so that
/// clients following RFC 6750 know to get a new one. Other answers have none.
pub fn challenge(kind: ProblemKind) -> Option<&'static str> {
    match kind {
        ProblemKind::TokenMissing | ProblemKind::BadCredentials | ProblemKind::SessionEnded => {
            Some(r#"Bearer realm="sos-khu-pho""#)
        }
        ProblemKind::TokenInvalid => Some(
            r#"Bearer realm="sos-khu-pho", error="invalid_token", error_description="The access token is not valid""#,
        ),
        ProblemKind::TokenExpired => Some(
            r#"Bearer realm="sos-khu-pho", error="invalid_token", error_description="The access token expired""#,
        ),
        _ => None,
    }
}

#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    problem_type: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<ProblemField<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_actions: Option<&'a [Action]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after_seconds: Option<u64>,
}

#[derive(Serialize)]
struct ProblemField<'a> {
    field: &'a str,
    message: &'a str,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let request_id = current_request_id();
        if let Some(source) = &self.source {
            tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), error = ?source, "request failed");
        }
        let lang = current_lang();
        let status = status(self.kind);
        let body = ProblemBody {
            problem_type: self.problem_type(),
            title: self.kind.title(lang),
            status: status.as_u16(),
            detail: self.detail.pick(lang),
            request_id,
            errors: self
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: &e.field,
                    message: e.message.pick(lang),
                })
                .collect(),
            allowed_actions: self.allowed_actions.as_deref(),
            retry_after_seconds: self.retry_after_seconds,
        };
        let mut response = (status, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(challenge) = challenge(self.kind) {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// The problem of a body that could not be read: too slow (see `server`), or cut off.
pub fn unreadable_body(error: &(dyn std::error::Error + 'static)) -> Problem {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<crate::http::server::TooSlow>() {
            return Problem::of(
                ProblemKind::RequestTimeout,
                "Nội dung gửi lên quá chậm; hãy gửi lại khi mạng tốt hơn.",
                "The request body arrived too slowly; send it again on a better connection.",
            );
        }
        cause = error.source();
    }
    Problem::of(
        ProblemKind::MalformedBody,
        "Không đọc được nội dung yêu cầu.",
        "The request body could not be read.",
    )
}
