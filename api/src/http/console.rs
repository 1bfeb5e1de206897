//! The ward's desk: the web console of department staff, the triage desk, leaders and ward
//! administrators (the queue, a report, every action as a form), built into the binary like
//! the dashboard. It reads and writes the API with the signed-in person's own token.

use crate::http::dashboard::file;
use axum::response::Response;

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
