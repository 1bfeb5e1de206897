//! The JSON shapes of responses (`openapi.yaml` components), built from stored rows and what
//! the use cases return.

use crate::http::error::current_lang;
use crate::i18n::Lang;
use crate::problem::Problem;
use crate::services::reports::filing::Filing;
use crate::services::reports::{Detail, Nearby, listing};
use crate::wording;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sos_domain::code::Visibility;
use sos_domain::photos::PhotoKind;
use sos_domain::sla::deadlines::DeadlineKind;
use sos_domain::sla::{self, Deadline, Standing};
use sos_domain::taxonomy::{Action, EventType, Status};
use sos_store::entities::{
    department, neighborhood, notification, report, report_event, report_photo, user, ward,
};
use sos_store::reports::Refs;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize)]
pub struct WardRef {
    pub id: Uuid,
    pub code: i32,
    pub name: String,
}

impl From<&ward::Model> for WardRef {
    fn from(w: &ward::Model) -> Self {
        WardRef {
            id: w.id,
            code: w.code,
            name: w.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NeighborhoodRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

impl From<&neighborhood::Model> for NeighborhoodRef {
    fn from(n: &neighborhood::Model) -> Self {
        NeighborhoodRef {
            id: n.id,
            code: n.code.clone(),
            name: n.name.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct DepartmentRef {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub external: bool,
}

impl From<&department::Model> for DepartmentRef {
    fn from(d: &department::Model) -> Self {
        DepartmentRef {
            id: d.id,
            code: d.code.clone(),
            name: d.name.clone(),
            external: d.external,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Department {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub external: bool,
    pub email: Option<String>,
    pub triage_desk: bool,
}

impl From<&department::Model> for Department {
    fn from(d: &department::Model) -> Self {
        Department {
            id: d.id,
            code: d.code.clone(),
            name: d.name.clone(),
            external: d.external,
            email: d.email.clone(),
            triage_desk: d.triage_desk,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct UserRef {
    pub id: Uuid,
    pub display_name: String,
    pub role: String,
}

impl From<&user::Model> for UserRef {
    fn from(u: &user::Model) -> Self {
        UserRef {
            id: u.id,
            display_name: u.display_name.clone(),
            role: u.role.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
    pub accuracy_m: Option<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: Uuid,
    pub ward: WardRef,
    pub neighborhood: NeighborhoodRef,
    /// None when the viewer reads the report's public part only.
    pub reporter: Option<UserRef>,
    pub description: String,
    pub address: Option<String>,
    pub location: Option<Location>,
    pub category: String,
    pub subcategory: String,
    pub chosen_subcategory: Option<String>,
    pub priority: String,
    pub status: String,
    pub department: Option<DepartmentRef>,
    pub classification: Value,
    pub duplicate_of: Option<Uuid>,
    pub rating: Option<i32>,
    pub response: Option<String>,
    #[serde(with = "crate::clock::rfc3339_serde")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::clock::rfc3339_serde")]
    pub updated_at: DateTime<Utc>,
    #[serde(with = "crate::clock::rfc3339_serde::option")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::clock::rfc3339_serde::option")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::clock::rfc3339_serde::option")]
    pub closed_at: Option<DateTime<Utc>>,
    pub deadlines: Deadlines,
}

/// A deadline as people see it: when, and where the report stands against it now.
#[derive(Debug, Clone, Serialize)]
pub struct DeadlineView {
    #[serde(with = "crate::clock::rfc3339_serde")]
    pub due_at: DateTime<Utc>,
    pub standing: Standing,
}

/// The department's deadlines (from when it received the report) and the ward's (from
/// filing). None where they do not apply: no department yet, or a report rejected or merged.
#[derive(Debug, Clone, Serialize)]
pub struct Deadlines {
    pub acknowledge: Option<DeadlineView>,
    pub resolve: Option<DeadlineView>,
    pub ward_acknowledge: Option<DeadlineView>,
    pub ward_resolve: Option<DeadlineView>,
}

impl Deadlines {
    fn of(r: &report::Model, now: DateTime<Utc>) -> Deadlines {
        let settled = matches!(*r.status, Status::Rejected | Status::Duplicate);
        let view = |start: Option<DateTime<Utc>>,
                    warn: Option<DateTime<Utc>>,
                    due: Option<DateTime<Utc>>,
                    done: Option<DateTime<Utc>>| {
            let due = due.filter(|_| !settled)?;
            let start = start.unwrap_or(r.created_at);
            let deadline = match warn {
                Some(warn_at) => Deadline {
                    started_at: start,
                    warn_at,
                    due_at: due,
                },
                None => Deadline::between(start, due),
            };
            Some(DeadlineView {
                due_at: due,
                standing: sla::deadlines::standing(&deadline, done, now),
            })
        };
        Deadlines {
            acknowledge: view(
                r.assigned_at,
                r.acknowledge_warn_at,
                r.acknowledge_due_at,
                r.acknowledged_at,
            ),
            resolve: view(
                r.assigned_at,
                r.resolve_warn_at,
                r.resolve_due_at,
                r.resolved_at,
            ),
            ward_acknowledge: view(None, None, r.ward_acknowledge_due_at, r.acknowledged_at),
            ward_resolve: view(None, None, r.ward_resolve_due_at, r.resolved_at),
        }
    }
}

/// The rows a report refers to, loaded together for a page of reports.
pub struct ReportRefs<'a> {
    pub ward: &'a ward::Model,
    pub neighborhood: &'a neighborhood::Model,
    pub reporter: Option<&'a user::Model>,
    pub department: Option<&'a department::Model>,
}

impl Report {
    /// The report as people see it, its deadlines judged at `now`.
    pub fn new(r: &report::Model, refs: ReportRefs<'_>, now: DateTime<Utc>) -> Self {
        Report {
            id: r.id,
            ward: refs.ward.into(),
            neighborhood: refs.neighborhood.into(),
            reporter: refs.reporter.map(Into::into),
            description: r.description.clone(),
            address: r.address.clone(),
            location: match (r.lat, r.lon) {
                (Some(lat), Some(lon)) => Some(Location {
                    lat,
                    lon,
                    accuracy_m: r.accuracy_m,
                }),
                _ => None,
            },
            category: r.category.as_str().to_owned(),
            subcategory: r.subcategory.as_str().to_owned(),
            chosen_subcategory: r.chosen_subcategory.map(|s| s.as_str().to_owned()),
            priority: r.priority.as_str().to_owned(),
            status: r.status.as_str().to_owned(),
            department: refs.department.map(Into::into),
            classification: r.classification.clone(),
            duplicate_of: r.duplicate_of,
            rating: r.rating,
            response: r.response.clone(),
            created_at: r.created_at,
            updated_at: r.updated_at,
            acknowledged_at: r.acknowledged_at,
            resolved_at: r.resolved_at,
            closed_at: r.closed_at,
            deadlines: Deadlines::of(r, now),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub actor: Option<UserRef>,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub visibility: Visibility,
    pub text: Option<String>,
    pub data: Value,
    #[serde(with = "crate::clock::rfc3339_serde")]
    pub created_at: DateTime<Utc>,
}

impl Event {
    /// The event as `lang` reads it: a deadline alert names its deadline in that language
    /// (the stored text is Vietnamese; `data` keeps the deadline and the time).
    pub fn new(e: &report_event::Model, actor: Option<&user::Model>, lang: Lang) -> Self {
        let alert = matches!(
            *e.event_type,
            EventType::DeadlineWarning | EventType::Escalated
        );
        let text = match (alert, lang) {
            (true, Lang::En) => deadline_alert_text(&e.data).or_else(|| e.text.clone()),
            _ => e.text.clone(),
        };
        Event {
            id: e.id,
            event_type: *e.event_type,
            actor: actor.map(Into::into),
            from_status: e.from_status.map(|s| *s),
            to_status: e.to_status.map(|s| *s),
            visibility: *e.visibility,
            text,
            data: e.data.clone(),
            created_at: e.created_at,
        }
    }
}

/// The English words of a deadline alert, from its `data`.
fn deadline_alert_text(data: &Value) -> Option<String> {
    let deadline: DeadlineKind = serde_json::from_value(data.get("deadline")?.clone()).ok()?;
    let due = DateTime::parse_from_rfc3339(data.get("due_at")?.as_str()?).ok()?;
    Some(
        wording::deadlines::describe(deadline, due.with_timezone(&Utc))
            .pick(Lang::En)
            .to_owned(),
    )
}

#[derive(Debug, Clone, Serialize)]
pub struct ReportDetail {
    #[serde(flatten)]
    pub report: Report,
    pub timeline: Vec<Event>,
    pub allowed_actions: Vec<Action>,
    /// Heads who joined the report instead of filing the same problem again.
    pub supporters: u64,
    /// Before (the problem) and after (the fix), oldest first.
    pub photos: Vec<Photo>,
    /// The kinds of photo the viewer may add now.
    pub photo_kinds: Vec<PhotoKind>,
}

/// A photo of a report, with the addresses of its files.
#[derive(Debug, Clone, Serialize)]
pub struct Photo {
    pub id: Uuid,
    pub kind: PhotoKind,
    pub added_by: Option<UserRef>,
    #[serde(with = "crate::clock::rfc3339_serde")]
    pub created_at: DateTime<Utc>,
    pub format: sos_domain::photos::PhotoFormat,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    pub files: PhotoFiles,
    /// Where the camera says it was taken, offered to whoever added it while the report has
    /// no position; used only if they accept it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_location: Option<SuggestedLocation>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhotoFiles {
    pub original: String,
    pub screen: String,
    pub thumb: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SuggestedLocation {
    pub lat: f64,
    pub lon: f64,
    /// Where to accept it.
    pub accept: String,
}

impl Photo {
    /// `viewer` sees the camera's position only on their own photo.
    pub fn new(p: &report_photo::Model, added_by: Option<&user::Model>, viewer: Uuid) -> Self {
        let base = format!("/v1/reports/{}/photos/{}", p.report_id, p.id);
        let suggested_location = match (p.suggested_lat, p.suggested_lon) {
            (Some(lat), Some(lon)) if p.added_by == viewer => Some(SuggestedLocation {
                lat,
                lon,
                accept: format!("{base}/location"),
            }),
            _ => None,
        };
        Photo {
            id: p.id,
            kind: *p.kind,
            added_by: added_by.map(Into::into),
            created_at: p.created_at,
            format: *p.format,
            width: p.width,
            height: p.height,
            bytes: p.original_bytes,
            files: PhotoFiles {
                original: format!("{base}/original"),
                screen: format!("{base}/screen"),
                thumb: format!("{base}/thumb"),
            },
            suggested_location,
        }
    }
}

/// An open report near a new one, of the same subcategory: maybe the same problem.
#[derive(Debug, Clone, Serialize)]
pub struct PossibleDuplicate {
    pub id: Uuid,
    pub subcategory: sos_domain::taxonomy::Subcategory,
    pub status: Status,
    pub description: String,
    pub distance_m: f64,
    #[serde(with = "crate::clock::rfc3339_serde")]
    pub created_at: DateTime<Utc>,
}

/// The answer to filing a report: the report, and open reports that may be the same problem.
#[derive(Debug, Clone, Serialize)]
pub struct ReportFiled {
    #[serde(flatten)]
    pub report: Report,
    pub possible_duplicates: Vec<PossibleDuplicate>,
    /// The photos sent with the report, when it was filed as a form.
    pub photos: Vec<Photo>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
    /// On the first page only: what to send as `updated_since` next time.
    #[serde(
        with = "crate::clock::rfc3339_serde::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub synced_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub report_id: Uuid,
    pub title: String,
    pub body: String,
    #[serde(with = "crate::clock::rfc3339_serde")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::clock::rfc3339_serde::option")]
    pub read_at: Option<DateTime<Utc>>,
}

impl Notification {
    /// An inbox entry for someone who reads `lang`.
    pub fn new(n: &notification::Model, lang: Lang) -> Self {
        Notification {
            id: n.id,
            event_type: *n.event_type,
            report_id: n.report_id,
            title: n.title_in(lang).to_owned(),
            body: n.body_in(lang).to_owned(),
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

/// A report with the rows it refers to, its deadlines judged at `now`; its reporter named or not.
pub fn report(
    r: &report::Model,
    refs: &Refs,
    now: DateTime<Utc>,
    names_reporter: bool,
) -> Result<Report, Problem> {
    let missing =
        |what: &str| Problem::internal(anyhow::anyhow!("report {}: {what} is missing", r.id));
    let refs = ReportRefs {
        ward: refs.ward(r.ward_id).ok_or_else(|| missing("ward"))?,
        neighborhood: refs
            .neighborhood(r.neighborhood_id)
            .ok_or_else(|| missing("neighborhood"))?,
        reporter: match names_reporter {
            true => Some(
                refs.user(r.reporter_id)
                    .ok_or_else(|| missing("reporter"))?,
            ),
            false => None,
        },
        department: r.department_id.and_then(|id| refs.department(id)),
    };
    Ok(Report::new(r, refs, now))
}

/// Reports of a page, in its order.
pub fn reports(page: &listing::Page, now: DateTime<Utc>) -> Result<Vec<Report>, Problem> {
    page.reports
        .iter()
        .map(|r| report(r, &page.refs, now, page.names_reporter(r)))
        .collect()
}

impl ReportDetail {
    pub fn new(detail: &Detail, viewer: Uuid, now: DateTime<Utc>) -> Result<Self, Problem> {
        let refs = &detail.refs;
        Ok(ReportDetail {
            report: report(&detail.report, refs, now, detail.names_reporter)?,
            timeline: detail
                .timeline
                .iter()
                .map(|e| Event::new(e, e.actor_id.and_then(|id| refs.user(id)), current_lang()))
                .collect(),
            allowed_actions: detail.allowed_actions.clone(),
            supporters: detail.supporters,
            photos: detail
                .photos
                .iter()
                .map(|p| Photo::new(p, refs.user(p.added_by), viewer))
                .collect(),
            photo_kinds: detail.photo_kinds.clone(),
        })
    }
}

impl From<&Nearby> for PossibleDuplicate {
    fn from(near: &Nearby) -> Self {
        let r = &near.report;
        PossibleDuplicate {
            id: r.id,
            subcategory: *r.subcategory,
            status: *r.status,
            description: r.description.clone(),
            distance_m: near.distance_m,
            created_at: r.created_at,
        }
    }
}

impl ReportFiled {
    /// The answer to filing, as the head who filed sees it.
    pub fn new(filing: &Filing, viewer: &user::Model, now: DateTime<Utc>) -> Result<Self, Problem> {
        Ok(ReportFiled {
            report: report(&filing.report, &filing.refs, now, true)?,
            possible_duplicates: filing.possible_duplicates.iter().map(Into::into).collect(),
            photos: filing
                .photos
                .iter()
                .map(|p| Photo::new(p, (p.added_by == viewer.id).then_some(viewer), viewer.id))
                .collect(),
        })
    }
}
