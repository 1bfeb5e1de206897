//! Classifier models activated by operators, and the subcategory corrections staff made.

use crate::entities::{classifier_model, subcategory_correction};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

/// The id of the newest activated model.
pub async fn newest_id(db: &impl ConnectionTrait) -> Result<Option<Uuid>, DbErr> {
    let newest: Option<(Uuid,)> = classifier_model::Entity::find()
        .select_only()
        .column(classifier_model::Column::Id)
        .order_by_desc(classifier_model::Column::ActivatedAt)
        .order_by_desc(classifier_model::Column::Id)
        .into_tuple()
        .one(db)
        .await?;
    Ok(newest.map(|(id,)| id))
}

pub async fn model(
    db: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<classifier_model::Model>, DbErr> {
    classifier_model::Entity::find_by_id(id).one(db).await
}

/// Every correction, oldest first.
pub async fn corrections(
    db: &impl ConnectionTrait,
) -> Result<Vec<subcategory_correction::Model>, DbErr> {
    subcategory_correction::Entity::find()
        .order_by_asc(subcategory_correction::Column::CreatedAt)
        .order_by_asc(subcategory_correction::Column::Id)
        .all(db)
        .await
}

/// Stores a model's JSON as the one every replica should use from now on.
pub async fn activate(
    db: &impl ConnectionTrait,
    json: String,
    trained_examples: usize,
    corrections: usize,
    at: DateTime<Utc>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    classifier_model::ActiveModel {
        id: Set(id),
        activated_at: Set(at),
        trained_examples: Set(i32::try_from(trained_examples).unwrap_or(i32::MAX)),
        corrections: Set(i32::try_from(corrections).unwrap_or(i32::MAX)),
        model: Set(json),
    }
    .insert(db)
    .await?;
    Ok(id)
}
