//! Reports: filing one from the phone, reading them, and working them through their states.

use crate::auth::{CurrentUser, sha256_hex};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::export::CsvFile;
use crate::extract::{Json, Path, Query};
use crate::intake::{Filed, NewReport};
use crate::routes::views::{self, Page};
use crate::routes::{params, photos};
use crate::state::AppState;
use crate::store::entities::{department, report, subcategory_correction};
use crate::store::reports::{self as store, NewEvent, now};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::{LikeExpr, Query as SqlQuery};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sos_domain::access::{self, RerouteKind};
use sos_domain::boundaries::{self, Placement, Spot};
use sos_domain::classify::Classifier;
use sos_domain::lifecycle::Milestones;
use sos_domain::photos::PhotoKind;
use sos_domain::sla::Deadline;
use sos_domain::taxonomy::{Action, Category, EventType, Priority, Status, Subcategory};
use sos_domain::{lifecycle, place, routing, text};
use uuid::Uuid;

const MAX_DESCRIPTION_CHARS: usize = 4000;
const MAX_ADDRESS_CHARS: usize = 500;
const MAX_TEXT_CHARS: usize = 4000;
const MAX_REASON_CHARS: usize = 2000;
/// A phone's reported GPS accuracy beyond this says nothing useful about the place.
const MAX_ACCURACY_M: f64 = 100_000.0;

#[derive(Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    lat: f64,
    lon: f64,
    #[serde(default)]
    accuracy_m: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportCreate {
    #[serde(default)]
    id: Option<Uuid>,
    description: String,
    #[serde(default)]
    subcategory: Option<Subcategory>,
    #[serde(default)]
    location: Option<LocationInput>,
    #[serde(default)]
    address: Option<String>,
}

