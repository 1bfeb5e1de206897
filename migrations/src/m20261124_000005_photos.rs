//! Photos on reports. The files live in the photo store; the database holds what describes
//! them, and where the camera was only while that is a suggestion for a report without a place.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("report_photos")
                    .col(pk_uuid("id"))
                    .col(uuid("report_id"))
                    // `before` or `after`.
                    .col(string("kind"))
                    .col(uuid("added_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    // `jpeg`, `png` or `webp`: the original's format.
                    .col(string("format"))
                    .col(integer("width"))
                    .col(integer("height"))
                    .col(big_integer("original_bytes"))
                    // SHA-256 of the upload as received: the same file sent twice is one photo.
                    .col(string("upload_sha256"))
                    // SHA-256 of each stored file, served as its ETag.
                    .col(string("original_sha256"))
                    .col(string("screen_sha256"))
                    .col(string("thumb_sha256"))
                    .col(double_null("suggested_lat"))
                    .col(double_null("suggested_lon"))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_photos_report_id")
                            .from("report_photos", "report_id")
                            .to("reports", "id"),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_report_photos_added_by")
                            .from("report_photos", "added_by")
                            .to("users", "id"),
                    )
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_report_photos_report_id_upload_sha256")
                    .table("report_photos")
                    .col("report_id")
                    .col("upload_sha256")
                    .unique()
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table("report_photos").take())
            .await
    }
}
