//! Lists of the reports a person may see: pages newest first (keyset), every page of an
//! export, the reports of a map, and hotspots (places where reports of one kind keep coming
//! back).

use crate::problem::Outcome;
use crate::services::Services;
use crate::services::accounts::Caller;
use chrono::{DateTime, Utc};
use sos_domain::access;
use sos_domain::spatial::{LatLon, clusters};
use sos_domain::taxonomy::Subcategory;
use sos_store::entities::report;
use sos_store::reports::{self as store, ListCursor, ListFilter, Refs};
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

/// A page of reports with the rows they refer to, and where the next page starts.
pub struct Page {
    pub reports: Vec<report::Model>,
    pub refs: Refs,
    pub next: Option<ListCursor>,
    /// The reports the caller reads in their public part only: their reporter is not named.
    pub public_part: HashSet<Uuid>,
}

impl Page {
    pub fn names_reporter(&self, report: &report::Model) -> bool {
        !self.public_part.contains(&report.id)
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn page(
    services: &Services,
    caller: &Caller,
    filter: &ListFilter,
    limit: u64,
    after: Option<ListCursor>,
) -> Outcome<Page> {
    let (reports, next) = store::page(&services.db, &caller.actor, filter, limit, after).await?;
    let refs = Refs::load(&services.db, &reports, []).await?;
    let public_part = reports
        .iter()
        .filter(|r| !access::reads_whole(&caller.actor, &store::scope(r, false)))
        .map(|r| r.id)
        .collect();
    Ok(Page {
        reports,
        refs,
        next,
        public_part,
    })
}

/// Reports read for hotspots at most (the newest); clustering is quadratic per subcategory.
const MAX_HOTSPOT_REPORTS: u64 = 5000;

/// What hotspots are looked for in.
pub struct HotspotQuery {
    pub days: i64,
    pub radius_m: f64,
    pub min_reports: usize,
    pub subcategory: Option<Subcategory>,
    pub ward: Option<Uuid>,
}

/// Reports of one kind close together.
pub struct Hotspot {
    pub subcategory: Subcategory,
    pub center: LatLon,
    pub spread_m: f64,
    /// Its reports, newest first.
    pub reports: Vec<report::Model>,
}

impl Hotspot {
    pub fn last_reported_at(&self) -> DateTime<Utc> {
        self.reports
            .iter()
            .map(|r| r.created_at)
            .max()
            .unwrap_or_default()
    }
}

/// Hotspots of the reports the caller may see filed in the last `days`, largest first, then
/// the most recent.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn hotspots(
    services: &Services,
    caller: &Caller,
    query: &HotspotQuery,
) -> Outcome<Vec<Hotspot>> {
    let since = services.clock.now() - chrono::Duration::days(query.days);
    let rows = store::recent_located(
        &services.db,
        &caller.actor,
        since,
        query.subcategory,
        query.ward,
        MAX_HOTSPOT_REPORTS,
    )
    .await?;
    let mut by_subcategory: BTreeMap<Subcategory, Vec<&report::Model>> = BTreeMap::new();
    for row in &rows {
        by_subcategory
            .entry(*row.subcategory)
            .or_default()
            .push(row);
    }
    let mut hotspots = Vec::new();
    for (subcategory, reports) in by_subcategory {
        let places: Vec<LatLon> = reports
            .iter()
            .map(|r| LatLon {
                lat: r.lat.unwrap_or_default(),
                lon: r.lon.unwrap_or_default(),
            })
            .collect();
        for cluster in clusters(&places, query.radius_m, query.min_reports) {
            hotspots.push(Hotspot {
                subcategory,
                center: cluster.center,
                spread_m: (cluster.spread_m * 10.0).round() / 10.0,
                reports: cluster
                    .members
                    .iter()
                    .map(|&i| reports[i].clone())
                    .collect(),
            });
        }
    }
    hotspots.sort_by(|a, b| {
        b.reports
            .len()
            .cmp(&a.reports.len())
            .then(b.last_reported_at().cmp(&a.last_reported_at()))
    });
    Ok(hotspots)
}
