//! Classifier models trained by operators (`sos classify train --activate`): the newest
//! activated one is what every replica classifies with, loaded without a restart.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("classifier_models")
                    .col(pk_uuid("id"))
                    .col(timestamp_with_time_zone("activated_at"))
                    .col(integer("trained_examples"))
                    .col(integer("corrections"))
                    .col(text("model"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_classifier_models_activated_at")
                    .table("classifier_models")
                    .col("activated_at")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("classifier_models").take())
            .await
    }
}
