//! What went wrong, as a person will be told: the error of every use case and handler.
//!
//! A [`Problem`] has a kind ([`ProblemKind`]: its type URI and title), a message in both
//! languages, and for invalid input the fields at fault. It says nothing of HTTP: the `http`
//! layer gives each kind its status and renders it as `application/problem+json` (RFC 9457).
//! A kind cannot exist without its title and status: both are exhaustive matches.

use crate::i18n::{Lang, Text};
use sos_domain::taxonomy::Action;

/// The kinds of problem, one per problem type of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// Fields of the body or query that are not valid (each named).
    Validation,
    /// A body that cannot be read (not JSON, cut off).
    MalformedBody,
    /// A path or query parameter of the wrong form.
    BadParameter,
    /// No access token: the request has no `Authorization: Bearer …` header.
    TokenMissing,
    /// An access token that is not one of ours: malformed, altered, for another audience.
    TokenInvalid,
    /// An access token past its expiry (and the leeway): refresh it.
    TokenExpired,
    /// A sign-in with a wrong username or password.
    BadCredentials,
    /// The sign-in is over: a refresh token spent, revoked or expired, an account deactivated.
    SessionEnded,
    Forbidden,
    /// The account's password was set by an administrator: it must be changed first.
    PasswordChangeRequired,
    NotFound,
    RouteNotFound,
    MethodNotAllowed,
    /// The report's state does not allow the action.
    TransitionRefused,
    /// A client-chosen id already used for something else.
    IdempotencyConflict,
    /// An `Idempotency-Key` already used for another request.
    IdempotencyKeyReused,
    /// The request an `Idempotency-Key` names is still running.
    IdempotencyInProgress,
    /// Someone changed the report meanwhile.
    Stale,
    Conflict,
    TooManyPhotos,
    /// A photo offers no position to use.
    NoSuggestion,
    /// A position outside the report's ward.
    OutsideWard,
    PayloadTooLarge,
    /// The body arrived too slowly.
    RequestTimeout,
    UriTooLong,
    HeadersTooLarge,
    UnsupportedMediaType,
    RateLimited,
    AppTooOld,
    Unavailable,
    Internal,
}

