//! Loading and writing reports with their events and inbox entries.

use crate::error::{ApiError, ApiResult};
use crate::routes::views::{self, ReportRefs};
use crate::store::entities::{
    department, neighborhood, notification, report, report_event, report_photo, report_supporter,
    routing_rule, user, ward,
};
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::Value;
use sos_domain::access::{self, Actor, ListScope, ReportScope};
use sos_domain::photos::PhotoKind;
use sos_domain::taxonomy::{Action, EventType, Role, Status, Subcategory};
use sos_domain::{lifecycle, spatial};
use std::collections::HashMap;
use uuid::Uuid;

/// Now, at the precision both databases keep (microseconds), so that a value read back equals
/// the value written, which keyset cursors rely on.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Whether the user wrote an event on the report.
pub async fn took_part(
    db: &impl ConnectionTrait,
    report_id: Uuid,
    user_id: Uuid,
) -> ApiResult<bool> {
    let count = report_event::Entity::find()
        .filter(report_event::Column::ReportId.eq(report_id))
        .filter(report_event::Column::ActorId.eq(user_id))
        .count(db)
        .await?;
    Ok(count > 0)
}

pub fn scope(report: &report::Model, actor_took_part: bool) -> ReportScope {
    ReportScope {
        ward_id: report.ward_id,
        neighborhood_id: report.neighborhood_id,
        department_id: report.department_id,
        reporter_id: report.reporter_id,
        actor_took_part,
    }
}

/// Whether the user joined the report as a supporter.
pub async fn supports(
    db: &impl ConnectionTrait,
    report_id: Uuid,
    user_id: Uuid,
) -> ApiResult<bool> {
    Ok(report_supporter::Entity::find_by_id((report_id, user_id))
        .one(db)
        .await?
        .is_some())
}

