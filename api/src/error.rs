//! One error type for every handler, rendered as `application/problem+json` (RFC 9457).
//!
//! Messages are written in Vietnamese and English; the language of the request (from
//! `Accept-Language`, Vietnamese by default) is known to the renderer through a task-local set by
//! [`request_context`], so handlers never have to pass it around.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sos_domain::taxonomy::Action;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

/// What the renderer of a response needs to know about the request it answers.
#[derive(Debug, Clone)]
pub struct RequestContext {
    pub lang: Lang,
    pub request_id: String,
}

tokio::task_local! {
    static REQUEST: RequestContext;
}

/// Picks the first of Vietnamese or English that `Accept-Language` names, by preference order.
pub fn negotiate_language(headers: &HeaderMap) -> Lang {
    let Some(value) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Lang::Vi;
    };
    let mut tags: Vec<(f32, &str)> = value
        .split(',')
        .map(|part| {
            let mut pieces = part.trim().split(';');
            let tag = pieces.next().unwrap_or("").trim();
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse().ok())
                .unwrap_or(1.0);
            (q, tag)
        })
        .collect();
    // Stable sort keeps the listed order among equal weights.
    tags.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (_, tag) in tags {
        let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
        match primary.as_str() {
            "vi" => return Lang::Vi,
            "en" => return Lang::En,
            _ => {}
        }
    }
    Lang::Vi
}

/// Middleware: makes the request's language and id known to whatever renders its response.
pub async fn request_context(request: Request, next: Next) -> Response {
    let context = RequestContext {
        lang: negotiate_language(request.headers()),
        request_id: request
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
    };
    let mut response = REQUEST.scope(context.clone(), next.run(request)).await;
    let language = if context.lang == Lang::En { "en" } else { "vi" };
    response
        .headers_mut()
        .insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(language));
    response
}

pub fn current_lang() -> Lang {
    REQUEST.try_with(|c| c.lang).unwrap_or(Lang::Vi)
}

fn current_request_id() -> Option<String> {
    REQUEST
        .try_with(|c| c.request_id.clone())
        .ok()
        .filter(|id| !id.is_empty())
}

/// A message in both languages of the service.
#[derive(Debug, Clone)]
pub struct Text {
    pub vi: String,
    pub en: String,
}

impl Text {
    pub fn new(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Text {
            vi: vi.into(),
            en: en.into(),
        }
    }

    pub fn pick(&self, lang: Lang) -> &str {
        match lang {
            Lang::Vi => &self.vi,
            Lang::En => &self.en,
        }
    }
}

/// A problem with one field of the request, named by a JSON pointer (`/location/lat`).
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub message: Text,
}

impl FieldError {
    pub fn new(field: impl Into<String>, vi: impl Into<String>, en: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: Text::new(vi, en),
        }
    }
}

/// What went wrong, as the client will be told (and the log).
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    /// The last part of the problem type URI, e.g. `validation`.
    pub kind: &'static str,
    pub detail: Text,
    pub errors: Vec<FieldError>,
    pub allowed_actions: Option<Vec<Action>>,
    pub retry_after_seconds: Option<u64>,
    /// What went wrong inside, for the log only: never shown to the client.
    pub source: Option<anyhow::Error>,
}

/// The error of every handler. Boxed: it travels through many `Result`s and should stay small.
#[derive(Debug)]
pub struct ApiError(Box<Problem>);

impl std::ops::Deref for ApiError {
    type Target = Problem;
    fn deref(&self) -> &Problem {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut Problem {
        &mut self.0
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, detail: Text) -> Self {
        ApiError(Box::new(Problem {
            status,
            kind,
            detail,
            errors: Vec::new(),
            allowed_actions: None,
            retry_after_seconds: None,
            source: None,
        }))
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut error = ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            Text::new(
                "Dữ liệu gửi lên chưa hợp lệ, xem chi tiết từng trường.",
                "Some fields are not valid; see the errors of each field.",
            ),
        );
        error.errors = errors;
        error
    }

    pub fn field(field: &str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::validation(vec![FieldError::new(field, vi, en)])
    }

    pub fn bad_request(kind: &'static str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, kind, Text::new(vi, en))
    }

