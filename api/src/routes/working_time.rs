//! What deadlines are measured against: the national calendar of days off (city admins change
//! it as the government announces each year's swaps), each ward's office hours and its
//! deadline policies (the ward's admins). Changes apply to reports routed from then on.

use crate::auth::CurrentUser;
use crate::error::{ApiError, ApiResult, FieldError};
use crate::extract::{Json, Path, Query};
use crate::routes::params;
use crate::routes::wards::{configurable_ward, visible_ward};
use crate::sla::{day_kind_code, office_hours, parse_day_kind, rule_of};
use crate::state::AppState;
use crate::store::entities::{calendar_day, deadline_policy, ward};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use sos_domain::access;
use sos_domain::sla::deadlines::{Policy, default_policy};
use sos_domain::sla::{DayKind, TIME_ZONE, WeekHours};
use sos_domain::taxonomy::{Priority, Subcategory};
use uuid::Uuid;

const MAX_NAME_CHARS: usize = 200;
/// A deadline longer than a year is a typo.
const MAX_MINUTES: u32 = 366 * 24 * 60;

#[derive(Serialize)]
pub struct CalendarDay {
    date: NaiveDate,
    kind: DayKind,
    name: String,
}

impl From<calendar_day::Model> for CalendarDay {
    fn from(day: calendar_day::Model) -> Self {
        CalendarDay {
            date: day.date,
            kind: parse_day_kind(&day.kind).unwrap_or(DayKind::Holiday),
            name: day.name,
        }
    }
}

#[derive(Serialize)]
pub struct CalendarYear {
    year: i32,
    days: Vec<CalendarDay>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    year: Option<String>,
}

fn parse_date(raw: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        ApiError::not_found(
            "Ngày phải có dạng YYYY-MM-DD.",
            "A date looks like YYYY-MM-DD.",
        )
    })
}

/// The days off and compensatory working days of a year (this year by default).
pub async fn list_days(
    State(state): State<AppState>,
    _current: CurrentUser,
    Query(query): Query<YearQuery>,
) -> ApiResult<axum::Json<CalendarYear>> {
    let this_year = Utc::now().with_timezone(&TIME_ZONE).year();
    let mut errors = Vec::new();
    let year = params::number(
        "year",
        query.year.as_deref(),
        this_year,
        2000..=2100,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("a valid year");
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("a valid year");
    let days = calendar_day::Entity::find()
        .filter(calendar_day::Column::Date.between(first, last))
        .order_by_asc(calendar_day::Column::Date)
        .all(&state.db)
        .await?;
    Ok(axum::Json(CalendarYear {
        year,
        days: days.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayUpdate {
    kind: DayKind,
    name: String,
}

fn require_calendar_admin(current: &CurrentUser) -> ApiResult<()> {
    if access::can_configure_calendar(&current.actor) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "Chỉ quản trị viên cấp thành phố được sửa lịch nghỉ.",
            "Only a city-wide administrator changes the calendar of days off.",
        ))
    }
}

/// Declares a day off or a compensatory working day (or changes one).
pub async fn set_day(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(date): Path<String>,
    Json(body): Json<DayUpdate>,
) -> ApiResult<axum::Json<CalendarDay>> {
    require_calendar_admin(&current)?;
    let date = parse_date(&date)?;
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::field(
            "/name",
            format!("Cần tên ngày từ 1 đến {MAX_NAME_CHARS} ký tự."),
            format!("A name of 1 to {MAX_NAME_CHARS} characters is required."),
        ));
    }
    let row = calendar_day::Model {
        date,
        kind: day_kind_code(body.kind).to_owned(),
        name: name.to_owned(),
    };
    let txn = state.begin_write().await?;
    calendar_day::Entity::delete_by_id(date).exec(&*txn).await?;
    calendar_day::ActiveModel::from(row.clone())
        .insert(&*txn)
        .await?;
    txn.commit().await?;
    state.clocks.forget(None);
    tracing::info!(%date, kind = %row.kind, "calendar day set");
    Ok(axum::Json(row.into()))
}

