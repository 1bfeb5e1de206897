//! Packed statistics facts per ward and local day (`sos_domain::rollup`), kept in step with
//! the reports.
//!
//! Two things say that stored facts are behind the reports:
//! - **Pending events.** Every event that can change its report's facts is written with
//!   `facts_pending` set, in the transaction of the change itself: the history is the change
//!   log, so a filing writes no mark of its own and no two filings meet on a shared row. The
//!   facts worker ([`build_changed`]) reads the pending reports, writes their facts as a new
//!   part of their days and clears the flags: its work grows with the reports that changed,
//!   not with their days. A day's base is kept in segments by filing time, and the parts over
//!   it are folded into the segments they fall in once they outgrow half of those segments
//!   ([`rollup::day_update`]); the other segments are neither read nor written.
//! - **Day marks** ([`mark_changed`]): a whole day to build again from its reports, after a
//!   bulk load or when stored facts cannot be read.
//!
//! A reader ([`visit`]) takes the stored facts, with the pending reports' facts read from the
//! reports themselves and marked days built at once, so a figure never lags a committed
//! change. Pending events are read before the stored facts: a worker committing in between
//! has already folded them into what is read next. A day's parts are read in one statement,
//! so a reader never meets a fold half done.
//!
//! One worker at a time updates facts (an advisory lock on PostgreSQL, the single writer on
//! SQLite), so two replicas never rewrite the same day from different changes.

use crate::code::Stored;
use crate::db::Writer;
use crate::entities::{report, report_day_change, report_day_fact_part as day_part, report_event};
use crate::rows::id_lists;
use crate::stats::local_day_sql;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, OnConflict, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sos_domain::rollup::{self, DayUpdate, Deadline, ReportFact, Segment};
use sos_domain::taxonomy::{Category, Status};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use uuid::Uuid;

/// Days a worker rebuilds whole per transaction: short enough not to hold SQLite's writer long.
const BUILD_BATCH: u64 = 64;
/// Pending events a worker applies per transaction.
const PENDING_BATCH: u64 = 4000;
/// Arbitrary, fixed: the PostgreSQL advisory lock of the one worker updating facts.
const FACTS_LOCK: i64 = 0x5053_4b46; // "SOS KF"

/// Pending events, written as the partial index `report_events_facts_pending` is defined so
/// that SQLite uses it (a bound `true` would not match the index's condition).
fn pending() -> Expr {
    Expr::cust("facts_pending = TRUE")
}

/// A local day as the database keeps it (facts, their marks, digests sent).
pub fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn parse_day(key: &str) -> Result<NaiveDate, DbErr> {
    NaiveDate::parse_from_str(key, "%Y-%m-%d")
        .map_err(|e| DbErr::Custom(format!("report day `{key}`: {e}")))
}

/// Marks the wards' days of these reports to be built again whole, in the caller's
/// transaction: for writers that bypass events (a bulk load).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn mark_changed(
    txn: &impl ConnectionTrait,
    report_ids: &[Uuid],
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    if report_ids.is_empty() {
        return Ok(());
    }
    let day = local_day_sql(txn.get_database_backend(), "created_at");
    // In the order the facts worker deletes marks (ward, then day): a load marking days while
    // a worker takes them would otherwise lock a day the worker will take next while waiting
    // for one the worker holds, and PostgreSQL fails one of the two as a deadlock.
    let changed = Query::select()
        .distinct()
        .column(report::Column::WardId)
        .expr(Expr::cust(day.clone()))
        .expr(Expr::val(at))
        .from(report::Entity)
        .and_where(report::Column::Id.is_in(report_ids.iter().copied()))
        .order_by(report::Column::WardId, Order::Asc)
        .order_by_expr(Expr::cust(day), Order::Asc)
        .to_owned();
    let insert = Query::insert()
        .into_table(report_day_change::Entity)
        .columns([
            report_day_change::Column::WardId,
            report_day_change::Column::Day,
            report_day_change::Column::ChangedAt,
        ])
        .select_from(changed)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .on_conflict(
            OnConflict::columns([
                report_day_change::Column::WardId,
                report_day_change::Column::Day,
            ])
            .update_column(report_day_change::Column::ChangedAt)
            .to_owned(),
        )
        .to_owned();
    txn.execute(&insert).await?;
    Ok(())
}