/// A report the actor may see, with its access scope; anything else is "not found".
pub async fn find_visible(
    db: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> ApiResult<(report::Model, ReportScope)> {
    let report = report::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(ApiError::report_not_found)?;
    // Only staff outside the report's department need to know whether they took part, and
    // only heads outside its neighborhood whether they joined it.
    let took_part = match actor.role {
        Role::DepartmentStaff if report.department_id != actor.department_id => {
            took_part(db, report.id, actor.user_id).await?
        }
        Role::NeighborhoodHead
            if actor.neighborhood_id != Some(report.neighborhood_id)
                && report.reporter_id != actor.user_id =>
        {
            supports(db, report.id, actor.user_id).await?
        }
        _ => false,
    };
    let scope = scope(&report, took_part);
    if !access::can_view(actor, &scope) {
        return Err(ApiError::report_not_found());
    }
    Ok((report, scope))
}

/// Rows by their id.
pub(crate) fn index<M>(rows: Vec<M>, id: impl Fn(&M) -> Uuid) -> HashMap<Uuid, M> {
    rows.into_iter().map(|row| (id(&row), row)).collect()
}

/// The reports an actor may see, as a query to narrow further; `None` when they see none.
pub fn visible_reports(actor: &Actor) -> Option<sea_orm::Select<report::Entity>> {
    let select = report::Entity::find();
    Some(match access::list_scope(actor) {
        ListScope::All => select,
        ListScope::Ward(w) => select.filter(report::Column::WardId.eq(w)),
        ListScope::Neighborhood {
            neighborhood_id,
            user_id,
        } => {
            let joined = Query::select()
                .column(report_supporter::Column::ReportId)
                .from(report_supporter::Entity)
                .and_where(report_supporter::Column::UserId.eq(user_id))
                .to_owned();
            select.filter(
                Condition::any()
                    .add(report::Column::NeighborhoodId.eq(neighborhood_id))
                    .add(report::Column::ReporterId.eq(user_id))
                    .add(report::Column::Id.in_subquery(joined)),
            )
        }
        ListScope::Department {
            ward_id,
            department_id,
            user_id,
        } => {
            let acted_on = Query::select()
                .column(report_event::Column::ReportId)
                .from(report_event::Entity)
                .and_where(report_event::Column::ActorId.eq(user_id))
                .to_owned();
            select.filter(report::Column::WardId.eq(ward_id)).filter(
                Condition::any()
                    .add(report::Column::DepartmentId.eq(department_id))
                    .add(report::Column::Id.in_subquery(acted_on)),
            )
        }
        ListScope::Nothing => return None,
    })
}

/// At most this many possible duplicates are shown for a new report.
const MAX_POSSIBLE_DUPLICATES: u64 = 5;

/// Open reports of the same subcategory near a new one and recent enough to be the same
/// problem (see `spatial::duplicate_window`), nearest first, in the new report's ward. Those
/// of another neighborhood are listed without their text: the head may join them (and then
/// follow them) but does not read another neighborhood's reports.
pub async fn possible_duplicates(
    db: &impl ConnectionTrait,
    actor: &Actor,
    new: &report::Model,
) -> ApiResult<Vec<views::PossibleDuplicate>> {
    let (Some(lat), Some(lon), Ok(subcategory)) =
        (new.lat, new.lon, new.subcategory.parse::<Subcategory>())
    else {
        return Ok(Vec::new());
    };
    let select = report::Entity::find().filter(report::Column::WardId.eq(new.ward_id));
    let window = spatial::duplicate_window(subcategory);
    // A box around the place narrows the rows read; the exact distance decides.
    let lat_delta = window.radius_m / 111_000.0;
    let lon_delta = lat_delta / lat.to_radians().cos().max(0.1);
    let open = [
        Status::Submitted,
        Status::Assigned,
        Status::Acknowledged,
        Status::InProgress,
    ]
    .map(Status::as_str);
    let candidates = select
        .filter(report::Column::Id.ne(new.id))
        .filter(report::Column::Subcategory.eq(subcategory.as_str()))
        .filter(report::Column::Status.is_in(open))
        .filter(report::Column::CreatedAt.gte(new.created_at - chrono::Duration::days(window.days)))
        .filter(report::Column::CreatedAt.lte(new.created_at))
        .filter(report::Column::Lat.between(lat - lat_delta, lat + lat_delta))
        .filter(report::Column::Lon.between(lon - lon_delta, lon + lon_delta))
        .order_by_desc(report::Column::CreatedAt)
        .limit(100)
        .all(db)
        .await?;
    let here = spatial::LatLon { lat, lon };
    let mut near: Vec<views::PossibleDuplicate> = candidates
        .into_iter()
        .filter_map(|r| {
            let distance_m = spatial::distance_m(
                here,
                spatial::LatLon {
                    lat: r.lat?,
                    lon: r.lon?,
                },
            );
            let readable = access::can_view(actor, &scope(&r, false));
            (distance_m <= window.radius_m).then(|| views::PossibleDuplicate {
                id: r.id,
                subcategory: r.subcategory,
                status: r.status,
                description: readable.then_some(r.description),
                distance_m: distance_m.round(),
                created_at: r.created_at,
            })
        })
        .collect();
    near.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m));
    near.truncate(MAX_POSSIBLE_DUPLICATES as usize);
    Ok(near)
}

/// The rows that a set of reports (and events) refer to, fetched in one query per table.
#[derive(Default)]
pub struct Refs {
    wards: HashMap<Uuid, ward::Model>,
    neighborhoods: HashMap<Uuid, neighborhood::Model>,
    users: HashMap<Uuid, user::Model>,
    departments: HashMap<Uuid, department::Model>,
}

