//! The queries behind leaders' statistics, over the reports the caller may see. Those who see
//! whole wards are answered from the packed day facts ([`tally_by`], `crate::facts`); the
//! others, and figures a fact cannot give, by SQL over the reports: counts summed in the
//! database, percentiles ranked there and interpolated in Rust the same way on both engines
//! (`sos_domain::stats::Percentile`). A test holds the two ways to the same figures.
//!
//! Two clocks (see `sla`): the summary, neighborhoods and wards are judged by the ward's
//! promise to the neighborhood (`ward_*_due_at`, from filing); departments by their own
//! deadlines (`*_due_at`, from when they received the report).

use crate::entities::{department, report};
use crate::reports::within;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, Query, SimpleExpr, WindowStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QuerySelect, QueryTrait, Select,
};
use sos_domain::access::{Actor, ListScope, counted_scope};
use sos_domain::rollup;
pub use sos_domain::rollup::{Clock, ReportFact, Spread, Tally};
use sos_domain::stats::{AgeBucket, MEDIAN, P90};
use sos_domain::taxonomy::{Category, Status};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// What a statistics request narrows to.
#[derive(Debug, Clone)]
pub struct Filters {
    /// Reports filed in `[from, to)`.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub ward: Option<Uuid>,
    pub department: Option<String>,
    pub category: Option<Category>,
}

/// Reports the actor may see matching the filters but the period: the open backlog is
/// counted whenever its reports were filed.
fn scoped_any_time(actor: &Actor, filters: &Filters) -> Option<Select<report::Entity>> {
    let mut select = within(counted_scope(actor))?;
    if let Some(ward) = filters.ward {
        select = select.filter(report::Column::WardId.eq(ward));
    }
    if let Some(code) = &filters.department {
        let departments = Query::select()
            .column(department::Column::Id)
            .from(department::Entity)
            .and_where(department::Column::Code.eq(code.as_str()))
            .to_owned();
        select = select.filter(report::Column::DepartmentId.in_subquery(departments));
    }
    if let Some(category) = filters.category {
        select = select.filter(report::Column::Category.eq(category.as_str()));
    }
    Some(select)
}

/// Reports the actor may see, filed in the period, matching the filters.
pub fn scoped(actor: &Actor, filters: &Filters) -> Option<Select<report::Entity>> {
    Some(
        scoped_any_time(actor, filters)?
            .filter(report::Column::CreatedAt.gte(filters.from))
            .filter(report::Column::CreatedAt.lt(filters.to)),
    )
}

/// `SUM(CASE WHEN condition THEN 1 ELSE 0 END)`.
fn count_if(condition: impl Into<Condition>) -> SimpleExpr {
    Func::sum(Expr::case(condition.into(), 1).finally(0)).into()
}

/// The codes of the states `keep` picks: SQL says what `domain::rollup` decides per report.
fn states(keep: fn(Status) -> bool) -> impl Iterator<Item = &'static str> {
    Status::ALL
        .iter()
        .filter(move |s| keep(**s))
        .map(|s| s.as_str())
}

/// Reports waiting for the ward.
pub(crate) fn open() -> SimpleExpr {
    report::Column::Status.is_in(states(rollup::open))
}

/// Reports whose deadlines count: not rejected, not merged into another.
fn settled() -> SimpleExpr {
    report::Column::Status.is_not_in(states(|s| !rollup::settled(s)))
}

/// Met in time: done, and done by the deadline.
fn met(done: report::Column, due: report::Column) -> Condition {
    Condition::all()
        .add(settled())
        .add(done.is_not_null())
        .add(due.is_not_null())
        .add(Expr::col(done).lte(Expr::col(due)))
}

/// Missed: done after the deadline, or not done and the deadline has passed by `now`.
fn missed(done: report::Column, due: report::Column, now: DateTime<Utc>) -> Condition {
    Condition::all().add(settled()).add(due.is_not_null()).add(
        Condition::any()
            .add(
                Condition::all()
                    .add(done.is_not_null())
                    .add(Expr::col(done).gt(Expr::col(due))),
            )
            .add(Condition::all().add(done.is_null()).add(due.lt(now))),
    )
}

/// The counts of one group of reports.
#[derive(Debug, Clone, Default, FromQueryResult)]
pub struct Counts {
    pub received: i64,
    pub resolved: Option<i64>,
    pub open: Option<i64>,
    pub acknowledge_on_time: Option<i64>,
    pub acknowledge_late: Option<i64>,
    pub resolve_on_time: Option<i64>,
    pub resolve_late: Option<i64>,
    /// Open reports past their deadline to resolve.
    pub overdue: Option<i64>,
    pub ratings: Option<i64>,
    pub rating_sum: Option<i64>,
}