/// The submission as it is stored, without the id: what a retry must repeat exactly.
#[derive(Serialize)]
struct Submission<'a> {
    description: &'a str,
    subcategory: Option<Subcategory>,
    location: Option<&'a LocationInput>,
    address: Option<&'a str>,
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn validate_create(body: &ReportCreate) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let description = body.description.trim();
    if description.is_empty() {
        errors.push(FieldError::new(
            "/description",
            "Hãy mô tả sự việc.",
            "Describe what happened.",
        ));
    } else if description.chars().count() > MAX_DESCRIPTION_CHARS {
        errors.push(FieldError::new(
            "/description",
            format!("Mô tả tối đa {MAX_DESCRIPTION_CHARS} ký tự."),
            format!("The description has at most {MAX_DESCRIPTION_CHARS} characters."),
        ));
    }
    if body
        .address
        .as_deref()
        .is_some_and(|a| a.trim().chars().count() > MAX_ADDRESS_CHARS)
    {
        errors.push(FieldError::new(
            "/address",
            format!("Địa chỉ tối đa {MAX_ADDRESS_CHARS} ký tự."),
            format!("The address has at most {MAX_ADDRESS_CHARS} characters."),
        ));
    }
    if let Some(location) = &body.location {
        if !place::valid_coordinates(location.lat, location.lon) {
            errors.push(FieldError::new(
                "/location",
                "Tọa độ không hợp lệ (vĩ độ −90..90, kinh độ −180..180).",
                "Invalid coordinates (latitude −90..90, longitude −180..180).",
            ));
        } else if !place::in_vietnam(location.lat, location.lon) {
            errors.push(FieldError::new(
                "/location",
                "Vị trí nằm ngoài lãnh thổ Việt Nam; hãy kiểm tra GPS hoặc bỏ vị trí và ghi địa chỉ.",
                "The location is outside Vietnam; check the GPS or leave it out and write the address.",
            ));
        }
        if location
            .accuracy_m
            .is_some_and(|a| !a.is_finite() || !(0.0..=MAX_ACCURACY_M).contains(&a))
        {
            errors.push(FieldError::new(
                "/location/accuracy_m",
                "Độ chính xác GPS phải từ 0 đến 100000 mét.",
                "GPS accuracy must be between 0 and 100000 metres.",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// The answer to filing: 201 with the new report's address, or 200 for a retry.
fn filed_response(status: StatusCode, report: views::ReportFiled) -> Response {
    let location = format!("/v1/reports/{}", report.report.id);
    let mut response = (status, axum::Json(report)).into_response();
    if status == StatusCode::CREATED
        && let Ok(value) = HeaderValue::from_str(&location)
    {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// A retried submission: the same body gets the stored report back, a different body is a
/// conflict (the phone reused an id by mistake, or the id belongs to someone else's report).
async fn replay(
    state: &AppState,
    current: &CurrentUser,
    id: Uuid,
    request_hash: &str,
) -> ApiResult<Option<(views::ReportFiled, report::Model)>> {
    let Some(existing) = report::Entity::find_by_id(id).one(&state.db).await? else {
        return Ok(None);
    };
    if existing.reporter_id == current.user.id && existing.request_hash == request_hash {
        let view = views::ReportFiled {
            report: store::render_one(&state.db, &existing).await?,
            possible_duplicates: store::possible_duplicates(&state.db, &current.actor, &existing)
                .await?,
            photos: Vec::new(),
        };
        return Ok(Some((view, existing)));
    }
    Err(ApiError::conflict(
        "idempotency-conflict",
        "Mã phản ánh này đã được dùng cho một nội dung khác.",
        "This report id was already used with a different content.",
    ))
}

/// Files a report: JSON, or a multipart form with the report as JSON in the field `report`
/// and up to 5 photos of the problem in `photo` fields. The photos are checked before the
/// report is filed: a refused photo files nothing.
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    request: axum::extract::Request,
) -> ApiResult<Response> {
    if !access::can_file_report(&current.actor) {
        return Err(ApiError::forbidden(
            "Chỉ trưởng khu phố gửi phản ánh.",
            "Only neighborhood heads file reports.",
        ));
    }
    if !is_multipart(request.headers()) {
        // The route lifts the body limit for photos; a JSON filing keeps the usual one.
        let limit = state.settings.max_body_bytes;
        let request =
            request.map(|body| axum::body::Body::new(http_body_util::Limited::new(body, limit)));
        let Json(body) =
            <Json<ReportCreate> as axum::extract::FromRequest<_>>::from_request(request, &state)
                .await?;
        let (status, filed, _) = file(&state, &current, body).await?;
        return Ok(filed_response(status, filed));
    }
    let rules = [
        photos::FieldRule {
            name: "report",
            max_bytes: state.settings.max_body_bytes,
            max_count: 1,
        },
        photos::FieldRule {
            name: "photo",
            max_bytes: state.settings.max_photo_bytes,
            max_count: sos_domain::photos::MAX_PHOTOS_PER_KIND,
        },
    ];
    let form = photos::read_multipart(&state, request, &rules).await?;
    let Some((_, report_json)) = form.iter().find(|(name, _)| *name == "report") else {
        return Err(ApiError::field(
            "report",
            "Thiếu nội dung phản ánh (JSON) trong trường `report`.",
            "The form needs the report, as JSON, in the field `report`.",
        ));
    };
    let body: ReportCreate = crate::extract::parse_json(report_json)?;
    let mut prepared = Vec::new();
    for (_, photo) in form.iter().filter(|(name, _)| *name == "photo") {
        prepared.push(photos::prepare(&state, photo.clone()).await?);
    }
    let (status, mut filed, model) = file(&state, &current, body).await?;
    for photo in prepared {
        let (_, photo) = photos::attach(&state, &current, &model, PhotoKind::Before, photo).await?;
        // The same file twice in one form is one photo.
        if !filed.photos.iter().any(|p| p.id == photo.id) {
            filed.photos.push(photo);
        }
    }
    Ok(filed_response(status, filed))
}

fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}

/// Files the report (or, for a retry, finds it): the status to answer with, the answer and
/// the stored report.
async fn file(
    state: &AppState,
    current: &CurrentUser,
    body: ReportCreate,
) -> ApiResult<(StatusCode, views::ReportFiled, report::Model)> {
    let actor = &current.actor;
    validate_create(&body)?;
    let description = body.description.trim();
    let address = non_empty(body.address.as_deref());
    let submission = Submission {
        description,
        subcategory: body.subcategory,
        location: body.location.as_ref(),
        address,
    };
    let request_hash = sha256_hex(
        serde_json::to_string(&submission)
            .map_err(ApiError::internal)?
            .as_bytes(),
    );
    let id = body.id.unwrap_or_else(Uuid::now_v7);
    if body.id.is_some()
        && let Some((filed, stored)) = replay(state, current, id, &request_hash).await?
    {
        return Ok((StatusCode::OK, filed, stored));
    }

    let (Some(home_ward), Some(home_neighborhood)) = (actor.ward_id, actor.neighborhood_id) else {
        return Err(ApiError::forbidden(
            "Tài khoản chưa gắn với khu phố.",
            "The account has no neighborhood.",
        ));
    };
    // The report belongs where its position lies, which may be another ward.
    let spot = body.location.as_ref().map(|l| Spot {
        lat: l.lat,
        lon: l.lon,
        accuracy_m: l.accuracy_m,
    });
    let index = state.boundaries.index(&state.db).await?;
    let (ward_id, neighborhood_id) = match boundaries::placement(
        &index,
        spot,
        (home_ward, home_neighborhood),
    ) {
        Placement::Here { ward, neighborhood } => (ward, neighborhood),
        Placement::Outside => {
            return Err(ApiError::field(
                "/location",
                "Vị trí nằm ngoài mọi phường, xã đang dùng hệ thống; hãy kiểm tra GPS hoặc bỏ vị trí và ghi địa chỉ.",
                "The position lies outside every ward served here; check the GPS, or leave it out and write the address.",
            ));
        }
    };
    let classification = state.classifier.classify(description);
    let route = routing::route(
        &classification,
        body.subcategory,
        state.settings.triage_threshold,
    );
    let routed = if route.to_triage {
        None
    } else {
        store::routed_department(&state.db, ward_id, route.subcategory).await?
    };
    // A subcategory the ward has not routed goes to the triage desk rather than nowhere.
    let to_triage = routed.is_none();
    let department = match routed {
        Some(d) => Some(d),
        None => store::triage_desk(&state.db, ward_id).await?,
    };
    let mut classification_json =
        serde_json::to_value(&classification).map_err(ApiError::internal)?;
    classification_json["routed_to_triage"] = json!(to_triage);
    let at = now();
    let status = if department.is_some() {
        Status::Assigned
    } else {
        Status::Submitted
    };
    let mut model = report::Model {
        id,
        ward_id,
        neighborhood_id,
        reporter_id: current.user.id,
        description: description.to_owned(),
        address: address.map(str::to_owned),
        lat: body.location.as_ref().map(|l| l.lat),
        lon: body.location.as_ref().map(|l| l.lon),
        accuracy_m: body.location.as_ref().and_then(|l| l.accuracy_m),
        category: route.subcategory.category().as_str().to_owned(),
        subcategory: route.subcategory.as_str().to_owned(),
        chosen_subcategory: body.subcategory.map(|s| s.as_str().to_owned()),
        priority: classification.priority.as_str().to_owned(),
        status: status.as_str().to_owned(),
        department_id: department.as_ref().map(|d| d.id),
        classification: classification_json,
        duplicate_of: None,
        rating: None,
        response: None,
        request_hash: request_hash.clone(),
        search_text: text::fold(&format!("{description} {}", address.unwrap_or(""))),
        version: 1,
        created_at: at,
        updated_at: at,
        acknowledged_at: None,
        resolved_at: None,
        closed_at: None,
        assigned_at: None,
        acknowledge_due_at: None,
        acknowledge_warn_at: None,
        resolve_due_at: None,
        resolve_warn_at: None,
        ward_acknowledge_due_at: None,
        ward_resolve_due_at: None,
        acknowledge_working_seconds: None,
        resolve_working_seconds: None,
    };
    let clock = state.clocks.ward(&state.db, ward_id).await?;
    clock.start_ward_clock(&mut model);
    if department.is_some() {
        clock.start_department_clock(&mut model, at);
    }

    let heads = store::audience(&state.db, &model).await?;
    let head = Some((current.user.id, actor.role));
    let mut events = vec![NewEvent {
        event_type: EventType::Submitted,
        actor: head,
        from_status: None,
        to_status: Some(Status::Submitted),
        public: true,
        text: None,
        data: json!({}),
    }];
    if let Some(department) = &department {
        events.push(NewEvent {
            event_type: EventType::Assigned,
            actor: None,
            from_status: Some(Status::Submitted),
            to_status: Some(Status::Assigned),
            public: true,
            text: None,
            data: json!({
                "department": department.code,
                "subcategory": route.subcategory,
                "to_triage": to_triage,
                "confidence": model.classification["confidence"],
            }),
        });
    }
    let (events, inbox) = store::prepare_events(
        &model,
        &heads,
        events,
        at,
        department.as_ref().map(|d| d.name.as_str()),
    );
    let inbox_users: Vec<Uuid> = inbox.iter().map(|entry| entry.user_id).collect();
    let new = NewReport {
        report: model.clone(),
        events,
        inbox,
    };
    if state.intake.file(new).await? == Filed::IdTaken {
        // Two copies of one retried submission raced and the other one won, or the id is
        // someone else's: answer as to a retry.
        let (filed, stored) = replay(state, current, id, &request_hash)
            .await?
            .ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("report {id} is neither stored nor found"))
            })?;
        return Ok((StatusCode::OK, filed, stored));
    }
    state
        .hub
        .announce(&state.db, inbox_users, [model.ward_id])
        .await;
    tracing::info!(report = %id, subcategory = %route.subcategory, to_triage, "report filed");
    let refs =
        store::Refs::of_new_report(&state.db, &model, &current.user, department.as_ref()).await?;
    let possible_duplicates = store::possible_duplicates(&state.db, actor, &model).await?;
    let filed = views::ReportFiled {
        report: refs.render(&model)?,
        possible_duplicates,
        photos: Vec::new(),
    };
    Ok((StatusCode::CREATED, filed, model))
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
    limit: Option<String>,
    cursor: Option<String>,
}

fn encode_cursor(report: &report::Model) -> String {
    let raw = format!(
        "{}|{}",
        report
            .created_at
            .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        report.id
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(cursor: &str) -> Option<(DateTime<Utc>, Uuid)> {
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

/// Escapes LIKE wildcards so a search for `50%` finds "50%".
fn like_pattern(needle: &str) -> String {
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Reads the reports a list query asks for, within what the actor may see, newest first:
/// a page of `page` = (default, largest) rows and the cursor of the next page. `located` keeps only reports with a
/// position (for maps).
async fn find_reports(
    state: &AppState,
    actor: &sos_domain::access::Actor,
    query: &ListQuery,
    page: (u64, u64),
    located: bool,
) -> ApiResult<(Vec<report::Model>, Option<String>)> {
    let mut errors = Vec::new();
    let statuses = params::codes::<Status>("status", query.status.as_deref(), &mut errors);
    let categories = params::codes::<Category>("category", query.category.as_deref(), &mut errors);
    let subcategories =
        params::codes::<Subcategory>("subcategory", query.subcategory.as_deref(), &mut errors);
    let priorities = params::codes::<Priority>("priority", query.priority.as_deref(), &mut errors);
    let neighborhood = params::uuid("neighborhood", query.neighborhood.as_deref(), &mut errors);
    let ward = params::uuid("ward", query.ward.as_deref(), &mut errors);
    let created_from = params::time("created_from", query.created_from.as_deref(), &mut errors);
    let created_to = params::time("created_to", query.created_to.as_deref(), &mut errors);
    let limit = params::limit(query.limit.as_deref(), page.0, page.1, &mut errors);
    let bbox = parse_bbox(query.bbox.as_deref(), &mut errors);
    let late = params::flag("late", query.late.as_deref(), &mut errors);
    let cursor = match query.cursor.as_deref() {
        None => None,
        Some(raw) => match decode_cursor(raw) {
            Some(c) => Some(c),
            None => {
                errors.push(FieldError::new(
                    "cursor",
                    "Con trỏ trang không hợp lệ; hãy dùng next_cursor của trang trước.",
                    "Invalid cursor; use the next_cursor of the previous page.",
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }

    let Some(mut select) = store::visible_reports(actor) else {
        return Ok((Vec::new(), None));
    };
    if !statuses.is_empty() {
        select = select.filter(report::Column::Status.is_in(statuses));
    }
    if !categories.is_empty() {
        select = select.filter(report::Column::Category.is_in(categories));
    }
    if !subcategories.is_empty() {
        select = select.filter(report::Column::Subcategory.is_in(subcategories));
    }
    if !priorities.is_empty() {
        select = select.filter(report::Column::Priority.is_in(priorities));
    }
    if let Some(code) = query
        .department
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let departments = SqlQuery::select()
            .column(department::Column::Id)
            .from(department::Entity)
            .and_where(department::Column::Code.eq(code))
            .to_owned();
        select = select.filter(report::Column::DepartmentId.in_subquery(departments));
    }
    if let Some(n) = neighborhood {
        select = select.filter(report::Column::NeighborhoodId.eq(n));
    }
    if let Some(w) = ward {
        select = select.filter(report::Column::WardId.eq(w));
    }
    if let Some(from) = created_from {
        select = select.filter(report::Column::CreatedAt.gte(from));
    }
    if let Some(to) = created_to {
        select = select.filter(report::Column::CreatedAt.lt(to));
    }
    if let Some(q) = query.q.as_deref().map(text::fold).filter(|q| !q.is_empty()) {
        select = select
            .filter(report::Column::SearchText.like(LikeExpr::new(like_pattern(&q)).escape('\\')));
    }
    if located || bbox.is_some() {
        select = select
            .filter(report::Column::Lat.is_not_null())
            .filter(report::Column::Lon.is_not_null());
    }
    if let Some([min_lon, min_lat, max_lon, max_lat]) = bbox {
        select = select
            .filter(report::Column::Lon.between(min_lon, max_lon))
            .filter(report::Column::Lat.between(min_lat, max_lat));
    }
    if late {
        let now = Utc::now();
        select = select
            .filter(
                report::Column::Status.is_in(
                    Status::ALL
                        .iter()
                        .filter(|s| s.is_open())
                        .map(|s| s.as_str()),
                ),
            )
            .filter(
                Condition::any()
                    .add(report::Column::ResolveDueAt.lt(now))
                    .add(
                        Condition::all()
                            .add(report::Column::AcknowledgedAt.is_null())
                            .add(report::Column::AcknowledgeDueAt.lt(now)),
                    ),
            );
    }
    if let Some((at, id)) = cursor {
        select = select.filter(
            Condition::any().add(report::Column::CreatedAt.lt(at)).add(
                Condition::all()
                    .add(report::Column::CreatedAt.eq(at))
                    .add(report::Column::Id.lt(id)),
            ),
        );
    }
    let mut rows = select
        .order_by_desc(report::Column::CreatedAt)
        .order_by_desc(report::Column::Id)
        .limit(limit + 1)
        .all(&state.db)
        .await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(encode_cursor)
    } else {
        None
    };
    Ok((rows, next_cursor))
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
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<Page<views::Report>>> {
    let (rows, next_cursor) = find_reports(
        &state,
        &current.actor,
        &query,
        (params::DEFAULT_PAGE, params::MAX_PAGE),
        false,
    )
    .await?;
    let refs = store::Refs::load(&state.db, &rows, []).await?;
    let items = rows
        .iter()
        .map(|r| refs.render(r))
        .collect::<ApiResult<_>>()?;
    Ok(axum::Json(Page { items, next_cursor }))
}

/// The most reports one CSV export holds; a larger export must be narrowed by its filters.
const MAX_EXPORT_ROWS: usize = 100_000;
const EXPORT_PAGE: u64 = 1000;

/// The reports of a list query as a CSV file for spreadsheets (UTF-8 with BOM), times in
/// Asia/Ho_Chi_Minh, with their deadlines and where they stand.
pub async fn export_csv(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(mut query): Query<ListQuery>,
) -> ApiResult<Response> {
    if query.limit.is_some() || query.cursor.is_some() {
        return Err(ApiError::validation(vec![FieldError::new(
            "limit",
            "Tệp CSV chứa mọi phản ánh khớp bộ lọc; không dùng limit và cursor.",
            "A CSV export holds every matching report; limit and cursor do not apply.",
        )]));
    }
    let mut file = CsvFile::new(
        "reports.csv",
        &[
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
        ],
    )?;
    let local = |t: Option<DateTime<Utc>>| {
        t.map_or(String::new(), |t| {
            t.with_timezone(&sos_domain::sla::TIME_ZONE)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
    };
    let standing = |d: &Option<views::DeadlineView>| d.as_ref().map_or("", |d| d.standing.as_str());
    let mut written = 0;
    loop {
        let (rows, next_cursor) = find_reports(
            &state,
            &current.actor,
            &query,
            (EXPORT_PAGE, EXPORT_PAGE),
            false,
        )
        .await?;
        written += rows.len();
        if written > MAX_EXPORT_ROWS {
            return Err(ApiError::validation(vec![FieldError::new(
                "created_from",
                format!(
                    "Quá {MAX_EXPORT_ROWS} phản ánh; hãy thu hẹp khoảng thời gian hoặc bộ lọc."
                ),
                format!("More than {MAX_EXPORT_ROWS} reports; narrow the period or the filters."),
            )]));
        }
        let refs = store::Refs::load(&state.db, &rows, []).await?;
        for row in &rows {
            let r = refs.render(row)?;
            file.row([
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
            ])?;
        }
        match next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
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
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<ListQuery>,
) -> ApiResult<Response> {
    let (rows, next_cursor) = find_reports(
        &state,
        &current.actor,
        &query,
        (DEFAULT_MAP_FEATURES, MAX_MAP_FEATURES),
        true,
    )
    .await?;
    let features: Vec<serde_json::Value> = rows
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
                    "created_at": r.created_at,
                },
            }))
        })
        .collect();
    let body =
        json!({"type": "FeatureCollection", "features": features, "next_cursor": next_cursor});
    let mut response = axum::Json(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/geo+json"),
    );
    Ok(response)
}

pub async fn get(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<views::ReportDetail>> {
    let (report, scope) = store::find_visible(&state.db, &current.actor, id).await?;
    Ok(axum::Json(
        store::detail(&state.db, &current.actor, &report, &scope).await?,
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Internal,
}

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

/// A required, trimmed text field of at most `max` characters.
fn required_text(
    field: &str,
    value: Option<&str>,
    max: usize,
    what_vi: &str,
    what_en: &str,
) -> ApiResult<String> {
    let value = non_empty(value).ok_or_else(|| {
        ApiError::field(
            field,
            format!("Cần {what_vi}."),
            format!("A {what_en} is required."),
        )
    })?;
    if value.chars().count() > max {
        return Err(ApiError::field(
            field,
            format!("Tối đa {max} ký tự."),
            format!("At most {max} characters."),
        ));
    }
    Ok(value.to_owned())
}

fn optional_text(field: &str, value: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    match non_empty(value) {
        Some(v) if v.chars().count() > max => Err(ApiError::field(
            field,
            format!("Tối đa {max} ký tự."),
            format!("At most {max} characters."),
        )),
        other => Ok(other.map(str::to_owned)),
    }
}

/// Where a reroute sends the report, as asked.
fn reroute_kind(body: &ActionRequest) -> ApiResult<RerouteKind> {
    let asked = [
        body.to_triage == Some(true),
        body.department.is_some(),
        body.subcategory.is_some(),
    ];
    match asked {
        [true, false, false] => Ok(RerouteKind::ToTriage),
        [false, true, false] => Ok(RerouteKind::ToDepartment),
        [false, false, true] => Ok(RerouteKind::ToSubcategory),
        _ => Err(ApiError::field(
            "",
            "Chuyển xử lý cần đúng một đích: to_triage, department hoặc subcategory.",
            "A reroute needs exactly one destination: to_triage, department or subcategory.",
        )),
    }
}

/// How an action changes the report beyond its status.
#[derive(Default)]
struct Changes {
    department: Option<department::Model>,
    subcategory: Option<Subcategory>,
    response: Option<String>,
    duplicate_of: Option<Uuid>,
    rating: Option<i32>,
    resolve_by: Option<DateTime<Utc>>,
}

pub async fn act(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<ActionRequest>,
) -> ApiResult<axum::Json<views::ReportDetail>> {
    let actor = &current.actor;
    let (report, scope) = store::find_visible(&state.db, actor, id).await?;
    let action = body.action;
    if !access::permitted_actions(actor, &scope).contains(&action) {
        return Err(ApiError::forbidden(
            format!(
                "Vai trò của bạn không được thực hiện thao tác «{}» với phản ánh này.",
                action.label()
            ),
            format!("Your role may not `{action}` this report."),
        ));
    }
    let status: Status = report
        .status
        .parse()
        .map_err(|e| ApiError::internal(anyhow::anyhow!("{e}")))?;
    let transition = lifecycle::transition(status, action).map_err(|refused| {
        let permitted = access::permitted_actions(actor, &scope);
        let allowed: Vec<Action> = refused
            .allowed
            .into_iter()
            .filter(|a| permitted.contains(a))
            .collect();
        let names = allowed
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let mut error = ApiError::conflict(
            "transition-refused",
            format!(
                "Phản ánh đang ở trạng thái «{}», không thể «{}». Thao tác được phép: {}.",
                status.label(),
                action.label(),
                if names.is_empty() {
                    "không có"
                } else {
                    &names
                }
            ),
            format!(
                "The report is `{status}`: `{action}` is not possible. Allowed now: {}.",
                if names.is_empty() { "none" } else { &names }
            ),
        );
        error.allowed_actions = Some(allowed);
        error
    })?;

    // What the action needs, checked before anything is written.
    let mut changes = Changes::default();
    let mut public = true;
    let mut event_text = None;
    let mut data = json!({});
    match action {
        Action::Resolve => {
            let response = required_text(
                "/response",
                body.response.as_deref(),
                MAX_TEXT_CHARS,
                "câu trả lời cho khu phố",
                "response for the neighborhood",
            )?;
            event_text = Some(response.clone());
            changes.response = Some(response);
        }
        Action::Reject => {
            event_text = Some(required_text(
                "/reason",
                body.reason.as_deref(),
                MAX_REASON_CHARS,
                "lý do từ chối",
                "reason",
            )?);
        }
        Action::Reroute => {
            let kind = reroute_kind(&body)?;
            if !access::may_reroute(actor, kind) {
                return Err(ApiError::forbidden(
                    "Đơn vị chỉ được trả phản ánh về bộ phận tiếp nhận (to_triage), kèm lý do.",
                    "A department may only hand a report back to the triage desk (to_triage), with a reason.",
                ));
            }
            let reason = if kind == RerouteKind::ToTriage {
                Some(required_text(
                    "/reason",
                    body.reason.as_deref(),
                    MAX_REASON_CHARS,
                    "lý do trả về",
                    "reason",
                )?)
            } else {
                optional_text("/reason", body.reason.as_deref(), MAX_REASON_CHARS)?
            };
            let target = match kind {
                RerouteKind::ToTriage => store::triage_desk(&state.db, report.ward_id).await?,
                RerouteKind::ToDepartment => {
                    let code = body.department.as_deref().unwrap_or_default();
                    Some(
                        store::receiving_department(&state.db, report.ward_id, code, "/department")
                            .await?,
                    )
                }
                RerouteKind::ToSubcategory => {
                    let subcategory = body.subcategory.unwrap_or(Subcategory::Other);
                    changes.subcategory = Some(subcategory);
                    match store::routed_department(&state.db, report.ward_id, subcategory).await? {
                        Some(d) => Some(d),
                        None => store::triage_desk(&state.db, report.ward_id).await?,
                    }
                }
            };
            let target = target.ok_or_else(|| {
                ApiError::conflict(
                    "conflict",
                    "Phường chưa có bộ phận tiếp nhận.",
                    "The ward has no triage desk.",
                )
            })?;
            let from = match report.department_id {
                Some(id) => department::Entity::find_by_id(id)
                    .one(&state.db)
                    .await?
                    .map(|d| d.code),
                None => None,
            };
            data = json!({
                "from_department": from,
                "to_department": target.code,
                "subcategory": changes.subcategory,
            });
            event_text = reason;
            changes.department = Some(target);
        }
        Action::MarkDuplicate => {
            let original_id = body.duplicate_of.ok_or_else(|| {
                ApiError::field(
                    "/duplicate_of",
                    "Cần mã phản ánh gốc.",
                    "The id of the original report is required.",
                )
            })?;
            let not_original = || {
                ApiError::field(
                    "/duplicate_of",
                    "Phản ánh gốc phải là một phản ánh khác, cùng phường, mà bạn xem được.",
                    "The original must be another report of the same ward that you can see.",
                )
            };
            if original_id == report.id {
                return Err(not_original());
            }
            let (original, _) = store::find_visible(&state.db, actor, original_id)
                .await
                .map_err(|_| not_original())?;
            if original.ward_id != report.ward_id {
                return Err(not_original());
            }
            data = json!({"duplicate_of": original.id});
            event_text = optional_text("/reason", body.reason.as_deref(), MAX_REASON_CHARS)?;
            changes.duplicate_of = Some(original.id);
        }
        Action::Comment => {
            event_text = Some(required_text(
                "/text",
                body.text.as_deref(),
                MAX_TEXT_CHARS,
                "nội dung ý kiến",
                "comment text",
            )?);
            let visibility = body
                .visibility
                .unwrap_or(if access::sees_internal_notes(actor) {
                    Visibility::Internal
                } else {
                    Visibility::Public
                });
            if visibility == Visibility::Internal && !access::sees_internal_notes(actor) {
                return Err(ApiError::field(
                    "/visibility",
                    "Trưởng khu phố chỉ gửi ý kiến công khai.",
                    "Neighborhood heads can only post public comments.",
                ));
            }
            public = visibility == Visibility::Public;
        }
        Action::Close => {
            if let Some(rating) = body.rating {
                if !(1..=5).contains(&rating) {
                    return Err(ApiError::field(
                        "/rating",
                        "Đánh giá từ 1 đến 5.",
                        "The rating is from 1 to 5.",
                    ));
                }
                data = json!({"rating": rating});
            }
            changes.rating = body.rating;
            event_text = optional_text("/text", body.text.as_deref(), MAX_TEXT_CHARS)?;
        }
        Action::Reopen => {
            event_text = optional_text("/reason", body.reason.as_deref(), MAX_REASON_CHARS)?;
        }
        Action::Extend => {
            let current_due = report.resolve_due_at.ok_or_else(|| {
                ApiError::conflict(
                    "conflict",
                    "Phản ánh chưa có hạn xử lý để gia hạn.",
                    "The report has no deadline to extend.",
                )
            })?;
            let resolve_by = body.resolve_by.ok_or_else(|| {
                ApiError::field(
                    "/resolve_by",
                    "Cần thời hạn mới (RFC 3339).",
                    "The new deadline is required (RFC 3339).",
                )
            })?;
            if resolve_by <= current_due.max(Utc::now()) {
                return Err(ApiError::field(
                    "/resolve_by",
                    "Thời hạn mới phải sau thời hạn hiện tại và sau lúc này.",
                    "The new deadline must be later than the current one and than now.",
                ));
            }
            event_text = Some(required_text(
                "/reason",
                body.reason.as_deref(),
                MAX_REASON_CHARS,
                "lý do gia hạn",
                "reason",
            )?);
            public = false;
            data = json!({"from": current_due, "to": resolve_by});
            changes.resolve_by = Some(resolve_by);
        }
        Action::Acknowledge | Action::Start => {}
    }

    let at = now();
    let mut updated = report.clone();
    updated.status = transition.to.as_str().to_owned();
    updated.updated_at = at;
    updated.version = report.version + 1;
    let milestones = lifecycle::milestones_after(
        action,
        transition.to,
        Milestones {
            acknowledged_at: report.acknowledged_at,
            resolved_at: report.resolved_at,
            closed_at: report.closed_at,
        },
        at,
    );
    updated.acknowledged_at = milestones.acknowledged_at;
    updated.resolved_at = milestones.resolved_at;
    updated.closed_at = milestones.closed_at;
    if let Some(department) = &changes.department {
        updated.department_id = Some(department.id);
    }
    if let Some(subcategory) = changes.subcategory {
        updated.subcategory = subcategory.as_str().to_owned();
        updated.category = subcategory.category().as_str().to_owned();
    }
    if let Some(response) = changes.response {
        updated.response = Some(response);
    }
    if let Some(original) = changes.duplicate_of {
        updated.duplicate_of = Some(original);
    }
    if changes.rating.is_some() {
        updated.rating = changes.rating;
    }
    let clock = state.clocks.ward(&state.db, report.ward_id).await?;
    if matches!(action, Action::Reroute | Action::Reopen) {
        clock.start_department_clock(&mut updated, at);
    }
    if let (Some(resolve_by), Some(assigned_at)) = (changes.resolve_by, updated.assigned_at) {
        let extended = Deadline::between(assigned_at, resolve_by);
        updated.resolve_due_at = Some(extended.due_at);
        updated.resolve_warn_at = Some(extended.warn_at);
    }
    clock.record_response_times(&mut updated);

    let heads = store::audience(&state.db, &report).await?;
    // Those who filed a report merged into this one hear its answer too.
    let followers = if transition.event == EventType::Resolved {
        store::duplicates_with_heads(&state.db, &report).await?
    } else {
        Vec::new()
    };
    let department_name = match &changes.department {
        Some(d) => Some(d.name.clone()),
        None => match updated.department_id {
            Some(id) => department::Entity::find_by_id(id)
                .one(&state.db)
                .await?
                .map(|d| d.name),
            None => None,
        },
    };
    let txn = state.begin_write().await?;
    // Guarded by the version read above: if someone acted in between, nothing is written.
    // Every column is written (`reset_all`), the id is only the key.
    let mut active = report::ActiveModel::from(updated.clone()).reset_all();
    active.id = sea_orm::ActiveValue::Unchanged(report.id);
    let result = report::Entity::update_many()
        .set(active)
        .filter(report::Column::Id.eq(report.id))
        .filter(report::Column::Version.eq(report.version))
        .exec(&*txn)
        .await?;
    if result.rows_affected != 1 {
        return Err(ApiError::conflict(
            "stale",
            "Phản ánh vừa được người khác cập nhật; hãy tải lại và thử lại.",
            "Someone else changed the report meanwhile; reload it and try again.",
        ));
    }
    if let Some(subcategory) = changes
        .subcategory
        .filter(|s| s.as_str() != report.subcategory)
    {
        subcategory_correction::ActiveModel {
            id: Set(Uuid::now_v7()),
            report_id: Set(report.id),
            text: Set(report.description.clone()),
            from_subcategory: Set(report.subcategory.clone()),
            to_subcategory: Set(subcategory.as_str().to_owned()),
            actor_id: Set(current.user.id),
            created_at: Set(at),
        }
        .insert(&*txn)
        .await?;
    }
    let (events, mut inbox) = store::prepare_events(
        &updated,
        &heads,
        vec![NewEvent {
            event_type: transition.event,
            actor: Some((current.user.id, actor.role)),
            from_status: Some(status),
            to_status: Some(transition.to),
            public,
            text: event_text,
            data,
        }],
        at,
        department_name.as_deref(),
    );
    if let Some(event) = events
        .iter()
        .find(|e| e.event_type == EventType::Resolved.as_str())
    {
        inbox.extend(store::followers_inbox(event, &followers));
    }
    store::record_events(&*txn, &events, &inbox).await?;
    let inbox_users: Vec<Uuid> = inbox.iter().map(|entry| entry.user_id).collect();
    txn.commit().await?;
    state
        .hub
        .announce(&state.db, inbox_users, [updated.ward_id])
        .await;
    tracing::info!(report = %report.id, %action, to = %transition.to, "report action");

    // The actor just wrote an event, so staff keep seeing a report they sent elsewhere.
    let scope = store::scope(&updated, true);
    Ok(axum::Json(
        store::detail(&state.db, actor, &updated, &scope).await?,
    ))
}