impl Refs {
    pub async fn load(
        db: &impl ConnectionTrait,
        reports: &[report::Model],
        extra_users: impl IntoIterator<Item = Uuid>,
    ) -> ApiResult<Refs> {
        let ward_ids: Vec<Uuid> = reports.iter().map(|r| r.ward_id).collect();
        let neighborhood_ids: Vec<Uuid> = reports.iter().map(|r| r.neighborhood_id).collect();
        let department_ids: Vec<Uuid> = reports.iter().filter_map(|r| r.department_id).collect();
        let mut user_ids: Vec<Uuid> = reports.iter().map(|r| r.reporter_id).collect();
        user_ids.extend(extra_users);
        Ok(Refs {
            wards: index(
                ward::Entity::find()
                    .filter(ward::Column::Id.is_in(ward_ids))
                    .all(db)
                    .await?,
                |w| w.id,
            ),
            neighborhoods: index(
                neighborhood::Entity::find()
                    .filter(neighborhood::Column::Id.is_in(neighborhood_ids))
                    .all(db)
                    .await?,
                |n| n.id,
            ),
            users: index(
                user::Entity::find()
                    .filter(user::Column::Id.is_in(user_ids))
                    .all(db)
                    .await?,
                |u| u.id,
            ),
            departments: index(
                department::Entity::find()
                    .filter(department::Column::Id.is_in(department_ids))
                    .all(db)
                    .await?,
                |d| d.id,
            ),
        })
    }

    /// The refs of a report just filed: the reporter and department are in hand, so only the
    /// ward and neighborhood are read.
    pub async fn of_new_report(
        db: &impl ConnectionTrait,
        report: &report::Model,
        reporter: &user::Model,
        department: Option<&department::Model>,
    ) -> ApiResult<Refs> {
        let (neighborhood, ward) = neighborhood::Entity::find_by_id(report.neighborhood_id)
            .find_also_related(ward::Entity)
            .one(db)
            .await?
            .map_or((None, None), |(n, w)| (Some(n), w));
        Ok(Refs {
            wards: ward.into_iter().map(|w| (w.id, w)).collect(),
            neighborhoods: neighborhood.into_iter().map(|n| (n.id, n)).collect(),
            users: HashMap::from([(reporter.id, reporter.clone())]),
            departments: department.into_iter().map(|d| (d.id, d.clone())).collect(),
        })
    }

    pub fn user(&self, id: Uuid) -> Option<&user::Model> {
        self.users.get(&id)
    }

    pub fn render(&self, report: &report::Model) -> ApiResult<views::Report> {
        let missing = |what: &str| {
            ApiError::internal(anyhow::anyhow!("report {}: {what} is missing", report.id))
        };
        Ok(views::Report::new(
            report,
            ReportRefs {
                ward: self
                    .wards
                    .get(&report.ward_id)
                    .ok_or_else(|| missing("ward"))?,
                neighborhood: self
                    .neighborhoods
                    .get(&report.neighborhood_id)
                    .ok_or_else(|| missing("neighborhood"))?,
                reporter: self
                    .users
                    .get(&report.reporter_id)
                    .ok_or_else(|| missing("reporter"))?,
                department: report
                    .department_id
                    .and_then(|id| self.departments.get(&id)),
            },
        ))
    }
}

pub async fn render_one(
    db: &impl ConnectionTrait,
    report: &report::Model,
) -> ApiResult<views::Report> {
    Refs::load(db, std::slice::from_ref(report), [])
        .await?
        .render(report)
}

/// What the actor can do to the report now: what their role permits and the state allows.
pub fn allowed_actions(actor: &Actor, report: &report::Model, scope: &ReportScope) -> Vec<Action> {
    let Ok(status) = report.status.parse::<Status>() else {
        return Vec::new();
    };
    let permitted = access::permitted_actions(actor, scope);
    lifecycle::allowed_actions(status)
        .iter()
        .copied()
        .filter(|a| permitted.contains(a))
        .collect()
}

/// The report with its timeline as the actor may see it.
/// A report's photos, oldest first.
async fn load_photos(
    db: &impl ConnectionTrait,
    report_id: Uuid,
) -> ApiResult<Vec<report_photo::Model>> {
    Ok(report_photo::Entity::find()
        .filter(report_photo::Column::ReportId.eq(report_id))
        .order_by_asc(report_photo::Column::CreatedAt)
        .order_by_asc(report_photo::Column::Id)
        .all(db)
        .await?)
}

