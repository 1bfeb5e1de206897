//! Response times: deadlines on reports (the department's clock and the ward's), the time
//! they took in working hours, the national calendar of days off, each ward's office hours and
//! deadline policies, and the warnings and escalations already sent.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Columns added to `reports`. SQLite adds one column per statement.
fn report_columns() -> Vec<ColumnDef> {
    vec![
        // When the department now holding the report received it: its clock's start.
        timestamp_with_time_zone_null("assigned_at"),
        timestamp_with_time_zone_null("acknowledge_due_at"),
        timestamp_with_time_zone_null("acknowledge_warn_at"),
        timestamp_with_time_zone_null("resolve_due_at"),
        timestamp_with_time_zone_null("resolve_warn_at"),
        // The ward's promise to the neighborhood, from filing; a reroute does not restart it.
        timestamp_with_time_zone_null("ward_acknowledge_due_at"),
        timestamp_with_time_zone_null("ward_resolve_due_at"),
        // Working time from filing to acknowledgement and to resolution, for statistics.
        big_integer_null("acknowledge_working_seconds"),
        big_integer_null("resolve_working_seconds"),
    ]
}

/// Indexes on `reports`: name, and the columns that follow `status`.
const REPORT_INDEXES: &[(&str, &[&str])] = &[
    (
        "ix_reports_status_acknowledge_warn_at",
        &["acknowledge_warn_at"],
    ),
    ("ix_reports_status_resolve_warn_at", &["resolve_warn_at"]),
    // With the due time, the backlog's age and overdue counts are read from the index alone.
    (
        "ix_reports_status_created_at",
        &["created_at", "resolve_due_at"],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in report_columns() {
            manager
                .alter_table(Table::alter().table("reports").add_column(column).take())
                .await?;
        }
        // The deadline scan looks for open reports past a point in time, the backlog for open
        // reports by age: both start from the status, the few open among the many closed.
        for (name, columns) in REPORT_INDEXES {
            let mut index = Index::create();
            index.name(*name).table("reports").col("status");
            for column in *columns {
                index.col(*column);
            }
            manager.create_index(index.take()).await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("wards")
                    .add_column(json_null("office_hours"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("calendar_days")
                    .col(date("date").primary_key())
                    .col(string("kind"))
                    .col(string("name"))
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("deadline_policies")
                    .col(pk_uuid("id"))
                    .col(uuid("ward_id"))
                    .col(string("priority"))
                    // Empty for the rule of the whole priority.
                    .col(string("subcategory"))
                    .col(integer("acknowledge_minutes"))
                    .col(string("acknowledge_clock"))
                    .col(integer("resolve_minutes"))
                    .col(string("resolve_clock"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deadline_policies_ward_id")
                            .from("deadline_policies", "ward_id")
                            .to("wards", "id"),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_deadline_policies_ward_id_priority_subcategory")
                    .table("deadline_policies")
                    .col("ward_id")
                    .col("priority")
                    .col("subcategory")
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("deadline_alerts")
                    .col(pk_uuid("id"))
                    .col(uuid("report_id"))
                    // `acknowledge` or `resolve`.
                    .col(string("deadline"))
                    // `warning` (to the department) or `escalation` (to the ward's leaders).
                    .col(string("stage"))
                    .col(timestamp_with_time_zone("due_at"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_deadline_alerts_report_id")
                            .from("deadline_alerts", "report_id")
                            .to("reports", "id"),
                    )
                    .take(),
            )
            .await?;
        // Each alert once per deadline, however many replicas scan at the same moment; a
        // reroute sets a new due time, and with it room for new alerts.
        manager
            .create_index(
                Index::create()
                    .name("ix_deadline_alerts_once")
                    .table("deadline_alerts")
                    .col("report_id")
                    .col("deadline")
                    .col("stage")
                    .col("due_at")
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["deadline_alerts", "deadline_policies", "calendar_days"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table("wards")
                    .drop_column("office_hours")
                    .take(),
            )
            .await?;
        for (name, _) in REPORT_INDEXES {
            manager
                .drop_index(
                    Index::drop()
                        .name(name.to_owned())
                        .table("reports")
                        .to_owned(),
                )
                .await?;
        }
        for column in report_columns() {
            manager
                .alter_table(
                    Table::alter()
                        .table("reports")
                        .drop_column(column.get_column_name())
                        .take(),
                )
                .await?;
        }
        Ok(())
    }
}
