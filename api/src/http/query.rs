//! The query parameters each route takes, and nothing else: a parameter a route does not take
//! (a typo, `limt=5`; a filter of another route) is a 400 `bad-parameter` problem naming it,
//! never silently ignored. The [`Query`](crate::http::extract::Query) extractor checks every
//! request against this table; the contract test compares it with the `in: query` parameters
//! of each operation of `openapi.yaml`, in both directions, so the two cannot drift apart.
//! Routes that take no query parameter are not listed and ignore a query string.

use crate::problem::{FieldError, Problem, ProblemKind};

/// The filters of the report list, its map and its export.
const REPORT_FILTERS: [&str; 13] = [
    "status",
    "category",
    "subcategory",
    "priority",
    "department",
    "neighborhood",
    "ward",
    "created_from",
    "created_to",
    "q",
    "bbox",
    "late",
    "updated_since",
];
const REPORT_PAGE: [&str; 15] = concat(REPORT_FILTERS, ["limit", "cursor"]);

const STATS: [&str; 5] = ["from", "to", "ward", "department", "category"];
const STATS_TABLE: [&str; 6] = concat(STATS, ["format"]);
const STATS_SERIES: [&str; 7] = concat(STATS_TABLE, ["interval"]);

const AUDIT: [&str; 7] = [
    "action",
    "actor_id",
    "target_id",
    "from",
    "to",
    "limit",
    "cursor",
];

/// `a` then `b`, as one array (a `const fn`, so the lists are built at compile time).
const fn concat<const A: usize, const B: usize, const N: usize>(
    a: [&'static str; A],
    b: [&'static str; B],
) -> [&'static str; N] {
    assert!(A + B == N);
    let mut out = [""; N];
    let mut i = 0;
    while i < A {
        out[i] = a[i];
        i += 1;
    }
    while i < N {
        out[i] = b[i - A];
        i += 1;
    }
    out
}

/// Method, route (as in `routes::table`) and the query parameters it takes.
pub type Allowed = (&'static str, &'static str, &'static [&'static str]);

/// Every route that takes query parameters, with them.
pub const TABLE: &[Allowed] = &[
    (
        "GET",
        "/v1/accounts",
        &[
            "ward_id",
            "role",
            "neighborhood_id",
            "department_id",
            "active",
            "q",
            "limit",
            "cursor",
        ],
    ),
    ("GET", "/v1/audit", &AUDIT),
    ("GET", "/v1/audit.csv", &AUDIT),
    ("GET", "/v1/reference/wards", &["province_code"]),
    ("POST", "/v1/wards/{id}/accounts/import", &["dry_run"]),
    ("GET", "/v1/deliveries", &["status", "limit"]),
    (
        "PUT",
        "/v1/wards/{id}/deadline-policies/{priority}",
        &["subcategory"],
    ),
    (
        "DELETE",
        "/v1/wards/{id}/deadline-policies/{priority}",
        &["subcategory"],
    ),
    ("GET", "/v1/calendar/days", &["year"]),
    ("GET", "/v1/reports", &REPORT_PAGE),
    ("GET", "/v1/reports.geojson", &REPORT_PAGE),
    ("GET", "/v1/reports.csv", &REPORT_FILTERS),
    ("GET", "/v1/stats/summary", &STATS),
    ("GET", "/v1/stats/departments", &STATS_TABLE),
    ("GET", "/v1/stats/neighborhoods", &STATS_TABLE),
    ("GET", "/v1/stats/wards", &STATS_TABLE),
    ("GET", "/v1/stats/timeseries", &STATS_SERIES),
    (
        "POST",
        "/v1/boundaries",
        &["level", "valid_from", "approximate"],
    ),
    ("GET", "/v1/wards/{id}/boundaries.geojson", &["at"]),
    (
        "GET",
        "/v1/hotspots",
        &["subcategory", "ward", "days", "radius_m", "min_reports"],
    ),
    (
        "GET",
        "/v1/notifications",
        &["unread", "updated_since", "limit", "cursor"],
    ),
    ("POST", "/v1/notifications/read-all", &["up_to"]),
];

/// The query parameters `method` `route` takes; `None` for a route not in the table.
pub fn allowed(method: &str, route: &str) -> Option<&'static [&'static str]> {
    TABLE
        .iter()
        .find(|(m, r, _)| *m == method && *r == route)
        .map(|(_, _, names)| *names)
}

/// Refuses the parameters of `query` that `allowed` does not name, each named in the problem.
pub fn check(query: &str, allowed: &[&str]) -> Result<(), Problem> {
    let mut unknown: Vec<String> = Vec::new();
    for (name, _) in form_urlencoded::parse(query.as_bytes()) {
        if !allowed.contains(&name.as_ref()) && !unknown.iter().any(|u| *u == name) {
            unknown.push(name.into_owned());
        }
    }
    if unknown.is_empty() {
        return Ok(());
    }
    let takes = allowed.join(", ");
    let names = unknown
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut problem = Problem::of(
        ProblemKind::BadParameter,
        format!("Địa chỉ này không nhận tham số truy vấn {names}; nó nhận: {takes}."),
        format!("This route takes no query parameter {names}; it takes: {takes}."),
    );
    problem.errors = unknown
        .iter()
        .map(|name| {
            FieldError::new(
                name,
                format!("Tham số không được hỗ trợ; các tham số nhận: {takes}."),
                format!("Unknown parameter; the parameters taken are: {takes}."),
            )
        })
        .collect();
    Err(problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_is_listed_once_and_takes_each_parameter_once() {
        for (i, (method, route, names)) in TABLE.iter().enumerate() {
            assert!(
                TABLE[..i].iter().all(|(m, r, _)| (m, r) != (method, route)),
                "{method} {route} twice"
            );
            for (j, name) in names.iter().enumerate() {
                assert!(!names[..j].contains(name), "{method} {route}: {name} twice");
            }
        }
        assert_eq!(allowed("GET", "/v1/reports.csv").unwrap().len(), 13);
        assert_eq!(allowed("GET", "/v1/stats/timeseries").unwrap().len(), 7);
        assert!(allowed("GET", "/v1/me").is_none());
    }

    #[test]
    fn unknown_parameters_are_named_each_once() {
        assert!(check("limit=5&status=dead", &["status", "limit"]).is_ok());
        assert!(check("", &["status"]).is_ok());
        let problem = check("limt=5&limt=6&x=%20", &["status", "limit"]).unwrap_err();
        assert_eq!(problem.kind, ProblemKind::BadParameter);
        let named: Vec<&str> = problem.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["limt", "x"]);
        assert!(problem.detail.en.contains("status, limit"));
    }
}