/// A report's photos as the actor sees them, without the rest of the report.
pub async fn photo_views(
    db: &impl ConnectionTrait,
    actor: &Actor,
    report_id: Uuid,
) -> ApiResult<Vec<views::Photo>> {
    let photos = load_photos(db, report_id).await?;
    let authors = index(
        user::Entity::find()
            .filter(user::Column::Id.is_in(photos.iter().map(|p| p.added_by)))
            .all(db)
            .await?,
        |u| u.id,
    );
    Ok(photos
        .iter()
        .map(|p| views::Photo::new(p, authors.get(&p.added_by), actor.user_id))
        .collect())
}

/// The kinds of photo the actor may add to the report now.
pub fn photo_kinds(actor: &Actor, report: &report::Model, scope: &ReportScope) -> Vec<PhotoKind> {
    match report.status.parse::<Status>() {
        Ok(status) => access::photo_kinds(actor, scope, status),
        Err(_) => Vec::new(),
    }
}

pub async fn detail(
    db: &impl ConnectionTrait,
    actor: &Actor,
    report: &report::Model,
    scope: &ReportScope,
) -> ApiResult<views::ReportDetail> {
    let mut events = report_event::Entity::find()
        .filter(report_event::Column::ReportId.eq(report.id))
        .order_by_asc(report_event::Column::CreatedAt)
        .order_by_asc(report_event::Column::Id)
        .all(db)
        .await?;
    if !access::sees_internal_notes(actor) {
        events.retain(|e| e.visibility == "public");
    }
    let photos = load_photos(db, report.id).await?;
    let refs = Refs::load(
        db,
        std::slice::from_ref(report),
        events
            .iter()
            .filter_map(|e| e.actor_id)
            .chain(photos.iter().map(|p| p.added_by)),
    )
    .await?;
    let timeline = events
        .iter()
        .map(|e| views::Event::new(e, e.actor_id.and_then(|id| refs.user(id))))
        .collect();
    let supporters = report_supporter::Entity::find()
        .filter(report_supporter::Column::ReportId.eq(report.id))
        .count(db)
        .await?;
    Ok(views::ReportDetail {
        report: refs.render(report)?,
        timeline,
        allowed_actions: allowed_actions(actor, report, scope),
        supporters,
        photos: photos
            .iter()
            .map(|p| views::Photo::new(p, refs.user(p.added_by), actor.user_id))
            .collect(),
        photo_kinds: photo_kinds(actor, report, scope),
    })
}

pub async fn triage_desk(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
) -> ApiResult<Option<department::Model>> {
    Ok(department::Entity::find()
        .filter(department::Column::WardId.eq(ward_id))
        .filter(department::Column::TriageDesk.eq(true))
        .one(db)
        .await?)
}

/// The department of a ward that a report can be given to, named by its code in the request
/// field `field`. External agencies are reached by e-mail and have no one to work a report, so
/// a ward department always stays responsible: they cannot receive one.
pub async fn receiving_department(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
    code: &str,
    field: &str,
) -> ApiResult<department::Model> {
    let department = department::Entity::find()
        .filter(department::Column::WardId.eq(ward_id))
        .filter(department::Column::Code.eq(code.trim()))
        .one(db)
        .await?
        .ok_or_else(|| {
            ApiError::field(
                field,
                "Phường không có đơn vị với mã này.",
                "The ward has no department with this code.",
            )
        })?;
    if department.external {
        return Err(ApiError::field(
            field,
            "Cơ quan bên ngoài không nhận phản ánh trực tiếp; hãy giao cho một đơn vị của phường.",
            "An external agency cannot own a report; give it to a department of the ward.",
        ));
    }
    Ok(department)
}

