//! Photos of a report: heads show the problem, the department shows the fix. Files are
//! checked by their bytes, stripped of metadata, kept in the photo store with a screen-size
//! and a thumbnail version, and read under the report's access rules.

use crate::infra::files::file_key;
use crate::infra::images::{Processed, Rejected};
use crate::problem::{Outcome, Problem, ProblemKind};
use crate::services::Services;
use crate::services::accounts::{Caller, sha256_hex};
use crate::services::reports::{Detail, detail, find_visible, photo_kinds};
use bytes::Bytes;
use sos_domain::access;
use sos_domain::boundaries::{self, Placement, Spot};
use sos_domain::photos::{self as rules, PhotoKind, Variant};
use sos_store::entities::{report, report_photo};
use sos_store::photos::{self as store, Inserted};
use sos_store::{Stored, accounts, reports};
use uuid::Uuid;

/// A photo checked and made, not yet attached to a report.
pub struct Prepared {
    upload_sha256: String,
    processed: Processed,
}

pub fn unsupported(vi: &str, en: &str) -> Problem {
    Problem::of(ProblemKind::UnsupportedMediaType, vi, en)
}

fn rejection(rejected: Rejected) -> Problem {
    match rejected {
        Rejected::Unsupported => unsupported(
            "Tệp không phải ảnh JPEG, PNG hay WebP.",
            "The file is not a JPEG, PNG or WebP picture.",
        ),
        Rejected::Heif => unsupported(
            "Ảnh HEIC chưa được hỗ trợ; hãy gửi ảnh JPEG (điện thoại tự chuyển khi chia sẻ).",
            "HEIC pictures are not supported yet; send a JPEG (phones convert when sharing).",
        ),
        Rejected::TooLarge(pixels) => Problem::field(
            "photo",
            format!(
                "Ảnh có {pixels} điểm ảnh, vượt mức {} triệu cho phép; hãy chụp ở độ phân giải mặc định hoặc gửi ảnh nhỏ hơn.",
                rules::MAX_PIXELS / 1_000_000
            ),
            format!(
                "The picture has {pixels} pixels, more than the {} million allowed; take it at the camera's default resolution or send a smaller one.",
                rules::MAX_PIXELS / 1_000_000
            ),
        ),
        Rejected::TooCostly {
            width,
            height,
            bytes,
        } => {
            let (needed, allowed) = (bytes.div_ceil(1 << 20), rules::MEMORY_BUDGET >> 20);
            Problem::field(
                "photo",
                format!(
                    "Ảnh {width}×{height} cần khoảng {needed} MiB bộ nhớ để xử lý (ảnh 16 bit hoặc có kênh trong suốt tốn nhiều hơn), vượt mức {allowed} MiB; hãy gửi ảnh JPEG hoặc ảnh nhỏ hơn."
                ),
                format!(
                    "Processing this {width}×{height} picture would take about {needed} MiB of memory (16-bit depth and transparency take more), more than the {allowed} MiB allowed; send a JPEG or a smaller picture."
                ),
            )
        }
        Rejected::Corrupt(why) => {
            tracing::info!(%why, "undecodable photo refused");
            Problem::field(
                "photo",
                "Ảnh bị hỏng hoặc gửi chưa trọn; hãy gửi lại.",
                "The picture is damaged or incomplete; send it again.",
            )
        }
    }
}

fn no_room(kind: PhotoKind) -> Problem {
    Problem::of(
        ProblemKind::TooManyPhotos,
        format!(
            "Phản ánh đã có đủ {} ảnh loại `{kind}`.",
            rules::MAX_PHOTOS_PER_KIND
        ),
        format!(
            "The report already has {} `{kind}` photos.",
            rules::MAX_PHOTOS_PER_KIND
        ),
    )
}

/// A form without its picture.
pub fn no_picture() -> Problem {
    Problem::field(
        "photo",
        "Chưa có ảnh trong trường `photo`.",
        "The field `photo` holds no picture.",
    )
}

fn no_such_photo() -> Problem {
    Problem::not_found("Không tìm thấy ảnh này.", "There is no such photo.")
}

/// Checks and makes a photo (on the photo workers).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn prepare(services: &Services, upload: Bytes) -> Outcome<Prepared> {
    let upload_sha256 = sha256_hex(&upload);
    let processed = services
        .photo_processor
        .run(upload)
        .await
        .map_err(Problem::internal)?
        .map_err(rejection)?;
    Ok(Prepared {
        upload_sha256,
        processed,
    })
}

