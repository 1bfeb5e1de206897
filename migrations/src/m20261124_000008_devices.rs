//! Phones that receive push notifications: each registered token belongs to one user.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("devices")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    // The push provider's registration token; a phone handed to another
                    // person moves to that person when they register it.
                    .col(string_len_uniq("token", 4096))
                    // `android`, `ios` or `web`.
                    .col(string("platform"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("last_seen_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_devices_user_id")
                            .from("devices", "user_id")
                            .to("users", "id"),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_devices_user_id")
                    .table("devices")
                    .col("user_id")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("devices").take())
            .await
    }
}
