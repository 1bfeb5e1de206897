//! Recurring problems: places where reports of one kind keep coming back.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::routes::params;
use crate::state::AppState;
use crate::store::entities::report;
use crate::store::reports::visible_reports;
use axum::extract::State;
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use sos_domain::spatial::{LatLon, clusters};
use sos_domain::taxonomy::{Status, Subcategory};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Reports read for one request at most (the newest); clustering is quadratic per subcategory.
const MAX_REPORTS: u64 = 5000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotQuery {
    subcategory: Option<String>,
    ward: Option<String>,
    days: Option<String>,
    radius_m: Option<String>,
    min_reports: Option<String>,
}

#[derive(Serialize)]
struct Center {
    lat: f64,
    lon: f64,
}

#[derive(Serialize)]
struct Hotspot {
    subcategory: Subcategory,
    category: &'static str,
    center: Center,
    spread_m: f64,
    count: usize,
    /// Reports of the cluster still waiting for the ward.
    open: usize,
    first_reported_at: chrono::DateTime<Utc>,
    last_reported_at: chrono::DateTime<Utc>,
    report_ids: Vec<Uuid>,
}

#[derive(Serialize)]
pub struct Hotspots {
    days: i64,
    radius_m: f64,
    min_reports: usize,
    hotspots: Vec<Hotspot>,
}

pub async fn hotspots(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<HotspotQuery>,
) -> ApiResult<axum::Json<Hotspots>> {
    let mut errors = Vec::new();
    let days: i64 = params::number("days", query.days.as_deref(), 90, 1..=365, &mut errors);
    let radius_m: f64 = params::number(
        "radius_m",
        query.radius_m.as_deref(),
        100.0,
        10.0..=2000.0,
        &mut errors,
    );
    let min_reports: usize = params::number(
        "min_reports",
        query.min_reports.as_deref(),
        3,
        2..=100,
        &mut errors,
    );
    let subcategory: Option<Subcategory> =
        params::code("subcategory", query.subcategory.as_deref(), &mut errors);
    let ward = params::uuid("ward", query.ward.as_deref(), &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let empty = Hotspots {
        days,
        radius_m,
        min_reports,
        hotspots: Vec::new(),
    };
    let Some(mut select) = visible_reports(&current.actor) else {
        return Ok(axum::Json(empty));
    };
    select = select
        .filter(report::Column::Lat.is_not_null())
        .filter(report::Column::Lon.is_not_null())
        .filter(report::Column::CreatedAt.gte(Utc::now() - Duration::days(days)))
        // A report merged into another is the same problem counted once.
        .filter(report::Column::Status.ne(Status::Duplicate.as_str()));
    if let Some(subcategory) = subcategory {
        select = select.filter(report::Column::Subcategory.eq(subcategory.as_str()));
    }
    if let Some(ward) = ward {
        select = select.filter(report::Column::WardId.eq(ward));
    }
    let rows = select
        .order_by_desc(report::Column::CreatedAt)
        .limit(MAX_REPORTS)
        .all(&state.db)
        .await?;

    let mut by_subcategory: BTreeMap<Subcategory, Vec<&report::Model>> = BTreeMap::new();
    for row in &rows {
        if let Ok(subcategory) = row.subcategory.parse() {
            by_subcategory.entry(subcategory).or_default().push(row);
        }
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
        for cluster in clusters(&places, radius_m, min_reports) {
            let members: Vec<&report::Model> =
                cluster.members.iter().map(|&i| reports[i]).collect();
            hotspots.push(Hotspot {
                subcategory,
                category: subcategory.category().as_str(),
                center: Center {
                    lat: cluster.center.lat,
                    lon: cluster.center.lon,
                },
                spread_m: (cluster.spread_m * 10.0).round() / 10.0,
                count: members.len(),
                open: members
                    .iter()
                    .filter(|r| r.status.parse::<Status>().is_ok_and(Status::is_open))
                    .count(),
                first_reported_at: members
                    .iter()
                    .map(|r| r.created_at)
                    .min()
                    .unwrap_or_default(),
                last_reported_at: members
                    .iter()
                    .map(|r| r.created_at)
                    .max()
                    .unwrap_or_default(),
                report_ids: members.iter().map(|r| r.id).collect(),
            });
        }
    }
    hotspots.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(b.last_reported_at.cmp(&a.last_reported_at))
    });
    Ok(axum::Json(Hotspots { hotspots, ..empty }))
}