/// What waits to be folded into stored facts: days marked to build whole, and reports with
/// pending events.
pub async fn waiting(db: &impl ConnectionTrait) -> Result<(u64, u64), DbErr> {
    use sea_orm::PaginatorTrait;
    let days = report_day_change::Entity::find().count(db).await?;
    let reports = report_event::Entity::find()
        .select_only()
        .column(report_event::Column::ReportId)
        .distinct()
        .filter(pending())
        .count(db)
        .await?;
    Ok((days, reports))
}

/// The columns of a report that its fact is made of, with its ward.
#[derive(Debug, FromQueryResult)]
struct FactRow {
    id: Uuid,
    ward_id: Uuid,
    created_at: DateTime<Utc>,
    category: Stored<Category>,
    department_id: Option<Uuid>,
    status: Stored<Status>,
    rating: Option<i32>,
    acknowledged_at: Option<DateTime<Utc>>,
    resolved_at: Option<DateTime<Utc>>,
    acknowledge_due_at: Option<DateTime<Utc>>,
    resolve_due_at: Option<DateTime<Utc>>,
    ward_acknowledge_due_at: Option<DateTime<Utc>>,
    ward_resolve_due_at: Option<DateTime<Utc>>,
    acknowledge_working_seconds: Option<i64>,
    resolve_working_seconds: Option<i64>,
}

impl FactRow {
    /// The reports' columns [`FactRow`] reads.
    fn select() -> sea_orm::Select<report::Entity> {
        report::Entity::find().select_only().columns([
            report::Column::Id,
            report::Column::WardId,
            report::Column::CreatedAt,
            report::Column::Category,
            report::Column::DepartmentId,
            report::Column::Status,
            report::Column::Rating,
            report::Column::AcknowledgedAt,
            report::Column::ResolvedAt,
            report::Column::AcknowledgeDueAt,
            report::Column::ResolveDueAt,
            report::Column::WardAcknowledgeDueAt,
            report::Column::WardResolveDueAt,
            report::Column::AcknowledgeWorkingSeconds,
            report::Column::ResolveWorkingSeconds,
        ])
    }

    /// Where the fact is kept: its ward and local day.
    fn place(&self) -> (Uuid, String) {
        (self.ward_id, day_key(rollup::local_day(self.created_at)))
    }

    fn fact(self) -> ReportFact {
        let (status, category) = (self.status.0, self.category.0);
        let settled = rollup::settled(status);
        let judge = |done, due| Deadline::judge(settled, done, due);
        // Working seconds beyond u32 (136 years) cannot happen; saturate rather than fail.
        let seconds = |s: Option<i64>| s.map(|s| u32::try_from(s.max(0)).unwrap_or(u32::MAX));
        ReportFact {
            report: self.id,
            created_at: self.created_at,
            category,
            department: self.department_id,
            open: rollup::open(status),
            resolved: self.resolved_at.is_some(),
            rating: self.rating.and_then(|r| u8::try_from(r).ok()),
            acknowledge_seconds: seconds(self.acknowledge_working_seconds),
            resolve_seconds: seconds(self.resolve_working_seconds),
            ward_acknowledge: judge(self.acknowledged_at, self.ward_acknowledge_due_at),
            ward_resolve: judge(self.resolved_at, self.ward_resolve_due_at),
            department_acknowledge: judge(self.acknowledged_at, self.acknowledge_due_at),
            department_resolve: judge(self.resolved_at, self.resolve_due_at),
        }
    }
}

/// The facts of a ward's reports filed on a local day, from the reports.
async fn build(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
    day: NaiveDate,
) -> Result<Vec<ReportFact>, DbErr> {
    let next = day.succ_opt().expect("a day before the end of time");
    let rows = FactRow::select()
        .filter(report::Column::WardId.eq(ward_id))
        .filter(report::Column::CreatedAt.gte(rollup::day_start(day)))
        .filter(report::Column::CreatedAt.lt(rollup::day_start(next)))
        .into_model::<FactRow>()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(FactRow::fact).collect())
}

/// The part of a day that holds its base's first segment; the later segments are numbered
/// down from it, and parts over the base up from 1.
const BASE: i32 = 0;

/// A ward and a local day, as facts are kept under.
type Place = (Uuid, String);

