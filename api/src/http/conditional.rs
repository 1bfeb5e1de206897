//! Conditional reads: the lists and the report a phone reloads often carry an `ETag` (a hash
//! of the answer), and a reload sending it back in `If-None-Match` gets `304 Not Modified`
//! with no body when nothing changed, which saves the phone's data plan, not the server's work.

use axum::body::{Body, HttpBody};
use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The routes whose answers carry an `ETag` (`openapi.yaml` documents their 304).
pub const ROUTES: [&str; 4] = [
    "/v1/reports",
    "/v1/reports/{id}",
    "/v1/notifications",
    "/v1/taxonomy",
];

/// Answers larger than this are sent without a tag rather than held to hash.
const MAX_TAGGED_BYTES: u64 = 8 * 1024 * 1024;

/// Middleware: tags the answers of [`ROUTES`] and answers 304 when the client has them.
pub async fn tag(request: Request, next: Next) -> Response {
    let tagged = request.method() == Method::GET
        && request
            .extensions()
            .get::<MatchedPath>()
            .is_some_and(|path| ROUTES.contains(&path.as_str()));
    if !tagged {
        return next.run(request).await;
    }
    let known = request
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let response = next.run(request).await;
    let size = response.body().size_hint().exact();
    if response.status() != StatusCode::OK || size.is_none_or(|s| s > MAX_TAGGED_BYTES) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_TAGGED_BYTES as usize).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let etag = entity_tag(&bytes);
    let Ok(value) = HeaderValue::from_str(&etag) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    // Personal answers: a shared cache must not keep them, a phone must ask again each time.
    parts.headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    parts.headers.insert(header::ETAG, value);
    if known.is_some_and(|known| matches(&known, &etag)) {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_TYPE);
        parts.headers.remove(header::CONTENT_LENGTH);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// A strong tag of an answer's bytes: the same bytes, the same tag, on any replica.
fn entity_tag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let short = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..18]);
    format!("\"{short}\"")
}

/// Whether an `If-None-Match` value names `etag` (RFC 9110 §13.1.2: weak comparison, `*`).
fn matches(if_none_match: &str, etag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|candidate| {
        candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_names_its_bytes_and_is_found_in_a_list() {
        let tag = entity_tag(b"{\"items\":[]}");
        assert_eq!(tag, entity_tag(b"{\"items\":[]}"));
        assert_ne!(tag, entity_tag(b"{\"items\":[1]}"));
        assert!(matches(&tag, &tag));
        assert!(matches(&format!("\"x\", W/{tag}"), &tag));
        assert!(matches("*", &tag));
        assert!(!matches("\"x\"", &tag));
    }
}
