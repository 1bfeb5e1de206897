//! The ward's desk: the web console of department staff, the triage desk, leaders and ward
//! administrators (the queue, a report, every action as a form), built into the binary like
//! the dashboard. It reads and writes the API with the signed-in person's own token.

use crate::http::dashboard::file;
use crate::http::extract::Path;
use crate::problem::Problem;
use axum::response::{IntoResponse, Response};

const PAGE: &str = include_str!("../../console/index.html");
const SCRIPT: &str = include_str!("../../console/console.js");
const STYLE: &str = include_str!("../../console/console.css");

pub async fn page() -> Response {
    file(PAGE, "text/html; charset=utf-8")
}

pub async fn script() -> Response {
    file(SCRIPT, "text/javascript; charset=utf-8")
}

pub async fn style() -> Response {
    file(STYLE, "text/css; charset=utf-8")
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
    match VENDORED.iter().find(|(file, _, _)| *file == name) {
        Some((_, body, content_type)) => file(body, content_type),
        None => Problem::not_found(
            "Không có tệp này trong bàn làm việc.",
            "The console has no such file.",
        )
        .into_response(),
    }
}
