//! Filing a report: checked, placed by its position, classified, routed to a department of its
//! ward (or the triage desk), given its deadlines, and written with its first events by the
//! intake batcher. A phone on a flaky network sends its own id: the same submission sent again
//! gets the stored report back.

use crate::problem::{FieldError, Outcome, Problem, ProblemKind};
use crate::services::Services;
use crate::services::accounts::{Caller, sha256_hex};
use crate::services::directory::WardDirectory;
use crate::services::input;
use crate::services::intake::{Filed, NewReport};
use crate::services::photos::{self, Prepared};
use crate::services::record::{self, NewEvent};
use crate::services::reports::{Nearby, possible_duplicates};
use crate::services::sla;
use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sos_domain::access;
use sos_domain::boundaries::{self, Placement, Spot};
use sos_domain::classify::Classifier;
use sos_domain::photos::PhotoKind;
use sos_domain::taxonomy::{EventType, Status, Subcategory};
use sos_domain::{place, routing, text};
use sos_store::Stored;
use sos_store::entities::{department, report, report_photo};
use sos_store::reports::{self as store, Refs};
use std::sync::Arc;
use uuid::Uuid;

pub const MAX_DESCRIPTION_CHARS: usize = 4000;
pub const MAX_ADDRESS_CHARS: usize = 500;
/// A phone's reported GPS accuracy beyond this says nothing useful about the place.
const MAX_ACCURACY_M: f64 = 100_000.0;

#[derive(Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

/// A report as the phone sends it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    #[serde(default)]
    pub id: Option<Uuid>,
    pub description: String,
    #[serde(default)]
    pub subcategory: Option<Subcategory>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub address: Option<String>,
}

/// The submission as it is stored, without the id: what a retry must repeat exactly.
#[derive(Serialize)]
struct Fingerprint<'a> {
    description: &'a str,
    subcategory: Option<Subcategory>,
    location: Option<&'a Location>,
    address: Option<&'a str>,
}

/// A report filed (or found again for a retry), as the phone is answered.
pub struct Filing {
    /// False for a retry answered with the report already stored.
    pub created: bool,
    pub report: report::Model,
    pub refs: Refs,
    pub possible_duplicates: Vec<Nearby>,
    /// The photos sent with the report.
    pub photos: Vec<report_photo::Model>,
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn check(submission: &Submission) -> Outcome<()> {
    let mut errors = Vec::new();
    let description = submission.description.trim();
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
    input::clean_text("/description", description, &mut errors);
    if let Some(address) = submission.address.as_deref() {
        input::single_line("/address", address, &mut errors);
    }
    if submission
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
    if let Some(location) = &submission.location {
        check_location(location, &mut errors);
    }
    Problem::check(errors)
}

fn check_location(location: &Location, errors: &mut Vec<FieldError>) {
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

/// Whether the caller may file reports: checked before a filing is read.
pub fn may_file(caller: &Caller) -> Outcome<()> {
    if access::can_file_report(&caller.actor) {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "Chỉ trưởng khu phố gửi phản ánh.",
            "Only neighborhood heads file reports.",
        ))
    }
}

/// Files a report (or, for a retry, finds it).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn file(services: &Services, caller: &Caller, submission: Submission) -> Outcome<Filing> {
    may_file(caller)?;
    file_checked(services, caller, submission).await
}

/// Files a report with up to five photos of the problem. Every photo is checked and made
/// before the report is filed: a refused photo files nothing.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn file_with_photos(
    services: &Services,
    caller: &Caller,
    submission: Submission,
    uploads: Vec<Bytes>,
) -> Outcome<Filing> {
    may_file(caller)?;
    let mut prepared: Vec<Prepared> = Vec::with_capacity(uploads.len());
    for upload in uploads {
        prepared.push(photos::prepare(services, upload).await?);
    }
    let mut filing = file_checked(services, caller, submission).await?;
    for photo in prepared {
        let (_, photo) =
            photos::attach(services, caller, &filing.report, PhotoKind::Before, photo).await?;
        // The same file twice in one form is one photo.
        if !filing.photos.iter().any(|p| p.id == photo.id) {
            filing.photos.push(photo);
        }
    }
    Ok(filing)
}

