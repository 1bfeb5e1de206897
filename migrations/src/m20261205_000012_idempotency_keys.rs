//! The writes clients named with an `Idempotency-Key`, and their answers, kept for a day so a
//! write sent again is answered, not done twice, by whichever replica receives it.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("idempotency_keys")
                    // Keys are the client's: two accounts may choose the same one.
                    .col(uuid("account_id"))
                    .col(string("key"))
                    .col(string("fingerprint"))
                    // Milliseconds since the epoch at which the first request arrived.
                    .col(big_integer("started_at"))
                    // Empty until the first request is answered.
                    .col(integer_null("status"))
                    .col(string_null("content_type"))
                    .col(string_null("location"))
                    .col(blob_null("body"))
                    .primary_key(Index::create().col("account_id").col("key"))
                    .take(),
            )
            .await?;
        // Pruning deletes the keys older than a day, of every account.
        manager
            .create_index(
                Index::create()
                    .name("idx_idempotency_keys_started_at")
                    .table("idempotency_keys")
                    .col("started_at")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("idempotency_keys").take())
            .await
    }
}
