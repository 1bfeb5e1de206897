//! Leaders' figures: how much arrives, how fast the ward answers, what is late and where.
//! Every figure is over the reports the caller may see (the same rules as reading them);
//! times are in working hours of the ward's office. Those who see whole wards are answered
//! from the packed day facts; the others by SQL over the reports (`sos_store::stats`).

use crate::problem::Outcome;
use crate::services::Services;
use crate::services::accounts::Caller;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sos_domain::sla::TIME_ZONE;
use sos_domain::stats::{Interval, on_time_rate};
use sos_store::entities::report;
use sos_store::stats::{self, Backlog, Clock, Counts, Filters, Spread};
use std::collections::HashMap;
use uuid::Uuid;

/// The figures of the summary.
pub struct Summary {
    pub counts: Counts,
    pub acknowledge: Spread,
    pub resolve: Spread,
    /// How many heads gave 1, 2, 3, 4 and 5.
    pub distribution: [i64; 5],
    pub backlog: Backlog,
}

/// Received, resolved, the open backlog by age, on-time rates and times to acknowledge and to
/// resolve (judged by the ward's promise), and the heads' satisfaction.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn summary(services: &Services, caller: &Caller, filters: &Filters) -> Outcome<Summary> {
    let (db, actor, now) = (&services.db, &caller.actor, services.clock.now());
    // Independent reads, run together: the pool has a connection for each.
    let backlog = stats::backlog(db, actor, filters, now);
    let figures = async {
        if let Some(mut tally) = stats::tally(db, actor, filters, Clock::Ward, now).await? {
            let (acknowledge, resolve) = tally.spreads();
            let distribution = tally.ratings.map(|n| n as i64);
            return Ok((Counts::from(&tally), acknowledge, resolve, distribution));
        }
        let Some(select) = stats::scoped(actor, filters) else {
            return Ok::<_, sos_store::DbErr>(Default::default());
        };
        let nil =
            |mut spreads: HashMap<Uuid, Spread>| spreads.remove(&Uuid::nil()).unwrap_or_default();
        tokio::try_join!(
            stats::counts(db, select.clone(), Clock::Ward, now),
            stats::spreads(
                db,
                select.clone(),
                None,
                report::Column::AcknowledgeWorkingSeconds
            ),
            stats::spreads(
                db,
                select.clone(),
                None,
                report::Column::ResolveWorkingSeconds
            ),
            stats::rating_distribution(db, select),
        )
        .map(|(c, a, r, d)| (c, nil(a), nil(r), d))
    };
    let ((counts, acknowledge, resolve, distribution), backlog) =
        tokio::try_join!(figures, backlog)?;
    Ok(Summary {
        counts,
        acknowledge,
        resolve,
        distribution,
        backlog,
    })
}

/// What a ranking groups reports by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    /// Judged by the department's own deadlines (from when it received each report).
    Department,
    /// Judged by the ward's promise to the neighborhood.
    Neighborhood,
    /// Judged by the ward's promise to its neighborhoods: the city leaders' table.
    Ward,
}

/// The counts and working times of one group of reports.
pub struct Group {
    pub id: Uuid,
    pub counts: Counts,
    pub acknowledge: Spread,
    pub resolve: Spread,
}

/// The reports the caller may see, grouped.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn groups(
    services: &Services,
    caller: &Caller,
    filters: &Filters,
    by: GroupBy,
) -> Outcome<Vec<Group>> {
    let (db, actor, now) = (&services.db, &caller.actor, services.clock.now());
    let (column, clock) = match by {
        GroupBy::Department => (report::Column::DepartmentId, Clock::Department),
        GroupBy::Neighborhood => (report::Column::NeighborhoodId, Clock::Ward),
        GroupBy::Ward => (report::Column::WardId, Clock::Ward),
    };
    // Wards and departments are in the packed day facts; neighborhoods are not.
    let tallies = match by {
        GroupBy::Ward => {
            stats::tally_by(db, actor, filters, clock, now, |ward, _| Some(ward)).await?
        }
        GroupBy::Department => {
            stats::tally_by(db, actor, filters, clock, now, |_, fact| fact.department).await?
        }
        GroupBy::Neighborhood => None,
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
        stats::counts_by(db, select.clone(), column, clock, now),
        stats::spreads(
            db,
            select.clone(),
            Some(column),
            report::Column::AcknowledgeWorkingSeconds
        ),
        stats::spreads(
            db,
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

/// One period of a time series.
pub struct Point {
    /// The first day of the period, local time.
    pub start: NaiveDate,
    pub received: i64,
    /// Reports in scope resolved during the period, whenever they were filed.
    pub resolved: i64,
    /// Of the reports received in the period: how many deadlines were met and missed.
    pub acknowledge_on_time_rate: Option<f64>,
    pub resolve_on_time_rate: Option<f64>,
}

/// Received and resolved per day, week or month of the period, with on-time rates.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn series(
    services: &Services,
    caller: &Caller,
    filters: &Filters,
    interval: Interval,
) -> Outcome<Vec<Point>> {
    let now = services.clock.now();
    let filed = match stats::scoped(&caller.actor, filters) {
        Some(select) => stats::filed_per_day(&services.db, select, now).await?,
        None => Vec::new(),
    };
    let resolved = stats::resolved_per_day(&services.db, &caller.actor, filters).await?;
    let day = |raw: &str| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok();
    let local = |t: DateTime<Utc>| t.with_timezone(&TIME_ZONE).date_naive();
    // The last instant of the period is just before `to`.
    let periods = interval.periods(
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
    let index_of = |date: NaiveDate| periods.binary_search(&interval.start_of(date)).ok();
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
    Ok(points)
}

/// Rebuilds a batch of the packed facts of days whose reports changed; returns how many days,
/// and whether more may be waiting.
pub async fn build_facts(services: &Services) -> Result<(usize, bool), sos_store::DbErr> {
    sos_store::facts::build_changed(&services.db, &services.writer, services.clock.now()).await
}

/// Rebuilds the packed facts of every changed day (after a bulk load, or to measure the work).
pub async fn build_all_facts(services: &Services) -> Result<usize, sos_store::DbErr> {
    sos_store::facts::build_all_changed(&services.db, &services.writer, services.clock.now()).await
}
