//! Counters of requests per key and minute (login attempts per username and per address,
//! writes per account), kept in the database so that every replica counts the same.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("rate_windows")
                    .col(string("key"))
                    // Seconds since the epoch at which the window starts.
                    .col(big_integer("window_start"))
                    .col(big_integer("hits"))
                    .primary_key(Index::create().col("key").col("window_start"))
                    .take(),
            )
            .await?;
        // Pruning deletes old windows of every key.
        manager
            .create_index(
                Index::create()
                    .name("idx_rate_windows_window_start")
                    .table("rate_windows")
                    .col("window_start")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("rate_windows").take())
            .await
    }
}
