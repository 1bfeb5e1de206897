//! Boundaries over HTTP: admins import a version, anyone attached to a ward draws its map.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{Json, Path, Query};
use crate::geography::{self, ImportError, Imported, Importer, parse_level};
use crate::routes::params;
use crate::routes::wards::visible_ward;
use crate::state::AppState;
use crate::store::entities::neighborhood;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{Value, json};
use sos_domain::boundaries::Level;
use sos_domain::taxonomy::Role;
use uuid::Uuid;

/// The largest boundary file accepted over HTTP: official ward outlines run to thousands of
/// points.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    level: Option<String>,
    valid_from: Option<String>,
    approximate: Option<String>,
}

/// Imports a GeoJSON FeatureCollection of one level (admins; a ward's admin for their ward
/// only). The features that pass every check are stored; the answer lists the others with
/// their reasons. When none passes, it is a 422 naming each.
pub async fn import(
    State(state): State<AppState>,
    current: CurrentUser,
    Query(query): Query<ImportQuery>,
    Json(collection): Json<Value>,
) -> ApiResult<axum::Json<Imported>> {
    let actor = &current.actor;
    let importer = match (actor.role, actor.ward_id) {
        (Role::Admin, None) => Importer::Anywhere,
        (Role::Admin, Some(ward)) => Importer::Ward(ward),
        _ => {
            return Err(ApiError::forbidden(
                "Chỉ quản trị viên nhập ranh giới.",
                "Only administrators import boundaries.",
            ));
        }
    };
    let mut errors = Vec::new();
    let level = match query.level.as_deref().map(str::trim) {
        Some(code) if parse_level(code).is_some() => parse_level(code),
        _ => {
            errors.push(FieldError::new(
                "level",
                "level là ward hoặc neighborhood.",
                "level is ward or neighborhood.",
            ));
            None
        }
    };
    let valid_from = params::date("valid_from", query.valid_from.as_deref(), &mut errors)
        .unwrap_or_else(geography::today);
    let approximate = params::flag("approximate", query.approximate.as_deref(), &mut errors);
    let Some(level) = level.filter(|_| errors.is_empty()) else {
        return Err(ApiError::validation(errors));
    };
    let imported = geography::import(
        &state.db,
        level,
        &collection,
        valid_from,
        approximate,
        &format!("import by {}", current.user.username),
        importer,
    )
    .await
    .map_err(|e| match e {
        ImportError::Unreadable(why) => ApiError::field(
            "",
            format!("Không đọc được: {why}."),
            format!("Unreadable: {why}."),
        ),
        ImportError::Database(e) => e.into(),
    })?;
    if imported.accepted.is_empty() && !imported.rejected.is_empty() {
        return Err(ApiError::validation(
            imported
                .rejected
                .iter()
                .map(|r| {
                    let why = r.reasons.join("; ");
                    FieldError::new(format!("/features/{}", r.feature), why.clone(), why)
                })
                .collect(),
        ));
    }
    state.boundaries.forget();
    tracing::info!(
        level = imported.level,
        accepted = imported.accepted.len(),
        rejected = imported.rejected.len(),
        "boundaries imported"
    );
    Ok(axum::Json(imported))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapQuery {
    at: Option<String>,
}

/// The ward's boundary and its neighborhoods' in force on `at` (today by default), as RFC 7946
/// GeoJSON for a map.
pub async fn ward_map(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
    Query(query): Query<MapQuery>,
) -> ApiResult<Response> {
    let ward = visible_ward(&state, &current, id).await?;
    let mut errors = Vec::new();
    let at = params::date("at", query.at.as_deref(), &mut errors).unwrap_or_else(geography::today);
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let rows = geography::in_force(&state.db, at, Some(ward.id)).await?;
    let neighborhoods = neighborhood::Entity::find()
        .filter(neighborhood::Column::WardId.eq(ward.id))
        .all(&state.db)
        .await?;
    let mut features: Vec<(u8, String, Value)> = rows
        .iter()
        .filter_map(|b| {
            let geometry: Value = serde_json::from_str(&b.geometry).ok()?;
            let kp = b
                .neighborhood_id
                .and_then(|n| neighborhoods.iter().find(|k| k.id == n));
            let (order, level) = match parse_level(&b.level)? {
                Level::Ward => (0, "ward"),
                Level::Neighborhood => (1, "neighborhood"),
            };
            let sort_key = kp.map(|k| k.code.clone()).unwrap_or_default();
            Some((
                order,
                sort_key,
                json!({
                    "type": "Feature",
                    "geometry": geometry,
                    "properties": {
                        "level": level,
                        "ward_id": ward.id,
                        "ward_code": ward.code,
                        "ward_name": ward.name,
                        "neighborhood_id": kp.map(|k| k.id),
                        "neighborhood_code": kp.map(|k| k.code.clone()),
                        "neighborhood_name": kp.map(|k| k.name.clone()),
                        "valid_from": b.valid_from,
                        "approximate": b.approximate,
                    },
                }),
            ))
        })
        .collect();
    features.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let body = json!({
        "type": "FeatureCollection",
        "features": features.into_iter().map(|(_, _, f)| f).collect::<Vec<_>>(),
    });
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/geo+json"),
        )],
        axum::Json(body),
    )
        .into_response())
}
