//! The calendar of days off, office hours and deadline policies over HTTP.

use crate::http::auth::{Administrator, CityAdministrator};
use crate::http::extract::{Json, Path, Query};
use crate::http::params;
use crate::problem::Problem;
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::working_time;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sos_domain::sla::deadlines::Policy;
use sos_domain::sla::{DayKind, TIME_ZONE, WeekHours};
use sos_domain::taxonomy::{Priority, Subcategory};
use sos_store::entities::calendar_day;
use uuid::Uuid;

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
            kind: *day.kind,
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

/// The days off and compensatory working days of a year (this year by default).
pub async fn list_days(
    State(services): State<Services>,
    _caller: Caller,
    Query(query): Query<YearQuery>,
) -> Result<axum::Json<CalendarYear>, Problem> {
    let this_year = services.clock.now().with_timezone(&TIME_ZONE).year();
    let mut errors = Vec::new();
    let year = params::number(
        "year",
        query.year.as_deref(),
        this_year,
        2000..=2100,
        &mut errors,
    );
    Problem::check(errors)?;
    let days = working_time::days_of_year(&services, year).await?;
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

/// Declares a day off or a compensatory working day (or changes one).
pub async fn set_day(
    CityAdministrator(caller): CityAdministrator,
    State(services): State<Services>,
    Path(date): Path<String>,
    Json(body): Json<DayUpdate>,
) -> Result<axum::Json<CalendarDay>, Problem> {
    let row = working_time::set_day(&services, &caller, &date, body.kind, &body.name).await?;
    Ok(axum::Json(row.into()))
}

pub async fn delete_day(
    State(services): State<Services>,
    caller: Caller,
    Path(date): Path<String>,
) -> Result<StatusCode, Problem> {
    working_time::delete_day(&services, &caller, &date).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn get_office_hours(
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<WeekHours>, Problem> {
    Ok(axum::Json(
        working_time::office_hours(&services, &caller, id).await?,
    ))
}

pub async fn set_office_hours(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path(id): Path<Uuid>,
    Json(body): Json<WeekHours>,
) -> Result<axum::Json<WeekHours>, Problem> {
    Ok(axum::Json(
        working_time::set_office_hours(&services, &caller, id, body).await?,
    ))
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
    State(services): State<Services>,
    caller: Caller,
    Path(id): Path<Uuid>,
) -> Result<axum::Json<Policies>, Problem> {
    let (ward_id, policies) = working_time::policies(&services, &caller, id).await?;
    Ok(axum::Json(Policies {
        ward_id,
        policies: policies
            .into_iter()
            .map(|p| PolicyView {
                priority: p.priority,
                subcategory: p.subcategory,
                policy: p.policy,
                default: p.default,
            })
            .collect(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyKey {
    subcategory: Option<String>,
}

/// Sets the ward's deadlines for a priority, or for one subcategory at it.
pub async fn set_policy(
    Administrator(caller): Administrator,
    State(services): State<Services>,
    Path((id, priority)): Path<(Uuid, String)>,
    Query(key): Query<PolicyKey>,
    Json(policy): Json<Policy>,
) -> Result<axum::Json<PolicyView>, Problem> {
    let key = (priority.as_str(), key.subcategory.as_deref());
    let rule = working_time::set_policy(&services, &caller, id, key, policy).await?;
    Ok(axum::Json(PolicyView {
        priority: rule.priority,
        subcategory: rule.subcategory,
        policy: rule.policy,
        default: false,
    }))
}

/// Removes a ward's rule: the report falls back to the priority's rule, then the default.
pub async fn delete_policy(
    State(services): State<Services>,
    caller: Caller,
    Path((id, priority)): Path<(Uuid, String)>,
    Query(key): Query<PolicyKey>,
) -> Result<StatusCode, Problem> {
    let key = (priority.as_str(), key.subcategory.as_deref());
    working_time::delete_policy(&services, &caller, id, key).await?;
    Ok(StatusCode::NO_CONTENT)
}