/// The deadline columns of a clock: to acknowledge, to resolve.
fn deadline_columns(clock: Clock) -> (report::Column, report::Column) {
    match clock {
        Clock::Ward => (
            report::Column::WardAcknowledgeDueAt,
            report::Column::WardResolveDueAt,
        ),
        Clock::Department => (
            report::Column::AcknowledgeDueAt,
            report::Column::ResolveDueAt,
        ),
    }
}

/// Adds the counted columns of [`Counts`] to a query.
fn with_counts(
    select: Select<report::Entity>,
    clock: Clock,
    now: DateTime<Utc>,
) -> Select<report::Entity> {
    let (acknowledge_due, resolve_due) = deadline_columns(clock);
    select
        .column_as(Expr::cust("COUNT(*)"), "received")
        .column_as(
            count_if(report::Column::ResolvedAt.is_not_null()),
            "resolved",
        )
        .column_as(count_if(open()), "open")
        .column_as(
            count_if(met(report::Column::AcknowledgedAt, acknowledge_due)),
            "acknowledge_on_time",
        )
        .column_as(
            count_if(missed(report::Column::AcknowledgedAt, acknowledge_due, now)),
            "acknowledge_late",
        )
        .column_as(
            count_if(met(report::Column::ResolvedAt, resolve_due)),
            "resolve_on_time",
        )
        .column_as(
            count_if(missed(report::Column::ResolvedAt, resolve_due, now)),
            "resolve_late",
        )
        .column_as(
            count_if(Condition::all().add(open()).add(resolve_due.lt(now))),
            "overdue",
        )
        .column_as(Expr::cust("COUNT(rating)"), "ratings")
        .column_as(Expr::cust("SUM(rating)"), "rating_sum")
}

/// The counts of the scoped reports as one group.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn counts(
    db: &impl ConnectionTrait,
    select: Select<report::Entity>,
    clock: Clock,
    now: DateTime<Utc>,
) -> Result<Counts, DbErr> {
    Ok(with_counts(select.select_only(), clock, now)
        .into_model::<Counts>()
        .one(db)
        .await?
        .unwrap_or_default())
}

/// The counts of the scoped reports per value of `column` (a department, neighborhood or
/// ward id); reports with no value are left out.
pub async fn counts_by(
    db: &impl ConnectionTrait,
    select: Select<report::Entity>,
    column: report::Column,
    clock: Clock,
    now: DateTime<Utc>,
) -> Result<HashMap<Uuid, Counts>, DbErr> {
    #[derive(FromQueryResult)]
    struct Keyed {
        key: Option<Uuid>,
        #[sea_orm(nested)]
        counts: Counts,
    }
    let rows = with_counts(select.select_only().column_as(column, "key"), clock, now)
        .group_by(column)
        .into_model::<Keyed>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| Some((row.key?, row.counts)))
        .collect())
}