impl ProblemKind {
    /// The last part of the problem type URI.
    pub fn code(self) -> &'static str {
        match self {
            ProblemKind::Validation => "validation",
            ProblemKind::MalformedBody => "malformed-body",
            ProblemKind::BadParameter => "bad-parameter",
            ProblemKind::TokenMissing => "token-missing",
            ProblemKind::TokenInvalid => "token-invalid",
            ProblemKind::TokenExpired => "token-expired",
            ProblemKind::BadCredentials => "bad-credentials",
            ProblemKind::SessionEnded => "session-ended",
            ProblemKind::Forbidden => "forbidden",
            ProblemKind::PasswordChangeRequired => "password-change-required",
            ProblemKind::NotFound => "not-found",
            ProblemKind::RouteNotFound => "route-not-found",
            ProblemKind::MethodNotAllowed => "method-not-allowed",
            ProblemKind::TransitionRefused => "transition-refused",
            ProblemKind::IdempotencyConflict => "idempotency-conflict",
            ProblemKind::IdempotencyKeyReused => "idempotency-key-reused",
            ProblemKind::IdempotencyInProgress => "idempotency-in-progress",
            ProblemKind::Stale => "stale",
            ProblemKind::Conflict => "conflict",
            ProblemKind::TooManyPhotos => "too-many-photos",
            ProblemKind::NoSuggestion => "no-suggestion",
            ProblemKind::OutsideWard => "outside-ward",
            ProblemKind::PayloadTooLarge => "payload-too-large",
            ProblemKind::RequestTimeout => "request-timeout",
            ProblemKind::UriTooLong => "uri-too-long",
            ProblemKind::HeadersTooLarge => "headers-too-large",
            ProblemKind::UnsupportedMediaType => "unsupported-media-type",
            ProblemKind::RateLimited => "rate-limited",
            ProblemKind::AppTooOld => "app-too-old",
            ProblemKind::Unavailable => "unavailable",
            ProblemKind::Internal => "internal",
        }
    }

    /// The short title of the kind.
    pub fn title(self, lang: Lang) -> &'static str {
        let (vi, en) = match self {
            ProblemKind::Validation => ("Dữ liệu không hợp lệ", "Invalid data"),
            ProblemKind::MalformedBody => {
                ("Nội dung yêu cầu không đọc được", "Malformed request body")
            }
            ProblemKind::BadParameter => ("Tham số không hợp lệ", "Invalid parameter"),
            ProblemKind::TokenMissing => ("Chưa đăng nhập", "Not signed in"),
            ProblemKind::TokenInvalid => ("Mã truy cập không hợp lệ", "Invalid access token"),
            ProblemKind::TokenExpired => ("Mã truy cập đã hết hạn", "Access token expired"),
            ProblemKind::BadCredentials => (
                "Sai tên đăng nhập hoặc mật khẩu",
                "Wrong username or password",
            ),
            ProblemKind::SessionEnded => ("Phiên đăng nhập đã kết thúc", "Session ended"),
            ProblemKind::Forbidden => ("Không có quyền", "Not allowed"),
            ProblemKind::PasswordChangeRequired => ("Cần đổi mật khẩu", "Password change required"),
            ProblemKind::NotFound => ("Không tìm thấy", "Not found"),
            ProblemKind::RouteNotFound => ("Không có địa chỉ này", "No such route"),
            ProblemKind::MethodNotAllowed => {
                ("Phương thức không được hỗ trợ", "Method not allowed")
            }
            ProblemKind::TransitionRefused => (
                "Thao tác không hợp lệ ở trạng thái này",
                "Action not allowed in this state",
            ),
            ProblemKind::IdempotencyConflict => {
                ("Mã phản ánh đã được dùng", "Report id already used")
            }
            ProblemKind::IdempotencyKeyReused => (
                "Idempotency-Key đã dùng cho yêu cầu khác",
                "Idempotency-Key used for another request",
            ),
            ProblemKind::IdempotencyInProgress => {
                ("Yêu cầu đang được xử lý", "Request still in progress")
            }
            ProblemKind::Stale => (
                "Phản ánh vừa được người khác cập nhật",
                "Report changed meanwhile",
            ),
            ProblemKind::Conflict => ("Xung đột dữ liệu", "Conflict"),
            ProblemKind::TooManyPhotos => ("Đã đủ số ảnh cho phép", "Too many photos"),
            ProblemKind::NoSuggestion => ("Không có vị trí để dùng", "No position to use"),
            ProblemKind::OutsideWard => ("Vị trí nằm ngoài phường", "Position outside the ward"),
            ProblemKind::PayloadTooLarge => ("Nội dung quá lớn", "Payload too large"),
            ProblemKind::RequestTimeout => ("Gửi quá chậm", "Request timeout"),
            ProblemKind::UriTooLong => ("Địa chỉ quá dài", "URI too long"),
            ProblemKind::HeadersTooLarge => ("Quá nhiều tiêu đề", "Request headers too large"),
            ProblemKind::UnsupportedMediaType => {
                ("Định dạng không được hỗ trợ", "Unsupported media type")
            }
            ProblemKind::RateLimited => ("Quá nhiều lần thử", "Too many attempts"),
            ProblemKind::AppTooOld => ("Ứng dụng cần được cập nhật", "The app must be updated"),
            ProblemKind::Unavailable => ("Dịch vụ tạm thời không sẵn sàng", "Service unavailable"),
            ProblemKind::Internal => ("Lỗi hệ thống", "Internal error"),
        };
        if lang == Lang::En { en } else { vi }
    }

    pub const ALL: [ProblemKind; 31] = [
        ProblemKind::Validation,
        ProblemKind::MalformedBody,
        ProblemKind::BadParameter,
        ProblemKind::TokenMissing,
        ProblemKind::TokenInvalid,
        ProblemKind::TokenExpired,
        ProblemKind::BadCredentials,
        ProblemKind::SessionEnded,
        ProblemKind::Forbidden,
        ProblemKind::PasswordChangeRequired,
        ProblemKind::NotFound,
        ProblemKind::RouteNotFound,
        ProblemKind::MethodNotAllowed,
        ProblemKind::TransitionRefused,
        ProblemKind::IdempotencyConflict,
        ProblemKind::IdempotencyKeyReused,
        ProblemKind::IdempotencyInProgress,
        ProblemKind::Stale,
        ProblemKind::Conflict,
        ProblemKind::TooManyPhotos,
        ProblemKind::NoSuggestion,
        ProblemKind::OutsideWard,
        ProblemKind::PayloadTooLarge,
        ProblemKind::RequestTimeout,
        ProblemKind::UriTooLong,
        ProblemKind::HeadersTooLarge,
        ProblemKind::UnsupportedMediaType,
        ProblemKind::RateLimited,
        ProblemKind::AppTooOld,
        ProblemKind::Unavailable,
        ProblemKind::Internal,
    ];
}

/// A problem with one field of the request, named by a JSON pointer (`/location/lat`) or the
/// name of a query parameter.
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

/// What went wrong.
#[derive(Debug)]
pub struct Details {
    pub kind: ProblemKind,
    pub detail: Text,
    pub errors: Vec<FieldError>,
    /// For a refused transition: what the person may do instead.
    pub allowed_actions: Option<Vec<Action>>,
    pub retry_after_seconds: Option<u64>,
    /// What went wrong inside, for the log only: never shown to the client.
    pub source: Option<anyhow::Error>,
}

/// The error of every use case. Boxed: it travels through many `Result`s and should stay
/// small.
#[derive(Debug)]
pub struct Problem(Box<Details>);