fn of_day(ward_id: Uuid, day: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(day_part::Column::WardId.eq(ward_id))
        .add(day_part::Column::Day.eq(day))
}

/// A day's stored parts from `from` up, newest first, unpacked: `None` when one cannot be read.
async fn layers(
    db: &impl ConnectionTrait,
    (ward_id, day): &Place,
    from: i32,
) -> Result<Option<Vec<Vec<ReportFact>>>, DbErr> {
    let parts: Vec<Vec<u8>> = day_part::Entity::find()
        .select_only()
        .column(day_part::Column::Facts)
        .filter(of_day(*ward_id, day))
        .filter(day_part::Column::Part.gte(from))
        .order_by_desc(day_part::Column::Part)
        .into_tuple()
        .all(db)
        .await?;
    Ok(parts
        .iter()
        .map(|bytes| rollup::unpack(bytes))
        .collect::<Result<_, _>>()
        .ok())
}

/// The earliest filing among facts: how far back in the day a part over the base reaches.
fn earliest(facts: &[ReportFact]) -> Option<DateTime<Utc>> {
    facts.iter().map(|fact| fact.created_at).min()
}

/// Writes one part of a day, in place of the one it replaces if any.
async fn put_part(
    db: &impl ConnectionTrait,
    (ward_id, day): Place,
    part: i32,
    filed_from: Option<DateTime<Utc>>,
    facts: &[ReportFact],
    built_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    day_part::Entity::insert(day_part::ActiveModel {
        ward_id: Set(ward_id),
        day: Set(day),
        part: Set(part),
        facts: Set(rollup::pack(facts)),
        report_count: Set(facts.len() as i32),
        built_at: Set(built_at),
        filed_from: Set(filed_from),
    })
    .on_conflict(
        OnConflict::columns([
            day_part::Column::WardId,
            day_part::Column::Day,
            day_part::Column::Part,
        ])
        .update_columns([
            day_part::Column::Facts,
            day_part::Column::ReportCount,
            day_part::Column::BuiltAt,
            day_part::Column::FiledFrom,
        ])
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Writes the segments cut from `facts` ([`rollup::cut`]) as parts `first`, `first - 1`, …:
/// the first keeps `filed_from`, each later one begins at its first fact.
async fn put_segments(
    db: &impl ConnectionTrait,
    place: &Place,
    first: i32,
    filed_from: Option<DateTime<Utc>>,
    facts: Vec<ReportFact>,
    built_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    for (n, segment) in rollup::cut(facts).iter().enumerate() {
        let from = if n == 0 {
            filed_from
        } else {
            earliest(segment)
        };
        put_part(db, place.clone(), first - n as i32, from, segment, built_at).await?;
    }
    Ok(())
}

/// Stores a day's facts whole, as its base's segments with nothing over them (none: the day
/// has no rows).
async fn store(
    db: &impl ConnectionTrait,
    place: Place,
    facts: Vec<ReportFact>,
    built_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    day_part::Entity::delete_many()
        .filter(of_day(place.0, &place.1))
        .exec(db)
        .await?;
    put_segments(db, &place, BASE, None, facts, built_at).await
}

/// A day's stored part, without its facts: (part, facts, `filed_from`).
type PartSize = (i32, i32, Option<DateTime<Utc>>);

/// The segments of a day's base, from its stored parts in filing order.
fn segments(base: &[PartSize]) -> Vec<Segment> {
    base.iter()
        .map(|(_, count, filed_from)| Segment {
            filed_from: *filed_from,
            facts: *count as usize,
        })
        .collect()
}

/// Brings a day's stored facts up to date with `now_facts`, the facts of its reports in
/// `changed`: as a new part, which may take in the newest parts, or folded into the base's
/// segments that the changes fall in ([`rollup::day_update`]).
async fn update_day(
    db: &impl ConnectionTrait,
    place: Place,
    changed: &HashSet<Uuid>,
    now_facts: Vec<ReportFact>,
    built_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    // What the day holds, without reading its facts: the parts over the base newest first,
    // then the base's segments in filing order.
    let sizes: Vec<PartSize> = day_part::Entity::find()
        .select_only()
        .columns([
            day_part::Column::Part,
            day_part::Column::ReportCount,
            day_part::Column::FiledFrom,
        ])
        .filter(of_day(place.0, &place.1))
        .order_by_desc(day_part::Column::Part)
        .into_tuple()
        .all(db)
        .await?;
    let (over, base) = sizes.split_at(sizes.partition_point(|(part, ..)| *part > BASE));
    if base.first().map(|(part, ..)| *part) != Some(BASE) {
        // No base (nothing stored yet): from the reports, whole.
        return rebuild(db, place, built_at).await;
    }
    // A part of unknown reach (stored before parts kept theirs) reaches the whole day.
    let reaches_from = over
        .iter()
        .map(|(.., filed_from)| *filed_from)
        .chain([earliest(&now_facts)])
        .min()
        .flatten();
    let counts: Vec<usize> = over
        .iter()
        .rev()
        .map(|(_, count, _)| *count as usize)
        .collect();
    let next = over.first().map_or(BASE, |(part, ..)| *part) + 1;
    let segments = segments(base);
    let reach = rollup::reach(&segments, reaches_from);
    let merging = match rollup::day_update(reach, &counts, now_facts.len()) {
        DayUpdate::AddPart { merging: 0 } => {
            let from = earliest(&now_facts);
            return put_part(db, place, next, from, &now_facts, built_at).await;
        }
        DayUpdate::AddPart { merging } => merging,
        DayUpdate::Fold => {
            return fold(db, place, base, &segments, changed, now_facts, built_at).await;
        }
    };
    // The new part takes in the `merging` newest parts.
    let from = over[merging - 1].0;
    let Some(layers) = layers(db, &place, from).await? else {
        // Stored facts that no longer read: from the reports, whole.
        return rebuild(db, place, built_at).await;
    };
    let mut facts = rollup::into_current(layers);
    rollup::replace(&mut facts, changed, now_facts);
    day_part::Entity::delete_many()
        .filter(of_day(place.0, &place.1))
        .filter(day_part::Column::Part.gte(from))
        .exec(db)
        .await?;
    put_part(db, place, next, earliest(&facts), &facts, built_at).await
}

/// Folds the parts over a day's base, and `now_facts`, into the base's segments they fall
/// in; the others are neither read nor written. The last segment, where new filings go, is
/// cut again once it outgrows [`rollup::SEGMENT_FACTS`].
async fn fold(
    db: &impl ConnectionTrait,
    place: Place,
    base: &[PartSize],
    segments: &[Segment],
    changed: &HashSet<Uuid>,
    now_facts: Vec<ReportFact>,
    built_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(over) = layers(db, &place, BASE + 1).await? else {
        return rebuild(db, place, built_at).await;
    };
    let mut newer = rollup::into_current(over);
    rollup::replace(&mut newer, changed, now_facts);
    let touched = rollup::by_segment(segments, newer);
    // Everything is read before anything is written: a segment that cannot be read sends the
    // day to be built whole. One segment per statement, so that the statement is the same
    // however many a fold touches (usually one).
    let mut folded = Vec::with_capacity(touched.len());
    for (index, newer) in touched {
        let (part, _, filed_from) = base[index];
        let stored: Option<Vec<u8>> = day_part::Entity::find()
            .select_only()
            .column(day_part::Column::Facts)
            .filter(of_day(place.0, &place.1))
            .filter(day_part::Column::Part.eq(part))
            .into_tuple()
            .one(db)
            .await?;
        let Some(Ok(old)) = stored.map(|bytes| rollup::unpack(&bytes)) else {
            return rebuild(db, place, built_at).await;
        };
        folded.push((
            index,
            part,
            filed_from,
            rollup::into_current(vec![newer, old]),
        ));
    }
    for (index, part, filed_from, facts) in folded {
        if index == base.len() - 1 {
            // The last segment is cut again: its first cut keeps its place, the others go
            // below it.
            put_segments(db, &place, part, filed_from, facts, built_at).await?;
        } else {
            put_part(db, place.clone(), part, filed_from, &facts, built_at).await?;
        }
    }
    day_part::Entity::delete_many()
        .filter(of_day(place.0, &place.1))
        .filter(day_part::Column::Part.gt(BASE))
        .exec(db)
        .await?;
    Ok(())
}

/// Builds a day whole from its reports and stores it.
async fn rebuild(
    db: &impl ConnectionTrait,
    place: Place,
    built_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let facts = build(db, place.0, parse_day(&place.1)?).await?;
    store(db, place, facts, built_at).await
}

/// Brings stored facts up to date: up to [`BUILD_BATCH`] marked days built whole, then up to
/// [`PENDING_BATCH`] pending events applied. Returns how many days and events it took, and
/// whether a full batch was taken (more may wait). Another replica's worker at work makes this
/// one skip its turn.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn build_changed(
    db: &DatabaseConnection,
    writer: &Writer,
    built_at: DateTime<Utc>,
) -> Result<(usize, bool), DbErr> {
    // Reads first: most looks find nothing, and need not queue for SQLite's writer.
    let marked = report_day_change::Entity::find().one(db).await?.is_some();
    let changed = report_event::Entity::find()
        .select_only()
        .column(report_event::Column::Id)
        .filter(pending())
        .into_tuple::<Uuid>()
        .one(db)
        .await?
        .is_some();
    if !marked && !changed {
        return Ok((0, false));
    }
    let txn = writer.begin(db).await?;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        let row = txn
            .query_one_raw(sea_orm::Statement::from_string(
                DatabaseBackend::Postgres,
                format!("SELECT pg_try_advisory_xact_lock({FACTS_LOCK}) AS locked"),
            ))
            .await?;
        if !row
            .map(|r| r.try_get::<bool>("", "locked"))
            .transpose()?
            .unwrap_or(false)
        {
            return Ok((0, false));
        }
    }
    let marks = report_day_change::Entity::find()
        .order_by_asc(report_day_change::Column::WardId)
        .order_by_asc(report_day_change::Column::Day)
        .limit(BUILD_BATCH)
        .all(&*txn)
        .await?;
    for mark in &marks {
        rebuild(&*txn, (mark.ward_id, mark.day.clone()), built_at).await?;
        report_day_change::Entity::delete_by_id((mark.ward_id, mark.day.clone()))
            .exec(&*txn)
            .await?;
    }
    let applied = apply_pending(&*txn, built_at).await?;
    txn.commit().await?;
    let full = marks.len() as u64 == BUILD_BATCH || applied as u64 == PENDING_BATCH;
    Ok((marks.len() + applied, full))
}

