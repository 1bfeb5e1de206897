//! Reports over HTTP: filing one from the phone, reading them, and working them through their
//! states.

use crate::http::auth::Head;
use crate::http::csv::CsvFile;
use crate::http::extract::{Json, Path, Query, parse_json};
use crate::http::photos::{FieldRule, read_multipart};
use crate::http::views::{self, Page, ReportDetail, ReportFiled};
use crate::http::{params, state::AppState};
use crate::problem::{FieldError, Problem, ProblemKind};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::reports::filing::{self, Filing, Submission};
use crate::services::reports::{self as reports, acting, listing};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::json;
use sos_domain::code::Visibility;
use sos_domain::command::Request;
use sos_domain::taxonomy::{Action, Category, Priority, Status, Subcategory};
use sos_domain::{sync, text};
use sos_store::reports::{ListCursor, ListFilter};
use uuid::Uuid;

/// The answer to filing: 201 with the new report's address, or 200 for a retry.
fn filed_response(
    services: &Services,
    caller: &Caller,
    filing: Filing,
) -> Result<Response, Problem> {
    let status = if filing.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let view = ReportFiled::new(&filing, &caller.user, services.clock.now())?;
    let location = format!("/v1/reports/{}", view.report.id);
    let mut response = (status, axum::Json(view)).into_response();
    if status == StatusCode::CREATED
        && let Ok(value) = HeaderValue::from_str(&location)
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

/// Files a report sent as JSON (heads: checked before the body is read).
pub async fn create(
    Head(caller): Head,
    State(services): State<Services>,
    Json(body): Json<Submission>,
) -> Result<Response, Problem> {
    let filing = filing::file(&services, &caller, body).await?;
    filed_response(&services, &caller, filing)
}

/// Files a report with photos: a multipart form with the report as JSON in the field
/// `report` and up to 5 photos of the problem in `photo` fields. The photos are checked before
/// the report is filed: a refused photo files nothing.
pub async fn create_with_photos(
    Head(caller): Head,
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, Problem> {
    let services = &state.services;
    let rules = [
        FieldRule {
            name: "report",
            max_bytes: services.settings.max_body_bytes,
            max_count: 1,
        },
        FieldRule {
            name: "photo",
            max_bytes: services.settings.max_photo_bytes,
            max_count: sos_domain::photos::MAX_PHOTOS_PER_KIND,
        },
    ];
    let form = read_multipart(&state, request, &rules).await?;
    let Some((_, report_json)) = form.iter().find(|(name, _)| *name == "report") else {
        return Err(Problem::field(
            "report",
            "Thiếu nội dung phản ánh (JSON) trong trường `report`.",
            "The form needs the report, as JSON, in the field `report`.",
        ));
    };
    let body: Submission = parse_json(report_json)?;
    let photos = form
        .iter()
        .filter(|(name, _)| *name == "photo")
        .map(|(_, photo)| photo.clone())
        .collect();
    let filing = filing::file_with_photos(services, &caller, body, photos).await?;
    filed_response(services, &caller, filing)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    status: Option<String>,
    category: Option<String>,
    subcategory: Option<String>,
    priority: Option<String>,
    department: Option<String>,
    neighborhood: Option<String>,
    ward: Option<String>,
    created_from: Option<String>,
    created_to: Option<String>,
    q: Option<String>,
    bbox: Option<String>,
    /// `true`: open reports past a deadline of the department holding them.
    late: Option<String>,
    updated_since: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

fn encode_cursor((at, id): ListCursor) -> String {
    let raw = format!("{}|{id}", at.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(cursor: &str) -> Option<ListCursor> {
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (at, id) = raw.split_once('|')?;
    Some((
        DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc),
        Uuid::parse_str(id).ok()?,
    ))
}

/// A list query read: what it narrows to, how many at most, where it starts.
struct Listing {
    filter: ListFilter,
    limit: u64,
    after: Option<ListCursor>,
}

/// The longest search: a few words people remember of a report.
const MAX_SEARCH_CHARS: usize = 200;

/// Reads a list query; `page` = (default, largest) rows per page.
fn listing(query: &ListQuery, page: (u64, u64), now: DateTime<Utc>) -> Result<Listing, Problem> {
    if query
        .q
        .as_deref()
        .is_some_and(|q| q.chars().count() > MAX_SEARCH_CHARS)
    {
        return Err(Problem::of(
            ProblemKind::BadParameter,
            format!("Từ khoá tìm kiếm tối đa {MAX_SEARCH_CHARS} ký tự."),
            format!("A search has at most {MAX_SEARCH_CHARS} characters."),
        ));
    }
    let mut errors = Vec::new();
    let filter = ListFilter {
        statuses: params::codes::<Status>("status", query.status.as_deref(), &mut errors),
        categories: params::codes::<Category>("category", query.category.as_deref(), &mut errors),
        subcategories: params::codes::<Subcategory>(
            "subcategory",
            query.subcategory.as_deref(),
            &mut errors,
        ),
        priorities: params::codes::<Priority>("priority", query.priority.as_deref(), &mut errors),
        department: query
            .department
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        neighborhood: params::uuid("neighborhood", query.neighborhood.as_deref(), &mut errors),
        ward: params::uuid("ward", query.ward.as_deref(), &mut errors),
        created_from: params::time("created_from", query.created_from.as_deref(), &mut errors),
        created_to: params::time("created_to", query.created_to.as_deref(), &mut errors),
        updated_since: params::time("updated_since", query.updated_since.as_deref(), &mut errors),
        text: query.q.as_deref().map(text::fold).filter(|q| !q.is_empty()),
        bbox: parse_bbox(query.bbox.as_deref(), &mut errors),
        located: false,
        late_at: params::flag("late", query.late.as_deref(), &mut errors).then_some(now),
    };
    let limit = params::limit(query.limit.as_deref(), page.0, page.1, &mut errors);
    let after = match query.cursor.as_deref() {
        None => None,
        Some(raw) => decode_cursor(raw).or_else(|| {
            errors.push(FieldError::new(
                "cursor",
                "Con trỏ trang không hợp lệ; hãy dùng next_cursor của trang trước.",
                "Invalid cursor; use the next_cursor of the previous page.",
            ));
            None
        }),
    };
    Problem::check(errors)?;
    Ok(Listing {
        filter,
        limit,
        after,
    })
}

/// `minLon,minLat,maxLon,maxLat` (the order of RFC 7946).
fn parse_bbox(raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<[f64; 4]> {
    let raw = raw?;
    let numbers: Vec<f64> = raw
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .collect();
    match numbers[..] {
        [min_lon, min_lat, max_lon, max_lat]
            if sos_domain::place::valid_coordinates(min_lat, min_lon)
                && sos_domain::place::valid_coordinates(max_lat, max_lon)
                && min_lon <= max_lon
                && min_lat <= max_lat =>
        {
            Some([min_lon, min_lat, max_lon, max_lat])
        }
        _ => {
            errors.push(FieldError::new(
                "bbox",
                "bbox là bốn số: kinh độ nhỏ nhất, vĩ độ nhỏ nhất, kinh độ lớn nhất, vĩ độ lớn nhất.",
                "bbox is four numbers: min longitude, min latitude, max longitude, max latitude.",
            ));
            None
        }
    }
}

pub async fn list(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<axum::Json<Page<views::Report>>, Problem> {
    let now = services.clock.now();
    let asked = listing(&query, (params::DEFAULT_PAGE, params::MAX_PAGE), now)?;
    // Taken before reading, so that whatever changes while the app pages comes next time.
    let synced_at = asked.after.is_none().then(|| sync::mark(now));
    let page = listing::page(&services, &caller, &asked.filter, asked.limit, asked.after).await?;
    Ok(axum::Json(Page {
        items: views::reports(&page, now)?,
        next_cursor: page.next.map(encode_cursor),
        synced_at,
    }))
}

/// The most reports one CSV export holds; a larger export must be narrowed by its filters.
const MAX_EXPORT_ROWS: usize = 100_000;
const EXPORT_PAGE: u64 = 1000;
const EXPORT_COLUMNS: [&str; 19] = [
    "id",
    "created_at",
    "ward",
    "neighborhood",
    "category",
    "subcategory",
    "priority",
    "status",
    "department",
    "description",
    "address",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "acknowledge_due_at",
    "acknowledge_standing",
    "resolve_due_at",
    "resolve_standing",
    "rating",
];

/// The cells of a report in the export, times in Asia/Ho_Chi_Minh.
fn export_cells(r: &views::Report) -> [String; 19] {
    let local = |t: Option<DateTime<Utc>>| {
        t.map_or(String::new(), |t| {
            t.with_timezone(&sos_domain::sla::TIME_ZONE)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
    };
    let standing = |d: &Option<views::DeadlineView>| d.as_ref().map_or("", |d| d.standing.as_str());
    [
        r.id.to_string(),
        local(Some(r.created_at)),
        r.ward.name.clone(),
        r.neighborhood.name.clone(),
        r.category.clone(),
        r.subcategory.clone(),
        r.priority.clone(),
        r.status.clone(),
        r.department
            .as_ref()
            .map_or(String::new(), |d| d.name.clone()),
        r.description.clone(),
        r.address.clone().unwrap_or_default(),
        local(r.acknowledged_at),
        local(r.resolved_at),
        local(r.closed_at),
        local(r.deadlines.acknowledge.as_ref().map(|d| d.due_at)),
        standing(&r.deadlines.acknowledge).to_owned(),
        local(r.deadlines.resolve.as_ref().map(|d| d.due_at)),
        standing(&r.deadlines.resolve).to_owned(),
        r.rating.map_or(String::new(), |n| n.to_string()),
    ]
}

/// The reports of a list query as a CSV file for spreadsheets (UTF-8 with BOM), times in
/// Asia/Ho_Chi_Minh, with their deadlines and where they stand.
pub async fn export_csv(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Response, Problem> {
    // `limit` and `cursor` are not among its parameters (`http::query`): the file holds every
    // matching report.
    let now = services.clock.now();
    let mut asked = listing(&query, (EXPORT_PAGE, EXPORT_PAGE), now)?;
    let mut file = CsvFile::new("reports.csv", &EXPORT_COLUMNS)?;
    let mut written = 0;
    loop {
        let page =
            listing::page(&services, &caller, &asked.filter, asked.limit, asked.after).await?;
        written += page.reports.len();
        if written > MAX_EXPORT_ROWS {
            return Err(Problem::field(
                "created_from",
                format!(
                    "Quá {MAX_EXPORT_ROWS} phản ánh; hãy thu hẹp khoảng thời gian hoặc bộ lọc."
                ),
                format!("More than {MAX_EXPORT_ROWS} reports; narrow the period or the filters."),
            ));
        }
        for report in views::reports(&page, now)? {
            file.row(export_cells(&report))?;
        }
        match page.next {
            Some(next) => asked.after = Some(next),
            None => break,
        }
    }
    file.into_response()
}

/// How many reports one map request returns, by default and at most.
const DEFAULT_MAP_FEATURES: u64 = 1000;
const MAX_MAP_FEATURES: u64 = 5000;

/// Reports with a position as GeoJSON (RFC 7946): points in longitude, latitude order, with the
/// codes a map colours by. Same filters as the list, plus `bbox`.
pub async fn geojson(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> Result<Response, Problem> {
    let mut asked = listing(
        &query,
        (DEFAULT_MAP_FEATURES, MAX_MAP_FEATURES),
        services.clock.now(),
    )?;
    asked.filter.located = true;
    let page = listing::page(&services, &caller, &asked.filter, asked.limit, asked.after).await?;
    let features: Vec<serde_json::Value> = page
        .reports
        .iter()
        .filter_map(|r| {
            let (lat, lon) = (r.lat?, r.lon?);
            Some(json!({
                "type": "Feature",
                "id": r.id,
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {
                    "category": r.category,
                    "subcategory": r.subcategory,
                    "priority": r.priority,
                    "status": r.status,
                    "created_at": crate::clock::rfc3339(r.created_at),
                },
            }))
        })
        .collect();
    let body = json!({
        "type": "FeatureCollection",
        "features": features,
        "next_cursor": page.next.map(encode_cursor),
    });
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    Ok(response)
}

pub async fn get(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<ReportDetail>, Problem> {
    let detail = reports::get(&services, &caller, id).await?;
    Ok(axum::Json(ReportDetail::new(
        &detail,
        caller.user.id,
        services.clock.now(),
    )?))
}

/// An action request as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    action: Action,
    #[serde(default)]
    response: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    department: Option<String>,
    #[serde(default)]
    subcategory: Option<Subcategory>,
    #[serde(default)]
    to_triage: Option<bool>,
    #[serde(default)]
    duplicate_of: Option<Uuid>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    visibility: Option<Visibility>,
    #[serde(default)]
    rating: Option<i32>,
    /// The new time by which the report must be resolved (`extend`).
    #[serde(default)]
    resolve_by: Option<DateTime<Utc>>,
}

impl From<ActionRequest> for Request {
    fn from(body: ActionRequest) -> Request {
        Request {
            action: body.action,
            response: body.response,
            reason: body.reason,
            department: body.department,
            subcategory: body.subcategory,
            to_triage: body.to_triage,
            duplicate_of: body.duplicate_of,
            text: body.text,
            visibility: body.visibility,
            rating: body.rating,
            resolve_by: body.resolve_by,
        }
    }
}

pub async fn act(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
    Json(body): Json<ActionRequest>,
) -> Result<axum::Json<ReportDetail>, Problem> {
    let detail = acting::act(&services, &caller, id, body.into()).await?;
    Ok(axum::Json(ReportDetail::new(
        &detail,
        caller.user.id,
        services.clock.now(),
    )?))
}
