//! Boundaries of wards and neighborhoods: the versions in force, the index that places a
//! report's position, and importing new versions (`sos geo import`, `POST /v1/boundaries`).

use crate::db::begin_write;
use crate::store::entities::{boundary, neighborhood, ward};
use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder,
};
use serde::Serialize;
use sos_domain::boundaries::{self, BoundaryIndex, Level, Rejection};
use sos_domain::sla::TIME_ZONE;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long the index is trusted: an import on another replica, or a version whose date has
/// come, is seen within this time.
const INDEX_TTL: Duration = Duration::from_secs(60);

pub fn level_code(level: Level) -> &'static str {
    match level {
        Level::Ward => "ward",
        Level::Neighborhood => "neighborhood",
    }
}

pub fn parse_level(code: &str) -> Option<Level> {
    match code {
        "ward" => Some(Level::Ward),
        "neighborhood" => Some(Level::Neighborhood),
        _ => None,
    }
}

/// Today in Vietnam.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&TIME_ZONE).date_naive()
}

/// For each ward and neighborhood, its latest version from on or before `date`; optionally of
/// one ward only.
pub async fn in_force(
    db: &impl ConnectionTrait,
    date: NaiveDate,
    ward: Option<Uuid>,
) -> Result<Vec<boundary::Model>, DbErr> {
    let mut query = boundary::Entity::find()
        .filter(boundary::Column::ValidFrom.lte(date))
        .order_by_desc(boundary::Column::ValidFrom)
        .order_by_desc(boundary::Column::CreatedAt);
    if let Some(ward) = ward {
        query = query.filter(boundary::Column::WardId.eq(ward));
    }
    let mut seen = HashSet::new();
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .filter(|b| seen.insert((b.level.clone(), b.ward_id, b.neighborhood_id)))
        .collect())
}

/// The index of the boundaries in force, rebuilt at most every [`INDEX_TTL`].
#[derive(Default)]
pub struct Boundaries {
    cached: Mutex<Option<(Instant, NaiveDate, Arc<BoundaryIndex>)>>,
}

impl Boundaries {
    pub async fn index(&self, db: &impl ConnectionTrait) -> Result<Arc<BoundaryIndex>, DbErr> {
        let today = today();
        if let Some((built, date, index)) = self.lock().as_ref()
            && built.elapsed() < INDEX_TTL
            && *date == today
        {
            return Ok(index.clone());
        }
        let mut wards = Vec::new();
        let mut neighborhoods = Vec::new();
        for row in in_force(db, today, None).await? {
            let Some(area) = serde_json::from_str(&row.geometry)
                .ok()
                .and_then(|g| boundaries::from_geojson(&g))
            else {
                tracing::warn!(boundary = %row.id, "a stored boundary no longer reads; left out");
                continue;
            };
            match (parse_level(&row.level), row.neighborhood_id) {
                (Some(Level::Ward), _) => wards.push((row.ward_id, area)),
                (Some(Level::Neighborhood), Some(n)) => neighborhoods.push((n, row.ward_id, area)),
                _ => {}
            }
        }
        let index = Arc::new(BoundaryIndex::new(wards, neighborhoods));
        *self.lock() = Some((Instant::now(), today, index.clone()));
        Ok(index)
    }