    pub fn unauthorized(vi: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", Text::new(vi, en))
    }

    pub fn forbidden(vi: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", Text::new(vi, en))
    }

    pub fn not_found(vi: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::NOT_FOUND, "not-found", Text::new(vi, en))
    }

    pub fn report_not_found() -> Self {
        ApiError::not_found("Không tìm thấy phản ánh này.", "There is no such report.")
    }

    pub fn conflict(kind: &'static str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        ApiError::new(StatusCode::CONFLICT, kind, Text::new(vi, en))
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut error = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            Text::new(
                "Hệ thống gặp lỗi, vui lòng thử lại sau. Nếu lỗi lặp lại, hãy báo mã yêu cầu cho quản trị viên.",
                "Something went wrong on our side; please try again later. If it keeps happening, give the request id to an administrator.",
            ),
        );
        error.source = Some(source.into());
        error
    }

    pub fn problem_type(&self) -> String {
        format!("urn:sos-khu-pho:problem:{}", self.kind)
    }
}

impl From<sea_orm::DbErr> for ApiError {
    fn from(error: sea_orm::DbErr) -> Self {
        ApiError::internal(error)
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(error: anyhow::Error) -> Self {
        ApiError::internal(error)
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

/// The short title of each problem type, in both languages.
fn title(kind: &str, lang: Lang) -> &'static str {
    let (vi, en) = match kind {
        "validation" => ("Dữ liệu không hợp lệ", "Invalid data"),
        "malformed-body" => ("Nội dung yêu cầu không đọc được", "Malformed request body"),
        "bad-parameter" => ("Tham số không hợp lệ", "Invalid parameter"),
        "unauthorized" => ("Chưa đăng nhập", "Not signed in"),
        "forbidden" => ("Không có quyền", "Not allowed"),
        "not-found" => ("Không tìm thấy", "Not found"),
        "route-not-found" => ("Không có địa chỉ này", "No such route"),
        "method-not-allowed" => ("Phương thức không được hỗ trợ", "Method not allowed"),
        "transition-refused" => (
            "Thao tác không hợp lệ ở trạng thái này",
            "Action not allowed in this state",
        ),
        "idempotency-conflict" => ("Mã phản ánh đã được dùng", "Report id already used"),
        "stale" => (
            "Phản ánh vừa được người khác cập nhật",
            "Report changed meanwhile",
        ),
        "conflict" => ("Xung đột dữ liệu", "Conflict"),
        "payload-too-large" => ("Nội dung quá lớn", "Payload too large"),
        "unsupported-media-type" => ("Định dạng không được hỗ trợ", "Unsupported media type"),
        "rate-limited" => ("Quá nhiều lần thử", "Too many attempts"),
        "unavailable" => ("Dịch vụ tạm thời không sẵn sàng", "Service unavailable"),
        _ => ("Lỗi hệ thống", "Internal error"),
    };
    if lang == Lang::En { en } else { vi }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let request_id = current_request_id();
        if let Some(source) = &self.source {
            tracing::error!(request_id = request_id.as_deref().unwrap_or("-"), error = ?source, "request failed");
        }
        let lang = current_lang();
        let body = ProblemBody {
            problem_type: self.problem_type(),
            title: title(self.kind, lang),
            status: self.status.as_u16(),
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
        let mut response = (self.status, axum::Json(body)).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        if let Some(seconds) = self.retry_after_seconds {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_LANGUAGE, value.parse().unwrap());
        headers
    }

    #[test]
    fn language_follows_preference_and_defaults_to_vietnamese() {
        assert_eq!(negotiate_language(&HeaderMap::new()), Lang::Vi);
        assert_eq!(negotiate_language(&accept("en")), Lang::En);
        assert_eq!(negotiate_language(&accept("en-US,en;q=0.9")), Lang::En);
        assert_eq!(
            negotiate_language(&accept("fr, vi;q=0.5, en;q=0.8")),
            Lang::En
        );
        assert_eq!(negotiate_language(&accept("vi-VN, en;q=0.9")), Lang::Vi);
        assert_eq!(negotiate_language(&accept("de")), Lang::Vi);
    }
}
