//! Reports, their timeline (events, kept forever), the inbox entries events write, and the
//! heads who joined them.

use crate::code::Stored;
use crate::entities::{
    department, device, neighborhood, notification, outbox, report, report_event, report_supporter,
    subcategory_correction, user, ward,
};
use crate::rows::{self, PostgresInserts};
use crate::{index, like_pattern};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select, Set,
    TryInsertResult,
};
use sos_domain::access::{self, Actor, ListScope, ReportScope};
use sos_domain::spatial;
use sos_domain::taxonomy::{Category, Priority, Role, Status, Subcategory};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What the access rules need to know of a report.
pub fn scope(report: &report::Model, actor_took_part: bool) -> ReportScope {
    ReportScope {
        ward_id: report.ward_id,
        neighborhood_id: report.neighborhood_id,
        department_id: report.department_id,
        reporter_id: report.reporter_id,
        category: *report.category,
        actor_took_part,
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<report::Model>, DbErr> {
    report::Entity::find_by_id(id).one(db).await
}

/// Whether the user wrote an event on the report.
pub async fn took_part(
    db: &impl ConnectionTrait,
    report_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    let count = report_event::Entity::find()
        .filter(report_event::Column::ReportId.eq(report_id))
        .filter(report_event::Column::ActorId.eq(user_id))
        .count(db)
        .await?;
    Ok(count > 0)
}

/// Whether the user joined the report as a supporter.
pub async fn supports(
    db: &impl ConnectionTrait,
    report_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    Ok(report_supporter::Entity::find_by_id((report_id, user_id))
        .one(db)
        .await?
        .is_some())
}

/// The reports an actor may see (`access::list_scope`), as a query to narrow further; `None`
/// when they see none.
pub fn visible(actor: &Actor) -> Option<Select<report::Entity>> {
    within(access::list_scope(actor))
}

/// The reports of a scope, as a query to narrow further; `None` for none.
pub fn within(scope: ListScope) -> Option<Select<report::Entity>> {
    let select = report::Entity::find();
    Some(match scope {
        ListScope::All => select,
        ListScope::Ward(w) => select.filter(report::Column::WardId.eq(w)),
        ListScope::Neighborhood {
            neighborhood_id,
            user_id,
            shared_ground_of,
        } => {
            let mut seen = Condition::any()
                .add(report::Column::NeighborhoodId.eq(neighborhood_id))
                .add(report::Column::ReporterId.eq(user_id));
            if let Some(ward_id) = shared_ground_of {
                let shared = access::SHARED_CATEGORIES.iter().map(|c| c.as_str());
                seen = seen.add(
                    Condition::all()
                        .add(report::Column::WardId.eq(ward_id))
                        .add(report::Column::Category.is_in(shared)),
                );
            }
            select.filter(seen)
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

/// The codes of the states `keep` picks, for SQL.
pub fn states(keep: impl Fn(Status) -> bool) -> Vec<&'static str> {
    Status::ALL
        .iter()
        .copied()
        .filter(|s| keep(*s))
        .map(Status::as_str)
        .collect()
}

/// A report near a new one: what a possible duplicate shows, and what decides who may see it.
/// Every filing with a place looks for up to 20 of them, so only these columns are read, not
/// the reports' whole rows (their search text, classification and clocks).
#[derive(Debug, Clone, FromQueryResult)]
pub struct NearReport {
    pub id: Uuid,
    pub ward_id: Uuid,
    pub neighborhood_id: Uuid,
    pub department_id: Option<Uuid>,
    pub reporter_id: Uuid,
    pub category: Stored<Category>,
    pub subcategory: Stored<Subcategory>,
    pub status: Stored<Status>,
    pub description: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub created_at: DateTime<Utc>,
}

impl NearReport {
    /// What the access rules need to know of it; the actor has not taken part in it.
    pub fn scope(&self) -> ReportScope {
        ReportScope {
            ward_id: self.ward_id,
            neighborhood_id: self.neighborhood_id,
            department_id: self.department_id,
            reporter_id: self.reporter_id,
            category: *self.category,
            actor_took_part: false,
        }
    }
}

/// Open reports of `subcategory` of the new report's ward within `window` of it, filed
/// before it, newest first (at most 20): the candidates to be the same problem. The caller
/// measures the exact distance.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn near(
    db: &impl ConnectionTrait,
    new: &report::Model,
    at: spatial::LatLon,
    window: &spatial::DuplicateWindow,
) -> Result<Vec<NearReport>, DbErr> {
    // A box around the place narrows the rows read; the exact distance decides.
    let lat_delta = window.radius_m / 111_000.0;
    let lon_delta = lat_delta / at.lat.to_radians().cos().max(0.1);
    report::Entity::find()
        .select_only()
        .columns([
            report::Column::Id,
            report::Column::WardId,
            report::Column::NeighborhoodId,
            report::Column::DepartmentId,
            report::Column::ReporterId,
            report::Column::Category,
            report::Column::Subcategory,
            report::Column::Status,
            report::Column::Description,
            report::Column::Lat,
            report::Column::Lon,
            report::Column::CreatedAt,
        ])
        .filter(report::Column::WardId.eq(new.ward_id))
        .filter(report::Column::Id.ne(new.id))
        .filter(report::Column::Subcategory.eq(new.subcategory))
        .filter(report::Column::Status.is_in(states(Status::is_open)))
        .filter(report::Column::CreatedAt.gte(new.created_at - chrono::Duration::days(window.days)))
        .filter(report::Column::CreatedAt.lte(new.created_at))
        .filter(report::Column::Lat.between(at.lat - lat_delta, at.lat + lat_delta))
        .filter(report::Column::Lon.between(at.lon - lon_delta, at.lon + lon_delta))
        .order_by_desc(report::Column::CreatedAt)
        // The most recent candidates in the box: enough to find the few nearest to show.
        .limit(NEAR_CANDIDATES)
        .into_model::<NearReport>()
        .all(db)
        .await
}

/// Reports in a possible duplicate's box read at most.
const NEAR_CANDIDATES: u64 = 20;

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
    ) -> Result<Refs, DbErr> {
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
            users: crate::accounts::users_by_id(db, user_ids).await?,
            departments: index(
                department::Entity::find()
                    .filter(department::Column::Id.is_in(department_ids))
                    .all(db)
                    .await?,
                |d| d.id,
            ),
        })
    }

    /// The refs of a report just filed, all in hand.
    pub fn of_new_report(
        ward: &ward::Model,
        neighborhood: Option<&neighborhood::Model>,
        reporter: &user::Model,
        department: Option<&department::Model>,
    ) -> Refs {
        Refs {
            wards: HashMap::from([(ward.id, ward.clone())]),
            neighborhoods: neighborhood
                .map(|n| (n.id, n.clone()))
                .into_iter()
                .collect(),
            users: HashMap::from([(reporter.id, reporter.clone())]),
            departments: department.map(|d| (d.id, d.clone())).into_iter().collect(),
        }
    }

    pub fn user(&self, id: Uuid) -> Option<&user::Model> {
        self.users.get(&id)
    }

    /// Keeps only the people `keep` picks (the others are not to be named).
    pub fn retain_users(&mut self, keep: impl Fn(&user::Model) -> bool) {
        self.users.retain(|_, u| keep(u));
    }

    pub fn ward(&self, id: Uuid) -> Option<&ward::Model> {
        self.wards.get(&id)
    }

    pub fn neighborhood(&self, id: Uuid) -> Option<&neighborhood::Model> {
        self.neighborhoods.get(&id)
    }

    pub fn department(&self, id: Uuid) -> Option<&department::Model> {
        self.departments.get(&id)
    }
}

