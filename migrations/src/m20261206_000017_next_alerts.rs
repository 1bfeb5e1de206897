//! Each report keeps when the deadline scanner should next look at it (`next_alert_at`): its
//! earliest deadline alert not yet reached (`sos_domain::sla::alerts`), none once its
//! deadlines stop running. The scanner read every open report whose warning time had passed
//! and checked each against the alerts already sent, at every scan of every replica, so its
//! work grew with the overdue backlog; now it reads the reports with an alert due. The two
//! indexes that served the old scan (status and warning time) give way to one partial index
//! on the new column, so a filing writes one index entry fewer.
//!
//! Reports stored before look at their earliest warning time, which may have passed: the
//! first scan finds those alerts sent and moves each report on to its next alert.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The indexes of the old scan: name and the deadline column after `status`.
const WARNING_INDEXES: [(&str, &str); 2] = [
    (
        "ix_reports_status_acknowledge_warn_at",
        "acknowledge_warn_at",
    ),
    ("ix_reports_status_resolve_warn_at", "resolve_warn_at"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("reports")
                    .add_column(timestamp_with_time_zone_null("next_alert_at"))
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        // The states in which deadlines run, as `sos_domain::sla::alerts::runs_in` says.
        db.execute_unprepared(
            "UPDATE reports SET next_alert_at = CASE \
               WHEN status = 'assigned' AND acknowledge_warn_at IS NOT NULL \
                 AND (resolve_warn_at IS NULL OR acknowledge_warn_at < resolve_warn_at) \
                 THEN acknowledge_warn_at \
               ELSE resolve_warn_at END \
             WHERE status IN ('assigned', 'acknowledged', 'in_progress')",
        )
        .await?;
        // Partial: settled reports, most of them, have no alert left and are not in it.
        db.execute_unprepared(
            "CREATE INDEX ix_reports_next_alert_at ON reports (next_alert_at) \
             WHERE next_alert_at IS NOT NULL",
        )
        .await?;
        for (name, _) in WARNING_INDEXES {
            manager
                .drop_index(Index::drop().name(name).table("reports").to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, column) in WARNING_INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table("reports")
                        .col("status")
                        .col(column)
                        .take(),
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ix_reports_next_alert_at")
                    .table("reports")
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("reports")
                    .drop_column("next_alert_at")
                    .take(),
            )
            .await
    }
}
