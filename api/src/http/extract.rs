//! Extractors whose rejections are problems a person can act on, in the request's language,
//! instead of axum's plain-text defaults.

use crate::http::query;
use crate::problem::{FieldError, Problem, ProblemKind};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::{StatusCode, header, request::Parts};
use serde::de::DeserializeOwned;

/// A JSON body: 415 when it is not JSON, 413 when too large, 400 when it is not valid JSON,
/// 422 naming the field when a value has the wrong type or a field is missing or unknown.
pub struct Json<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Json<T> {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json"
                    || (mime.starts_with("application/") && mime.ends_with("+json"))
            })
            .unwrap_or(false);
        if !is_json {
            return Err(Problem::of(
                ProblemKind::UnsupportedMediaType,
                "Nội dung phải là JSON (Content-Type: application/json).",
                "The body must be JSON (Content-Type: application/json).",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(Json)
    }
}

/// A body of any type, read whole: 413 as a problem when larger than the route's limit.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        Bytes::from_request(request, state)
            .await
            .map(Body)
            .map_err(body_rejection)
    }
}

fn body_rejection(rejection: BytesRejection) -> Problem {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::of(
            ProblemKind::PayloadTooLarge,
            "Nội dung gửi lên quá lớn.",
            "The request body is too large.",
        )
    } else {
        crate::http::error::unreadable_body(&rejection)
    }
}

/// Parses JSON, telling syntax errors (400) from values that do not fit (422 with the field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let inner = error.inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = pointer(&error.path().to_string());
                let message = inner.to_string();
                // serde's message ends with " at line L column C"; the pointer says where already.
                let message = message
                    .split(" at line ")
                    .next()
                    .unwrap_or(&message)
                    .to_owned();
                Problem::validation(vec![FieldError::new(
                    field,
                    format!("Giá trị không hợp lệ: {message}"),
                    format!("Invalid value: {message}"),
                )])
            }
            _ => Problem::of(
                ProblemKind::MalformedBody,
                format!(
                    "JSON không hợp lệ (dòng {}, cột {}).",
                    inner.line(),
                    inner.column()
                ),
                format!(
                    "Malformed JSON (line {}, column {}).",
                    inner.line(),
                    inner.column()
                ),
            ),
        }
    })?;
    // Anything after the value (`{...} x`) is as malformed as a broken value.
    deserializer.end().map_err(|e| {
        Problem::of(
            ProblemKind::MalformedBody,
            format!("JSON không hợp lệ (dòng {}, cột {}).", e.line(), e.column()),
            format!("Malformed JSON (line {}, column {}).", e.line(), e.column()),
        )
    })?;
    Ok(value)
}

/// Turns serde_path_to_error's `location.lat` / `items[2]` into a JSON pointer.
fn pointer(path: &str) -> String {
    if path == "." || path.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for part in path.split('.') {
        let mut rest = part;
        while let Some(start) = rest.find('[') {
            let (name, index) = rest.split_at(start);
            if !name.is_empty() {
                out.push('/');
                out.push_str(name);
            }
            let end = index.find(']').unwrap_or(index.len());
            out.push('/');
            out.push_str(&index[1..end]);
            rest = index.get(end + 1..).unwrap_or("");
        }
        if !rest.is_empty() {
            out.push('/');
            out.push_str(rest);
        }
    }
    out
}

/// Path parameters; a malformed one (not a UUID, not a known code) is a 400 problem.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|rejection| {
                let reason = rejection.body_text();
                Problem::of(
                    ProblemKind::BadParameter,
                    format!("Tham số trong đường dẫn không hợp lệ: {reason}"),
                    format!("Invalid path parameter: {reason}"),
                )
            })
    }
}

/// Query parameters: those the route does not take ([`crate::http::query::TABLE`]) are a 400
/// problem that names them; so is one given twice.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        let route = parts
            .extensions
            .get::<MatchedPath>()
            .map_or("", MatchedPath::as_str);
        let allowed = query::allowed(parts.method.as_str(), route).ok_or_else(|| {
            Problem::internal(anyhow::anyhow!(
                "{} {route} reads query parameters but http::query::TABLE does not list it",
                parts.method
            ))
        })?;
        let query = parts.uri.query().unwrap_or_default();
        query::check(query, allowed)?;
        serde_urlencoded_from_str(query).map(Query)
    }
}

fn serde_urlencoded_from_str<T: DeserializeOwned>(query: &str) -> Result<T, Problem> {
    let deserializer =
        serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        let reason = error.inner().to_string();
        Problem::of(
            ProblemKind::BadParameter,
            format!("Tham số truy vấn `{field}` không hợp lệ: {reason}"),
            format!("Query parameter `{field}` is not valid: {reason}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_json_pointers() {
        assert_eq!(pointer("location.lat"), "/location/lat");
        assert_eq!(pointer("items[2].code"), "/items/2/code");
        assert_eq!(pointer("."), "");
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        description: String,
        rating: Option<u8>,
    }

    #[test]
    fn wrong_types_are_422_with_the_field_and_bad_syntax_is_400() {
        let status = |problem: Problem| crate::http::error::status(problem.kind);
        let wrong = parse_json::<Body>(br#"{"description": 5}"#).unwrap_err();
        assert_eq!(wrong.errors[0].field, "/description");
        assert_eq!(status(wrong), StatusCode::UNPROCESSABLE_ENTITY);
        let missing = parse_json::<Body>(br#"{}"#).unwrap_err();
        assert_eq!(status(missing), StatusCode::UNPROCESSABLE_ENTITY);
        let syntax = parse_json::<Body>(br#"{"description": "#).unwrap_err();
        assert_eq!(status(syntax), StatusCode::BAD_REQUEST);
        let trailing = parse_json::<Body>(br#"{"description": "a"} x"#).unwrap_err();
        assert_eq!(status(trailing), StatusCode::BAD_REQUEST);
    }
}

/// Tells an absent field (`None`, with `#[serde(default)]`) from an explicit `null`
/// (`Some(None)`) in a body that changes a resource.
pub mod double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
        d: D,
    ) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}