/// A report's timeline, oldest first.
pub async fn timeline(
    db: &impl ConnectionTrait,
    report_id: Uuid,
) -> Result<Vec<report_event::Model>, DbErr> {
    report_event::Entity::find()
        .filter(report_event::Column::ReportId.eq(report_id))
        .order_by_asc(report_event::Column::CreatedAt)
        .order_by_asc(report_event::Column::Id)
        .all(db)
        .await
}

pub async fn supporter_count(db: &impl ConnectionTrait, report_id: Uuid) -> Result<u64, DbErr> {
    report_supporter::Entity::find()
        .filter(report_supporter::Column::ReportId.eq(report_id))
        .count(db)
        .await
}

/// Adds a supporter; false when they had joined already.
pub async fn join(
    txn: &impl ConnectionTrait,
    report_id: Uuid,
    user_id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let inserted = report_supporter::Entity::insert(report_supporter::ActiveModel {
        report_id: Set(report_id),
        user_id: Set(user_id),
        created_at: Set(at),
    })
    .on_conflict_do_nothing()
    .exec_without_returning(txn)
    .await?;
    Ok(matches!(inserted, TryInsertResult::Inserted(n) if n > 0))
}

/// Removes a supporter; false when they had not joined.
pub async fn leave(
    txn: &impl ConnectionTrait,
    report_id: Uuid,
    user_id: Uuid,
) -> Result<bool, DbErr> {
    let deleted = report_supporter::Entity::delete_by_id((report_id, user_id))
        .exec(txn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// The active heads of a neighborhood: who gets its inbox entries.
pub async fn heads_of(
    db: &impl ConnectionTrait,
    neighborhood_id: Uuid,
) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::NeighborhoodId.eq(neighborhood_id))
        .filter(user::Column::Role.eq(Role::NeighborhoodHead.as_str()))
        .filter(user::Column::Active.eq(true))
        .all(db)
        .await
}

