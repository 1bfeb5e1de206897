//! Recurring problems: places where reports of one kind keep coming back.

use crate::http::extract::Query;
use crate::http::params;
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::reports::listing::{self, HotspotQuery};
use axum::extract::State;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sos_domain::taxonomy::Subcategory;
use uuid::Uuid;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HotspotParams {
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
    #[serde(with = "crate::clock::rfc3339_serde")]
    first_reported_at: DateTime<Utc>,
    #[serde(with = "crate::clock::rfc3339_serde")]
    last_reported_at: DateTime<Utc>,
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
    State(services): State<Services>,
    caller: Caller,
    Query(query): Query<HotspotParams>,
) -> Result<axum::Json<Hotspots>, Problem> {
    let mut errors = Vec::new();
    let asked = HotspotQuery {
        days: params::number("days", query.days.as_deref(), 90, 1..=365, &mut errors),
        radius_m: params::number(
            "radius_m",
            query.radius_m.as_deref(),
            100.0,
            10.0..=2000.0,
            &mut errors,
        ),
        min_reports: params::number(
            "min_reports",
            query.min_reports.as_deref(),
            3,
            2..=100,
            &mut errors,
        ),
        subcategory: params::code("subcategory", query.subcategory.as_deref(), &mut errors),
        ward: params::uuid("ward", query.ward.as_deref(), &mut errors),
    };
    Problem::check(errors)?;
    let found = listing::hotspots(&services, &caller, &asked).await?;
    let hotspots = found
        .iter()
        .map(|h| Hotspot {
            subcategory: h.subcategory,
            category: h.subcategory.category().as_str(),
            center: Center {
                lat: h.center.lat,
                lon: h.center.lon,
            },
            spread_m: h.spread_m,
            count: h.reports.len(),
            open: h.reports.iter().filter(|r| r.status.is_open()).count(),
            first_reported_at: h
                .reports
                .iter()
                .map(|r| r.created_at)
                .min()
                .unwrap_or_default(),
            last_reported_at: h.last_reported_at(),
            report_ids: h.reports.iter().map(|r| r.id).collect(),
        })
        .collect();
    Ok(axum::Json(Hotspots {
        days: asked.days,
        radius_m: asked.radius_m,
        min_reports: asked.min_reports,
        hotspots,
    }))
}
