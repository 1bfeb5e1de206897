//! Leaders' statistics: how much arrives, how fast the ward answers, what is late and where.
//! Every figure is over the reports the caller may see (the same rules as reading them);
//! times are in working hours of the ward's office.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::export::{CsvFile, number};
use crate::extract::Query;
use crate::routes::params;
use crate::routes::views::{DepartmentRef, NeighborhoodRef, WardRef};
use crate::state::AppState;
use crate::store::entities::{department, neighborhood, report, ward};
use crate::store::stats::{self, Clock, Counts, Filters, Spread};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use sos_domain::sla::TIME_ZONE;
use sos_domain::stats::{AgeBucket, Interval, on_time_rate};
use sos_domain::taxonomy::Category;
use std::collections::HashMap;
use uuid::Uuid;

/// The period when none is asked for: the last 30 days.
const DEFAULT_DAYS: i64 = 30;
/// The longest period one request may cover.
const MAX_DAYS: i64 = 3 * 366;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatsQuery {
    from: Option<String>,
    to: Option<String>,
    ward: Option<String>,
    department: Option<String>,
    category: Option<String>,
    interval: Option<String>,
    format: Option<String>,
}

/// What a request asked for, checked.
struct Asked {
    filters: Filters,
    interval: Interval,
    csv: bool,
}