/// Active heads, each with whether a phone of theirs is registered (read as [`Hearer`]).
fn heads_with_phones() -> Select<user::Entity> {
    let phones = Query::select()
        .expr(Expr::val(1))
        .from(device::Entity)
        .and_where(
            Expr::col((device::Entity, device::Column::UserId))
                .equals((user::Entity, user::Column::Id)),
        )
        .to_owned();
    user::Entity::find()
        .column_as(Expr::exists(phones), "has_phone")
        .filter(user::Column::Role.eq(Role::NeighborhoodHead.as_str()))
        .filter(user::Column::Active.eq(true))
}

/// The active heads of a ward, with whether each has a phone.
pub async fn heads_of_ward(db: &impl ConnectionTrait, ward_id: Uuid) -> Result<Vec<Hearer>, DbErr> {
    heads_with_phones()
        .filter(user::Column::WardId.eq(ward_id))
        .into_model::<Hearer>()
        .all(db)
        .await
}

/// A head who hears of a report, and whether a phone of theirs is registered for pushes.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Hearer {
    #[sea_orm(nested)]
    pub user: user::Model,
    pub has_phone: bool,
}

/// The heads who hear what happens to a report: those of its neighborhood, the head who filed
/// it (placed in another neighborhood by its position, they still follow it) and the heads who
/// joined it; read with whether each has a phone, so that what reaches them beyond the inbox
/// needs no second read.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn audience(
    db: &impl ConnectionTrait,
    report: &report::Model,
) -> Result<Vec<Hearer>, DbErr> {
    let joined = Query::select()
        .column(report_supporter::Column::UserId)
        .from(report_supporter::Entity)
        .and_where(report_supporter::Column::ReportId.eq(report.id))
        .to_owned();
    heads_with_phones()
        .filter(
            Condition::any()
                .add(user::Column::NeighborhoodId.eq(report.neighborhood_id))
                .add(user::Column::Id.eq(report.reporter_id))
                .add(user::Column::Id.in_subquery(joined)),
        )
        .into_model::<Hearer>()
        .all(db)
        .await
}