/// Attaches a prepared photo to a report: its files first, then its row. The same file
/// attached before gives the photo already kept (`false`), not a second one.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attach(
    services: &Services,
    caller: &Caller,
    report: &report::Model,
    kind: PhotoKind,
    prepared: Prepared,
) -> Outcome<(bool, report_photo::Model)> {
    if let Some(existing) =
        store::by_upload(&services.db, report.id, &prepared.upload_sha256).await?
    {
        return Ok((false, existing));
    }
    let processed = prepared.processed;
    let photo_id = Uuid::now_v7();
    let keys = store_files(services, report.id, photo_id, &processed).await?;
    let digest = |variant| sha256_hex(processed.variant(variant));
    // Where the camera was is kept only as an offer, for a report without a position.
    let offer = processed.camera_position.filter(|_| report.lat.is_none());
    let row = report_photo::Model {
        id: photo_id,
        report_id: report.id,
        kind: Stored(kind),
        added_by: caller.user.id,
        created_at: services.clock.now(),
        format: Stored(processed.format),
        width: processed.width as i32,
        height: processed.height as i32,
        original_bytes: processed.original.len() as i64,
        upload_sha256: prepared.upload_sha256,
        original_sha256: digest(Variant::Original),
        screen_sha256: digest(Variant::Screen),
        thumb_sha256: digest(Variant::Thumb),
        suggested_lat: offer.map(|p| p.lat),
        suggested_lon: offer.map(|p| p.lon),
    };
    if let Err(error) = insert(services, &row).await {
        delete_files(services, &keys).await;
        return Err(error);
    }
    tracing::info!(report = %report.id, photo = %photo_id, %kind, "photo added");
    Ok((true, row))
}

/// Writes the photo's row (the report locked, so two uploads at once cannot pass the limit).
async fn insert(services: &Services, row: &report_photo::Model) -> Outcome<()> {
    let txn = services.begin_write().await?;
    match store::insert(&*txn, row).await? {
        Inserted::Yes => {}
        Inserted::NoRoom => return Err(no_room(*row.kind)),
        // The same file, sent twice at once: the other request kept it.
        Inserted::SameUpload => {
            return Err(Problem::conflict(
                "Ảnh này vừa được gửi; hãy tải lại phản ánh.",
                "This photo has just been added; reload the report.",
            ));
        }
    }
    // Its photos are part of the report: those who sync fetch it again.
    reports::mark_updated(&*txn, &[row.report_id], services.clock.now()).await?;
    txn.commit().await?;
    Ok(())
}

/// The kinds of photo the caller may add to a report now, the usual one last: what an upload
/// may be, before it is read.
pub async fn kinds_allowed(
    services: &Services,
    caller: &Caller,
    report_id: Uuid,
) -> Outcome<(report::Model, Vec<PhotoKind>)> {
    let (report, scope) = find_visible(&services.db, &caller.actor, report_id).await?;
    let allowed = photo_kinds(&caller.actor, &report, &scope);
    if allowed.is_empty() {
        return Err(Problem::forbidden(
            "Bạn không thể thêm ảnh vào phản ánh này lúc này.",
            "You cannot add photos to this report now.",
        ));
    }
    Ok((report, allowed))
}

/// Adds a photo of `kind` (the usual one when not given). Sending the same file again (a
/// retry after a lost answer) returns the photo already kept (`false`).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn upload(
    services: &Services,
    caller: &Caller,
    (report, allowed): (report::Model, Vec<PhotoKind>),
    kind: Option<PhotoKind>,
    photo: Option<Bytes>,
) -> Outcome<(bool, report_photo::Model)> {
    let usual = *allowed.last().expect("checked by kinds_allowed");
    let kind = kind.unwrap_or(usual);
    if !allowed.contains(&kind) {
        return Err(Problem::forbidden(
            "Ảnh sau xử lý do đơn vị xử lý gửi.",
            "Photos of the fix are added by the department working the report.",
        ));
    }
    let photo = photo.ok_or_else(no_picture)?;
    // Checked before the work is done, and again when the photo is written.
    if let Some(existing) = store::by_upload(&services.db, report.id, &sha256_hex(&photo)).await? {
        return Ok((false, existing));
    }
    if !rules::has_room(store::count_of_kind(&services.db, report.id, kind).await?) {
        return Err(no_room(kind));
    }
    let prepared = prepare(services, photo).await?;
    attach(services, caller, &report, kind, prepared).await
}

/// Writes every variant; if one fails, removes those written, so a failed upload leaves nothing.
async fn store_files(
    services: &Services,
    report_id: Uuid,
    photo_id: Uuid,
    processed: &Processed,
) -> Outcome<Vec<String>> {
    let mut written = Vec::new();
    for variant in Variant::ALL.iter().copied() {
        let key = file_key(report_id, photo_id, variant, processed.format);
        let bytes = processed.variant(variant).clone();
        if let Err(error) = services.photo_files.put(&key, bytes).await {
            delete_files(services, &written).await;
            return Err(Problem::internal(error));
        }
        written.push(key);
    }
    Ok(written)
}

async fn delete_files(services: &Services, keys: &[String]) {
    for key in keys {
        if let Err(error) = services.photo_files.delete(key).await {
            tracing::error!(%key, "photo file left behind: {error:#}");
        }
    }
}