/// The department the ward's routing table names for a subcategory (one query).
pub async fn routed_department(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
    subcategory: Subcategory,
) -> ApiResult<Option<department::Model>> {
    let rule = Query::select()
        .column(routing_rule::Column::DepartmentId)
        .from(routing_rule::Entity)
        .and_where(routing_rule::Column::WardId.eq(ward_id))
        .and_where(routing_rule::Column::Subcategory.eq(subcategory.as_str()))
        .to_owned();
    Ok(department::Entity::find()
        .filter(department::Column::Id.in_subquery(rule))
        .one(db)
        .await?)
}

/// An event to append to a report's history.
pub struct NewEvent {
    pub event_type: EventType,
    pub actor: Option<(Uuid, Role)>,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub public: bool,
    pub text: Option<String>,
    pub data: Value,
}

/// The active heads of a neighborhood: who gets its inbox entries. Read before a write
/// transaction starts, so that the transaction holds the SQLite write lock for as short as
/// possible; a head added in between gets the entries of the next change.
pub async fn heads_of(
    db: &impl ConnectionTrait,
    neighborhood_id: Uuid,
) -> ApiResult<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::NeighborhoodId.eq(neighborhood_id))
        .filter(user::Column::Role.eq(Role::NeighborhoodHead.as_str()))
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await?)
}

/// The heads who hear what happens to a report: those of its neighborhood, the head who filed
/// it (placed in another neighborhood by its position, they still follow it) and the heads who
/// joined it.
pub async fn audience(
    db: &impl ConnectionTrait,
    report: &report::Model,
) -> ApiResult<Vec<user::Model>> {
    let joined = Query::select()
        .column(report_supporter::Column::UserId)
        .from(report_supporter::Entity)
        .and_where(report_supporter::Column::ReportId.eq(report.id))
        .to_owned();
    Ok(user::Entity::find()
        .filter(user::Column::Role.eq(Role::NeighborhoodHead.as_str()))
        .filter(user::Column::Active.eq(true))
        .filter(
            Condition::any()
                .add(user::Column::NeighborhoodId.eq(report.neighborhood_id))
                .add(user::Column::Id.eq(report.reporter_id))
                .add(user::Column::Id.in_subquery(joined)),
        )
        .all(db)
        .await?)
}

/// The rows that record `events` on a report: the events, and an inbox entry for each head of
/// the neighborhood for the events the heads should hear of. Pure: nothing is written.
pub fn prepare_events(
    report: &report::Model,
    heads: &[user::Model],
    events: Vec<NewEvent>,
    at: DateTime<Utc>,
    department_name: Option<&str>,
) -> (Vec<report_event::Model>, Vec<notification::Model>) {
    let mut rows = Vec::with_capacity(events.len());
    let mut inbox = Vec::new();
    for event in events {
        let by_a_head = matches!(event.actor, Some((_, Role::NeighborhoodHead)));
        let row = report_event::Model {
            id: Uuid::now_v7(),
            report_id: report.id,
            event_type: event.event_type.as_str().to_owned(),
            actor_id: event.actor.map(|(id, _)| id),
            from_status: event.from_status.map(|s| s.as_str().to_owned()),
            to_status: event.to_status.map(|s| s.as_str().to_owned()),
            visibility: if event.public { "public" } else { "internal" }.to_owned(),
            text: event.text,
            data: event.data,
            created_at: at,
        };
        if lifecycle::notifies_heads(event.event_type, event.public, by_a_head) {
            let (title, body) = crate::notify::inbox_text(
                event.event_type,
                report,
                row.text.as_deref(),
                department_name,
            );
            inbox.extend(heads.iter().map(|head| notification::Model {
                id: Uuid::now_v7(),
                user_id: head.id,
                report_id: report.id,
                event_id: row.id,
                event_type: row.event_type.clone(),
                title: title.clone(),
                body: body.clone(),
                created_at: at,
                read_at: None,
            }));
        }
        rows.push(row);
    }
    (rows, inbox)
}