/// Applies up to [`PENDING_BATCH`] pending events: their reports' facts go over the old ones
/// in their days, and the events are no longer pending. Returns how many events it took.
async fn apply_pending(
    txn: &impl ConnectionTrait,
    built_at: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let events: Vec<(Uuid, Uuid)> = report_event::Entity::find()
        .select_only()
        .columns([report_event::Column::Id, report_event::Column::ReportId])
        .filter(pending())
        .limit(PENDING_BATCH)
        .into_tuple()
        .all(txn)
        .await?;
    if events.is_empty() {
        return Ok(0);
    }
    let changed: HashSet<Uuid> = events.iter().map(|(_, report)| *report).collect();
    let mut by_day: BTreeMap<Place, Vec<ReportFact>> = BTreeMap::new();
    let ids: Vec<Uuid> = changed.iter().copied().collect();
    for list in id_lists(&ids) {
        let rows = FactRow::select()
            .filter(report::Column::Id.is_in(list))
            .into_model::<FactRow>()
            .all(txn)
            .await?;
        for row in rows {
            by_day.entry(row.place()).or_default().push(row.fact());
        }
    }
    for (place, now_facts) in by_day {
        update_day(txn, place, &changed, now_facts, built_at).await?;
    }
    let event_ids: Vec<Uuid> = events.iter().map(|(id, _)| *id).collect();
    for list in id_lists(&event_ids) {
        report_event::Entity::update_many()
            .col_expr(report_event::Column::FactsPending, Expr::value(false))
            .filter(report_event::Column::Id.is_in(list))
            .exec(txn)
            .await?;
    }
    Ok(events.len())
}

