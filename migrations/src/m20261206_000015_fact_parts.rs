//! A day's packed facts in parts: a base, and over it small parts holding the facts of the
//! reports changed since. The facts worker rewrote a whole day at every pass, so under a
//! sustained load each pass cost the size of the day (5.7 MB per ward at 1,600 reports a
//! second); now it writes the changed facts alone and folds them into the base only when
//! they outgrow half of it (`sos_domain::rollup::day_update`).
//!
//! The stored days become their parts 0. Readers take a day's parts in one statement, so
//! they never meet a fold half done.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const PARTS: &str = "report_day_fact_parts";
const DAYS: &str = "report_day_facts";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PARTS)
                    .col(uuid("ward_id"))
                    // The local day of filing (Asia/Ho_Chi_Minh), `YYYY-MM-DD`.
                    .col(string_len("day", 10))
                    // 0: the base; higher parts are newer.
                    .col(integer("part"))
                    .col(blob("facts"))
                    .col(integer("report_count"))
                    .col(timestamp_with_time_zone("built_at"))
                    .primary_key(Index::create().col("ward_id").col("day").col("part"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_day_fact_parts_ward_id")
                            .from(PARTS, "ward_id")
                            .to("wards", "id"),
                    )
                    .take(),
            )
            .await?;
        // A city's period is read by day across every ward.
        manager
            .create_index(
                Index::create()
                    .name("ix_report_day_fact_parts_day")
                    .table(PARTS)
                    .col("day")
                    .take(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "INSERT INTO {PARTS} (ward_id, day, part, facts, report_count, built_at) \
                 SELECT ward_id, day, 0, facts, report_count, built_at FROM {DAYS}"
            ))
            .await?;
        manager.drop_table(Table::drop().table(DAYS).take()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(DAYS)
                    .col(uuid("ward_id"))
                    .col(string_len("day", 10))
                    .col(blob("facts"))
                    .col(integer("report_count"))
                    .col(timestamp_with_time_zone("built_at"))
                    .primary_key(Index::create().col("ward_id").col("day"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_day_facts_ward_id")
                            .from(DAYS, "ward_id")
                            .to("wards", "id"),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_report_day_facts_day")
                    .table(DAYS)
                    .col("day")
                    .take(),
            )
            .await?;
        // The bases come back; a day with parts over its base is built again whole.
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO {DAYS} (ward_id, day, facts, report_count, built_at) \
             SELECT ward_id, day, facts, report_count, built_at FROM {PARTS} WHERE part = 0"
        ))
        .await?;
        db.execute_unprepared(&format!(
            "INSERT INTO report_day_changes (ward_id, day, changed_at) \
             SELECT ward_id, day, MAX(built_at) FROM {PARTS} WHERE part > 0 \
             GROUP BY ward_id, day ON CONFLICT (ward_id, day) DO NOTHING"
        ))
        .await?;
        manager.drop_table(Table::drop().table(PARTS).take()).await
    }
}