pub async fn delete_day(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(date): Path<String>,
) -> ApiResult<StatusCode> {
    require_calendar_admin(&current)?;
    let date = parse_date(&date)?;
    let txn = state.begin_write().await?;
    let deleted = calendar_day::Entity::delete_by_id(date).exec(&*txn).await?;
    txn.commit().await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found(
            "Ngày này không có trong lịch nghỉ.",
            "This date is not in the calendar.",
        ));
    }
    state.clocks.forget(None);
    tracing::info!(%date, "calendar day removed");
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get_office_hours(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<WeekHours>> {
    let ward = visible_ward(&state, &current, id).await?;
    Ok(axum::Json(office_hours(&ward)))
}

pub async fn set_office_hours(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
    Json(body): Json<WeekHours>,
) -> ApiResult<axum::Json<WeekHours>> {
    let ward = configurable_ward(&state, &current, id).await?;
    if let Err(problem) = body.periods() {
        let day = problem.split(':').next().unwrap_or("");
        let field = if day.len() == 3 {
            format!("/{day}")
        } else {
            String::new()
        };
        return Err(ApiError::field(
            &field,
            format!("Giờ làm việc không hợp lệ: {problem}."),
            format!("Invalid office hours: {problem}."),
        ));
    }
    let mut model: ward::ActiveModel = ward.into_active_model();
    model.office_hours = Set(Some(
        serde_json::to_value(&body).map_err(ApiError::internal)?,
    ));
    let txn = state.begin_write().await?;
    model.update(&*txn).await?;
    txn.commit().await?;
    state.clocks.forget(Some(id));
    Ok(axum::Json(body))
}

#[derive(Serialize)]
pub struct PolicyView {
    priority: Priority,
    subcategory: Option<Subcategory>,
    #[serde(flatten)]
    policy: Policy,
    /// The built-in default rather than a rule of the ward.
    default: bool,
}

#[derive(Serialize)]
pub struct Policies {
    ward_id: Uuid,
    policies: Vec<PolicyView>,
}

/// The policy of each priority (the ward's or the default), then the ward's rules for single
/// subcategories.
pub async fn list_policies(
    State(state): State<AppState>,
    current: CurrentUser,
    Path(id): Path<Uuid>,
) -> ApiResult<axum::Json<Policies>> {
    let ward = visible_ward(&state, &current, id).await?;
    let rules: Vec<_> = deadline_policy::Entity::find()
        .filter(deadline_policy::Column::WardId.eq(ward.id))
        .all(&state.db)
        .await?
        .iter()
        .filter_map(rule_of)
        .collect();
    let mut policies: Vec<PolicyView> = Priority::ALL
        .iter()
        .map(|&priority| {
            match rules
                .iter()
                .find(|r| r.priority == priority && r.subcategory.is_none())
            {
                Some(rule) => PolicyView {
                    priority,
                    subcategory: None,
                    policy: rule.policy,
                    default: false,
                },
                None => PolicyView {
                    priority,
                    subcategory: None,
                    policy: default_policy(priority),
                    default: true,
                },
            }
        })
        .collect();
    policies.extend(
        rules
            .iter()
            .filter(|r| r.subcategory.is_some())
            .map(|r| PolicyView {
                priority: r.priority,
                subcategory: r.subcategory,
                policy: r.policy,
                default: false,
            }),
    );
    Ok(axum::Json(Policies {
        ward_id: ward.id,
        policies,
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyKey {
    subcategory: Option<String>,
}

fn parse_key(priority: &str, key: &PolicyKey) -> ApiResult<(Priority, Option<Subcategory>)> {
    let priority: Priority = priority.parse().map_err(|_| {
        ApiError::not_found("Không có mức ưu tiên này.", "There is no such priority.")
    })?;
    let subcategory = match key.subcategory.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(code.parse::<Subcategory>().map_err(|_| {
            ApiError::validation(vec![FieldError::new(
                "subcategory",
                format!("Mã không hợp lệ: `{code}`."),
                format!("Unknown code `{code}`."),
            )])
        })?),
    };
    Ok((priority, subcategory))
}

/// Sets the ward's deadlines for a priority, or for one subcategory at it.
pub async fn set_policy(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, priority)): Path<(Uuid, String)>,
    Query(key): Query<PolicyKey>,
    Json(policy): Json<Policy>,
) -> ApiResult<axum::Json<PolicyView>> {
    let ward = configurable_ward(&state, &current, id).await?;
    let (priority, subcategory) = parse_key(&priority, &key)?;
    let mut errors = Vec::new();
    for (field, target) in [
        ("/acknowledge/minutes", policy.acknowledge),
        ("/resolve/minutes", policy.resolve),
    ] {
        if !(1..=MAX_MINUTES).contains(&target.minutes) {
            errors.push(FieldError::new(
                field,
                format!("Từ 1 đến {MAX_MINUTES} phút."),
                format!("From 1 to {MAX_MINUTES} minutes."),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let code = |clock| {
        serde_json::to_value(clock)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let subcategory_code = subcategory.map_or(String::new(), |s| s.as_str().to_owned());
    let txn = state.begin_write().await?;
    deadline_policy::Entity::delete_many()
        .filter(deadline_policy::Column::WardId.eq(ward.id))
        .filter(deadline_policy::Column::Priority.eq(priority.as_str()))
        .filter(deadline_policy::Column::Subcategory.eq(subcategory_code.as_str()))
        .exec(&*txn)
        .await?;
    deadline_policy::ActiveModel {
        id: Set(Uuid::now_v7()),
        ward_id: Set(ward.id),
        priority: Set(priority.as_str().to_owned()),
        subcategory: Set(subcategory_code),
        acknowledge_minutes: Set(policy.acknowledge.minutes as i32),
        acknowledge_clock: Set(code(policy.acknowledge.clock)),
        resolve_minutes: Set(policy.resolve.minutes as i32),
        resolve_clock: Set(code(policy.resolve.clock)),
    }
    .insert(&*txn)
    .await?;
    txn.commit().await?;
    state.clocks.forget(Some(ward.id));
    tracing::info!(ward = ward.code, %priority, ?subcategory, "deadline policy set");
    Ok(axum::Json(PolicyView {
        priority,
        subcategory,
        policy,
        default: false,
    }))
}

/// Removes a ward's rule: the report falls back to the priority's rule, then the default.
pub async fn delete_policy(
    State(state): State<AppState>,
    current: CurrentUser,
    Path((id, priority)): Path<(Uuid, String)>,
    Query(key): Query<PolicyKey>,
) -> ApiResult<StatusCode> {
    let ward = configurable_ward(&state, &current, id).await?;
    let (priority, subcategory) = parse_key(&priority, &key)?;
    let txn = state.begin_write().await?;
    let deleted = deadline_policy::Entity::delete_many()
        .filter(deadline_policy::Column::WardId.eq(ward.id))
        .filter(deadline_policy::Column::Priority.eq(priority.as_str()))
        .filter(deadline_policy::Column::Subcategory.eq(subcategory.map_or("", |s| s.as_str())))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    if deleted.rows_affected == 0 {
        return Err(ApiError::not_found(
            "Phường không có quy định riêng này.",
            "The ward has no such rule of its own.",
        ));
    }
    state.clocks.forget(Some(ward.id));
    Ok(StatusCode::NO_CONTENT)
}
