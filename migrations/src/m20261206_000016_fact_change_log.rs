//! The facts worker's change log in a table of its own. Events that can change their report's
//! statistics facts were flagged `facts_pending`, and the worker cleared each flag: on
//! PostgreSQL an update writes the whole event again, with an entry in each of its indexes,
//! so every event was written twice and left a dead row in the largest table.
//!
//! Now the database logs such an event in `report_fact_changes` as it is inserted (a
//! trigger: every writer of events is covered, and filings send no statement more), and the
//! worker deletes the log's rows as it applies them. The events stay as written.

use sea_orm_migration::sea_orm::DatabaseBackend;
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

const LOG: &str = "report_fact_changes";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LOG)
                    .col(uuid("event_id").primary_key())
                    .col(uuid("report_id"))
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO {LOG} (event_id, report_id) \
             SELECT id, report_id FROM report_events WHERE facts_pending = TRUE"
        ))
        .await?;
        match manager.get_database_backend() {
            // Once per statement, from the rows it inserted: a batch of events is logged in
            // one insert.
            DatabaseBackend::Postgres => {
                db.execute_unprepared(&format!(
                    "CREATE FUNCTION log_report_fact_changes() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ BEGIN \
                     INSERT INTO {LOG} (event_id, report_id) \
                     SELECT id, report_id FROM inserted_events WHERE facts_pending; \
                     RETURN NULL; END $$"
                ))
                .await?;
                db.execute_unprepared(
                    "CREATE TRIGGER report_events_log_fact_changes AFTER INSERT ON report_events \
                     REFERENCING NEW TABLE AS inserted_events \
                     FOR EACH STATEMENT EXECUTE FUNCTION log_report_fact_changes()",
                )
                .await?;
            }
            _ => {
                db.execute_unprepared(&format!(
                    "CREATE TRIGGER report_events_log_fact_changes AFTER INSERT ON report_events \
                     WHEN NEW.facts_pending BEGIN \
                     INSERT INTO {LOG} (event_id, report_id) VALUES (NEW.id, NEW.report_id); END"
                ))
                .await?;
            }
        }
        // The flags are no longer cleared, so they no longer say what is pending.
        manager
            .drop_index(
                Index::drop()
                    .name("report_events_facts_pending")
                    .table("report_events")
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared("DROP TRIGGER report_events_log_fact_changes ON report_events")
                .await?;
            db.execute_unprepared("DROP FUNCTION log_report_fact_changes()")
                .await?;
        } else {
            db.execute_unprepared("DROP TRIGGER report_events_log_fact_changes")
                .await?;
        }
        // The flags say what is pending again: only the logged events keep theirs.
        db.execute_unprepared(&format!(
            "UPDATE report_events SET facts_pending = (id IN (SELECT event_id FROM {LOG})) \
             WHERE facts_pending = TRUE"
        ))
        .await?;
        db.execute_unprepared(
            "CREATE INDEX report_events_facts_pending ON report_events (report_id) \
             WHERE facts_pending = TRUE",
        )
        .await?;
        manager.drop_table(Table::drop().table(LOG).take()).await
    }
}