pub type Outcome<T> = Result<T, Problem>;

impl std::ops::Deref for Problem {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for Problem {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

impl Problem {
    pub fn new(kind: ProblemKind, detail: Text) -> Self {
        Problem(Box::new(Details {
            kind,
            detail,
            errors: Vec::new(),
            allowed_actions: None,
            retry_after_seconds: None,
            source: None,
        }))
    }

    pub fn of(kind: ProblemKind, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Problem::new(kind, Text::new(vi, en))
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut problem = Problem::of(
            ProblemKind::Validation,
            "Dữ liệu gửi lên chưa hợp lệ, xem chi tiết từng trường.",
            "Some fields are not valid; see the errors of each field.",
        );
        problem.errors = errors;
        problem
    }

    /// The problem in English words, each invalid field on its own line: for the command line.
    pub fn describe(&self) -> String {
        let mut text = self.detail.en.clone();
        for error in &self.errors {
            text.push_str(&format!("\n  {}: {}", error.field, error.message.en));
        }
        text
    }

    /// One invalid field.
    pub fn field(field: &str, vi: impl Into<String>, en: impl Into<String>) -> Self {
        Problem::validation(vec![FieldError::new(field, vi, en)])
    }

    /// Valid unless `errors` holds something.
    pub fn check(errors: Vec<FieldError>) -> Outcome<()> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Problem::validation(errors))
        }
    }

    /// A request without an access token.
    pub fn token_missing() -> Self {
        Problem::of(
            ProblemKind::TokenMissing,
            "Cần đăng nhập: thiếu mã truy cập (Authorization: Bearer ...).",
            "Sign in first: the Authorization: Bearer header is missing.",
        )
    }

    /// An access token that is not one the service issued, or was altered.
    pub fn token_invalid() -> Self {
        Problem::of(
            ProblemKind::TokenInvalid,
            "Mã truy cập không hợp lệ, hãy đăng nhập lại.",
            "The access token is not valid; sign in again.",
        )
    }

    /// An access token past its expiry: the app refreshes it (`POST /v1/auth/refresh`).
    pub fn token_expired() -> Self {
        Problem::of(
            ProblemKind::TokenExpired,
            "Mã truy cập đã hết hạn, hãy làm mới phiên (POST /v1/auth/refresh).",
            "The access token has expired; refresh it (POST /v1/auth/refresh).",
        )
    }

    /// A wrong username or password: the same answer for both, so that it does not tell
    /// which accounts exist.
    pub fn bad_credentials() -> Self {
        Problem::of(
            ProblemKind::BadCredentials,
            "Tên đăng nhập hoặc mật khẩu không đúng.",
            "Wrong username or password.",
        )
    }

    /// A sign-in that is over: the person must sign in again.
    pub fn session_ended() -> Self {
        Problem::of(
            ProblemKind::SessionEnded,
            "Phiên đăng nhập đã kết thúc (hết hạn, đã đăng xuất hoặc bị thu hồi), hãy đăng nhập lại.",
            "The session has ended (expired, signed out or revoked); sign in again.",
        )
    }

    pub fn forbidden(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Problem::of(ProblemKind::Forbidden, vi, en)
    }

    pub fn not_found(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Problem::of(ProblemKind::NotFound, vi, en)
    }

    pub fn report_not_found() -> Self {
        Problem::not_found("Không tìm thấy phản ánh này.", "There is no such report.")
    }

    pub fn conflict(vi: impl Into<String>, en: impl Into<String>) -> Self {
        Problem::of(ProblemKind::Conflict, vi, en)
    }

    pub fn internal(source: impl Into<anyhow::Error>) -> Self {
        let mut problem = Problem::of(
            ProblemKind::Internal,
            "Hệ thống gặp lỗi, vui lòng thử lại sau. Nếu lỗi lặp lại, hãy báo mã yêu cầu cho quản trị viên.",
            "Something went wrong on our side; please try again later. If it keeps happening, give the request id to an administrator.",
        );
        problem.source = Some(source.into());
        problem
    }

    /// The problem type URI.
    pub fn problem_type(&self) -> String {
        format!("urn:sos-khu-pho:problem:{}", self.kind.code())
    }
}

impl From<sos_store::DbErr> for Problem {
    fn from(error: sos_store::DbErr) -> Self {
        Problem::internal(error)
    }
}

impl From<anyhow::Error> for Problem {
    fn from(error: anyhow::Error) -> Self {
        Problem::internal(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_code_and_a_title_in_both_languages() {
        let mut codes: Vec<&str> = ProblemKind::ALL.iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), ProblemKind::ALL.len());
        for kind in ProblemKind::ALL {
            assert!(!kind.title(Lang::Vi).is_empty() && !kind.title(Lang::En).is_empty());
            if kind != ProblemKind::Internal {
                assert_ne!(kind.title(Lang::En), "Internal error", "{kind:?}");
            }
        }
    }
}
