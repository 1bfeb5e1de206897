//! The outbox: deliveries to outside systems, written in the transaction of the change they
//! announce and worked off by every replica; and the wards' webhook subscriptions.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("webhook_subscriptions")
                    .col(pk_uuid("id"))
                    .col(uuid("ward_id"))
                    .col(string("url"))
                    .col(string("secret"))
                    // Event type codes separated and surrounded by `|`; `|*|` for every type.
                    .col(string("event_types"))
                    .col(boolean("active"))
                    .col(uuid("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_subscriptions_ward_id")
                            .from("webhook_subscriptions", "ward_id")
                            .to("wards", "id"),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_subscriptions_ward_id")
                    .table("webhook_subscriptions")
                    .col("ward_id")
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("outbox")
                    // Also the idempotency key the receiver sees.
                    .col(pk_uuid("id"))
                    // `webhook` or `email`.
                    .col(string("channel"))
                    .col(uuid("ward_id"))
                    // The webhook subscription, or the e-mail address, delivered to.
                    .col(uuid_null("subscription_id"))
                    .col(string_null("recipient"))
                    .col(uuid("event_id"))
                    .col(uuid("report_id"))
                    .col(string("event_type"))
                    // The body sent, fixed when the change happened.
                    .col(text("payload"))
                    // `pending`, `sent` or `dead`.
                    .col(string("status"))
                    .col(integer("attempts"))
                    // When a worker may (next) take it; a worker's claim pushes it forward,
                    // so a delivery whose worker died is taken again later.
                    .col(timestamp_with_time_zone("next_attempt_at"))
                    .col(text_null("last_error"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("sent_at"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_outbox_status_next_attempt_at")
                    .table("outbox")
                    .col("status")
                    .col("next_attempt_at")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["outbox", "webhook_subscriptions"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