/// Reports merged into `primary` (marked its duplicates) from other neighborhoods, with the
/// heads of each: they should hear the primary's answer. Duplicates from the primary's own
/// neighborhood are left out, as its heads hear of the primary anyway.
pub async fn duplicates_with_heads(
    db: &impl ConnectionTrait,
    primary: &report::Model,
) -> ApiResult<Vec<(report::Model, Vec<user::Model>)>> {
    let duplicates = report::Entity::find()
        .filter(report::Column::DuplicateOf.eq(primary.id))
        .filter(report::Column::NeighborhoodId.ne(primary.neighborhood_id))
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(duplicates.len());
    for duplicate in duplicates {
        let heads = heads_of(db, duplicate.neighborhood_id).await?;
        out.push((duplicate, heads));
    }
    Ok(out)
}

/// Inbox entries telling the heads of merged reports the answer given to the primary one. Each
/// entry points to the head's own report, the one they can open.
pub fn followers_inbox(
    resolved: &report_event::Model,
    followers: &[(report::Model, Vec<user::Model>)],
) -> Vec<notification::Model> {
    let mut heads_seen = std::collections::HashSet::new();
    followers
        .iter()
        .flat_map(|(duplicate, heads)| heads.iter().map(move |head| (duplicate, head)))
        .filter(|(_, head)| heads_seen.insert(head.id))
        .map(|(duplicate, head)| {
            let (title, body) = crate::notify::merged_answer(duplicate, resolved.text.as_deref());
            notification::Model {
                id: Uuid::now_v7(),
                user_id: head.id,
                report_id: duplicate.id,
                event_id: resolved.id,
                event_type: resolved.event_type.clone(),
                title,
                body,
                created_at: resolved.created_at,
                read_at: None,
            }
        })
        .collect()
}

/// The ward of each of these reports.
pub async fn wards_of(
    db: &impl ConnectionTrait,
    report_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Uuid>, sea_orm::DbErr> {
    Ok(report::Entity::find()
        .select_only()
        .column(report::Column::Id)
        .column(report::Column::WardId)
        .filter(report::Column::Id.is_in(report_ids))
        .into_tuple::<(Uuid, Uuid)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Rows per multi-row insert: far under the bound-parameter limits of both engines.
const ROWS_PER_INSERT: usize = 500;

/// Records events as they happen: the events, their inbox entries, their deliveries to the
/// ward's webhooks, and the mark that their reports' statistics changed, all in the caller's
/// transaction.
pub async fn record_events(
    txn: &impl ConnectionTrait,
    events: &[report_event::Model],
    inbox: &[notification::Model],
) -> Result<(), sea_orm::DbErr> {
    insert_events(txn, events, inbox).await?;
    crate::outbox::enqueue(txn, events, inbox).await?;
    let mut reports: Vec<Uuid> = events
        .iter()
        .filter(|e| {
            e.event_type
                .parse()
                .map_or(true, sos_domain::rollup::changes_facts)
        })
        .map(|e| e.report_id)
        .collect();
    reports.sort_unstable();
    reports.dedup();
    crate::rollup::mark_changed(txn, &reports).await
}

/// Writes prepared events and inbox entries, a multi-row insert per table (history loaded in
/// bulk uses this alone: it is not news to announce).
pub async fn insert_events(
    txn: &impl ConnectionTrait,
    events: &[report_event::Model],
    inbox: &[notification::Model],
) -> Result<(), sea_orm::DbErr> {
    for chunk in events.chunks(ROWS_PER_INSERT) {
        report_event::Entity::insert_many(
            chunk
                .iter()
                .map(|row| report_event::ActiveModel::from(row.clone()).reset_all()),
        )
        .exec_without_returning(txn)
        .await?;
    }
    for chunk in inbox.chunks(ROWS_PER_INSERT) {
        notification::Entity::insert_many(
            chunk
                .iter()
                .map(|row| notification::ActiveModel::from(row.clone()).reset_all()),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}
