//! Photos of a report: heads show the problem, the department shows the fix. Files are
//! checked by their bytes, stripped of metadata, kept in the photo store with a screen-size
//! and a thumbnail version, and served with the report's access rules.

use crate::auth::{CurrentUser, sha256_hex};
use crate::error::{ApiError, ApiResult, Text};
use crate::extract::Path;
use crate::photos::{self, Processed, Rejected};
use crate::routes::views::{self, Photo};
use crate::state::AppState;
use crate::store::entities::{report, report_photo};
use crate::store::reports::{self as store, now};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use sos_domain::access;
use sos_domain::boundaries::{self, Placement, Spot};
use sos_domain::photos::{self as rules, PhotoFormat, PhotoKind, Variant};
use sos_domain::taxonomy::Status;
use uuid::Uuid;

/// Room for the form's other fields and part headers beside the photo itself.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;
const MAX_KIND_BYTES: usize = 32;
/// Files never change once written: a photo gets a new id, never new bytes.
const CACHE_FOREVER: HeaderValue = HeaderValue::from_static("private, max-age=31536000, immutable");

#[derive(Serialize)]
pub struct PhotoList {
    items: Vec<Photo>,
}

fn too_large(max: usize) -> ApiError {
    // Whole megabytes as configured by default; a smaller limit is shown in kilobytes.
    let size = if max >= 1024 * 1024 {
        format!("{:.0} MB", max as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", max / 1024)
    };
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        Text::new(
            format!("Ảnh quá lớn: tối đa {size} mỗi ảnh."),
            format!("The photo is too large: at most {size} each."),
        ),
    )
}

fn unsupported(vi: &str, en: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
        Text::new(vi, en),
    )
}

fn broken_upload() -> ApiError {
    ApiError::bad_request(
        "malformed-body",
        "Không nhận đủ ảnh (mạng bị ngắt?); hãy gửi lại.",
        "The upload did not arrive whole (was the connection lost?); send it again.",
    )
}

/// A field a multipart form may carry: its name, its largest size, how many times.
pub struct FieldRule {
    pub name: &'static str,
    pub max_bytes: usize,
    pub max_count: usize,
}