/// The [`Spread`] of `metric` (a working time) over the scoped reports, per value of `key`
/// (or for all under the nil id). The database sorts and numbers the values of each group
/// (window functions, the same on both engines) and returns only the ranks the percentiles
/// lie between, so a city's year is not carried over the wire.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn spreads(
    db: &impl ConnectionTrait,
    select: Select<report::Entity>,
    key: Option<report::Column>,
    metric: report::Column,
) -> Result<HashMap<Uuid, Spread>, DbErr> {
    let key_expr: SimpleExpr = key.map_or_else(|| Expr::val(Uuid::nil()), Expr::col);
    let mut inner = select
        .select_only()
        .column_as(key_expr, "k")
        .column_as(metric, "x")
        .filter(metric.is_not_null())
        .into_query();
    let partition = key.map_or_else(WindowStatement::new, WindowStatement::partition_by);
    let mut ordered = partition.clone();
    ordered.order_by(metric, Order::Asc);
    inner.expr_window_as(Expr::cust("ROW_NUMBER()"), ordered, "rn");
    inner.expr_window_as(Expr::cust("COUNT(*)"), partition, "n");
    // The 1-based ranks each percentile lies between: (n - 1) × p, and the next one.
    let ranks: Vec<String> = [MEDIAN, P90]
        .iter()
        .flat_map(|p| {
            let low = format!("(n - 1) * {} / {}", p.numerator, p.denominator);
            [format!("{low} + 1"), format!("{low} + 2")]
        })
        .collect();
    let outer = Query::select()
        .columns(["k", "x", "rn", "n"])
        .from_subquery(inner, "ranked")
        .and_where(Expr::cust(format!("rn IN ({})", ranks.join(", "))))
        .to_owned();
    // Per group: its size and the values at the selected ranks (0-based).
    let mut groups: HashMap<Uuid, (u64, HashMap<u64, f64>)> = HashMap::new();
    for row in db.query_all(&outer).await? {
        let key: Option<Uuid> = row.try_get("", "k")?;
        let value: i64 = row.try_get("", "x")?;
        let rank: i64 = row.try_get("", "rn")?;
        let size: i64 = row.try_get("", "n")?;
        let Some(key) = key else { continue };
        let group = groups.entry(key).or_default();
        group.0 = size as u64;
        group.1.insert(rank as u64 - 1, value as f64);
    }
    Ok(groups
        .into_iter()
        .map(|(key, (size, values))| {
            let at = |p: sos_domain::stats::Percentile| {
                let (rank, weight) = p.rank(size)?;
                Some(p.between(
                    *values.get(&rank)?,
                    values.get(&(rank + 1)).copied(),
                    weight,
                ))
            };
            (
                key,
                Spread {
                    median: at(MEDIAN),
                    p90: at(P90),
                },
            )
        })
        .collect())
}

/// How many heads gave each rating, 1 to 5.
pub async fn rating_distribution(
    db: &impl ConnectionTrait,
    select: Select<report::Entity>,
) -> Result<[i64; 5], DbErr> {
    let rows: Vec<(Option<i32>, i64)> = select
        .select_only()
        .column(report::Column::Rating)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(report::Column::Rating.is_not_null())
        .group_by(report::Column::Rating)
        .into_tuple()
        .all(db)
        .await?;
    let mut out = [0; 5];
    for (rating, n) in rows {
        if let Some(slot) = rating
            .and_then(|r| usize::try_from(r - 1).ok())
            .and_then(|i| out.get_mut(i))
        {
            *slot = n;
        }
    }
    Ok(out)
}

