//! The ward's desk: the web console of department staff, the triage desk, leaders (their
//! dashboard) and ward administrators (the queue, a report, every action as a form, the
//! administration pages), built into the binary so the service needs no internet and no file
//! beside it. It reads and writes the API with the signed-in person's own token.

use crate::http::extract::Path;
use crate::http::pages::{file, page_with_tiles};
use crate::http::state::AppState;
use crate::problem::Problem;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};

const PAGE: &str = include_str!("../../console/index.html");

const SCRIPT: &str = "text/javascript; charset=utf-8";

/// The console's own files: its style sheet and its modules (`console.js` imports the rest).
const OWN: [(&str, &str, &str); 9] = [
    (
        "console.css",
        include_str!("../../console/console.css"),
        "text/css; charset=utf-8",
    ),
    (
        "console.js",
        include_str!("../../console/console.js"),
        SCRIPT,
    ),
    ("core.js", include_str!("../../console/core.js"), SCRIPT),
    ("texts.js", include_str!("../../console/texts.js"), SCRIPT),
    ("map.js", include_str!("../../console/map.js"), SCRIPT),
    ("queue.js", include_str!("../../console/queue.js"), SCRIPT),
    ("report.js", include_str!("../../console/report.js"), SCRIPT),
    (
        "dashboard.js",
        include_str!("../../console/dashboard.js"),
        SCRIPT,
    ),
    ("admin.js", include_str!("../../console/admin.js"), SCRIPT),
];

pub async fn page(State(state): State<AppState>) -> Response {
    page_with_tiles(PAGE, state.services.settings.map_tiles.as_ref())
}

/// The leaders' dashboard is a page of the console; its old address leads there.
pub async fn dashboard() -> Response {
    Redirect::permanent("/console#/dashboard").into_response()
}

pub async fn own(Path(name): Path<String>) -> Response {
    served(&OWN, &name)
}

/// The libraries the console uses, vendored and pinned (`api/console/vendor/README.md`):
/// name, content, type.
const VENDORED: [(&str, &str, &str); 5] = [
    (
        "leaflet.js",
        include_str!("../../console/vendor/leaflet/leaflet.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "leaflet.css",
        include_str!("../../console/vendor/leaflet/leaflet.css"),
        "text/css; charset=utf-8",
    ),
    (
        "leaflet.markercluster.js",
        include_str!("../../console/vendor/leaflet.markercluster/leaflet.markercluster.js"),
        "text/javascript; charset=utf-8",
    ),
    (
        "MarkerCluster.css",
        include_str!("../../console/vendor/leaflet.markercluster/MarkerCluster.css"),
        "text/css; charset=utf-8",
    ),
    (
        "MarkerCluster.Default.css",
        include_str!("../../console/vendor/leaflet.markercluster/MarkerCluster.Default.css"),
        "text/css; charset=utf-8",
    ),
];

pub async fn vendored(Path(name): Path<String>) -> Response {
    served(&VENDORED, &name)
}

fn served(files: &[(&str, &'static str, &'static str)], name: &str) -> Response {
    match files.iter().find(|(file, _, _)| *file == name) {
        Some((_, body, content_type)) => file(body, content_type),
        None => Problem::not_found(
            "Không có tệp này trong bàn làm việc.",
            "The console has no such file.",
        )
        .into_response(),
    }
}