    /// Drops the index after an import on this replica.
    pub fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<(Instant, NaiveDate, Arc<BoundaryIndex>)>> {
        self.cached.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub level: &'static str,
    pub valid_from: NaiveDate,
    /// The units stored (`ward_code` or `ward_code/neighborhood_code`).
    pub accepted: Vec<String>,
    pub rejected: Vec<Rejection>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not a FeatureCollection at all.
    #[error("{0}")]
    Unreadable(String),
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// Who may import what.
#[derive(Debug, Clone, Copy)]
pub enum Importer {
    /// An operator at the command line, or a city-wide admin: every ward.
    Anywhere,
    /// A ward's admin: that ward only.
    Ward(Uuid),
}

/// Reads, checks and stores one level of boundaries in force from `valid_from`. Features
/// that fail a check are left out and reported; the others are stored. A unit imported again
/// for the same date replaces its earlier import of that date.
pub async fn import(
    db: &DatabaseConnection,
    level: Level,
    json: &serde_json::Value,
    valid_from: NaiveDate,
    approximate: bool,
    source: &str,
    importer: Importer,
) -> Result<Imported, ImportError> {
    let (shapes, mut rejected) = boundaries::read(json, level).map_err(ImportError::Unreadable)?;
    let reject = |rejected: &mut Vec<Rejection>, shape: &boundaries::Shape, reason: String| {
        rejected.push(Rejection {
            feature: shape.feature,
            unit: Some(shape.unit.to_string()),
            reasons: vec![reason],
        });
    };

    // The units by their codes.
    let codes: Vec<i32> = shapes.iter().map(|s| s.unit.ward_code).collect();
    let wards: HashMap<i32, ward::Model> = ward::Entity::find()
        .filter(ward::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.code, w))
        .collect();
    let neighborhoods: HashMap<(Uuid, String), Uuid> = neighborhood::Entity::find()
        .filter(neighborhood::Column::WardId.is_in(wards.values().map(|w| w.id)))
        .all(db)
        .await?
        .into_iter()
        .map(|n| ((n.ward_id, n.code), n.id))
        .collect();
    // (shape, ward id, neighborhood id)
    let mut known = Vec::new();
    for shape in &shapes {
        let Some(ward) = wards.get(&shape.unit.ward_code) else {
            reject(
                &mut rejected,
                shape,
                format!("no ward has the code {}", shape.unit.ward_code),
            );
            continue;
        };
        if let Importer::Ward(own) = importer
            && own != ward.id
        {
            reject(
                &mut rejected,
                shape,
                "this ward is not yours to change".into(),
            );
            continue;
        }
        let neighborhood = match &shape.unit.neighborhood_code {
            None => None,
            Some(code) => match neighborhoods.get(&(ward.id, code.clone())) {
                Some(id) => Some(*id),
                None => {
                    reject(
                        &mut rejected,
                        shape,
                        format!("{} has no neighborhood `{code}`", ward.name),
                    );
                    continue;
                }
            },
        };
        known.push((shape, ward.id, neighborhood));
    }

    // Overlaps with each other and with the units of this level that stay as they are.
    let current = in_force(db, valid_from, None).await?;
    let replaced: HashSet<(Uuid, Option<Uuid>)> = known.iter().map(|(_, w, n)| (*w, *n)).collect();
    let staying: Vec<(boundary::Model, geo::MultiPolygon<f64>)> = current
        .iter()
        .filter(|b| b.level == level_code(level))
        .filter(|b| !replaced.contains(&(b.ward_id, b.neighborhood_id)))
        .filter_map(|b| {
            let area = boundaries::from_geojson(&serde_json::from_str(&b.geometry).ok()?)?;
            Some((b.clone(), area))
        })
        .collect();
    let mut areas: Vec<&geo::MultiPolygon<f64>> = known.iter().map(|(s, _, _)| &s.area).collect();
    areas.extend(staying.iter().map(|(_, a)| a));
    let mut overlapping: HashMap<usize, (usize, f64)> = HashMap::new();
    for (i, j, share) in boundaries::overlaps(&areas) {
        // The later feature of the file is rejected; a stored unit is never.
        if j < known.len() {
            overlapping.entry(j).or_insert((i, share));
        } else if i < known.len() {
            overlapping.entry(i).or_insert((j, share));
        }
    }
    let name_of = |k: usize| -> String {
        match known.get(k) {
            Some((shape, _, _)) => format!("feature {} ({})", shape.feature, shape.unit),
            None => "a boundary already in force".to_owned(),
        }
    };
    // Each neighborhood inside its ward, as in force from the same date.
    let ward_areas: HashMap<Uuid, geo::MultiPolygon<f64>> = current
        .iter()
        .filter(|b| b.level == level_code(Level::Ward))
        .filter_map(|b| {
            Some((
                b.ward_id,
                boundaries::from_geojson(&serde_json::from_str(&b.geometry).ok()?)?,
            ))
        })
        .collect();
    let mut accepted = Vec::new();
    for (k, (shape, ward_id, neighborhood_id)) in known.iter().enumerate() {
        if let Some((other, share)) = overlapping.get(&k) {
            let percent = share * 100.0;
            reject(
                &mut rejected,
                shape,
                format!(
                    "overlaps {} by {percent:.1} % of the smaller one",
                    name_of(*other)
                ),
            );
            continue;
        }
        if level == Level::Neighborhood {
            let Some(ward_area) = ward_areas.get(ward_id) else {
                reject(
                    &mut rejected,
                    shape,
                    "its ward has no boundary in force on that date: import the wards first".into(),
                );
                continue;
            };
            let outside = boundaries::outside(&shape.area, ward_area);
            if outside > boundaries::OUTSIDE_TOLERANCE {
                let percent = outside * 100.0;
                reject(
                    &mut rejected,
                    shape,
                    format!("{percent:.1} % of it lies outside its ward"),
                );
                continue;
            }
        }
        accepted.push((shape, *ward_id, *neighborhood_id));
    }

    let txn = begin_write(db).await?;
    for (shape, ward_id, neighborhood_id) in &accepted {
        boundary::Entity::delete_many()
            .filter(boundary::Column::Level.eq(level_code(level)))
            .filter(boundary::Column::WardId.eq(*ward_id))
            .filter(match neighborhood_id {
                Some(n) => boundary::Column::NeighborhoodId.eq(*n),
                None => boundary::Column::NeighborhoodId.is_null(),
            })
            .filter(boundary::Column::ValidFrom.eq(valid_from))
            .exec(&txn)
            .await?;
        boundary::ActiveModel::from(boundary::Model {
            id: Uuid::now_v7(),
            level: level_code(level).to_owned(),
            ward_id: *ward_id,
            neighborhood_id: *neighborhood_id,
            valid_from,
            geometry: boundaries::to_geojson(&shape.area).to_string(),
            approximate,
            source: source.to_owned(),
            created_at: crate::store::reports::now(),
        })
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    rejected.sort_by_key(|r| r.feature);
    Ok(Imported {
        level: level_code(level),
        valid_from,
        accepted: accepted
            .iter()
            .map(|(s, _, _)| s.unit.to_string())
            .collect(),
        rejected,
    })
}
