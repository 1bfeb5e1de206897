//! Packed statistics facts per ward and local day (`sos_domain::rollup`), kept in step with
//! the reports.
//!
//! Every transaction that records a report's events also marks the report's ward and day as
//! changed ([`mark_changed`]). Each replica's facts worker ([`build_changed`]) rebuilds marked days
//! and clears their marks; a reader ([`load`]) takes the stored facts of unmarked days and
//! builds marked ones from the reports at once, so a figure never lags a committed change.
//!
//! A mark is cleared only by the worker holding it locked (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, the single writer on SQLite). A writer re-marking a day that a worker holds
//! waits for the worker to commit and then marks it anew, so a change the worker could not
//! see is never left unmarked.

use crate::code::Stored;
use crate::db::Writer;
use crate::entities::{report, report_day_change, report_day_fact};
use crate::stats::local_day_sql;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use sos_domain::rollup::{self, Deadline, ReportFact};
use sos_domain::taxonomy::{Category, Status};
use std::collections::{BTreeSet, HashSet};
use uuid::Uuid;

/// Days a worker rebuilds per transaction: short enough not to hold SQLite's writer long.
const BUILD_BATCH: u64 = 64;

/// A local day as the database keeps it (facts, their marks, digests sent).
pub fn day_key(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn parse_day(key: &str) -> Result<NaiveDate, DbErr> {
    NaiveDate::parse_from_str(key, "%Y-%m-%d")
        .map_err(|e| DbErr::Custom(format!("report day `{key}`: {e}")))
}

/// Marks the wards' days of these reports as changed at `at`, in the caller's transaction.
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
    let changed = Query::select()
        .distinct()
        .column(report::Column::WardId)
        .expr(Expr::cust(day))
        .expr(Expr::val(at))
        .from(report::Entity)
        .and_where(report::Column::Id.is_in(report_ids.iter().copied()))
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
        // Updating (not ignoring) an existing mark takes its row lock: a worker holding the
        // mark finishes first, and this transaction's change is marked anew after it.
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

/// The columns of a report that its fact is made of.
#[derive(Debug, FromQueryResult)]
struct FactRow {
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
    fn fact(self) -> Result<ReportFact, DbErr> {
        let (status, category) = (self.status.0, self.category.0);
        let settled = rollup::settled(status);
        let judge = |done, due| Deadline::judge(settled, done, due);
        // Working seconds beyond u32 (136 years) cannot happen; saturate rather than fail.
        let seconds = |s: Option<i64>| s.map(|s| u32::try_from(s.max(0)).unwrap_or(u32::MAX));
        Ok(ReportFact {
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
        })
    }
}

/// The facts of a ward's reports filed on a local day, from the reports.
async fn build(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
    day: NaiveDate,
) -> Result<Vec<ReportFact>, DbErr> {
    let next = day.succ_opt().expect("a day before the end of time");
    let rows = report::Entity::find()
        .select_only()
        .columns([
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
        .filter(report::Column::WardId.eq(ward_id))
        .filter(report::Column::CreatedAt.gte(rollup::day_start(day)))
        .filter(report::Column::CreatedAt.lt(rollup::day_start(next)))
        .into_model::<FactRow>()
        .all(db)
        .await?;
    rows.into_iter().map(FactRow::fact).collect()
}

/// Rebuilds up to [`BUILD_BATCH`] changed days no other worker holds; returns how many, and
/// whether a full batch was taken (more may wait).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn build_changed(
    db: &DatabaseConnection,
    writer: &Writer,
    built_at: DateTime<Utc>,
) -> Result<(usize, bool), DbErr> {
    // A read first: most looks find nothing, and need not queue for SQLite's writer.
    if report_day_change::Entity::find().one(db).await?.is_none() {
        return Ok((0, false));
    }
    let txn = writer.begin(db).await?;
    let marks = report_day_change::Entity::find()
        .order_by_asc(report_day_change::Column::WardId)
        .order_by_asc(report_day_change::Column::Day)
        .limit(BUILD_BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .all(&*txn)
        .await?;
    for mark in &marks {
        let facts = build(&*txn, mark.ward_id, parse_day(&mark.day)?).await?;
        if facts.is_empty() {
            report_day_fact::Entity::delete_by_id((mark.ward_id, mark.day.clone()))
                .exec(&*txn)
                .await?;
        } else {
            report_day_fact::Entity::insert(report_day_fact::ActiveModel {
                ward_id: Set(mark.ward_id),
                day: Set(mark.day.clone()),
                facts: Set(rollup::pack(&facts)),
                report_count: Set(facts.len() as i32),
                built_at: Set(built_at),
            })
            .on_conflict(
                OnConflict::columns([
                    report_day_fact::Column::WardId,
                    report_day_fact::Column::Day,
                ])
                .update_columns([
                    report_day_fact::Column::Facts,
                    report_day_fact::Column::ReportCount,
                    report_day_fact::Column::BuiltAt,
                ])
                .to_owned(),
            )
            .exec_without_returning(&*txn)
            .await?;
        }
        report_day_change::Entity::delete_by_id((mark.ward_id, mark.day.clone()))
            .exec(&*txn)
            .await?;
    }
    txn.commit().await?;
    Ok((marks.len(), marks.len() as u64 == BUILD_BATCH))
}

/// Rebuilds every changed day (after a bulk load, or to measure the work).
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

/// Visits the facts of the reports filed on the local days `first..=last`, in one ward or in
/// all, with their ward, each day as of now: stored facts for days unchanged since built, the
/// reports themselves for the others. Facts are visited as they are unpacked, never all held.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn visit(
    db: &impl ConnectionTrait,
    ward: Option<Uuid>,
    first: NaiveDate,
    last: NaiveDate,
    mut visitor: impl FnMut(Uuid, &ReportFact),
) -> Result<(), DbErr> {
    let (first_key, last_key) = (day_key(first), day_key(last));
    let mut changed = report_day_change::Entity::find()
        .filter(report_day_change::Column::Day.between(first_key.clone(), last_key.clone()));
    let mut stored = report_day_fact::Entity::find()
        .select_only()
        .columns([
            report_day_fact::Column::WardId,
            report_day_fact::Column::Day,
            report_day_fact::Column::Facts,
        ])
        .filter(report_day_fact::Column::Day.between(first_key, last_key));
    if let Some(ward) = ward {
        changed = changed.filter(report_day_change::Column::WardId.eq(ward));
        stored = stored.filter(report_day_fact::Column::WardId.eq(ward));
    }
    let changed: HashSet<(Uuid, String)> = changed
        .all(db)
        .await?
        .into_iter()
        .map(|mark| (mark.ward_id, mark.day))
        .collect();
    let stored: Vec<(Uuid, String, Vec<u8>)> = stored.into_tuple().all(db).await?;
    // Days to read from the reports: the changed ones, and any whose bytes cannot be read.
    let mut from_reports: BTreeSet<(Uuid, String)> = changed.iter().cloned().collect();
    for (ward_id, day, bytes) in stored {
        if changed.contains(&(ward_id, day.clone())) {
            continue;
        }
        match rollup::unpack(&bytes) {
            Ok(facts) => facts.iter().for_each(|fact| visitor(ward_id, fact)),
            Err(error) => {
                tracing::warn!(%ward_id, day, "{error}: read from the reports instead");
                from_reports.insert((ward_id, day));
            }
        }
    }
    for (ward_id, day) in from_reports {
        for fact in build(db, ward_id, parse_day(&day)?).await? {
            visitor(ward_id, &fact);
        }
    }
    Ok(())
}
