//! What a ward needs to run without the demo: wards in service or not, with their contacts;
//! neighborhoods that close or merge; accounts with a phone and a password to change at first
//! sign-in; and the append-only log of administrative changes and sign-ins.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns added to existing tables: (table, column).
fn added_columns() -> Vec<(&'static str, ColumnDef)> {
    vec![
        // Every ward of the national list is loaded; one is in service from its activation.
        ("wards", timestamp_with_time_zone_null("activated_at")),
        ("wards", timestamp_with_time_zone_null("deactivated_at")),
        ("wards", string_null("contact_phone")),
        ("wards", string_null("contact_email")),
        ("wards", string_null("contact_address")),
        ("neighborhoods", boolean("active").default(true).take()),
        // A merged neighborhood points to the one that took it over, from that day on.
        ("neighborhoods", uuid_null("merged_into")),
        ("neighborhoods", date_null("merged_from")),
        ("users", string_null("phone")),
        (
            "users",
            boolean("must_change_password").default(false).take(),
        ),
        // Username, name, phone and e-mail folded (no accents, lower case), for searching;
        // filled at start for accounts made before this change.
        ("users", string("search_text").default("").take()),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, mut column) in added_columns() {
            manager
                .alter_table(Table::alter().table(table).add_column(&mut column).take())
                .await?;
        }
        // Wards organised before this change (the demo's, or by hand) are in service.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE wards SET activated_at = created_at \
                 WHERE id IN (SELECT ward_id FROM departments)",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(pk_uuid("id"))
                    .col(timestamp_with_time_zone("at"))
                    // Null for the operator's command line.
                    .col(uuid_null("actor_id"))
                    .col(string_null("actor_username"))
                    // The ward the change belongs to, for ward admins and leaders to read;
                    // null for city-wide changes.
                    .col(uuid_null("ward_id"))
                    .col(string("action"))
                    .col(string("target_kind"))
                    .col(string_null("target_id"))
                    .col(string_null("address"))
                    .col(string_null("request_id"))
                    .col(json_null("before"))
                    .col(json_null("after"))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_audit_log_ward_id")
                    .table("audit_log")
                    .col("ward_id")
                    .col("id")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("audit_log").take())
            .await?;
        for (table, column) in added_columns().into_iter().rev() {
            let name = column.get_column_name();
            manager
                .alter_table(Table::alter().table(table).drop_column(name).take())
                .await?;
        }
        Ok(())
    }
}