async fn file_checked(
    services: &Services,
    caller: &Caller,
    submission: Submission,
) -> Outcome<Filing> {
    check(&submission)?;
    let fingerprint = Fingerprint {
        description: submission.description.trim(),
        subcategory: submission.subcategory,
        location: submission.location.as_ref(),
        address: non_empty(submission.address.as_deref()),
    };
    let request_hash = sha256_hex(
        serde_json::to_string(&fingerprint)
            .map_err(Problem::internal)?
            .as_bytes(),
    );
    // A retried id is not looked up first: the insert finds it taken, at no extra read for
    // the many filings that are not retries.
    let id = submission.id.unwrap_or_else(Uuid::now_v7);
    let (new, department, directory) =
        prepare(services, caller, &submission, id, request_hash).await?;
    let model = new.report.clone();
    if services.intake.file(new).await? == Filed::IdTaken {
        // A retry of a stored submission (or two copies of one that raced, the other one
        // won), or an id that is someone else's: answer as to a retry.
        return replay(services, caller, id, &model.request_hash)
            .await?
            .ok_or_else(|| {
                Problem::internal(anyhow::anyhow!("report {id} is neither stored nor found"))
            });
    }
    tracing::info!(report = %id, subcategory = %model.subcategory, department = ?department.as_ref().map(|d| &d.code), "report filed");
    let refs = Refs::of_new_report(
        &directory.ward,
        directory.neighborhoods.get(&model.neighborhood_id),
        &caller.user,
        department.as_ref(),
    );
    Ok(Filing {
        created: true,
        possible_duplicates: possible_duplicates(&services.db, &caller.actor, &model).await?,
        report: model,
        refs,
        photos: Vec::new(),
    })
}

/// A retried submission: the same body gets the stored report back, a different body is a
/// conflict (the phone reused an id by mistake, or the id belongs to someone else's report).
async fn replay(
    services: &Services,
    caller: &Caller,
    id: Uuid,
    request_hash: &str,
) -> Outcome<Option<Filing>> {
    let Some(existing) = store::find(&services.db, id).await? else {
        return Ok(None);
    };
    if existing.reporter_id == caller.user.id && existing.request_hash == request_hash {
        let refs = Refs::load(&services.db, std::slice::from_ref(&existing), []).await?;
        return Ok(Some(Filing {
            created: false,
            possible_duplicates: possible_duplicates(&services.db, &caller.actor, &existing)
                .await?,
            report: existing,
            refs,
            photos: Vec::new(),
        }));
    }
    Err(Problem::of(
        ProblemKind::IdempotencyConflict,
        "Mã phản ánh này đã được dùng cho một nội dung khác.",
        "This report id was already used with a different content.",
    ))
}

/// Where the report belongs: where its position lies, which may be another ward.
async fn place_of(
    services: &Services,
    caller: &Caller,
    location: Option<&Location>,
) -> Outcome<(uuid::Uuid, uuid::Uuid)> {
    let actor = &caller.actor;
    let (Some(home_ward), Some(home_neighborhood)) = (actor.ward_id, actor.neighborhood_id) else {
        return Err(Problem::forbidden(
            "Tài khoản chưa gắn với khu phố.",
            "The account has no neighborhood.",
        ));
    };
    let spot = location.map(|l| Spot {
        lat: l.lat,
        lon: l.lon,
        accuracy_m: l.accuracy_m,
    });
    let index = services
        .boundaries
        .index(&services.db, &services.clock)
        .await?;
    match boundaries::placement(&index, spot, (home_ward, home_neighborhood)) {
        Placement::Here { ward, .. } if !index.serving.contains(&ward) => Err(Problem::conflict(
            "Phường/xã này đã ngừng nhận phản ánh mới.",
            "This ward no longer takes new reports.",
        )),
        Placement::Here { ward, neighborhood } => Ok((ward, neighborhood)),
        Placement::Outside => Err(Problem::field(
            "/location",
            "Vị trí nằm ngoài mọi phường, xã đang dùng hệ thống; hãy kiểm tra GPS hoặc bỏ vị trí và ghi địa chỉ.",
            "The position lies outside every ward served here; check the GPS, or leave it out and write the address.",
        )),
    }
}