/// Brings every stored fact up to date (after a bulk load, or to measure the work), unless
/// another replica's worker is at it.
pub async fn build_all_changed(
    db: &DatabaseConnection,
    writer: &Writer,
    built_at: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let mut total = 0;
    loop {
        match build_changed(db, writer, built_at).await? {
            (0, _) => return Ok(total),
            (n, _) => total += n,
        }
    }
}

/// The current facts of the reports with pending events filed on the local days
/// `first..=last`, in one ward or in all.
async fn pending_facts(
    db: &impl ConnectionTrait,
    ward: Option<Uuid>,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<(Uuid, String, ReportFact)>, DbErr> {
    let end = rollup::day_start(last.succ_opt().expect("a day before the end of time"));
    let pending_reports = Query::select()
        .column(report_event::Column::ReportId)
        .from(report_event::Entity)
        .and_where(pending())
        .to_owned();
    let mut select = FactRow::select()
        .filter(report::Column::Id.in_subquery(pending_reports))
        .filter(report::Column::CreatedAt.gte(rollup::day_start(first)))
        .filter(report::Column::CreatedAt.lt(end));
    if let Some(ward) = ward {
        select = select.filter(report::Column::WardId.eq(ward));
    }
    let rows = select.into_model::<FactRow>().all(db).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let (ward_id, day) = row.place();
            (ward_id, day, row.fact())
        })
        .collect())
}

