//! Boundaries of wards and neighborhoods: the index that places a report's position, and
//! importing new versions (`sos geo import`, `POST /v1/boundaries`).

use crate::clock::Clock;
use crate::services::Services;
use chrono::NaiveDate;
use serde::Serialize;
use sos_domain::boundaries::{self, BoundaryIndex, Level, Rejection, Shape};
use sos_store::entities::boundary;
use sos_store::geography::{self as store, NewBoundary};
use sos_store::{ConnectionTrait, DatabaseConnection, DbErr, Writer, wards};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// How long the index is trusted: an import on another replica, or a version whose date has
/// come, is seen within this time.
const INDEX_TTL: Duration = Duration::from_secs(60);

/// Where reports can be placed today: the boundaries in force of the wards in service (a
/// neighborhood merged into another counts as the one that took it over), and which wards are
/// in service, for reports filed without a position.
pub struct Places {
    pub index: BoundaryIndex,
    pub serving: HashSet<Uuid>,
}

impl std::ops::Deref for Places {
    type Target = BoundaryIndex;
    fn deref(&self) -> &BoundaryIndex {
        &self.index
    }
}

type Cached = Option<(Instant, NaiveDate, Arc<Places>)>;

/// [`Places`], rebuilt at most every [`INDEX_TTL`].
#[derive(Default)]
pub struct Boundaries {
    cached: Mutex<Cached>,
}

impl Boundaries {
    pub async fn index(
        &self,
        db: &impl ConnectionTrait,
        clock: &Clock,
    ) -> Result<Arc<Places>, DbErr> {
        let today = clock.today();
        if let Some((built, date, places)) = self.lock().as_ref()
            && built.elapsed() < INDEX_TTL
            && *date == today
        {
            return Ok(places.clone());
        }
        let serving = wards::serving_ids(db).await?;
        let merged = wards::merges_in_force(db, today).await?;
        let mut ward_areas = Vec::new();
        let mut neighborhoods = Vec::new();
        for row in store::in_force(db, today, None).await? {
            if !serving.contains(&row.ward_id) {
                continue;
            }
            let Some(area) = read_area(&row) else {
                tracing::warn!(boundary = %row.id, "a stored boundary no longer reads; left out");
                continue;
            };
            match (*row.level, row.neighborhood_id) {
                (Level::Ward, _) => ward_areas.push((row.ward_id, area)),
                (Level::Neighborhood, Some(n)) => {
                    let n = merged.get(&n).copied().unwrap_or(n);
                    neighborhoods.push((n, row.ward_id, area));
                }
                (Level::Neighborhood, None) => {}
            }
        }
        let places = Arc::new(Places {
            index: BoundaryIndex::new(ward_areas, neighborhoods),
            serving,
        });
        *self.lock() = Some((Instant::now(), today, places.clone()));
        Ok(places)
    }

