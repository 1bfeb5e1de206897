//! How the service answers with its own web pages and their files: only its own scripts
//! run on them, and nothing is cached without asking again.

use crate::config::MapTiles;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Only this service's own files run on the page.
const POLICY: &str = "default-src 'self'; img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// An HTML page whose maps may draw the operator's street tiles: images from their origin
/// too, nothing else.
pub fn page_with_tiles(body: &'static str, tiles: Option<&MapTiles>) -> Response {
    let mut response = file(body, "text/html; charset=utf-8");
    if let Some(tiles) = tiles {
        let policy = POLICY.replacen(
            "img-src 'self' data: blob:",
            &format!("img-src 'self' data: blob: {}", tiles.origin()),
            1,
        );
        // The origin was checked when the settings were read: no space, quote or semicolon.
        if let Ok(value) = HeaderValue::from_str(&policy) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    response
}

pub fn file(body: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response()
}
