//! Leaders' statistics over a city's year read packed facts per ward and local day instead of
//! a million reports (`sos_domain::rollup`). A change to a report marks its ward's day as
//! changed in the same transaction; workers rebuild the day's facts and clear the mark, and
//! readers take a marked day from the reports themselves, so no figure is ever stale.

use sea_orm_migration::sea_orm::{self, DatabaseBackend};
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("report_day_facts")
                    .col(uuid("ward_id"))
                    // The local day of filing (Asia/Ho_Chi_Minh), `YYYY-MM-DD`.
                    .col(string_len("day", 10))
                    .col(blob("facts"))
                    .col(integer("report_count"))
                    .col(timestamp_with_time_zone("built_at"))
                    .primary_key(Index::create().col("ward_id").col("day"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_day_facts_ward_id")
                            .from("report_day_facts", "ward_id")
                            .to("wards", "id"),
                    )
                    .take(),
            )
            .await?;
        // A city's period is read by day across every ward.
        manager
            .create_index(
                Index::create()
                    .name("ix_report_day_facts_day")
                    .table("report_day_facts")
                    .col("day")
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("report_day_changes")
                    .col(uuid("ward_id"))
                    .col(string_len("day", 10))
                    .col(timestamp_with_time_zone("changed_at"))
                    .primary_key(Index::create().col("ward_id").col("day"))
                    .take(),
            )
            .await?;
        // Reports filed before this migration: every day of theirs is to be built.
        let day = match manager.get_database_backend() {
            DatabaseBackend::Postgres => {
                "to_char(created_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD')"
            }
            _ => "strftime('%Y-%m-%d', created_at, '+7 hours')",
        };
        let changed = Query::select()
            .distinct()
            .column("ward_id")
            .expr(Expr::cust(day))
            .expr(Expr::val(sea_orm::prelude::ChronoUtc::now()))
            .from("reports")
            .to_owned();
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("report_day_changes")
                    .columns(["ward_id", "day", "changed_at"])
                    .select_from(changed)
                    .map_err(|e| DbErr::Migration(e.to_string()))?
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["report_day_changes", "report_day_facts"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
