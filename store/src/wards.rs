//! A ward's organisation: the national list of wards, their neighborhoods, departments and
//! routing tables.

use crate::code::Stored;
use crate::entities::{department, neighborhood, province, report, routing_rule, user, ward};
use crate::index;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use sos_domain::taxonomy::Subcategory;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

pub async fn ward(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<ward::Model>, DbErr> {
    ward::Entity::find_by_id(id).one(db).await
}

pub async fn wards_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, ward::Model>, DbErr> {
    Ok(index(
        ward::Entity::find()
            .filter(ward::Column::Id.is_in(ids))
            .all(db)
            .await?,
        |w| w.id,
    ))
}

/// Wards of the national list by their official codes.
pub async fn wards_by_code(
    db: &impl ConnectionTrait,
    codes: impl IntoIterator<Item = i32>,
) -> Result<HashMap<i32, ward::Model>, DbErr> {
    Ok(ward::Entity::find()
        .filter(ward::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.code, w))
        .collect())
}

/// The wards ever put in service (activated, including those since deactivated), by official
/// code.
pub async fn wards_in_service(db: &impl ConnectionTrait) -> Result<Vec<ward::Model>, DbErr> {
    ward::Entity::find()
        .filter(ward::Column::ActivatedAt.is_not_null())
        .order_by_asc(ward::Column::Code)
        .all(db)
        .await
}