/// Visits the facts of the reports filed on the local days `first..=last`, in one ward or in
/// all, with their ward, each as of now: stored facts, except for reports with pending events
/// and days marked, which are read from the reports (see the module's description). Facts
/// are unpacked a day at a time, never all held.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn visit(
    db: &impl ConnectionTrait,
    ward: Option<Uuid>,
    first: NaiveDate,
    last: NaiveDate,
    mut visitor: impl FnMut(Uuid, &ReportFact),
) -> Result<(), DbErr> {
    let (first_key, last_key) = (day_key(first), day_key(last));
    let mut marked = report_day_change::Entity::find()
        .filter(report_day_change::Column::Day.between(first_key.clone(), last_key.clone()));
    // Each day's parts together, newest first: one statement, so a fold is seen whole.
    let mut stored = day_part::Entity::find()
        .select_only()
        .columns([
            day_part::Column::WardId,
            day_part::Column::Day,
            day_part::Column::Part,
            day_part::Column::Facts,
        ])
        .filter(day_part::Column::Day.between(first_key, last_key))
        .order_by_asc(day_part::Column::WardId)
        .order_by_asc(day_part::Column::Day)
        .order_by_desc(day_part::Column::Part);
    if let Some(ward) = ward {
        marked = marked.filter(report_day_change::Column::WardId.eq(ward));
        stored = stored.filter(day_part::Column::WardId.eq(ward));
    }
    let marked: HashSet<Place> = marked
        .all(db)
        .await?
        .into_iter()
        .map(|mark| (mark.ward_id, mark.day))
        .collect();
    let pending = pending_facts(db, ward, first, last).await?;
    let changed: HashSet<Uuid> = pending.iter().map(|(_, _, fact)| fact.report).collect();
    let stored: Vec<(Uuid, String, i32, Vec<u8>)> = stored.into_tuple().all(db).await?;
    // Days to read from the reports: the marked ones, and any whose bytes cannot be read.
    let mut from_reports: BTreeSet<Place> = marked.iter().cloned().collect();
    for parts in stored.chunk_by(|a, b| (a.0, &a.1) == (b.0, &b.1)) {
        let (ward_id, day) = (parts[0].0, &parts[0].1);
        if marked.contains(&(ward_id, day.clone())) {
            continue;
        }
        let layers: Result<Vec<Vec<ReportFact>>, _> = parts
            .iter()
            .map(|(.., bytes)| rollup::unpack(bytes))
            .collect();
        // The parts over the base come first, then the base's segments.
        let over = parts.partition_point(|(_, _, part, _)| *part > BASE);
        match layers {
            Ok(layers) => rollup::current_over(&layers[..over], &layers[over..])
                .filter(|fact| !changed.contains(&fact.report))
                .for_each(|fact| visitor(ward_id, fact)),
            Err(error) => {
                tracing::warn!(%ward_id, day, "{error}: read from the reports instead");
                from_reports.insert((ward_id, day.clone()));
            }
        }
    }
    for (ward_id, day, fact) in &pending {
        if !from_reports.contains(&(*ward_id, day.clone())) {
            visitor(*ward_id, fact);
        }
    }
    for (ward_id, day) in from_reports {
        for fact in build(db, ward_id, parse_day(&day)?).await? {
            visitor(ward_id, &fact);
        }
    }
    Ok(())
}
