//! Geography: versions of ward and neighborhood boundaries, and heads who join a report
//! instead of filing the same problem again.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("boundaries")
                    .col(pk_uuid("id"))
                    // `ward` or `neighborhood`.
                    .col(string("level"))
                    .col(uuid("ward_id"))
                    .col(uuid_null("neighborhood_id"))
                    // In force from this date (Asia/Ho_Chi_Minh) until a later version's.
                    .col(date("valid_from"))
                    // A GeoJSON Polygon or MultiPolygon, longitude first.
                    .col(text("geometry"))
                    // A drawn approximation (the demo wards), not an official boundary.
                    .col(boolean("approximate"))
                    .col(string("source"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_boundaries_ward_id")
                            .from("boundaries", "ward_id")
                            .to("wards", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_boundaries_neighborhood_id")
                            .from("boundaries", "neighborhood_id")
                            .to("neighborhoods", "id"),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_boundaries_ward_id_level_valid_from")
                    .table("boundaries")
                    .col("ward_id")
                    .col("level")
                    .col("valid_from")
                    .take(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("report_supporters")
                    .col(uuid("report_id"))
                    .col(uuid("user_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .primary_key(Index::create().col("report_id").col("user_id"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_supporters_report_id")
                            .from("report_supporters", "report_id")
                            .to("reports", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_supporters_user_id")
                            .from("report_supporters", "user_id")
                            .to("users", "id"),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_report_supporters_user_id")
                    .table("report_supporters")
                    .col("user_id")
                    .take(),
            )
            .await?;
        // A head's own reports, wherever they were placed.
        manager
            .create_index(
                Index::create()
                    .name("ix_reports_reporter_id_created_at")
                    .table("reports")
                    .col("reporter_id")
                    .col("created_at")
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_reports_reporter_id_created_at")
                    .table("reports")
                    .to_owned(),
            )
            .await?;
        for table in ["report_supporters", "boundaries"] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}