/// Puts a ward in service from `at` (again, if it had been deactivated).
pub async fn activate(db: &impl ConnectionTrait, id: Uuid, at: DateTime<Utc>) -> Result<(), DbErr> {
    ward::Entity::update_many()
        .col_expr(ward::Column::ActivatedAt, Expr::value(Some(at)))
        .col_expr(
            ward::Column::DeactivatedAt,
            Expr::value(None::<DateTime<Utc>>),
        )
        .filter(ward::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn provinces(db: &impl ConnectionTrait) -> Result<Vec<province::Model>, DbErr> {
    province::Entity::find().all(db).await
}

pub async fn neighborhood(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<neighborhood::Model>, DbErr> {
    neighborhood::Entity::find_by_id(id).one(db).await
}

pub async fn neighborhoods_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, neighborhood::Model>, DbErr> {
    Ok(index(
        neighborhood::Entity::find()
            .filter(neighborhood::Column::Id.is_in(ids))
            .all(db)
            .await?,
        |n| n.id,
    ))
}

/// The neighborhoods of these wards, by code.
pub async fn neighborhoods_of(
    db: &impl ConnectionTrait,
    ward_ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<neighborhood::Model>, DbErr> {
    neighborhood::Entity::find()
        .filter(neighborhood::Column::WardId.is_in(ward_ids))
        .order_by_asc(neighborhood::Column::Code)
        .all(db)
        .await
}

pub async fn department(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<department::Model>, DbErr> {
    department::Entity::find_by_id(id).one(db).await
}

pub async fn departments_by_id(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
) -> Result<HashMap<Uuid, department::Model>, DbErr> {
    Ok(index(
        department::Entity::find()
            .filter(department::Column::Id.is_in(ids))
            .all(db)
            .await?,
        |d| d.id,
    ))
}

/// The departments of these wards, by code.
pub async fn departments_of(
    db: &impl ConnectionTrait,
    ward_ids: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<department::Model>, DbErr> {
    department::Entity::find()
        .filter(department::Column::WardId.is_in(ward_ids))
        .order_by_asc(department::Column::Code)
        .all(db)
        .await
}

pub async fn department_by_code(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
    code: &str,
) -> Result<Option<department::Model>, DbErr> {
    department::Entity::find()
        .filter(department::Column::WardId.eq(ward_id))
        .filter(department::Column::Code.eq(code))
        .one(db)
        .await
}

pub async fn insert_department(
    db: &impl ConnectionTrait,
    row: department::Model,
) -> Result<department::Model, DbErr> {
    department::ActiveModel::from(row).insert(db).await
}

/// Changes a department's name and address: `None` leaves a field as it is; an address of
/// `Some(None)` is removed.
pub async fn update_department(
    db: &impl ConnectionTrait,
    existing: department::Model,
    name: Option<String>,
    email: Option<Option<String>>,
) -> Result<department::Model, DbErr> {
    let mut model = existing.into_active_model();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if let Some(email) = email {
        model.email = Set(email);
    }
    model.update(db).await
}

pub async fn routing_rules(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
) -> Result<Vec<routing_rule::Model>, DbErr> {
    routing_rule::Entity::find()
        .filter(routing_rule::Column::WardId.eq(ward_id))
        .all(db)
        .await
}

/// Routes a subcategory of the ward to a department, replacing its earlier rule.
pub async fn set_routing_rule(
    txn: &impl ConnectionTrait,
    ward_id: Uuid,
    subcategory: Subcategory,
    department_id: Uuid,
) -> Result<(), DbErr> {
    routing_rule::Entity::delete_many()
        .filter(routing_rule::Column::WardId.eq(ward_id))
        .filter(routing_rule::Column::Subcategory.eq(subcategory.as_str()))
        .exec(txn)
        .await?;
    routing_rule::ActiveModel {
        ward_id: Set(ward_id),
        subcategory: Set(Stored(subcategory)),
        department_id: Set(department_id),
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Writes a ward as it now is (name, state, contacts).
pub async fn update_ward(
    txn: &impl ConnectionTrait,
    row: ward::Model,
) -> Result<ward::Model, DbErr> {
    ward::ActiveModel::from(row).reset_all().update(txn).await
}

/// The wards in service now: activated and not deactivated since.
pub async fn serving_ids(db: &impl ConnectionTrait) -> Result<HashSet<Uuid>, DbErr> {
    Ok(ward::Entity::find()
        .select_only()
        .column(ward::Column::Id)
        .filter(ward::Column::ActivatedAt.is_not_null())
        .filter(ward::Column::DeactivatedAt.is_null())
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The neighborhoods merged into another by `day`, each with the one that took it over in the
/// end (a merge of a merge is followed to its end).
pub async fn merges_in_force(
    db: &impl ConnectionTrait,
    day: NaiveDate,
) -> Result<HashMap<Uuid, Uuid>, DbErr> {
    let direct: HashMap<Uuid, Uuid> = neighborhood::Entity::find()
        .filter(neighborhood::Column::MergedInto.is_not_null())
        .filter(neighborhood::Column::MergedFrom.lte(day))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|n| Some((n.id, n.merged_into?)))
        .collect();
    Ok(direct
        .keys()
        .map(|from| {
            let mut into = direct[from];
            // Bounded: a chain cannot be longer than the neighborhoods merged.
            for _ in 0..direct.len() {
                match direct.get(&into) {
                    Some(next) => into = *next,
                    None => break,
                }
            }
            (*from, into)
        })
        .collect())
}

pub async fn insert_neighborhood(
    txn: &impl ConnectionTrait,
    row: neighborhood::Model,
) -> Result<neighborhood::Model, DbErr> {
    neighborhood::ActiveModel::from(row).insert(txn).await
}

pub async fn update_neighborhood(
    txn: &impl ConnectionTrait,
    row: neighborhood::Model,
) -> Result<neighborhood::Model, DbErr> {
    neighborhood::ActiveModel::from(row)
        .reset_all()
        .update(txn)
        .await
}

/// How many active heads a neighborhood has.
pub async fn active_heads(db: &impl ConnectionTrait, neighborhood_id: Uuid) -> Result<u64, DbErr> {
    user::Entity::find()
        .filter(user::Column::NeighborhoodId.eq(neighborhood_id))
        .filter(user::Column::Active.eq(true))
        .count(db)
        .await
}

/// Moves a neighborhood's reports and heads (active or not: their history) to another one;
/// returns how many of each moved.
pub async fn move_neighborhood(
    txn: &impl ConnectionTrait,
    from: Uuid,
    into: Uuid,
) -> Result<(u64, u64), DbErr> {
    let reports = report::Entity::update_many()
        .col_expr(report::Column::NeighborhoodId, Expr::value(into))
        .filter(report::Column::NeighborhoodId.eq(from))
        .exec(txn)
        .await?;
    let heads = user::Entity::update_many()
        .col_expr(user::Column::NeighborhoodId, Expr::value(into))
        .filter(user::Column::NeighborhoodId.eq(from))
        .exec(txn)
        .await?;
    Ok((reports.rows_affected, heads.rows_affected))
}

/// The national list of wards, of one province or all, by official code.
pub async fn national_list(
    db: &impl ConnectionTrait,
    province_code: Option<i32>,
) -> Result<Vec<ward::Model>, DbErr> {
    let mut select = ward::Entity::find();
    if let Some(code) = province_code {
        select = select.filter(ward::Column::ProvinceCode.eq(code));
    }
    select.order_by_asc(ward::Column::Code).all(db).await
}