/// The report, classified, routed and given its deadlines, with its first events; the
/// department it went to, and its ward's directory.
#[tracing::instrument(level = "debug", skip_all)]
async fn prepare(
    services: &Services,
    caller: &Caller,
    submission: &Submission,
    id: Uuid,
    request_hash: String,
) -> Outcome<(NewReport, Option<department::Model>, Arc<WardDirectory>)> {
    let (ward_id, neighborhood_id) =
        place_of(services, caller, submission.location.as_ref()).await?;
    let classification = services.classifier.classify(submission.description.trim());
    let route = routing::route(
        &classification,
        submission.subcategory,
        services.settings.triage_threshold,
    );
    let directory = services.ward_directory(ward_id).await?;
    let routed = if route.to_triage {
        None
    } else {
        directory.routed_department(route.subcategory)
    };
    // A subcategory the ward has not routed goes to the triage desk rather than nowhere.
    let to_triage = routed.is_none();
    let department = routed.or_else(|| directory.triage_desk()).cloned();
    let mut classification_json =
        serde_json::to_value(&classification).map_err(Problem::internal)?;
    classification_json["routed_to_triage"] = json!(to_triage);
    let at = services.clock.now();
    let mut model = draft(submission, (ward_id, neighborhood_id), caller, at);
    model.id = id;
    model.request_hash = request_hash;
    model.category = Stored(route.subcategory.category());
    model.subcategory = Stored(route.subcategory);
    model.priority = Stored(classification.priority);
    model.classification = classification_json;
    if let Some(department) = &department {
        model.status = Stored(Status::Assigned);
        model.department_id = Some(department.id);
    }
    let clock = services.ward_clocks.ward(&services.db, ward_id).await?;
    clock.start_ward_clock(&mut model);
    if department.is_some() {
        clock.start_department_clock(&mut model, at);
    }
    sla::schedule_alerts(&mut model);
    let audience = super::new_report_audience(&services.db, &directory, &model).await?;
    let events = first_events(caller, &model, department.as_ref(), to_triage);
    let (events, inbox) = record::prepare(
        &model,
        &audience.heads,
        events,
        at,
        department.as_ref().map(|d| d.name.as_str()),
    );
    let new = NewReport {
        report: model,
        events,
        inbox,
        audience,
    };
    Ok((new, department, directory))
}

/// The report as the head submitted it, in `place`, filed at `at`, not yet classified nor
/// routed.
fn draft(
    submission: &Submission,
    (ward_id, neighborhood_id): (Uuid, Uuid),
    caller: &Caller,
    at: chrono::DateTime<chrono::Utc>,
) -> report::Model {
    let description = submission.description.trim();
    let address = non_empty(submission.address.as_deref());
    let location = submission.location.as_ref();
    report::Model {
        id: Uuid::nil(),
        ward_id,
        neighborhood_id,
        reporter_id: caller.user.id,
        description: description.to_owned(),
        address: address.map(str::to_owned),
        lat: location.map(|l| l.lat),
        lon: location.map(|l| l.lon),
        accuracy_m: location.and_then(|l| l.accuracy_m),
        category: Stored(Subcategory::Other.category()),
        subcategory: Stored(Subcategory::Other),
        chosen_subcategory: submission.subcategory.map(Stored),
        priority: Stored(sos_domain::taxonomy::Priority::Normal),
        status: Stored(Status::Submitted),
        department_id: None,
        classification: json!({}),
        duplicate_of: None,
        rating: None,
        response: None,
        request_hash: String::new(),
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
        next_alert_at: None,
    }
}

/// Submitted by the head, and assigned to its department when it has one.
fn first_events(
    caller: &Caller,
    model: &report::Model,
    department: Option<&department::Model>,
    to_triage: bool,
) -> Vec<NewEvent> {
    let mut submitted = NewEvent::public(EventType::Submitted);
    submitted.actor = Some((caller.user.id, caller.actor.role));
    submitted.to_status = Some(Status::Submitted);
    let mut events = vec![submitted];
    if let Some(department) = department {
        let mut assigned = NewEvent::public(EventType::Assigned);
        assigned.from_status = Some(Status::Submitted);
        assigned.to_status = Some(Status::Assigned);
        assigned.data = json!({
            "department": department.code,
            "subcategory": model.subcategory,
            "to_triage": to_triage,
            "confidence": model.classification["confidence"],
        });
        events.push(assigned);
    }
    events
}