/// Reports merged into `primary` (marked its duplicates) from other neighborhoods, with the
/// heads of each.
pub async fn merged_from_elsewhere(
    db: &impl ConnectionTrait,
    primary: &report::Model,
) -> Result<Vec<(report::Model, Vec<user::Model>)>, DbErr> {
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

/// The ward of each of these reports.
pub async fn wards_of(
    db: &impl ConnectionTrait,
    report_ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, Uuid>, DbErr> {
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

/// Inserts new reports, skipping those whose id is taken; returns the ids inserted.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_new(
    txn: &impl ConnectionTrait,
    reports: &[report::Model],
) -> Result<HashSet<Uuid>, DbErr> {
    rows::insert_new::<report::ActiveModel>(txn, reports, &[]).await
}

/// Inserts reports in bulk (history loaded by `sos seed --synthetic`).
pub async fn insert_many(
    txn: &impl ConnectionTrait,
    reports: &[report::Model],
) -> Result<(), DbErr> {
    // A report has 36 columns: 400 of them stay under SQLite's 32,766 bound parameters.
    for chunk in reports.chunks(400) {
        report::Entity::insert_many(
            chunk
                .iter()
                .map(|r| report::ActiveModel::from(r.clone()).reset_all()),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Writes every column of `updated` if the stored report still has `version`; false when
/// someone changed it in between (nothing is written).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn update_versioned(
    txn: &impl ConnectionTrait,
    updated: &report::Model,
    version: i32,
) -> Result<bool, DbErr> {
    let mut active = report::ActiveModel::from(updated.clone()).reset_all();
    active.id = sea_orm::ActiveValue::Unchanged(updated.id);
    let result = report::Entity::update_many()
        .set(active)
        .filter(report::Column::Id.eq(updated.id))
        .filter(report::Column::Version.eq(version))
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks a report changed at `at` (a new version) whatever its version was: for what adds
/// to a report without changing it, such as a comment. False if there is no such report.
pub async fn touch(
    txn: &impl ConnectionTrait,
    report_id: Uuid,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = report::Entity::update_many()
        .col_expr(
            report::Column::Version,
            Expr::col(report::Column::Version).add(1),
        )
        .col_expr(report::Column::UpdatedAt, at.into())
        .filter(report::Column::Id.eq(report_id))
        .exec(txn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Marks reports changed at `at` (events were recorded on them), for the phones that fetch
/// what changed since they last looked; their version stays, nothing in them changed.
pub async fn mark_updated(
    txn: &impl ConnectionTrait,
    report_ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    for list in rows::id_lists(report_ids) {
        report::Entity::update_many()
            .col_expr(report::Column::UpdatedAt, at.into())
            .filter(report::Column::Id.is_in(list))
            .filter(report::Column::UpdatedAt.lt(at))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Sets the position of a report that has none; false when it has one.
pub async fn set_position(
    txn: &impl ConnectionTrait,
    report_id: Uuid,
    (lat, lon): (f64, f64),
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let updated = report::Entity::update_many()
        .col_expr(report::Column::Lat, lat.into())
        .col_expr(report::Column::Lon, lon.into())
        .col_expr(report::Column::UpdatedAt, at.into())
        .filter(report::Column::Id.eq(report_id))
        .filter(report::Column::Lat.is_null())
        .exec(txn)
        .await?;
    Ok(updated.rows_affected == 1)
}

/// A staff correction of the classifier's subcategory: training data.
pub struct Correction {
    pub report_id: Uuid,
    pub text: String,
    pub from: Subcategory,
    pub to: Subcategory,
    pub actor_id: Uuid,
    pub at: DateTime<Utc>,
}

pub async fn insert_correction(
    txn: &impl ConnectionTrait,
    correction: Correction,
) -> Result<(), DbErr> {
    subcategory_correction::ActiveModel {
        id: Set(Uuid::now_v7()),
        report_id: Set(correction.report_id),
        text: Set(correction.text),
        from_subcategory: Set(Stored(correction.from)),
        to_subcategory: Set(Stored(correction.to)),
        actor_id: Set(correction.actor_id),
        created_at: Set(correction.at),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Writes events and inbox entries.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn insert_events(
    txn: &impl ConnectionTrait,
    events: &[report_event::Model],
    inbox: &[notification::Model],
) -> Result<(), DbErr> {
    rows::insert::<report_event::ActiveModel>(txn, events).await?;
    rows::insert::<notification::ActiveModel>(txn, inbox).await
}

/// Writes what recording events adds: the events, their inbox entries and their deliveries.
/// On PostgreSQL in one statement, the first inserts as data-modifying `WITH` parts of the
/// last: one round trip instead of three. SQLite has no such `WITH`.
pub async fn insert_records(
    txn: &impl ConnectionTrait,
    events: &[report_event::Model],
    inbox: &[notification::Model],
    deliveries: &[outbox::Model],
) -> Result<(), DbErr> {
    if txn.get_database_backend() != DatabaseBackend::Postgres {
        insert_events(txn, events, inbox).await?;
        return crate::outbox::insert(txn, deliveries).await;
    }
    PostgresInserts::new()
        .add(events)?
        .add(inbox)?
        .add(deliveries)?
        .execute(txn)
        .await
}

/// What a list of reports narrows to, beyond what the actor may see.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub statuses: Vec<Status>,
    pub categories: Vec<Category>,
    pub subcategories: Vec<Subcategory>,
    pub priorities: Vec<Priority>,
    /// A department code (of any ward).
    pub department: Option<String>,
    pub neighborhood: Option<Uuid>,
    pub ward: Option<Uuid>,
    /// Filed in `[created_from, created_to)`.
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    /// Changed at or after: what a phone coming back online fetches.
    pub updated_since: Option<DateTime<Utc>>,
    /// Folded text (`sos_domain::text::fold`) the description or address contains.
    pub text: Option<String>,
    /// `[min_lon, min_lat, max_lon, max_lat]`.
    pub bbox: Option<[f64; 4]>,
    /// Only reports with a position.
    pub located: bool,
    /// Open reports past a deadline of the department holding them at this time.
    pub late_at: Option<DateTime<Utc>>,
}

/// Where a page of a list starts: after this report (by filing time, then id, newest first).
pub type ListCursor = (DateTime<Utc>, Uuid);

fn filtered(mut select: Select<report::Entity>, filter: &ListFilter) -> Select<report::Entity> {
    if !filter.statuses.is_empty() {
        select =
            select.filter(report::Column::Status.is_in(filter.statuses.iter().map(|s| s.as_str())));
    }
    if !filter.categories.is_empty() {
        select = select
            .filter(report::Column::Category.is_in(filter.categories.iter().map(|c| c.as_str())));
    }
    if !filter.subcategories.is_empty() {
        select = select.filter(
            report::Column::Subcategory.is_in(filter.subcategories.iter().map(|s| s.as_str())),
        );
    }
    if !filter.priorities.is_empty() {
        select = select
            .filter(report::Column::Priority.is_in(filter.priorities.iter().map(|p| p.as_str())));
    }
    if let Some(code) = &filter.department {
        let departments = Query::select()
            .column(department::Column::Id)
            .from(department::Entity)
            .and_where(department::Column::Code.eq(code.as_str()))
            .to_owned();
        select = select.filter(report::Column::DepartmentId.in_subquery(departments));
    }
    if let Some(n) = filter.neighborhood {
        select = select.filter(report::Column::NeighborhoodId.eq(n));
    }
    if let Some(w) = filter.ward {
        select = select.filter(report::Column::WardId.eq(w));
    }
    if let Some(from) = filter.created_from {
        select = select.filter(report::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.created_to {
        select = select.filter(report::Column::CreatedAt.lt(to));
    }
    if let Some(since) = filter.updated_since {
        select = select.filter(report::Column::UpdatedAt.gte(since));
    }
    if let Some(text) = &filter.text {
        select = select.filter(
            report::Column::SearchText.like(LikeExpr::new(like_pattern(text)).escape('\\')),
        );
    }
    if filter.located || filter.bbox.is_some() {
        select = select
            .filter(report::Column::Lat.is_not_null())
            .filter(report::Column::Lon.is_not_null());
    }
    if let Some([min_lon, min_lat, max_lon, max_lat]) = filter.bbox {
        select = select
            .filter(report::Column::Lon.between(min_lon, max_lon))
            .filter(report::Column::Lat.between(min_lat, max_lat));
    }
    if let Some(now) = filter.late_at {
        select = select
            .filter(report::Column::Status.is_in(states(Status::is_open)))
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
    select
}

/// A page of the reports an actor may see that match `filter`, newest first, starting after
/// `after`; with the cursor of the next page when there is one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filter: &ListFilter,
    limit: u64,
    after: Option<ListCursor>,
) -> Result<(Vec<report::Model>, Option<ListCursor>), DbErr> {
    let Some(select) = visible(actor) else {
        return Ok((Vec::new(), None));
    };
    let mut select = filtered(select, filter);
    if let Some((at, id)) = after {
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
        .all(db)
        .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| (r.created_at, r.id))
    } else {
        None
    };
    Ok((rows, next))
}

/// The newest reports with a position an actor may see, filed since `since`, not merged into
/// another: what hotspots are found in.
pub async fn recent_located(
    db: &impl ConnectionTrait,
    actor: &Actor,
    since: DateTime<Utc>,
    subcategory: Option<Subcategory>,
    ward: Option<Uuid>,
    limit: u64,
) -> Result<Vec<report::Model>, DbErr> {
    let Some(mut select) = visible(actor) else {
        return Ok(Vec::new());
    };
    select = select
        .filter(report::Column::Lat.is_not_null())
        .filter(report::Column::Lon.is_not_null())
        .filter(report::Column::CreatedAt.gte(since))
        // A report merged into another is the same problem counted once.
        .filter(report::Column::Status.ne(Status::Duplicate.as_str()));
    if let Some(subcategory) = subcategory {
        select = select.filter(report::Column::Subcategory.eq(subcategory.as_str()));
    }
    if let Some(ward) = ward {
        select = select.filter(report::Column::WardId.eq(ward));
    }
    select
        .order_by_desc(report::Column::CreatedAt)
        .limit(limit)
        .all(db)
        .await
}

/// The descriptions of a ward's open reports most past the ward's promise at `now`.
pub async fn most_overdue(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    report::Entity::find()
        .select_only()
        .column(report::Column::Description)
        .filter(report::Column::WardId.eq(ward_id))
        .filter(crate::stats::open())
        .filter(report::Column::WardResolveDueAt.lt(now))
        .order_by_asc(report::Column::WardResolveDueAt)
        .limit(limit)
        .into_tuple::<String>()
        .all(db)
        .await
}