/// Reads a multipart form whole, field by field within `rules`, stopping as soon as a limit
/// is passed. Nothing is kept until the whole form has arrived.
pub async fn read_multipart(
    state: &AppState,
    request: Request,
    rules: &[FieldRule],
) -> ApiResult<Vec<(&'static str, Bytes)>> {
    let max_photo = state.settings.max_photo_bytes;
    let allowed: usize = rules.iter().map(|r| r.max_bytes * r.max_count).sum();
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
    if declared.is_some_and(|length| length > allowed + FORM_OVERHEAD_BYTES) {
        return Err(too_large(max_photo));
    }
    let mut form = Multipart::from_request(request, state).await.map_err(|_| {
        unsupported(
            "Nội dung phải là multipart/form-data (ảnh trong trường `photo`).",
            "The body must be multipart/form-data (photos in the field `photo`).",
        )
    })?;
    let mut fields: Vec<(&'static str, Bytes)> = Vec::new();
    while let Some(mut field) = form.next_field().await.map_err(|_| broken_upload())? {
        let name = field.name().unwrap_or_default().to_owned();
        let Some(rule) = rules.iter().find(|r| r.name == name) else {
            return Err(ApiError::field(
                &name,
                "Biểu mẫu không có trường này.",
                "The form has no such field.",
            ));
        };
        if fields.iter().filter(|(n, _)| *n == rule.name).count() == rule.max_count {
            return Err(ApiError::field(
                rule.name,
                format!("Trường này có tối đa {} giá trị.", rule.max_count),
                format!("This field takes at most {} values.", rule.max_count),
            ));
        }
        let mut bytes = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(|_| broken_upload())? {
            if bytes.len() + chunk.len() > rule.max_bytes {
                return Err(if rule.name == "photo" {
                    too_large(max_photo)
                } else {
                    ApiError::field(rule.name, "Giá trị quá dài.", "The value is too long.")
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        if rule.name == "photo" && bytes.is_empty() {
            return Err(no_picture());
        }
        fields.push((rule.name, bytes.freeze()));
    }
    Ok(fields)
}

fn no_picture() -> ApiError {
    ApiError::field(
        "photo",
        "Chưa có ảnh trong trường `photo`.",
        "The field `photo` holds no picture.",
    )
}

/// The photo form's `kind`, when sent.
fn kind_of(fields: &[(&str, Bytes)]) -> ApiResult<Option<PhotoKind>> {
    let Some((_, value)) = fields.iter().find(|(name, _)| *name == "kind") else {
        return Ok(None);
    };
    String::from_utf8_lossy(value)
        .trim()
        .parse()
        .map(Some)
        .map_err(|()| {
            ApiError::field(
                "kind",
                "Loại ảnh là `before` (hiện trạng) hoặc `after` (sau xử lý).",
                "The kind is `before` (the problem) or `after` (the fix).",
            )
        })
}

fn rejection(rejected: Rejected) -> ApiError {
    match rejected {
        Rejected::Unsupported => unsupported(
            "Tệp không phải ảnh JPEG, PNG hay WebP.",
            "The file is not a JPEG, PNG or WebP picture.",
        ),
        Rejected::Heif => unsupported(
            "Ảnh HEIC chưa được hỗ trợ; hãy gửi ảnh JPEG (điện thoại tự chuyển khi chia sẻ).",
            "HEIC pictures are not supported yet; send a JPEG (phones convert when sharing).",
        ),
        Rejected::TooLarge(pixels) => ApiError::field(
            "photo",
            format!(
                "Ảnh có {pixels} điểm ảnh, vượt mức {} cho phép.",
                rules::MAX_PIXELS
            ),
            format!(
                "The picture has {pixels} pixels, more than the {} allowed.",
                rules::MAX_PIXELS
            ),
        ),
        Rejected::Corrupt(why) => {
            tracing::info!(%why, "undecodable photo refused");
            ApiError::field(
                "photo",
                "Ảnh bị hỏng hoặc gửi chưa trọn; hãy gửi lại.",
                "The picture is damaged or incomplete; send it again.",
            )
        }
    }
}

fn status_of(report: &report::Model) -> ApiResult<Status> {
    report
        .status
        .parse()
        .map_err(|_| ApiError::internal(anyhow::anyhow!("unknown status {}", report.status)))
}

async fn photos_of_kind(
    db: &impl ConnectionTrait,
    report_id: Uuid,
    kind: PhotoKind,
) -> ApiResult<usize> {
    Ok(report_photo::Entity::find()
        .filter(report_photo::Column::ReportId.eq(report_id))
        .filter(report_photo::Column::Kind.eq(kind.as_str()))
        .count(db)
        .await? as usize)
}

fn no_room(kind: PhotoKind) -> ApiError {
    ApiError::conflict(
        "too-many-photos",
        format!(
            "Phản ánh đã có đủ {} ảnh loại `{}`.",
            rules::MAX_PHOTOS_PER_KIND,
            kind.as_str()
        ),
        format!(
            "The report already has {} `{}` photos.",
            rules::MAX_PHOTOS_PER_KIND,
            kind.as_str()
        ),
    )
}

async fn find_photo(
    db: &impl ConnectionTrait,
    report_id: Uuid,
    photo_id: Uuid,
) -> ApiResult<report_photo::Model> {
    report_photo::Entity::find_by_id(photo_id)
        .filter(report_photo::Column::ReportId.eq(report_id))
        .one(db)
        .await?
        .ok_or_else(|| ApiError::not_found("Không tìm thấy ảnh này.", "There is no such photo."))
}

/// A photo as its uploader sees it. The same file sent by someone else earlier is theirs: its
/// author is not looked up for this rare answer.
fn shown_to(photo: &report_photo::Model, current: &CurrentUser) -> Photo {
    let by = (photo.added_by == current.user.id).then_some(&current.user);
    Photo::new(photo, by, current.user.id)
}

/// A photo checked and made, not yet attached to a report.
pub struct Prepared {
    upload_sha256: String,
    processed: Processed,
}

/// Checks and makes a photo (on the photo workers).
pub async fn prepare(state: &AppState, upload: Bytes) -> ApiResult<Prepared> {
    let upload_sha256 = sha256_hex(&upload);
    let processed = state
        .photo_processor
        .run(upload)
        .await
        .map_err(ApiError::internal)?
        .map_err(rejection)?;
    Ok(Prepared {
        upload_sha256,
        processed,
    })
}

async fn already_attached(
    state: &AppState,
    report_id: Uuid,
    upload_sha256: &str,
) -> ApiResult<Option<report_photo::Model>> {
    Ok(report_photo::Entity::find()
        .filter(report_photo::Column::ReportId.eq(report_id))
        .filter(report_photo::Column::UploadSha256.eq(upload_sha256))
        .one(&state.db)
        .await?)
}

/// Attaches a prepared photo to a report: its files first, then its row. The same file
/// attached before gives the photo already kept (200), not a second one.
pub async fn attach(
    state: &AppState,
    current: &CurrentUser,
    report: &report::Model,
    kind: PhotoKind,
    prepared: Prepared,
) -> ApiResult<(StatusCode, Photo)> {
    let render = |photo: &report_photo::Model| shown_to(photo, current);
    if let Some(existing) = already_attached(state, report.id, &prepared.upload_sha256).await? {
        return Ok((StatusCode::OK, render(&existing)));
    }
    let processed = prepared.processed;
    let photo_id = Uuid::now_v7();
    let keys = store_files(state, report.id, photo_id, &processed).await?;
    let digest = |variant| sha256_hex(processed.variant(variant));
    // Where the camera was is kept only as an offer, for a report without a position.
    let offer = processed.camera_position.filter(|_| report.lat.is_none());
    let row = report_photo::Model {
        id: photo_id,
        report_id: report.id,
        kind: kind.as_str().to_owned(),
        added_by: current.user.id,
        created_at: now(),
        format: processed.format.as_str().to_owned(),
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
    if let Err(error) = insert_photo(state, &row, kind).await {
        delete_files(state, &keys).await;
        return Err(error);
    }
    tracing::info!(report = %report.id, photo = %photo_id, kind = kind.as_str(), "photo added");
    Ok((StatusCode::CREATED, render(&row)))
}

/// Adds a photo. Sending the same file again (a retry after a lost answer) returns the photo
/// already kept.
pub async fn upload(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
    request: Request,
) -> ApiResult<(StatusCode, axum::Json<Photo>)> {
    let actor = &current.actor;
    let (report, scope) = store::find_visible(&state.db, actor, id).await?;
    let allowed = store::photo_kinds(actor, &report, &scope);
    let Some(&usual_kind) = allowed.last() else {
        return Err(ApiError::forbidden(
            "Bạn không thể thêm ảnh vào phản ánh này lúc này.",
            "You cannot add photos to this report now.",
        ));
    };
    let rules = [
        FieldRule {
            name: "photo",
            max_bytes: state.settings.max_photo_bytes,
            max_count: 1,
        },
        FieldRule {
            name: "kind",
            max_bytes: MAX_KIND_BYTES,
            max_count: 1,
        },
    ];
    let form = read_multipart(&state, request, &rules).await?;
    let kind = kind_of(&form)?.unwrap_or(usual_kind);
    if !allowed.contains(&kind) {
        return Err(ApiError::forbidden(
            "Ảnh sau xử lý do đơn vị xử lý gửi.",
            "Photos of the fix are added by the department working the report.",
        ));
    }
    let Some((_, photo)) = form.into_iter().find(|(name, _)| *name == "photo") else {
        return Err(no_picture());
    };
    // Checked before the work is done, and again when the photo is written.
    if let Some(existing) = already_attached(&state, report.id, &sha256_hex(&photo)).await? {
        return Ok((StatusCode::OK, axum::Json(shown_to(&existing, &current))));
    }
    if !rules::has_room(photos_of_kind(&state.db, report.id, kind).await?) {
        return Err(no_room(kind));
    }
    let prepared = prepare(&state, photo).await?;
    let (status, photo) = attach(&state, &current, &report, kind, prepared).await?;
    Ok((status, axum::Json(photo)))
}

/// Writes the photo's row, with the report locked so that two uploads at once cannot pass the
/// limit together.
async fn insert_photo(
    state: &AppState,
    row: &report_photo::Model,
    kind: PhotoKind,
) -> ApiResult<()> {
    let txn = state.begin_write().await?;
    report::Entity::find_by_id(row.report_id)
        .lock_exclusive()
        .one(&*txn)
        .await?;
    if !rules::has_room(photos_of_kind(&*txn, row.report_id, kind).await?) {
        return Err(no_room(kind));
    }
    report_photo::Entity::insert(report_photo::ActiveModel::from(row.clone()))
        .exec_without_returning(&*txn)
        .await
        .map_err(|e| match e.sql_err() {
            // The same file, sent twice at once: the other request kept it.
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => ApiError::conflict(
                "conflict",
                "Ảnh này vừa được gửi; hãy tải lại phản ánh.",
                "This photo has just been added; reload the report.",
            ),
            _ => e.into(),
        })?;
    txn.commit().await?;
    Ok(())
}

/// Writes every variant; if one fails, removes those written, so a failed upload leaves nothing.
async fn store_files(
    state: &AppState,
    report_id: Uuid,
    photo_id: Uuid,
    processed: &Processed,
) -> ApiResult<Vec<String>> {
    let mut written = Vec::new();
    for variant in Variant::ALL {
        let key = photos::file_key(report_id, photo_id, variant, processed.format);
        let bytes = processed.variant(variant).clone();
        if let Err(error) = state.photo_files.put(&key, bytes).await {
            delete_files(state, &written).await;
            return Err(ApiError::internal(error));
        }
        written.push(key);
    }
    Ok(written)
}

async fn delete_files(state: &AppState, keys: &[String]) {
    for key in keys {
        if let Err(error) = state.photo_files.delete(key).await {
            tracing::error!(%key, "photo file left behind: {error:#}");
        }
    }
}

fn all_keys(photo: &report_photo::Model) -> ApiResult<Vec<String>> {
    let format = stored_format(photo)?;
    Ok(Variant::ALL
        .into_iter()
        .map(|variant| photos::file_key(photo.report_id, photo.id, variant, format))
        .collect())
}

fn stored_format(photo: &report_photo::Model) -> ApiResult<PhotoFormat> {
    photo
        .format
        .parse()
        .map_err(|()| ApiError::internal(anyhow::anyhow!("unknown photo format {}", photo.format)))
}

/// The report's photos.
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<PhotoList>> {
    let (report, _) = store::find_visible(&state.db, &current.actor, id).await?;
    Ok(axum::Json(PhotoList {
        items: store::photo_views(&state.db, &current.actor, report.id).await?,
    }))
}

/// One file of a photo, cached by the browser or app for good: it never changes.
pub async fn file(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, photo_id, variant)): Path<(Uuid, Uuid, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let (report, _) = store::find_visible(&state.db, &current.actor, id).await?;
    let photo = find_photo(&state.db, report.id, photo_id).await?;
    let variant: Variant = variant.parse().map_err(|()| {
        ApiError::not_found(
            "Ảnh chỉ có các bản original, screen và thumb.",
            "A photo has the files original, screen and thumb only.",
        )
    })?;
    let format = stored_format(&photo)?;
    let media_type = variant.format(format).media_type();
    let digest = match variant {
        Variant::Original => &photo.original_sha256,
        Variant::Screen => &photo.screen_sha256,
        Variant::Thumb => &photo.thumb_sha256,
    };
    let etag = HeaderValue::from_str(&format!("\"{digest}\"")).map_err(ApiError::internal)?;
    let cached = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| tag.trim().trim_start_matches("W/") == etag.to_str().unwrap_or_default());
    let common = [(header::ETAG, etag), (header::CACHE_CONTROL, CACHE_FOREVER)];
    if cached {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    let key = photos::file_key(report.id, photo.id, variant, format);
    let bytes = state
        .photo_files
        .get(&key)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("photo file {key} is missing")))?;
    Ok((
        common,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(media_type)),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Removes a photo and its files.
pub async fn delete(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, photo_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<StatusCode> {
    let (report, scope) = store::find_visible(&state.db, &current.actor, id).await?;
    let photo = find_photo(&state.db, report.id, photo_id).await?;
    if !access::can_remove_photo(&current.actor, &scope, photo.added_by, status_of(&report)?) {
        return Err(ApiError::forbidden(
            "Chỉ quản trị viên của phường, hoặc người gửi ảnh khi phản ánh còn mở, được xoá ảnh.",
            "Only the ward's administrator, or whoever added the photo while the report is open, removes it.",
        ));
    }
    let keys = all_keys(&photo)?;
    let txn = state.begin_write().await?;
    report_photo::Entity::delete_by_id(photo.id)
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    // After the row: a file without a row is unreachable; a row without its file would fail.
    delete_files(&state, &keys).await;
    tracing::info!(report = %report.id, photo = %photo.id, "photo removed");
    Ok(StatusCode::NO_CONTENT)
}

/// Takes the position the camera wrote as the report's, at the request of whoever added the
/// photo. The position must lie in the report's ward: a report is not moved to another ward
/// after it was routed.
pub async fn accept_location(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, photo_id)): Path<(Uuid, Uuid)>,
) -> ApiResult<axum::Json<views::ReportDetail>> {
    let (report, scope) = store::find_visible(&state.db, &current.actor, id).await?;
    let photo = find_photo(&state.db, report.id, photo_id).await?;
    let (Some(lat), Some(lon)) = (photo.suggested_lat, photo.suggested_lon) else {
        return Err(ApiError::conflict(
            "no-suggestion",
            "Ảnh này không có vị trí để đề xuất (hoặc phản ánh đã có vị trí).",
            "This photo offers no position (or the report already has one).",
        ));
    };
    if photo.added_by != current.user.id {
        return Err(ApiError::forbidden(
            "Chỉ người gửi ảnh dùng vị trí của ảnh.",
            "Only whoever added the photo may use its position.",
        ));
    }
    let index = state.boundaries.index(&state.db).await?;
    let spot = Spot {
        lat,
        lon,
        accuracy_m: None,
    };
    match boundaries::placement(&index, Some(spot), (report.ward_id, report.neighborhood_id)) {
        Placement::Here { ward, .. } if ward == report.ward_id => {}
        _ => {
            return Err(ApiError::conflict(
                "outside-ward",
                "Vị trí trong ảnh nằm ngoài phường của phản ánh nên không dùng được.",
                "The photo's position lies outside the report's ward, so it cannot be used.",
            ));
        }
    }
    let txn = state.begin_write().await?;
    let updated = report::Entity::update_many()
        .col_expr(report::Column::Lat, lat.into())
        .col_expr(report::Column::Lon, lon.into())
        .col_expr(report::Column::UpdatedAt, now().into())
        .filter(report::Column::Id.eq(report.id))
        .filter(report::Column::Lat.is_null())
        .exec(&*txn)
        .await?;
    // The report has a place now: no photo of it needs to remember the camera's.
    report_photo::Entity::update_many()
        .col_expr(
            report_photo::Column::SuggestedLat,
            Option::<f64>::None.into(),
        )
        .col_expr(
            report_photo::Column::SuggestedLon,
            Option::<f64>::None.into(),
        )
        .filter(report_photo::Column::ReportId.eq(report.id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    if updated.rows_affected != 1 {
        return Err(ApiError::conflict(
            "no-suggestion",
            "Phản ánh đã có vị trí.",
            "The report already has a position.",
        ));
    }
    let report = report::Entity::find_by_id(report.id)
        .one(&state.db)
        .await?
        .ok_or_else(ApiError::report_not_found)?;
    Ok(axum::Json(
        store::detail(&state.db, &current.actor, &report, &scope).await?,
    ))
}