fn parse(query: &StatsQuery, now: DateTime<Utc>) -> ApiResult<Asked> {
    let mut errors = Vec::new();
    let to = params::time("to", query.to.as_deref(), &mut errors).unwrap_or(now);
    let from = params::time("from", query.from.as_deref(), &mut errors)
        .unwrap_or(to - Duration::days(DEFAULT_DAYS));
    if from >= to || to - from > Duration::days(MAX_DAYS) {
        errors.push(FieldError::new(
            "from",
            format!("Khoảng thời gian phải dương và không quá {MAX_DAYS} ngày."),
            format!("The period must be positive and at most {MAX_DAYS} days long."),
        ));
    }
    let ward = params::uuid("ward", query.ward.as_deref(), &mut errors);
    let category: Option<Category> =
        params::code("category", query.category.as_deref(), &mut errors);
    let interval = match query.interval.as_deref().map(str::trim) {
        None | Some("day") => Interval::Day,
        Some("week") => Interval::Week,
        Some("month") => Interval::Month,
        Some(_) => {
            errors.push(FieldError::new(
                "interval",
                "interval là day, week hoặc month.",
                "interval is day, week or month.",
            ));
            Interval::Day
        }
    };
    let csv = match query.format.as_deref().map(str::trim) {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            errors.push(FieldError::new(
                "format",
                "format là json hoặc csv.",
                "format is json or csv.",
            ));
            false
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    Ok(Asked {
        filters: Filters {
            from,
            to,
            ward,
            department: query
                .department
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
            category,
        },
        interval,
        csv,
    })
}

fn hours(seconds: Option<f64>) -> Option<f64> {
    seconds.map(|s| (s / 3600.0 * 100.0).round() / 100.0)
}

/// A deadline's record in a group of reports.
#[derive(Serialize)]
pub struct Timeliness {
    on_time: i64,
    late: i64,
    /// `on_time / (on_time + late)`; null when no deadline is decided yet.
    on_time_rate: Option<f64>,
    /// Working hours from filing, over the reports that reached the milestone.
    median_hours: Option<f64>,
    p90_hours: Option<f64>,
}

impl Timeliness {
    fn new(on_time: Option<i64>, late: Option<i64>, spread: Spread) -> Timeliness {
        let (on_time, late) = (on_time.unwrap_or(0), late.unwrap_or(0));
        Timeliness {
            on_time,
            late,
            on_time_rate: on_time_rate(on_time as u64, late as u64),
            median_hours: hours(spread.median),
            p90_hours: hours(spread.p90),
        }
    }
}

#[derive(Serialize)]
pub struct Satisfaction {
    ratings: i64,
    average: Option<f64>,
    /// How many heads gave 1, 2, 3, 4 and 5.
    distribution: [i64; 5],
}

#[derive(Serialize)]
pub struct BacklogBucket {
    age: AgeBucket,
    count: i64,
}

#[derive(Serialize)]
pub struct Backlog {
    open: i64,
    /// Open past the department's deadline to resolve.
    overdue: i64,
    buckets: Vec<BacklogBucket>,
}

#[derive(Serialize)]
pub struct Summary {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    received: i64,
    resolved: i64,
    backlog: Backlog,
    acknowledge: Timeliness,
    resolve: Timeliness,
    satisfaction: Satisfaction,
}

fn average(counts: &Counts) -> Option<f64> {
    match (counts.ratings, counts.rating_sum) {
        (Some(n), Some(sum)) if n > 0 => Some((sum as f64 / n as f64 * 100.0).round() / 100.0),
        _ => None,
    }
}

/// Received, resolved, the open backlog by age, on-time rates and times to acknowledge and to
/// resolve (judged by the ward's promise), and the heads' satisfaction.
pub async fn summary(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<StatsQuery>,
) -> ApiResult<axum::Json<Summary>> {
    let now = Utc::now();
    let asked = parse(&query, now)?;
    if asked.csv {
        return Err(ApiError::validation(vec![FieldError::new(
            "format",
            "Bảng tổng hợp chỉ có dạng JSON; các bảng xếp hạng và chuỗi thời gian có CSV.",
            "The summary is JSON only; the rankings and the time series come as CSV.",
        )]));
    }
    let filters = &asked.filters;
    let actor = &current.actor;
    // Independent reads, run together: the pool has a connection for each.
    let backlog = stats::backlog(&state.db, actor, filters, now);
    let figures = async {
        if let Some(mut tally) = stats::tally(&state.db, actor, filters, Clock::Ward, now).await? {
            let (acknowledge, resolve) = tally.spreads();
            let distribution = tally.ratings.map(|n| n as i64);
            return Ok((Counts::from(&tally), acknowledge, resolve, distribution));
        }
        let Some(select) = stats::scoped(actor, filters) else {
            return Ok::<_, sea_orm::DbErr>(Default::default());
        };
        let nil =
            |mut spreads: HashMap<Uuid, Spread>| spreads.remove(&Uuid::nil()).unwrap_or_default();
        tokio::try_join!(
            stats::counts(&state.db, select.clone(), Clock::Ward, now),
            stats::spreads(
                &state.db,
                select.clone(),
                None,
                report::Column::AcknowledgeWorkingSeconds
            ),
            stats::spreads(
                &state.db,
                select.clone(),
                None,
                report::Column::ResolveWorkingSeconds
            ),
            stats::rating_distribution(&state.db, select),
        )
        .map(|(c, a, r, d)| (c, nil(a), nil(r), d))
    };
    let ((counts, acknowledge, resolve, distribution), backlog) =
        tokio::try_join!(figures, backlog)?;
    Ok(axum::Json(Summary {
        from: filters.from,
        to: filters.to,
        received: counts.received,
        resolved: counts.resolved.unwrap_or(0),
        backlog: Backlog {
            open: backlog.buckets.iter().map(|(_, n)| n).sum(),
            overdue: backlog.overdue,
            buckets: backlog
                .buckets
                .into_iter()
                .map(|(age, count)| BacklogBucket { age, count })
                .collect(),
        },
        acknowledge: Timeliness::new(
            counts.acknowledge_on_time,
            counts.acknowledge_late,
            acknowledge,
        ),
        resolve: Timeliness::new(counts.resolve_on_time, counts.resolve_late, resolve),
        satisfaction: Satisfaction {
            ratings: counts.ratings.unwrap_or(0),
            average: average(&counts),
            distribution,
        },
    }))
}

/// One row of a ranking.
#[derive(Serialize)]
pub struct Row<K> {
    #[serde(flatten)]
    key: K,
    received: i64,
    resolved: i64,
    open: i64,
    overdue: i64,
    acknowledge: Timeliness,
    resolve: Timeliness,
    satisfaction: Option<f64>,
}

#[derive(Serialize)]
pub struct Ranking<K> {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    items: Vec<Row<K>>,
}

/// The counts and working times of one group of reports.
struct Group {
    id: Uuid,
    counts: Counts,
    acknowledge: Spread,
    resolve: Spread,
}

/// The scoped reports grouped by `column` (a department, neighborhood or ward id).
async fn groups(
    state: &AppState,
    current: &CurrentUser,
    filters: &Filters,
    column: report::Column,
    clock: Clock,
) -> ApiResult<Vec<Group>> {
    let now = Utc::now();
    let actor = &current.actor;
    // Wards and departments are in the packed day facts; neighborhoods are not.
    let tallies = match column {
        report::Column::WardId => {
            stats::tally_by(&state.db, actor, filters, clock, now, |ward, _| Some(ward)).await?
        }
        report::Column::DepartmentId => {
            stats::tally_by(&state.db, actor, filters, clock, now, |_, fact| {
                fact.department
            })
            .await?
        }
        _ => None,
    };
    if let Some(tallies) = tallies {
        return Ok(tallies
            .into_iter()
            .map(|(id, mut tally)| {
                let (acknowledge, resolve) = tally.spreads();
                Group {
                    id,
                    counts: Counts::from(&tally),
                    acknowledge,
                    resolve,
                }
            })
            .collect());
    }
    let Some(select) = stats::scoped(actor, filters) else {
        return Ok(Vec::new());
    };
    let (counts, mut acknowledge, mut resolve) = tokio::try_join!(
        stats::counts_by(&state.db, select.clone(), column, clock, now),
        stats::spreads(
            &state.db,
            select.clone(),
            Some(column),
            report::Column::AcknowledgeWorkingSeconds
        ),
        stats::spreads(
            &state.db,
            select,
            Some(column),
            report::Column::ResolveWorkingSeconds
        ),
    )?;
    Ok(counts
        .into_iter()
        .map(|(id, counts)| Group {
            id,
            counts,
            acknowledge: acknowledge.remove(&id).unwrap_or_default(),
            resolve: resolve.remove(&id).unwrap_or_default(),
        })
        .collect())
}

/// Groups as ranking rows named by `key`, best on-time rate to resolve first (groups with
/// nothing decided yet last, then by how much they received).
fn rank<K>(
    groups: Vec<Group>,
    filters: &Filters,
    mut key: impl FnMut(Uuid) -> Option<K>,
) -> Ranking<K> {
    let mut items: Vec<Row<K>> = groups
        .into_iter()
        .filter_map(|g| {
            let c = &g.counts;
            Some(Row {
                key: key(g.id)?,
                received: c.received,
                resolved: c.resolved.unwrap_or(0),
                open: c.open.unwrap_or(0),
                overdue: c.overdue.unwrap_or(0),
                acknowledge: Timeliness::new(
                    c.acknowledge_on_time,
                    c.acknowledge_late,
                    g.acknowledge,
                ),
                resolve: Timeliness::new(c.resolve_on_time, c.resolve_late, g.resolve),
                satisfaction: average(c),
            })
        })
        .collect();
    items.sort_by(|a, b| {
        let rate = |r: &Row<K>| r.resolve.on_time_rate.unwrap_or(-1.0);
        rate(b)
            .total_cmp(&rate(a))
            .then(b.received.cmp(&a.received))
    });
    Ranking {
        from: filters.from,
        to: filters.to,
        items,
    }
}

#[derive(Serialize)]
pub struct DepartmentKey {
    department: DepartmentRef,
    ward: WardRef,
}

#[derive(Serialize)]
pub struct NeighborhoodKey {
    neighborhood: NeighborhoodRef,
    ward: WardRef,
}

#[derive(Serialize)]
pub struct WardKey {
    ward: WardRef,
}

async fn wards_by_id(state: &AppState, ids: Vec<Uuid>) -> ApiResult<HashMap<Uuid, ward::Model>> {
    Ok(ward::Entity::find()
        .filter(ward::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|w| (w.id, w))
        .collect())
}

/// Columns shared by the CSV of every ranking, after its own key columns.
const ROW_COLUMNS: [&str; 13] = [
    "received",
    "resolved",
    "open",
    "overdue",
    "acknowledge_on_time",
    "acknowledge_late",
    "acknowledge_on_time_rate",
    "acknowledge_median_hours",
    "resolve_on_time",
    "resolve_late",
    "resolve_on_time_rate",
    "resolve_median_hours",
    "satisfaction",
];

fn row_cells<K>(row: &Row<K>) -> Vec<String> {
    vec![
        row.received.to_string(),
        row.resolved.to_string(),
        row.open.to_string(),
        row.overdue.to_string(),
        row.acknowledge.on_time.to_string(),
        row.acknowledge.late.to_string(),
        number(row.acknowledge.on_time_rate),
        number(row.acknowledge.median_hours),
        row.resolve.on_time.to_string(),
        row.resolve.late.to_string(),
        number(row.resolve.on_time_rate),
        number(row.resolve.median_hours),
        number(row.satisfaction),
    ]
}

/// A ranking as JSON, or as CSV with the key columns first.
fn ranking_response<K: Serialize>(
    ranking: Ranking<K>,
    csv: bool,
    name: &str,
    key_columns: &[&str],
    key_cells: impl Fn(&K) -> Vec<String>,
) -> ApiResult<Response> {
    if !csv {
        return Ok(axum::Json(ranking).into_response());
    }
    let header: Vec<&str> = key_columns.iter().copied().chain(ROW_COLUMNS).collect();
    let mut file = CsvFile::new(name, &header)?;
    for row in &ranking.items {
        file.row(key_cells(&row.key).into_iter().chain(row_cells(row)))?;
    }
    file.into_response()
}

/// Departments ranked by their own deadlines (from when they received each report).
pub async fn departments(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<StatsQuery>,
) -> ApiResult<Response> {
    let asked = parse(&query, Utc::now())?;
    let filters = &asked.filters;
    let groups = groups(
        &state,
        &current,
        filters,
        report::Column::DepartmentId,
        Clock::Department,
    )
    .await?;
    let departments: HashMap<Uuid, department::Model> = department::Entity::find()
        .filter(department::Column::Id.is_in(groups.iter().map(|g| g.id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect();
    let wards = wards_by_id(&state, departments.values().map(|d| d.ward_id).collect()).await?;
    let ranking = rank(groups, filters, |id| {
        let d = departments.get(&id)?;
        Some(DepartmentKey {
            department: d.into(),
            ward: wards.get(&d.ward_id)?.into(),
        })
    });
    ranking_response(
        ranking,
        asked.csv,
        "departments.csv",
        &["ward", "department_code", "department"],
        |k| {
            vec![
                k.ward.name.clone(),
                k.department.code.clone(),
                k.department.name.clone(),
            ]
        },
    )
}

/// Neighborhoods ranked by the ward's promise to them.
pub async fn neighborhoods(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<StatsQuery>,
) -> ApiResult<Response> {
    let asked = parse(&query, Utc::now())?;
    let filters = &asked.filters;
    let groups = groups(
        &state,
        &current,
        filters,
        report::Column::NeighborhoodId,
        Clock::Ward,
    )
    .await?;
    let neighborhoods: HashMap<Uuid, neighborhood::Model> = neighborhood::Entity::find()
        .filter(neighborhood::Column::Id.is_in(groups.iter().map(|g| g.id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let wards = wards_by_id(&state, neighborhoods.values().map(|n| n.ward_id).collect()).await?;
    let ranking = rank(groups, filters, |id| {
        let n = neighborhoods.get(&id)?;
        Some(NeighborhoodKey {
            neighborhood: n.into(),
            ward: wards.get(&n.ward_id)?.into(),
        })
    });
    ranking_response(
        ranking,
        asked.csv,
        "neighborhoods.csv",
        &["ward", "neighborhood"],
        |k| vec![k.ward.name.clone(), k.neighborhood.name.clone()],
    )
}

/// Wards ranked by their promise to their neighborhoods: the city leaders' table.
pub async fn wards(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<StatsQuery>,
) -> ApiResult<Response> {
    let asked = parse(&query, Utc::now())?;
    let filters = &asked.filters;
    let groups = groups(
        &state,
        &current,
        filters,
        report::Column::WardId,
        Clock::Ward,
    )
    .await?;
    let wards = wards_by_id(&state, groups.iter().map(|g| g.id).collect()).await?;
    let ranking = rank(groups, filters, |id| {
        Some(WardKey {
            ward: wards.get(&id)?.into(),
        })
    });
    ranking_response(
        ranking,
        asked.csv,
        "wards.csv",
        &["ward_code", "ward"],
        |k| vec![k.ward.code.to_string(), k.ward.name.clone()],
    )
}

#[derive(Serialize)]
pub struct Point {
    /// The first day of the period, local time.
    start: NaiveDate,
    received: i64,
    /// Reports in scope resolved during the period, whenever they were filed.
    resolved: i64,
    /// Of the reports received in the period: how many deadlines were met and missed.
    acknowledge_on_time_rate: Option<f64>,
    resolve_on_time_rate: Option<f64>,
}

#[derive(Serialize)]
pub struct Series {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    interval: Interval,
    points: Vec<Point>,
}

/// Received and resolved per day, week or month of the period, with on-time rates.
pub async fn timeseries(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<StatsQuery>,
) -> ApiResult<Response> {
    let now = Utc::now();
    let asked = parse(&query, now)?;
    let filters = &asked.filters;
    let filed = match stats::scoped(&current.actor, filters) {
        Some(select) => stats::filed_per_day(&state.db, select, now).await?,
        None => Vec::new(),
    };
    let resolved = stats::resolved_per_day(&state.db, &current.actor, filters).await?;
    let day = |raw: &str| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
    let local = |t: DateTime<Utc>| t.with_timezone(&TIME_ZONE).date_naive();
    // The last instant of the period is just before `to`.
    let periods = asked.interval.periods(
        local(filters.from),
        local(filters.to - Duration::microseconds(1)),
    );
    let mut points: Vec<Point> = periods
        .iter()
        .map(|&start| Point {
            start,
            received: 0,
            resolved: 0,
            acknowledge_on_time_rate: None,
            resolve_on_time_rate: None,
        })
        .collect();
    let index_of = |date: NaiveDate| periods.binary_search(&asked.interval.start_of(date)).ok();
    let mut decided = vec![[0u64; 4]; points.len()];
    for row in &filed {
        let Some(i) = day(&row.day).and_then(index_of) else {
            continue;
        };
        let c = &row.counts;
        points[i].received += c.received;
        let add = |n: Option<i64>| n.unwrap_or(0) as u64;
        decided[i][0] += add(c.acknowledge_on_time);
        decided[i][1] += add(c.acknowledge_late);
        decided[i][2] += add(c.resolve_on_time);
        decided[i][3] += add(c.resolve_late);
    }
    for (raw, n) in &resolved {
        if let Some(i) = day(raw).and_then(index_of) {
            points[i].resolved += n;
        }
    }
    for (point, d) in points.iter_mut().zip(&decided) {
        point.acknowledge_on_time_rate = on_time_rate(d[0], d[1]);
        point.resolve_on_time_rate = on_time_rate(d[2], d[3]);
    }
    if asked.csv {
        let mut file = CsvFile::new(
            "timeseries.csv",
            &[
                "start",
                "received",
                "resolved",
                "acknowledge_on_time_rate",
                "resolve_on_time_rate",
            ],
        )?;
        for p in &points {
            file.row([
                p.start.to_string(),
                p.received.to_string(),
                p.resolved.to_string(),
                number(p.acknowledge_on_time_rate),
                number(p.resolve_on_time_rate),
            ])?;
        }
        return file.into_response();
    }
    Ok(axum::Json(Series {
        from: filters.from,
        to: filters.to,
        interval: asked.interval,
        points,
    })
    .into_response())
}
