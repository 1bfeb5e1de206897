//! What the phone app must respect: the limits the service enforces, readable before signing
//! in so the app can check a photo or a text before sending it, and the oldest app version
//! still served (`SOS_MIN_APP_VERSION`), which every response repeats so an app learns it is
//! too old from any answer.

use crate::http::state::AppState;
use crate::problem::{Problem, ProblemKind};
use crate::services::reports::filing::{MAX_ADDRESS_CHARS, MAX_DESCRIPTION_CHARS};
use axum::Json;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sos_domain::command::{MAX_REASON_CHARS, MAX_TEXT_CHARS};
use sos_domain::photos::{MAX_PHOTOS_PER_KIND, MAX_PIXELS};

/// The request header in which an app names its version.
pub const APP_VERSION: &str = "x-app-version";
/// The response header naming the oldest version served.
pub const MIN_APP_VERSION: &str = "x-min-app-version";

pub async fn settings(State(state): State<AppState>) -> Json<Value> {
    let settings = &state.services.settings;
    Json(json!({
        "min_app_version": settings.min_app_version.as_ref().map(ToString::to_string),
        "map": settings.map_tiles.as_ref().map(|tiles| json!({
            "tile_url": tiles.url,
            "attribution": tiles.attribution,
        })),
        "limits": {
            "photo_max_bytes": settings.max_photo_bytes,
            "photo_max_pixels": MAX_PIXELS,
            "photos_per_kind": MAX_PHOTOS_PER_KIND,
            "photo_types": ["image/jpeg", "image/png", "image/webp"],
            "description_max_chars": MAX_DESCRIPTION_CHARS,
            "address_max_chars": MAX_ADDRESS_CHARS,
            "comment_max_chars": MAX_TEXT_CHARS,
            "reason_max_chars": MAX_REASON_CHARS,
            "body_max_bytes": settings.max_body_bytes,
            "writes_per_minute": settings.writes_per_minute,
        },
    }))
}

/// Refuses an app older than the minimum (or naming its version unreadably) with 426, and
/// tells every client the minimum. Requests without `X-App-Version` (the dashboard, scripts,
/// outside systems) are served.
pub async fn version_gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(minimum) = state.services.settings.min_app_version.clone() else {
        return next.run(request).await;
    };
    let announced = HeaderValue::from_str(&minimum.to_string()).ok();
    let too_old = request.headers().get(APP_VERSION).map(|v| {
        v.to_str()
            .ok()
            .and_then(|v| semver::Version::parse(v.trim()).ok())
            .is_none_or(|version| version < minimum)
    });
    let mut response = if too_old == Some(true) {
        Problem::of(
            ProblemKind::AppTooOld,
            format!("Phiên bản ứng dụng này đã cũ, hãy cập nhật lên {minimum} hoặc mới hơn."),
            format!("This version of the app is too old: update it to {minimum} or later."),
        )
        .into_response()
    } else {
        next.run(request).await
    };
    if let Some(announced) = announced {
        response.headers_mut().insert(MIN_APP_VERSION, announced);
    }
    response
}