    /// Drops the index after a change on this replica (an import, a ward or neighborhood put
    /// in or out of service).
    pub fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Cached> {
        self.cached.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The area of a stored boundary, if it still reads.
pub fn read_area(row: &boundary::Model) -> Option<geo::MultiPolygon<f64>> {
    boundaries::from_geojson(&serde_json::from_str(&row.geometry).ok()?)
}

/// What an import did.
#[derive(Debug, Clone, Serialize)]
pub struct Imported {
    pub level: Level,
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

/// What an actor may import: only administrators import boundaries, a ward's admin for their
/// ward only.
pub fn importer(actor: &sos_domain::access::Actor) -> crate::problem::Outcome<Importer> {
    match (actor.role, actor.ward_id) {
        (sos_domain::taxonomy::Role::Admin, None) => Ok(Importer::Anywhere),
        (sos_domain::taxonomy::Role::Admin, Some(ward)) => Ok(Importer::Ward(ward)),
        _ => Err(crate::problem::Problem::forbidden(
            "Chỉ quản trị viên nhập ranh giới.",
            "Only administrators import boundaries.",
        )),
    }
}

/// A version asked for: one level of boundaries in force from a date.
pub struct Import<'a> {
    pub level: Level,
    pub collection: &'a serde_json::Value,
    pub valid_from: NaiveDate,
    pub approximate: bool,
    pub source: String,
    pub importer: Importer,
}

/// A shape whose unit is known: its ward, and its neighborhood for that level.
type Known<'s> = (&'s Shape, Uuid, Option<Uuid>);

fn reject(rejected: &mut Vec<Rejection>, shape: &Shape, reason: String) {
    rejected.push(Rejection {
        feature: shape.feature,
        unit: Some(shape.unit.to_string()),
        reasons: vec![reason],
    });
}

/// Reads, checks and stores one level of boundaries in force from `valid_from`. Features
/// that fail a check are left out and reported; the others are stored, through the writer
/// every other write uses. A unit imported again for the same date replaces its earlier
/// import of that date.
pub async fn import(
    db: &DatabaseConnection,
    writer: &Writer,
    clock: &Clock,
    asked: Import<'_>,
) -> Result<Imported, ImportError> {
    let (shapes, mut rejected) =
        boundaries::read(asked.collection, asked.level).map_err(ImportError::Unreadable)?;
    let known = known_units(db, &shapes, asked.importer, &mut rejected).await?;
    let current = store::in_force(db, asked.valid_from, None).await?;
    let accepted = fitting(&known, &current, asked.level, &mut rejected);
    let txn = writer.begin(db).await?;
    for (shape, ward_id, neighborhood_id) in &accepted {
        store::replace(
            &*txn,
            NewBoundary {
                level: asked.level,
                ward_id: *ward_id,
                neighborhood_id: *neighborhood_id,
                valid_from: asked.valid_from,
                geometry: boundaries::to_geojson(&shape.area).to_string(),
                approximate: asked.approximate,
                source: asked.source.clone(),
                created_at: clock.now(),
            },
        )
        .await?;
    }
    txn.commit().await?;
    rejected.sort_by_key(|r| r.feature);
    Ok(Imported {
        level: asked.level,
        valid_from: asked.valid_from,
        accepted: accepted
            .iter()
            .map(|(s, _, _)| s.unit.to_string())
            .collect(),
        rejected,
    })
}

/// The shapes whose ward (and neighborhood) exist and are the importer's to change.
async fn known_units<'s>(
    db: &DatabaseConnection,
    shapes: &'s [Shape],
    importer: Importer,
    rejected: &mut Vec<Rejection>,
) -> Result<Vec<Known<'s>>, DbErr> {
    let wards = wards::wards_by_code(db, shapes.iter().map(|s| s.unit.ward_code)).await?;
    let neighborhoods: HashMap<(Uuid, String), Uuid> =
        wards::neighborhoods_of(db, wards.values().map(|w| w.id))
            .await?
            .into_iter()
            .map(|n| ((n.ward_id, n.code), n.id))
            .collect();
    let mut known = Vec::new();
    for shape in shapes {
        let Some(ward) = wards.get(&shape.unit.ward_code) else {
            let reason = format!("no ward has the code {}", shape.unit.ward_code);
            reject(rejected, shape, reason);
            continue;
        };
        if let Importer::Ward(own) = importer
            && own != ward.id
        {
            reject(rejected, shape, "this ward is not yours to change".into());
            continue;
        }
        let neighborhood = match &shape.unit.neighborhood_code {
            None => None,
            Some(code) => match neighborhoods.get(&(ward.id, code.clone())) {
                Some(id) => Some(*id),
                None => {
                    let reason = format!("{} has no neighborhood `{code}`", ward.name);
                    reject(rejected, shape, reason);
                    continue;
                }
            },
        };
        known.push((shape, ward.id, neighborhood));
    }
    Ok(known)
}

/// The known shapes that overlap neither each other nor the units of their level that stay
/// as they are, and (neighborhoods) lie inside their ward as in force from the same date.
fn fitting<'s>(
    known: &[Known<'s>],
    current: &[boundary::Model],
    level: Level,
    rejected: &mut Vec<Rejection>,
) -> Vec<Known<'s>> {
    let replaced: HashSet<(Uuid, Option<Uuid>)> = known.iter().map(|(_, w, n)| (*w, *n)).collect();
    let staying: Vec<geo::MultiPolygon<f64>> = current
        .iter()
        .filter(|b| *b.level == level)
        .filter(|b| !replaced.contains(&(b.ward_id, b.neighborhood_id)))
        .filter_map(read_area)
        .collect();
    let mut areas: Vec<&geo::MultiPolygon<f64>> = known.iter().map(|(s, _, _)| &s.area).collect();
    areas.extend(staying.iter());
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
    let ward_areas: HashMap<Uuid, geo::MultiPolygon<f64>> = current
        .iter()
        .filter(|b| *b.level == Level::Ward)
        .filter_map(|b| Some((b.ward_id, read_area(b)?)))
        .collect();
    let mut accepted = Vec::new();
    for (k, unit) in known.iter().enumerate() {
        let (shape, ward_id, _) = unit;
        if let Some((other, share)) = overlapping.get(&k) {
            let percent = share * 100.0;
            let reason = format!(
                "overlaps {} by {percent:.1} % of the smaller one",
                name_of(*other)
            );
            reject(rejected, shape, reason);
            continue;
        }
        if level == Level::Neighborhood {
            let Some(ward_area) = ward_areas.get(ward_id) else {
                let reason =
                    "its ward has no boundary in force on that date: import the wards first";
                reject(rejected, shape, reason.into());
                continue;
            };
            let outside = boundaries::outside(&shape.area, ward_area);
            if outside > boundaries::OUTSIDE_TOLERANCE {
                let percent = outside * 100.0;
                reject(
                    rejected,
                    shape,
                    format!("{percent:.1} % of it lies outside its ward"),
                );
                continue;
            }
        }
        accepted.push(*unit);
    }
    accepted
}

/// Imports through the services' database, writer and clock, and drops this replica's index.
pub async fn import_here(services: &Services, asked: Import<'_>) -> Result<Imported, ImportError> {
    let imported = import(&services.db, &services.writer, &services.clock, asked).await?;
    services.organisation_changed(None).await;
    Ok(imported)
}
