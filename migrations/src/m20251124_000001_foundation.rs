//! The organisation (provinces, wards, neighborhoods, departments, routing), accounts, and
//! reports with their events and the neighborhood heads' inbox.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

fn fk(from: &str, column: &str, to: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from}_{column}"))
        .from(from.to_owned(), column.to_owned())
        .to(to.to_owned(), "id".to_owned())
        .take()
}

fn index(table: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index
        .name(format!("ix_{table}_{}", columns.join("_")))
        .table(table.to_owned());
    for column in columns {
        index.col(*column);
    }
    index.take()
}

/// Tables in creation order; `down` drops them in reverse.
const TABLES: &[&str] = &[
    "provinces",
    "wards",
    "neighborhoods",
    "departments",
    "routing_rules",
    "users",
    "refresh_tokens",
    "reports",
    "report_events",
    "notifications",
    "subcategory_corrections",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("provinces")
                    .col(integer("code").primary_key())
                    .col(string("name"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("wards")
                    .col(pk_uuid("id"))
                    .col(integer_uniq("code"))
                    .col(integer("province_code"))
                    .col(string("name"))
                    .col(string("division_type"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_wards_province_code")
                            .from("wards", "province_code")
                            .to("provinces", "code"),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("neighborhoods")
                    .col(pk_uuid("id"))
                    .col(uuid("ward_id"))
                    .col(string("code"))
                    .col(string("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("neighborhoods", "ward_id", "wards"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("neighborhoods", &["ward_id", "code"]).unique().take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("departments")
                    .col(pk_uuid("id"))
                    .col(uuid("ward_id"))
                    .col(string("code"))
                    .col(string("name"))
                    .col(boolean("external"))
                    .col(string_null("email"))
                    .col(boolean("triage_desk"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("departments", "ward_id", "wards"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("departments", &["ward_id", "code"]).unique().take())
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("routing_rules")
                    .col(uuid("ward_id"))
                    .col(string("subcategory"))
                    .col(uuid("department_id"))
                    .primary_key(Index::create().col("ward_id").col("subcategory"))
                    .foreign_key(&mut fk("routing_rules", "ward_id", "wards"))
                    .foreign_key(&mut fk("routing_rules", "department_id", "departments"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_uuid("id"))
                    .col(string_uniq("username"))
                    .col(string("password_hash"))
                    .col(string("display_name"))
                    .col(string("role"))
                    .col(uuid_null("ward_id"))
                    .col(uuid_null("neighborhood_id"))
                    .col(uuid_null("department_id"))
                    .col(string_null("email"))
                    .col(boolean("active"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("users", "ward_id", "wards"))
                    .foreign_key(&mut fk("users", "neighborhood_id", "neighborhoods"))
                    .foreign_key(&mut fk("users", "department_id", "departments"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("users", &["neighborhood_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("refresh_tokens")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(uuid("family_id"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .col(timestamp_with_time_zone_null("used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("refresh_tokens", "user_id", "users"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("refresh_tokens", &["family_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("reports")
                    .col(pk_uuid("id"))
                    .col(uuid("ward_id"))
                    .col(uuid("neighborhood_id"))
                    .col(uuid("reporter_id"))
                    .col(text("description"))
                    .col(text_null("address"))
                    .col(double_null("lat"))
                    .col(double_null("lon"))
                    .col(double_null("accuracy_m"))
                    .col(string("category"))
                    .col(string("subcategory"))
                    .col(string_null("chosen_subcategory"))
                    .col(string("priority"))
                    .col(string("status"))
                    .col(uuid_null("department_id"))
                    .col(json("classification"))
                    .col(uuid_null("duplicate_of"))
                    .col(integer_null("rating"))
                    .col(text_null("response"))
                    // Hash of the submitted body: a retry with the same id must carry the same body.
                    .col(string("request_hash"))
                    // Folded (diacritic-free) text for search typed without accents.
                    .col(text("search_text"))
                    // Optimistic concurrency: every change bumps it, a stale writer loses.
                    .col(integer("version"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("acknowledged_at"))
                    .col(timestamp_with_time_zone_null("resolved_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .foreign_key(&mut fk("reports", "ward_id", "wards"))
                    .foreign_key(&mut fk("reports", "neighborhood_id", "neighborhoods"))
                    .foreign_key(&mut fk("reports", "reporter_id", "users"))
                    .foreign_key(&mut fk("reports", "department_id", "departments"))
                    .take(),
            )
            .await?;
        for columns in [
            &["ward_id", "created_at", "id"][..],
            &["neighborhood_id", "created_at", "id"],
            &["department_id", "created_at", "id"],
            &["created_at", "id"],
        ] {
            manager.create_index(index("reports", columns)).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("report_events")
                    .col(pk_uuid("id"))
                    .col(uuid("report_id"))
                    .col(string("type"))
                    .col(uuid_null("actor_id"))
                    .col(string_null("from_status"))
                    .col(string_null("to_status"))
                    .col(string("visibility"))
                    .col(text_null("text"))
                    .col(json("data"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("report_events", "report_id", "reports"))
                    .foreign_key(&mut fk("report_events", "actor_id", "users"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("report_events", &["report_id", "id"]))
            .await?;
        manager
            .create_index(index("report_events", &["actor_id", "report_id"]))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("notifications")
                    .col(pk_uuid("id"))
                    .col(uuid("user_id"))
                    .col(uuid("report_id"))
                    .col(uuid("event_id"))
                    .col(string("type"))
                    .col(string("title"))
                    .col(text("body"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("read_at"))
                    .foreign_key(&mut fk("notifications", "user_id", "users"))
                    .foreign_key(&mut fk("notifications", "report_id", "reports"))
                    .foreign_key(&mut fk("notifications", "event_id", "report_events"))
                    .take(),
            )
            .await?;
        manager
            .create_index(index("notifications", &["user_id", "id"]))
            .await?;
        // One inbox entry per user and event, whatever retries happen.
        manager
            .create_index(
                index("notifications", &["event_id", "user_id"])
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("subcategory_corrections")
                    .col(pk_uuid("id"))
                    .col(uuid("report_id"))
                    .col(text("text"))
                    .col(string("from_subcategory"))
                    .col(string("to_subcategory"))
                    .col(uuid("actor_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("subcategory_corrections", "report_id", "reports"))
                    .foreign_key(&mut fk("subcategory_corrections", "actor_id", "users"))
                    .take(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            manager
                .drop_table(Table::drop().table(*table).take())
                .await?;
        }
        Ok(())
    }
}
