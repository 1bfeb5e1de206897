//! Statistics kept fresh without a row every filing must lock. A report's events are the log
//! of what changed its facts: each event that can change them is written pending
//! (`facts_pending`), and the facts worker applies the pending reports to their days' packed
//! facts and clears the flag. Filings of one ward no longer meet on a shared day mark, and a
//! day's refresh costs the reports that changed, not the whole day.
//!
//! Packed facts now carry each report's id (format 2); the days stored in format 1 are marked
//! for a full rebuild, which the worker does once.
//!
//! And the nearby possible duplicates a filing answers with are found by ward, subcategory and
//! time, not among every recent report of the ward.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("report_events")
                    .add_column(boolean("facts_pending").default(false).take())
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        // Partial: only the few pending events are in it. The condition is written as the
        // queries write it (`sos_store::facts`), so that SQLite uses the index too.
        db.execute_unprepared(
            "CREATE INDEX report_events_facts_pending ON report_events (report_id) \
             WHERE facts_pending = TRUE",
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("reports_ward_id_subcategory_created_at")
                    .table("reports")
                    .col("ward_id")
                    .col("subcategory")
                    .col("created_at")
                    .take(),
            )
            .await?;
        // `WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT.
        db.execute_unprepared(
            "INSERT INTO report_day_changes (ward_id, day, changed_at) \
             SELECT ward_id, day, built_at FROM report_day_facts WHERE true \
             ON CONFLICT (ward_id, day) DO NOTHING",
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("reports_ward_id_subcategory_created_at")
                    .table("reports")
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("report_events_facts_pending")
                    .table("report_events")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("report_events")
                    .drop_column("facts_pending")
                    .take(),
            )
            .await
    }
}
