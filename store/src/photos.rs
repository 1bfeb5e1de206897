//! What describes the photos of reports (their files are in the photo store).

use crate::entities::{report, report_photo};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use sos_domain::photos::{self as rules, PhotoKind};
use uuid::Uuid;

/// A report's photos, oldest first.
pub async fn of_report(
    db: &impl ConnectionTrait,
    report_id: Uuid,
) -> Result<Vec<report_photo::Model>, DbErr> {
    report_photo::Entity::find()
        .filter(report_photo::Column::ReportId.eq(report_id))
        .order_by_asc(report_photo::Column::CreatedAt)
        .order_by_asc(report_photo::Column::Id)
        .all(db)
        .await
}

pub async fn count_of_kind(
    db: &impl ConnectionTrait,
    report_id: Uuid,
    kind: PhotoKind,
) -> Result<usize, DbErr> {
    Ok(report_photo::Entity::find()
        .filter(report_photo::Column::ReportId.eq(report_id))
        .filter(report_photo::Column::Kind.eq(kind.as_str()))
        .count(db)
        .await? as usize)
}

pub async fn find(
    db: &impl ConnectionTrait,
    report_id: Uuid,
    photo_id: Uuid,
) -> Result<Option<report_photo::Model>, DbErr> {
    report_photo::Entity::find_by_id(photo_id)
        .filter(report_photo::Column::ReportId.eq(report_id))
        .one(db)
        .await
}

/// The photo of the report made from the same upload (a retry), if any.
pub async fn by_upload(
    db: &impl ConnectionTrait,
    report_id: Uuid,
    upload_sha256: &str,
) -> Result<Option<report_photo::Model>, DbErr> {
    report_photo::Entity::find()
        .filter(report_photo::Column::ReportId.eq(report_id))
        .filter(report_photo::Column::UploadSha256.eq(upload_sha256))
        .one(db)
        .await
}

/// What became of an insert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    Yes,
    /// The report has its photos of that kind already.
    NoRoom,
    /// The same upload was kept a moment ago (two requests at once).
    SameUpload,
}

/// Writes a photo's row with the report locked, so that two uploads at once cannot pass the
/// limit together.
pub async fn insert(
    txn: &impl ConnectionTrait,
    row: &report_photo::Model,
) -> Result<Inserted, DbErr> {
    report::Entity::find_by_id(row.report_id)
        .lock_exclusive()
        .one(txn)
        .await?;
    if !rules::has_room(count_of_kind(txn, row.report_id, *row.kind).await?) {
        return Ok(Inserted::NoRoom);
    }
    match report_photo::Entity::insert(report_photo::ActiveModel::from(row.clone()))
        .exec_without_returning(txn)
        .await
    {
        Ok(_) => Ok(Inserted::Yes),
        Err(e) if crate::db::is_unique_violation(&e) => Ok(Inserted::SameUpload),
        Err(e) => Err(e),
    }
}

pub async fn delete(txn: &impl ConnectionTrait, photo_id: Uuid) -> Result<(), DbErr> {
    report_photo::Entity::delete_by_id(photo_id)
        .exec(txn)
        .await?;
    Ok(())
}

/// Forgets the camera positions offered by a report's photos (the report has its place).
pub async fn clear_offers(txn: &impl ConnectionTrait, report_id: Uuid) -> Result<(), DbErr> {
    report_photo::Entity::update_many()
        .col_expr(
            report_photo::Column::SuggestedLat,
            Option::<f64>::None.into(),
        )
        .col_expr(
            report_photo::Column::SuggestedLon,
            Option::<f64>::None.into(),
        )
        .filter(report_photo::Column::ReportId.eq(report_id))
        .exec(txn)
        .await?;
    Ok(())
}