/// The open backlog: reports in scope filed before the end of the period (whenever), still
/// open, by age now; and how many of them are past their department's deadline to resolve.
#[derive(Debug, Clone, Default)]
pub struct Backlog {
    pub buckets: Vec<(AgeBucket, i64)>,
    pub overdue: i64,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn backlog(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filters: &Filters,
    now: DateTime<Utc>,
) -> Result<Backlog, DbErr> {
    let Some(select) = scoped_any_time(actor, filters) else {
        return Ok(Backlog {
            buckets: AgeBucket::ALL.iter().map(|b| (*b, 0)).collect(),
            overdue: 0,
        });
    };
    let mut select = select
        .select_only()
        .filter(open())
        .filter(report::Column::CreatedAt.lt(filters.to))
        .column_as(count_if(report::Column::ResolveDueAt.lt(now)), "overdue");
    for (i, bucket) in AgeBucket::ALL.iter().enumerate() {
        // Filed at or before now - from, and after now - to.
        let (from, to) = bucket.bounds();
        let mut condition =
            Condition::all().add(report::Column::CreatedAt.lte(now - Duration::seconds(from)));
        if let Some(to) = to {
            condition = condition.add(report::Column::CreatedAt.gt(now - Duration::seconds(to)));
        }
        select = select.column_as(count_if(condition), format!("b{i}"));
    }
    type Row = (
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let (overdue, a, b, c, d, e): Row = select.into_tuple().one(db).await?.unwrap_or_default();
    Ok(Backlog {
        buckets: AgeBucket::ALL
            .into_iter()
            .zip([a, b, c, d, e].map(Option::unwrap_or_default))
            .collect(),
        overdue: overdue.unwrap_or(0),
    })
}

/// The local day (Asia/Ho_Chi_Minh, `YYYY-MM-DD`) of a timestamp column, in the engine's
/// dialect. Vietnam keeps UTC+7 all year.
pub(crate) fn local_day_sql(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => {
            format!("to_char({column} AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD')")
        }
        _ => format!("strftime('%Y-%m-%d', {column}, '+7 hours')"),
    }
}

/// One day of a time series.
#[derive(Debug, Clone, Default, FromQueryResult)]
pub struct Day {
    pub day: String,
    #[sea_orm(nested)]
    pub counts: Counts,
}

/// Counts of reports filed each local day of the period (judged by the ward's clock).
pub async fn filed_per_day(
    db: &impl ConnectionTrait,
    select: Select<report::Entity>,
    now: DateTime<Utc>,
) -> Result<Vec<Day>, DbErr> {
    let day = local_day_sql(db.get_database_backend(), "created_at");
    with_counts(
        select
            .select_only()
            .column_as(Expr::cust(day.clone()), "day"),
        Clock::Ward,
        now,
    )
    .group_by(Expr::cust(day))
    .into_model::<Day>()
    .all(db)
    .await
}

/// How many reports in scope (whenever filed) were resolved each local day of the period.
pub async fn resolved_per_day(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filters: &Filters,
) -> Result<Vec<(String, i64)>, DbErr> {
    let Some(select) = scoped_any_time(actor, filters) else {
        return Ok(Vec::new());
    };
    let day = local_day_sql(db.get_database_backend(), "resolved_at");
    select
        .select_only()
        .column_as(Expr::cust(day.clone()), "day")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(report::Column::ResolvedAt.gte(filters.from))
        .filter(report::Column::ResolvedAt.lt(filters.to))
        .group_by(Expr::cust(day))
        .into_tuple()
        .all(db)
        .await
}

/// The scoped reports filed in the period, tallied per `group` (of a fact and its ward; none
/// leaves the fact out) from the packed facts of their wards' days (`crate::facts`), for
/// actors who see whole wards (leaders, admins, triage desks). `None` for narrower scopes:
/// their reports are few, and read directly.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn tally_by<K: Eq + std::hash::Hash>(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filters: &Filters,
    clock: Clock,
    now: DateTime<Utc>,
    group: impl Fn(Uuid, &ReportFact) -> Option<K>,
) -> Result<Option<HashMap<K, Tally>>, DbErr> {
    let ward = match (counted_scope(actor), filters.ward) {
        (ListScope::All, asked) => asked,
        (ListScope::Ward(own), None) => Some(own),
        (ListScope::Ward(own), Some(asked)) if asked == own => Some(own),
        (ListScope::Ward(_), Some(_)) => return Ok(Some(HashMap::new())),
        _ => return Ok(None),
    };
    let departments: Option<HashSet<Uuid>> = match &filters.department {
        Some(code) => Some(
            department::Entity::find()
                .select_only()
                .column(department::Column::Id)
                .filter(department::Column::Code.eq(code.as_str()))
                .into_tuple::<Uuid>()
                .all(db)
                .await?
                .into_iter()
                .collect(),
        ),
        None => None,
    };
    let mut tallies: HashMap<K, Tally> = HashMap::new();
    let (first, last) = (
        rollup::local_day(filters.from),
        rollup::local_day(filters.to),
    );
    crate::facts::visit(db, ward, first, last, |ward_id, fact| {
        let wanted = fact.created_at >= filters.from
            && fact.created_at < filters.to
            && filters.category.is_none_or(|c| c == fact.category)
            && departments
                .as_ref()
                .is_none_or(|ids| fact.department.is_some_and(|d| ids.contains(&d)));
        if let Some(key) = wanted.then(|| group(ward_id, fact)).flatten() {
            tallies.entry(key).or_default().add(fact, clock, now);
        }
    })
    .await?;
    Ok(Some(tallies))
}

/// [`tally_by`] for all the scoped reports as one group.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn tally(
    db: &impl ConnectionTrait,
    actor: &Actor,
    filters: &Filters,
    clock: Clock,
    now: DateTime<Utc>,
) -> Result<Option<Tally>, DbErr> {
    Ok(tally_by(db, actor, filters, clock, now, |_, _| Some(()))
        .await?
        .map(|mut groups| groups.remove(&()).unwrap_or_default()))
}

impl From<&Tally> for Counts {
    fn from(tally: &Tally) -> Counts {
        let count = |n: u64| Some(n as i64);
        Counts {
            received: tally.received as i64,
            resolved: count(tally.resolved),
            open: count(tally.open),
            acknowledge_on_time: count(tally.acknowledge_on_time),
            acknowledge_late: count(tally.acknowledge_late),
            resolve_on_time: count(tally.resolve_on_time),
            resolve_late: count(tally.resolve_late),
            overdue: count(tally.overdue),
            ratings: count(tally.rating_count()),
            rating_sum: count(tally.rating_sum()),
        }
    }
}
