//! Photos over HTTP: multipart uploads read whole within their limits before anything is
//! kept, and the files served with their ETag and long caching (a photo's files never change).

use crate::http::extract::Path;
use crate::http::state::AppState;
use crate::http::views::{Photo, ReportDetail};
use crate::problem::{Outcome, Problem, ProblemKind};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::photos::{self, no_picture, unsupported};
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use serde::Serialize;
use sos_domain::photos::{PhotoKind, Variant};
use uuid::Uuid;

/// Room for the form's other fields and part headers beside the photo itself.
const FORM_OVERHEAD_BYTES: usize = 64 * 1024;
const MAX_KIND_BYTES: usize = 32;

#[derive(Serialize)]
pub struct PhotoList {
    items: Vec<Photo>,
}

fn too_large(max: usize) -> Problem {
    // Whole megabytes as configured by default; a smaller limit is shown in kilobytes.
    let size = if max >= 1024 * 1024 {
        format!("{:.0} MB", max as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", max / 1024)
    };
    Problem::of(
        ProblemKind::PayloadTooLarge,
        format!("Ảnh quá lớn: tối đa {size} mỗi ảnh."),
        format!("The photo is too large: at most {size} each."),
    )
}

/// An upload that did not arrive whole: too slowly, or the connection was lost.
fn broken_upload(error: axum::extract::multipart::MultipartError) -> Problem {
    let problem = crate::http::error::unreadable_body(&error);
    if problem.kind == ProblemKind::RequestTimeout {
        return problem;
    }
    Problem::of(
        ProblemKind::MalformedBody,
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
) -> Outcome<Vec<(&'static str, Bytes)>> {
    let max_photo = state.services.settings.max_photo_bytes;
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
    while let Some(mut field) = form.next_field().await.map_err(broken_upload)? {
        let name = field.name().unwrap_or_default().to_owned();
        let Some(rule) = rules.iter().find(|r| r.name == name) else {
            return Err(Problem::field(
                &name,
                "Biểu mẫu không có trường này.",
                "The form has no such field.",
            ));
        };
        if fields.iter().filter(|(n, _)| *n == rule.name).count() == rule.max_count {
            return Err(Problem::field(
                rule.name,
                format!("Trường này có tối đa {} giá trị.", rule.max_count),
                format!("This field takes at most {} values.", rule.max_count),
            ));
        }
        let mut bytes = BytesMut::new();
        while let Some(chunk) = field.chunk().await.map_err(broken_upload)? {
            if bytes.len() + chunk.len() > rule.max_bytes {
                return Err(if rule.name == "photo" {
                    too_large(max_photo)
                } else {
                    Problem::field(rule.name, "Giá trị quá dài.", "The value is too long.")
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

/// The photo form's `kind`, when sent.
fn kind_of(fields: &[(&str, Bytes)]) -> Outcome<Option<PhotoKind>> {
    let Some((_, value)) = fields.iter().find(|(name, _)| *name == "kind") else {
        return Ok(None);
    };
    String::from_utf8_lossy(value)
        .trim()
        .parse()
        .map(Some)
        .map_err(|_| {
            Problem::field(
                "kind",
                "Loại ảnh là `before` (hiện trạng) hoặc `after` (sau xử lý).",
                "The kind is `before` (the problem) or `after` (the fix).",
            )
        })
}

/// Files never change once written: a photo gets a new id, never new bytes.
const CACHE_FOREVER: HeaderValue = HeaderValue::from_static("private, max-age=31536000, immutable");

/// Adds a photo (multipart, field `photo`, optional `kind`). Sending the same file again (a
/// retry after a lost answer) returns the photo already kept, with 200.
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<Uuid>,
    request: Request,
) -> Result<(StatusCode, axum::Json<Photo>), Problem> {
    let services = &state.services;
    // Who may add what is known before the upload is read.
    let allowed = photos::kinds_allowed(services, &caller, id).await?;
    let rules = [
        FieldRule {
            name: "photo",
            max_bytes: services.settings.max_photo_bytes,
            max_count: 1,
        },
        FieldRule {
            name: "kind",
            max_bytes: MAX_KIND_BYTES,
            max_count: 1,
        },
    ];
    let form = read_multipart(&state, request, &rules).await?;
    let kind = kind_of(&form)?;
    let photo = form
        .into_iter()
        .find(|(name, _)| *name == "photo")
        .map(|(_, photo)| photo);
    let (created, photo) = photos::upload(services, &caller, allowed, kind, photo).await?;
    // The same file sent by someone else earlier is theirs: its author is not looked up for
    // this rare answer.
    let by = (photo.added_by == caller.user.id).then_some(&caller.user);
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(Photo::new(&photo, by, caller.user.id))))
}

/// The report's photos.
pub async fn list(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<PhotoList>, Problem> {
    let (photos, authors) = photos::list(&services, &caller, id).await?;
    Ok(axum::Json(PhotoList {
        items: photos
            .iter()
            .map(|p| Photo::new(p, authors.get(&p.added_by), caller.user.id))
            .collect(),
    }))
}

/// One file of a photo, cached by the browser or app for good: it never changes.
pub async fn file(
    State(services): State<Services>,
    caller: Caller,
    Path((id, photo_id, variant)): Path<(Uuid, Uuid, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let photo = photos::find(&services, &caller, id, photo_id).await?;
    let variant: Variant = variant.parse().map_err(|_| {
        Problem::not_found(
            "Ảnh chỉ có các bản original, screen và thumb.",
            "A photo has the files original, screen and thumb only.",
        )
    })?;
    let media_type = variant.format(*photo.format).media_type();
    let digest = match variant {
        Variant::Original => &photo.original_sha256,
        Variant::Screen => &photo.screen_sha256,
        Variant::Thumb => &photo.thumb_sha256,
    };
    let etag = HeaderValue::from_str(&format!("\"{digest}\"")).map_err(Problem::internal)?;
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
    let bytes = photos::file(&services, &photo, variant).await?;
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
    State(services): State<Services>,
    caller: Caller,
    Path((id, photo_id)): Path<(Uuid, Uuid)>,
) -> Result<StatusCode, Problem> {
    photos::delete(&services, &caller, id, photo_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Takes the position the camera wrote as the report's (see `photos::accept_location`).
pub async fn accept_location(
    State(services): State<Services>,
    caller: Caller,
    Path((id, photo_id)): Path<(Uuid, Uuid)>,
) -> Result<axum::Json<ReportDetail>, Problem> {
    let detail = photos::accept_location(&services, &caller, id, photo_id).await?;
    Ok(axum::Json(ReportDetail::new(
        &detail,
        caller.user.id,
        services.clock.now(),
    )?))
}
