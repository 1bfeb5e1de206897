//! Loading reference data (the national list of provinces and wards) and organisations in bulk
//! (the demo, synthetic cities).

use crate::ROWS_PER_INSERT;
use crate::code::Stored;
use crate::entities::{department, neighborhood, province, routing_rule, ward};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use sos_domain::taxonomy::Subcategory;
use uuid::Uuid;

/// Whether the national list is loaded.
pub async fn has_reference(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(ward::Entity::find().count(db).await? > 0)
}

pub async fn insert_reference(
    txn: &impl ConnectionTrait,
    provinces: Vec<province::Model>,
    wards: Vec<ward::Model>,
) -> Result<(), DbErr> {
    province::Entity::insert_many(provinces.into_iter().map(province::ActiveModel::from))
        .exec_without_returning(txn)
        .await?;
    for chunk in wards.chunks(ROWS_PER_INSERT) {
        ward::Entity::insert_many(chunk.iter().cloned().map(ward::ActiveModel::from))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// A ward of a province by its official code.
pub async fn ward_by_code(
    db: &impl ConnectionTrait,
    province_code: i32,
    code: i32,
) -> Result<Option<ward::Model>, DbErr> {
    ward::Entity::find()
        .filter(ward::Column::Code.eq(code))
        .filter(ward::Column::ProvinceCode.eq(province_code))
        .one(db)
        .await
}

pub async fn insert_departments(
    txn: &impl ConnectionTrait,
    rows: &[department::Model],
) -> Result<(), DbErr> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        department::Entity::insert_many(chunk.iter().cloned().map(department::ActiveModel::from))
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

pub async fn insert_neighborhoods(
    txn: &impl ConnectionTrait,
    rows: &[neighborhood::Model],
) -> Result<(), DbErr> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        neighborhood::Entity::insert_many(
            chunk.iter().cloned().map(neighborhood::ActiveModel::from),
        )
        .exec_without_returning(txn)
        .await?;
    }
    Ok(())
}

/// Routing rules of a ward: each subcategory to a department.
pub async fn insert_routing(
    txn: &impl ConnectionTrait,
    ward_id: Uuid,
    rules: impl IntoIterator<Item = (Subcategory, Uuid)>,
) -> Result<(), DbErr> {
    let rows: Vec<routing_rule::ActiveModel> = rules
        .into_iter()
        .map(|(subcategory, department_id)| {
            routing_rule::ActiveModel::from(routing_rule::Model {
                ward_id,
                subcategory: Stored(subcategory),
                department_id,
            })
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    routing_rule::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// The wards of a province.
pub async fn wards_of_province(
    db: &impl ConnectionTrait,
    province_code: i32,
) -> Result<Vec<ward::Model>, DbErr> {
    ward::Entity::find()
        .filter(ward::Column::ProvinceCode.eq(province_code))
        .all(db)
        .await
}

/// Every neighborhood, department and account of a role (whole-city tools).
pub async fn all_neighborhoods(
    db: &impl ConnectionTrait,
) -> Result<Vec<neighborhood::Model>, DbErr> {
    neighborhood::Entity::find().all(db).await
}

pub async fn all_departments(db: &impl ConnectionTrait) -> Result<Vec<department::Model>, DbErr> {
    department::Entity::find().all(db).await
}

pub async fn users_of_role(
    db: &impl ConnectionTrait,
    role: sos_domain::taxonomy::Role,
) -> Result<Vec<crate::entities::user::Model>, DbErr> {
    use crate::entities::user;
    user::Entity::find()
        .filter(user::Column::Role.eq(role.as_str()))
        .all(db)
        .await
}

/// How many reports are stored.
pub async fn report_count(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    crate::entities::report::Entity::find().count(db).await
}