/// A report's photos with their authors.
pub async fn list(
    services: &Services,
    caller: &Caller,
    report_id: Uuid,
) -> Outcome<(
    Vec<report_photo::Model>,
    std::collections::HashMap<Uuid, sos_store::entities::user::Model>,
)> {
    let (report, _) = find_visible(&services.db, &caller.actor, report_id).await?;
    let photos = store::of_report(&services.db, report.id).await?;
    let authors = accounts::users_by_id(&services.db, photos.iter().map(|p| p.added_by)).await?;
    Ok((photos, authors))
}

/// A photo of a report the caller may see.
pub async fn find(
    services: &Services,
    caller: &Caller,
    report_id: Uuid,
    photo_id: Uuid,
) -> Outcome<report_photo::Model> {
    let (report, _) = find_visible(&services.db, &caller.actor, report_id).await?;
    store::find(&services.db, report.id, photo_id)
        .await?
        .ok_or_else(no_such_photo)
}

/// The bytes of one file of a photo.
pub async fn file(
    services: &Services,
    photo: &report_photo::Model,
    variant: Variant,
) -> Outcome<Bytes> {
    let key = file_key(photo.report_id, photo.id, variant, *photo.format);
    services
        .photo_files
        .get(&key)
        .await
        .map_err(Problem::internal)?
        .ok_or_else(|| Problem::internal(anyhow::anyhow!("photo file {key} is missing")))
}

/// Removes a photo and its files.
pub async fn delete(
    services: &Services,
    caller: &Caller,
    report_id: Uuid,
    photo_id: Uuid,
) -> Outcome<()> {
    let (report, scope) = find_visible(&services.db, &caller.actor, report_id).await?;
    let photo = store::find(&services.db, report.id, photo_id)
        .await?
        .ok_or_else(no_such_photo)?;
    if !access::can_remove_photo(&caller.actor, &scope, photo.added_by, *report.status) {
        return Err(Problem::forbidden(
            "Chỉ quản trị viên của phường, hoặc người gửi ảnh khi phản ánh còn mở, được xoá ảnh.",
            "Only the ward's administrator, or whoever added the photo while the report is open, removes it.",
        ));
    }
    let keys: Vec<String> = Variant::ALL
        .iter()
        .map(|variant| file_key(photo.report_id, photo.id, *variant, *photo.format))
        .collect();
    let txn = services.begin_write().await?;
    store::delete(&*txn, photo.id).await?;
    reports::mark_updated(&*txn, &[report.id], services.clock.now()).await?;
    txn.commit().await?;
    // After the row: a file without a row is unreachable; a row without its file would fail.
    delete_files(services, &keys).await;
    tracing::info!(report = %report.id, photo = %photo.id, "photo removed");
    Ok(())
}

/// Takes the position the camera wrote as the report's, at the request of whoever added the
/// photo. The position must lie in the report's ward: a report is not moved to another ward
/// after it was routed.
pub async fn accept_location(
    services: &Services,
    caller: &Caller,
    report_id: Uuid,
    photo_id: Uuid,
) -> Outcome<Detail> {
    let (report, scope) = find_visible(&services.db, &caller.actor, report_id).await?;
    let photo = store::find(&services.db, report.id, photo_id)
        .await?
        .ok_or_else(no_such_photo)?;
    let no_suggestion = |vi: &str, en: &str| Problem::of(ProblemKind::NoSuggestion, vi, en);
    let (Some(lat), Some(lon)) = (photo.suggested_lat, photo.suggested_lon) else {
        return Err(no_suggestion(
            "Ảnh này không có vị trí để đề xuất (hoặc phản ánh đã có vị trí).",
            "This photo offers no position (or the report already has one).",
        ));
    };
    if photo.added_by != caller.user.id {
        return Err(Problem::forbidden(
            "Chỉ người gửi ảnh dùng vị trí của ảnh.",
            "Only whoever added the photo may use its position.",
        ));
    }
    let index = services
        .boundaries
        .index(&services.db, &services.clock)
        .await?;
    let spot = Spot {
        lat,
        lon,
        accuracy_m: None,
    };
    match boundaries::placement(&index, Some(spot), (report.ward_id, report.neighborhood_id)) {
        Placement::Here { ward, .. } if ward == report.ward_id => {}
        _ => {
            return Err(Problem::of(
                ProblemKind::OutsideWard,
                "Vị trí trong ảnh nằm ngoài phường của phản ánh nên không dùng được.",
                "The photo's position lies outside the report's ward, so it cannot be used.",
            ));
        }
    }
    let txn = services.begin_write().await?;
    let placed = reports::set_position(&*txn, report.id, (lat, lon), services.clock.now()).await?;
    // The report has a place now: no photo of it needs to remember the camera's.
    store::clear_offers(&*txn, report.id).await?;
    txn.commit().await?;
    if !placed {
        return Err(no_suggestion(
            "Phản ánh đã có vị trí.",
            "The report already has a position.",
        ));
    }
    let report = reports::find(&services.db, report.id)
        .await?
        .ok_or_else(Problem::report_not_found)?;
    detail(&services.db, &caller.actor, report, &scope).await
}
