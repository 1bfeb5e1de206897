//! Leaders' statistics: how much arrives, how fast the ward answers, what is late and where.
//! Every figure is over the reports the caller may see (the same rules as reading them);
//! times are in working hours of the ward's office.

use crate::http::csv::{CsvFile, number};
use crate::http::extract::Query;
use crate::http::params;
use crate::http::views::{DepartmentRef, NeighborhoodRef, WardRef};
use crate::problem::{FieldError, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::stats::{self, Group, GroupBy};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sos_domain::stats::{AgeBucket, Interval, on_time_rate};
use sos_domain::taxonomy::Category;
use sos_store::stats::{Counts, Filters, Spread};
use sos_store::wards;
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

fn parse(query: &StatsQuery, now: DateTime<Utc>) -> Result<Asked, Problem> {
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
    Problem::check(errors)?;
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
    #[serde(with = "crate::clock::rfc3339_serde")]
    from: DateTime<Utc>,
    #[serde(with = "crate::clock::rfc3339_serde")]
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
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<StatsQuery>,
) -> Result<axum::Json<Summary>, Problem> {
    // JSON only: `format` is not among its parameters (`http::query`).
    let asked = parse(&query, services.clock.now())?;
    let filters = &asked.filters;
    let figures = stats::summary(&services, &caller, filters).await?;
    let (counts, backlog) = (figures.counts, figures.backlog);
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
            figures.acknowledge,
        ),
        resolve: Timeliness::new(counts.resolve_on_time, counts.resolve_late, figures.resolve),
        satisfaction: Satisfaction {
            ratings: counts.ratings.unwrap_or(0),
            average: average(&counts),
            distribution: figures.distribution,
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
    #[serde(with = "crate::clock::rfc3339_serde")]
    from: DateTime<Utc>,
    #[serde(with = "crate::clock::rfc3339_serde")]
    to: DateTime<Utc>,
    items: Vec<Row<K>>,
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
) -> Result<Response, Problem> {
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
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<StatsQuery>,
) -> Result<Response, Problem> {
    let asked = parse(&query, services.clock.now())?;
    let filters = &asked.filters;
    let groups = stats::groups(&services, &caller, filters, GroupBy::Department).await?;
    let departments = wards::departments_by_id(&services.db, groups.iter().map(|g| g.id)).await?;
    let wards = wards::wards_by_id(&services.db, departments.values().map(|d| d.ward_id)).await?;
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
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<StatsQuery>,
) -> Result<Response, Problem> {
    let asked = parse(&query, services.clock.now())?;
    let filters = &asked.filters;
    let groups = stats::groups(&services, &caller, filters, GroupBy::Neighborhood).await?;
    let neighborhoods =
        wards::neighborhoods_by_id(&services.db, groups.iter().map(|g| g.id)).await?;
    let wards = wards::wards_by_id(&services.db, neighborhoods.values().map(|n| n.ward_id)).await?;
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
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<StatsQuery>,
) -> Result<Response, Problem> {
    let asked = parse(&query, services.clock.now())?;
    let filters = &asked.filters;
    let groups = stats::groups(&services, &caller, filters, GroupBy::Ward).await?;
    let wards = wards::wards_by_id(&services.db, groups.iter().map(|g| g.id)).await?;
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
    #[serde(with = "crate::clock::rfc3339_serde")]
    from: DateTime<Utc>,
    #[serde(with = "crate::clock::rfc3339_serde")]
    to: DateTime<Utc>,
    interval: Interval,
    points: Vec<Point>,
}

/// Received and resolved per day, week or month of the period, with on-time rates.
pub async fn timeseries(
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<StatsQuery>,
) -> Result<Response, Problem> {
    let asked = parse(&query, services.clock.now())?;
    let filters = &asked.filters;
    let points: Vec<Point> = stats::series(&services, &caller, filters, asked.interval)
        .await?
        .into_iter()
        .map(|p| Point {
            start: p.start,
            received: p.received,
            resolved: p.resolved,
            acknowledge_on_time_rate: p.acknowledge_on_time_rate,
            resolve_on_time_rate: p.resolve_on_time_rate,
        })
        .collect();
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
