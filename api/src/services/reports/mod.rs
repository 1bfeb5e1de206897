//! Reports: filing one from the phone ([`filing`]), working it through its states
//! ([`acting`]), reading one and lists of them ([`listing`]), and heads joining a report filed
//! nearby ([`supporters`]).

pub mod acting;
pub mod filing;
pub mod listing;
pub mod supporters;

use crate::problem::{Outcome, Problem};
use crate::services::Services;
use crate::services::accounts::{self, Caller};
use crate::services::directory::WardDirectory;
use crate::services::record::Audience;
use sos_domain::access::{self, Actor, ReportScope};
use sos_domain::code::Visibility;
use sos_domain::lifecycle;
use sos_domain::photos::PhotoKind;
use sos_domain::spatial;
use sos_domain::taxonomy::{Action, Role};
use sos_store::entities::{report, report_event, report_photo};
use sos_store::reports::{self as store, Refs};
use sos_store::{ConnectionTrait, photos};
use uuid::Uuid;

/// A report the actor may see, with its access scope; anything else is "not found".
#[tracing::instrument(level = "debug", skip_all)]
pub async fn find_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Outcome<(report::Model, ReportScope)> {
    let report = store::find(db, id)
        .await?
        .ok_or_else(Problem::report_not_found)?;
    // Only staff outside the report's department need to know whether they took part, and
    // only heads outside its neighborhood whether they joined it.
    let took_part = match actor.role {
        Role::DepartmentStaff if report.department_id != actor.department_id => {
            store::took_part(db, report.id, actor.user_id).await?
        }
        Role::NeighborhoodHead
            if actor.neighborhood_id != Some(report.neighborhood_id)
                && report.reporter_id != actor.user_id =>
        {
            store::supports(db, report.id, actor.user_id).await?
        }
        _ => false,
    };
    let scope = store::scope(&report, took_part);
    if !access::can_view(actor, &scope) {
        return Err(Problem::report_not_found());
    }
    Ok((report, scope))
}

/// The heads who hear what happens to a report (`store::audience`) and may read it as it now
/// stands: one who joined a report since reclassified as a security problem stops hearing of it.
pub async fn audience(db: &impl ConnectionTrait, report: &report::Model) -> Outcome<Audience> {
    Ok(readers_among(report, store::audience(db, report).await?))
}

/// The audience of a report being filed, which nobody has joined yet: the heads of its
/// neighborhood, from its ward's directory, when the head filing is one of them (a head whose
/// position placed the report elsewhere is read with the others).
pub async fn new_report_audience(
    db: &impl ConnectionTrait,
    directory: &WardDirectory,
    report: &report::Model,
) -> Outcome<Audience> {
    match directory.heads.get(&report.neighborhood_id) {
        Some(heads) if heads.iter().any(|h| h.user.id == report.reporter_id) => {
            Ok(readers_among(report, heads.clone()))
        }
        _ => audience(db, report).await,
    }
}

/// Those of `hearers` who may read the report as it now stands.
fn readers_among(report: &report::Model, mut hearers: Vec<store::Hearer>) -> Audience {
    let scope = store::scope(report, false);
    hearers.retain(|hearer| access::can_view(&accounts::head_actor(&hearer.user), &scope));
    Audience::new(hearers)
}

/// What the actor can do to the report now: what their role permits and the state allows.
pub fn allowed_actions(actor: &Actor, report: &report::Model, scope: &ReportScope) -> Vec<Action> {
    let permitted = access::permitted_actions(actor, scope);
    lifecycle::allowed_actions(*report.status)
        .iter()
        .copied()
        .filter(|a| permitted.contains(a))
        .collect()
}

/// The kinds of photo the actor may add to the report now.
pub fn photo_kinds(actor: &Actor, report: &report::Model, scope: &ReportScope) -> Vec<PhotoKind> {
    access::photo_kinds(actor, scope, *report.status)
}

/// A report with everything the actor may read of it.
pub struct Detail {
    pub report: report::Model,
    pub refs: Refs,
    /// Oldest first; internal notes only for those who read them.
    pub timeline: Vec<report_event::Model>,
    pub allowed_actions: Vec<Action>,
    /// Whether the actor learns who filed it (`refs` holds only the people they may see named).
    pub names_reporter: bool,
    pub supporters: u64,
    pub photos: Vec<report_photo::Model>,
    pub photo_kinds: Vec<PhotoKind>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn detail(
    db: &impl ConnectionTrait,
    actor: &Actor,
    report: report::Model,
    scope: &ReportScope,
) -> Outcome<Detail> {
    let mut timeline = store::timeline(db, report.id).await?;
    if !access::sees_internal_notes(actor) {
        timeline.retain(|e| *e.visibility == Visibility::Public);
    }
    let photos = photos::of_report(db, report.id).await?;
    let mut refs = Refs::load(
        db,
        std::slice::from_ref(&report),
        timeline
            .iter()
            .filter_map(|e| e.actor_id)
            .chain(photos.iter().map(|p| p.added_by)),
    )
    .await?;
    refs.retain_users(|person| access::sees_person(actor, scope, person.id, *person.role));
    Ok(Detail {
        names_reporter: refs.user(report.reporter_id).is_some(),
        allowed_actions: allowed_actions(actor, &report, scope),
        photo_kinds: photo_kinds(actor, &report, scope),
        supporters: store::supporter_count(db, report.id).await?,
        timeline,
        photos,
        refs,
        report,
    })
}

/// `GET /v1/reports/{id}`.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn get(services: &Services, caller: &Caller, id: Uuid) -> Outcome<Detail> {
    let (report, scope) = find_visible(&services.db, &caller.actor, id).await?;
    detail(&services.db, &caller.actor, report, &scope).await
}

/// At most this many possible duplicates are shown for a new report.
const MAX_POSSIBLE_DUPLICATES: usize = 5;

/// An open report near a new one, of the same subcategory: maybe the same problem.
pub struct Nearby {
    pub report: store::NearReport,
    pub distance_m: f64,
}

/// Open reports of the same subcategory near a new one and recent enough to be the same
/// problem (see `spatial::duplicate_window`), nearest first, in the new report's ward: only
/// those the actor may read (and so join); the others do not exist for them.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn possible_duplicates(
    db: &impl ConnectionTrait,
    actor: &Actor,
    new: &report::Model,
) -> Outcome<Vec<Nearby>> {
    let (Some(lat), Some(lon)) = (new.lat, new.lon) else {
        return Ok(Vec::new());
    };
    let here = spatial::LatLon { lat, lon };
    let window = spatial::duplicate_window(*new.subcategory);
    let mut near: Vec<Nearby> = store::near(db, new, here, &window)
        .await?
        .into_iter()
        .filter_map(|r| {
            let there = spatial::LatLon {
                lat: r.lat?,
                lon: r.lon?,
            };
            let distance_m = spatial::distance_m(here, there);
            let readable = access::can_view(actor, &r.scope());
            (readable && distance_m <= window.radius_m).then_some(Nearby {
                report: r,
                distance_m: distance_m.round(),
            })
        })
        .collect();
    near.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    near.truncate(MAX_POSSIBLE_DUPLICATES);
    Ok(near)
}
