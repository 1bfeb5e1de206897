//! What each person wants to hear beyond their inbox, and the morning digests sent.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A person without a row has the defaults of their role.
        manager
            .create_table(
                Table::create()
                    .table("notification_preferences")
                    .col(pk_uuid("user_id"))
                    .col(boolean("push"))
                    .col(boolean("email"))
                    .col(boolean("daily_digest"))
                    // Event type codes between `|`, or `|*|` for every type.
                    .col(string("event_types"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_notification_preferences_user_id")
                            .from("notification_preferences", "user_id")
                            .to("users", "id"),
                    )
                    .take(),
            )
            .await?;
        // One digest per leader and local day, whichever replica gets there first.
        manager
            .create_table(
                Table::create()
                    .table("daily_digests")
                    .col(uuid("user_id"))
                    .col(string_len("day", 10))
                    .col(uuid("delivery_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("user_id").col("day"))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["daily_digests", "notification_preferences"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
