//! Versions of the boundaries of wards and neighborhoods, each in force from a date.

use crate::code::Stored;
use crate::entities::boundary;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};
use sos_domain::boundaries::Level;
use std::collections::HashSet;
use uuid::Uuid;

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
        .filter(|b| seen.insert((b.level, b.ward_id, b.neighborhood_id)))
        .collect())
}

/// A version of one unit's boundary.
pub struct NewBoundary {
    pub level: Level,
    pub ward_id: Uuid,
    pub neighborhood_id: Option<Uuid>,
    pub valid_from: NaiveDate,
    /// GeoJSON geometry.
    pub geometry: String,
    pub approximate: bool,
    pub source: String,
    pub created_at: DateTime<Utc>,
}

/// Stores a version, replacing the unit's version of the same date.
pub async fn replace(txn: &impl ConnectionTrait, new: NewBoundary) -> Result<(), DbErr> {
    boundary::Entity::delete_many()
        .filter(boundary::Column::Level.eq(new.level.as_str()))
        .filter(boundary::Column::WardId.eq(new.ward_id))
        .filter(match new.neighborhood_id {
            Some(n) => boundary::Column::NeighborhoodId.eq(n),
            None => boundary::Column::NeighborhoodId.is_null(),
        })
        .filter(boundary::Column::ValidFrom.eq(new.valid_from))
        .exec(txn)
        .await?;
    boundary::ActiveModel::from(boundary::Model {
        id: Uuid::now_v7(),
        level: Stored(new.level),
        ward_id: new.ward_id,
        neighborhood_id: new.neighborhood_id,
        valid_from: new.valid_from,
        geometry: new.geometry,
        approximate: new.approximate,
        source: new.source,
        created_at: new.created_at,
    })
    .insert(txn)
    .await?;
    Ok(())
}
