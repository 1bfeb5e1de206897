//! The HTTP routes. The router is built from one table, [`table`], which the contract test
//! compares with `openapi.yaml`: a route cannot be added without the spec noticing.

use crate::http::state::AppState;
use crate::http::{
    accounts, app, audit, boundaries, classify, console, devices, health, hotspots, notifications,
    photos, preferences, reports, sessions, stats, stream, supporters, taxonomy, wards, webhooks,
    working_time,
};
use axum::http::Method;
use axum::routing::MethodRouter;

/// One row of the route table: method, path template, handler.
pub type Route = (Method, &'static str, MethodRouter<AppState>);

macro_rules! route {
    ($method:ident $path:literal => $handler:path) => {
        (
            Method::$method,
            $path,
            axum::routing::on(axum::routing::MethodFilter::$method, $handler),
        )
    };
}

const ROSTER_BYTES: usize = crate::services::roster::MAX_FILE_BYTES;
const BOUNDARIES_BYTES: usize = boundaries::MAX_IMPORT_BYTES;

/// The routes whose body may be larger than the service's limit for JSON, and theirs. Photo
/// uploads are not here: they read their body as a stream, part by part, with limits of their own.
pub fn larger_body_limit(path: &str) -> Option<usize> {
    match path {
        "/v1/wards/{id}/accounts/import" => Some(ROSTER_BYTES),
        "/v1/boundaries" => Some(BOUNDARIES_BYTES),
        _ => None,
    }
}

pub fn table() -> Vec<Route> {
    vec![
        route!(GET "/healthz" => health::healthz),
        route!(GET "/readyz" => health::readyz),
        route!(GET "/dashboard" => console::dashboard),
        route!(GET "/console" => console::page),
        route!(GET "/console/{file}" => console::own),
        route!(GET "/console/vendor/{file}" => console::vendored),
        route!(POST "/v1/auth/login" => sessions::login),
        route!(POST "/v1/auth/refresh" => sessions::refresh),
        route!(POST "/v1/auth/logout" => sessions::logout),
        route!(GET "/v1/me" => sessions::me),
        route!(PUT "/v1/me/password" => accounts::change_password),
        route!(GET "/v1/me/preferences" => preferences::get),
        route!(GET "/v1/accounts" => accounts::list),
        route!(POST "/v1/accounts" => accounts::create),
        route!(GET "/v1/accounts/{id}" => accounts::get),
        route!(PATCH "/v1/accounts/{id}" => accounts::update),
        route!(POST "/v1/accounts/{id}/password-reset" => accounts::reset_password),
        route!(GET "/v1/audit" => audit::list),
        route!(GET "/v1/audit.csv" => audit::export_csv),
        route!(PUT "/v1/me/preferences" => preferences::put),
        route!(GET "/v1/app" => app::settings),
        route!(GET "/v1/taxonomy" => taxonomy::taxonomy),
        route!(GET "/v1/wards" => wards::list_wards),
        route!(POST "/v1/wards" => wards::activate),
        route!(PATCH "/v1/wards/{id}" => wards::update_ward),
        route!(GET "/v1/reference/wards" => wards::national_list),
        route!(GET "/v1/wards/{id}/neighborhoods" => wards::list_neighborhoods),
        route!(POST "/v1/wards/{id}/neighborhoods" => wards::create_neighborhood),
        (
            Method::POST,
            "/v1/wards/{id}/accounts/import",
            // A spreadsheet of a ward's people is larger than any JSON body.
            axum::routing::post(accounts::import)
                .layer(axum::extract::DefaultBodyLimit::max(ROSTER_BYTES)),
        ),
        route!(PATCH "/v1/wards/{id}/neighborhoods/{neighborhood_id}" => wards::update_neighborhood),
        route!(POST "/v1/wards/{id}/neighborhoods/{neighborhood_id}/merge" => wards::merge_neighborhood),
        route!(GET "/v1/wards/{id}/departments" => wards::list_departments),
        route!(POST "/v1/wards/{id}/departments" => wards::create_department),
        route!(PATCH "/v1/wards/{id}/departments/{code}" => wards::update_department),
        route!(GET "/v1/wards/{id}/routing" => wards::routing_table),
        route!(PUT "/v1/wards/{id}/routing/{subcategory}" => wards::set_routing_rule),
        route!(GET "/v1/wards/{id}/boundaries.geojson" => boundaries::ward_map),
        (
            Method::POST,
            "/v1/boundaries",
            // Boundary files are far larger than any other body.
            axum::routing::post(boundaries::import)
                .layer(axum::extract::DefaultBodyLimit::max(BOUNDARIES_BYTES)),
        ),
        route!(GET "/v1/wards/{id}/webhooks" => webhooks::list),
        route!(POST "/v1/wards/{id}/webhooks" => webhooks::create),
        route!(DELETE "/v1/wards/{id}/webhooks/{webhook_id}" => webhooks::delete),
        route!(POST "/v1/devices" => devices::register),
        route!(DELETE "/v1/devices/{token}" => devices::unregister),
        route!(GET "/v1/deliveries" => webhooks::deliveries),
        route!(POST "/v1/deliveries/{id}/retry" => webhooks::retry),
        route!(GET "/v1/wards/{id}/office-hours" => working_time::get_office_hours),
        route!(PUT "/v1/wards/{id}/office-hours" => working_time::set_office_hours),
        route!(GET "/v1/wards/{id}/deadline-policies" => working_time::list_policies),
        route!(PUT "/v1/wards/{id}/deadline-policies/{priority}" => working_time::set_policy),
        route!(DELETE "/v1/wards/{id}/deadline-policies/{priority}" => working_time::delete_policy),
        route!(GET "/v1/calendar/days" => working_time::list_days),
        route!(PUT "/v1/calendar/days/{date}" => working_time::set_day),
        route!(DELETE "/v1/calendar/days/{date}" => working_time::delete_day),
        route!(POST "/v1/classify" => classify::preview),
        route!(GET "/v1/classifier" => classify::model_info),
        route!(POST "/v1/reports" => reports::create),
        (
            Method::POST,
            "/v1/reports/with-photos",
            // Photos take a far larger body; the handler sets each field's limit.
            axum::routing::post(reports::create_with_photos)
                .layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        route!(GET "/v1/reports" => reports::list),
        route!(GET "/v1/reports.geojson" => reports::geojson),
        route!(GET "/v1/reports.csv" => reports::export_csv),
        route!(GET "/v1/reports/{id}" => reports::get),
        route!(POST "/v1/reports/{id}/actions" => reports::act),
        route!(POST "/v1/reports/{id}/supporters" => supporters::join),
        route!(DELETE "/v1/reports/{id}/supporters" => supporters::leave),
        (
            Method::POST,
            "/v1/reports/{id}/photos",
            // The photo handler reads the body itself and stops at its own, larger, limit.
            axum::routing::post(photos::upload).layer(axum::extract::DefaultBodyLimit::disable()),
        ),
        route!(GET "/v1/reports/{id}/photos" => photos::list),
        route!(GET "/v1/reports/{id}/photos/{photo_id}/{variant}" => photos::file),
        route!(DELETE "/v1/reports/{id}/photos/{photo_id}" => photos::delete),
        route!(POST "/v1/reports/{id}/photos/{photo_id}/location" => photos::accept_location),
        route!(GET "/v1/hotspots" => hotspots::hotspots),
        route!(GET "/v1/stats/summary" => stats::summary),
        route!(GET "/v1/stats/departments" => stats::departments),
        route!(GET "/v1/stats/neighborhoods" => stats::neighborhoods),
        route!(GET "/v1/stats/wards" => stats::wards),
        route!(GET "/v1/stats/timeseries" => stats::timeseries),
        route!(GET "/v1/notifications" => notifications::list),
        route!(GET "/v1/stream" => stream::stream),
        route!(POST "/v1/notifications/{id}/read" => notifications::mark_read),
        route!(POST "/v1/notifications/read-all" => notifications::mark_all_read),
    ]
}
