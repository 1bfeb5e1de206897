//! What deadlines are measured against: the national calendar of days off (city admins change
//! it as the government announces each year's swaps), each ward's office hours and its
//! deadline policies (the ward's admins). Changes apply to reports routed from then on.

use crate::problem::{FieldError, Outcome, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::audit::{self, Change};
use crate::services::wards::{configurable_ward, visible_ward};
use chrono::NaiveDate;
use sos_domain::access;
use sos_domain::sla::deadlines::{Policy, PolicyRule, default_policy};
use sos_domain::sla::{DayKind, WeekHours};
use sos_domain::taxonomy::{Priority, Subcategory};
use sos_store::Stored;
use sos_store::entities::calendar_day;
use sos_store::working_time as store;
use uuid::Uuid;

const MAX_NAME_CHARS: usize = 200;
/// A deadline longer than a year is a typo.
const MAX_MINUTES: u32 = 366 * 24 * 60;

/// The days off and compensatory working days of a year.
pub async fn days_of_year(services: &Services, year: i32) -> Outcome<Vec<calendar_day::Model>> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).expect("a valid year");
    let last = NaiveDate::from_ymd_opt(year, 12, 31).expect("a valid year");
    Ok(store::calendar_between(&services.db, first, last).await?)
}

fn require_calendar_admin(caller: &Caller) -> Outcome<()> {
    if access::can_configure_calendar(&caller.actor) {
        Ok(())
    } else {
        Err(Problem::forbidden(
            "Chỉ quản trị viên cấp thành phố được sửa lịch nghỉ.",
            "Only a city-wide administrator changes the calendar of days off.",
        ))
    }
}

fn parse_date(raw: &str) -> Outcome<NaiveDate> {
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| {
        Problem::not_found(
            "Ngày phải có dạng YYYY-MM-DD.",
            "A date looks like YYYY-MM-DD.",
        )
    })?;
    if !sos_domain::sla::is_sane(date) {
        return Err(Problem::not_found(
            "Lịch chỉ có các năm 2000–2100.",
            "The calendar holds the years 2000–2100 only.",
        ));
    }
    Ok(date)
}

/// Declares a day off or a compensatory working day (or changes one).
pub async fn set_day(
    services: &Services,
    caller: &Caller,
    date: &str,
    kind: DayKind,
    name: &str,
) -> Outcome<calendar_day::Model> {
    require_calendar_admin(caller)?;
    let date = parse_date(date)?;
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || !sos_domain::text::is_single_line(name)
    {
        return Err(Problem::field(
            "/name",
            format!("Cần tên ngày từ 1 đến {MAX_NAME_CHARS} ký tự, trên một dòng."),
            format!("A name of 1 to {MAX_NAME_CHARS} characters, on one line, is required."),
        ));
    }
    let row = calendar_day::Model {
        date,
        kind: Stored(kind),
        name: name.to_owned(),
    };
    let txn = services.begin_write().await?;
    store::set_calendar_day(&*txn, &row).await?;
    let after = serde_json::json!({"kind": row.kind.as_str(), "name": row.name});
    let change = Change::of(
        "calendar.day_set",
        None,
        "calendar_day",
        row.date,
        Some(after),
    );
    audit::log(&*txn, services, caller, change).await?;
    txn.commit().await?;
    services.organisation_changed(None).await;
    tracing::info!(date = %row.date, kind = %row.kind, "calendar day set");
    Ok(row)
}

pub async fn delete_day(services: &Services, caller: &Caller, date: &str) -> Outcome<()> {
    require_calendar_admin(caller)?;
    let date = parse_date(date)?;
    let txn = services.begin_write().await?;
    let deleted = store::delete_calendar_day(&*txn, date).await?;
    if deleted {
        let change = Change::of("calendar.day_deleted", None, "calendar_day", date, None);
        audit::log(&*txn, services, caller, change).await?;
    }
    txn.commit().await?;
    if !deleted {
        return Err(Problem::not_found(
            "Ngày này không có trong lịch nghỉ.",
            "This date is not in the calendar.",
        ));
    }
    services.organisation_changed(None).await;
    tracing::info!(%date, "calendar day removed");
    Ok(())
}

pub async fn office_hours(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
) -> Outcome<WeekHours> {
    let ward = visible_ward(services, caller, ward_id).await?;
    Ok(store::office_hours(&ward))
}

pub async fn set_office_hours(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
    hours: WeekHours,
) -> Outcome<WeekHours> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    if let Err(problem) = hours.periods() {
        let day = problem.split(':').next().unwrap_or("");
        let field = if day.len() == 3 {
            format!("/{day}")
        } else {
            String::new()
        };
        return Err(Problem::field(
            &field,
            format!("Giờ làm việc không hợp lệ: {problem}."),
            format!("Invalid office hours: {problem}."),
        ));
    }
    let txn = services.begin_write().await?;
    store::set_office_hours(&*txn, ward.id, &hours).await?;
    let after = serde_json::to_value(&hours).map_err(Problem::internal)?;
    let change = Change::of(
        "office_hours.set",
        Some(ward.id),
        "ward",
        ward.id,
        Some(after),
    );
    audit::log(&*txn, services, caller, change).await?;
    txn.commit().await?;
    services.organisation_changed(Some(ward.id)).await;
    Ok(hours)
}

/// A policy as a ward has it: its own rule, or the built-in default.
pub struct WardPolicy {
    pub priority: Priority,
    pub subcategory: Option<Subcategory>,
    pub policy: Policy,
    pub default: bool,
}

/// The policy of each priority (the ward's or the default), then the ward's rules for single
/// subcategories.
pub async fn policies(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
) -> Outcome<(Uuid, Vec<WardPolicy>)> {
    let ward = visible_ward(services, caller, ward_id).await?;
    let rules = store::policy_rules(&services.db, ward.id).await?;
    let mut policies: Vec<WardPolicy> = Priority::ALL
        .iter()
        .map(|&priority| {
            let own = rules
                .iter()
                .find(|r| r.priority == priority && r.subcategory.is_none());
            WardPolicy {
                priority,
                subcategory: None,
                policy: own.map_or_else(|| default_policy(priority), |rule| rule.policy),
                default: own.is_none(),
            }
        })
        .collect();
    policies.extend(
        rules
            .iter()
            .filter(|r| r.subcategory.is_some())
            .map(|r| WardPolicy {
                priority: r.priority,
                subcategory: r.subcategory,
                policy: r.policy,
                default: false,
            }),
    );
    Ok((ward.id, policies))
}

/// The priority and optional subcategory a policy is set for, as the path and query name them.
fn policy_key(
    priority: &str,
    subcategory: Option<&str>,
) -> Outcome<(Priority, Option<Subcategory>)> {
    let priority: Priority = priority.parse().map_err(|_| {
        Problem::not_found("Không có mức ưu tiên này.", "There is no such priority.")
    })?;
    let subcategory = match subcategory.map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(code.parse::<Subcategory>().map_err(|_| {
            Problem::validation(vec![FieldError::new(
                "subcategory",
                format!("Mã không hợp lệ: `{code}`."),
                format!("Unknown code `{code}`."),
            )])
        })?),
    };
    Ok((priority, subcategory))
}

/// Sets the ward's deadlines for a priority, or for one subcategory at it (`key`: as the path
/// and query name them).
pub async fn set_policy(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
    key: (&str, Option<&str>),
    policy: Policy,
) -> Outcome<PolicyRule> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    let (priority, subcategory) = policy_key(key.0, key.1)?;
    let rule = PolicyRule {
        priority,
        subcategory,
        policy,
    };
    let mut errors = Vec::new();
    for (field, target) in [
        ("/acknowledge/minutes", rule.policy.acknowledge),
        ("/resolve/minutes", rule.policy.resolve),
    ] {
        if !(1..=MAX_MINUTES).contains(&target.minutes) {
            errors.push(FieldError::new(
                field,
                format!("Từ 1 đến {MAX_MINUTES} phút."),
                format!("From 1 to {MAX_MINUTES} minutes."),
            ));
        }
    }
    Problem::check(errors)?;
    let txn = services.begin_write().await?;
    store::set_policy(&*txn, ward.id, &rule).await?;
    let after = serde_json::json!({
        "priority": rule.priority,
        "subcategory": rule.subcategory,
        "policy": rule.policy,
    });
    let key = format!(
        "{}/{}",
        rule.priority,
        rule.subcategory.map_or("*", |s| s.as_str())
    );
    let change = Change::of(
        "deadline_policy.set",
        Some(ward.id),
        "deadline_policy",
        key,
        Some(after),
    );
    audit::log(&*txn, services, caller, change).await?;
    txn.commit().await?;
    services.organisation_changed(Some(ward.id)).await;
    tracing::info!(ward = ward.code, priority = %rule.priority, subcategory = ?rule.subcategory, "deadline policy set");
    Ok(rule)
}

/// Removes a ward's rule: the report falls back to the priority's rule, then the default.
pub async fn delete_policy(
    services: &Services,
    caller: &Caller,
    ward_id: Uuid,
    key: (&str, Option<&str>),
) -> Outcome<()> {
    let ward = configurable_ward(services, caller, ward_id).await?;
    let (priority, subcategory) = policy_key(key.0, key.1)?;
    let txn = services.begin_write().await?;
    let deleted = store::delete_policy(&*txn, ward.id, priority, subcategory).await?;
    if deleted {
        let key = format!("{priority}/{}", subcategory.map_or("*", |s| s.as_str()));
        let change = Change::of(
            "deadline_policy.deleted",
            Some(ward.id),
            "deadline_policy",
            key,
            None,
        );
        audit::log(&*txn, services, caller, change).await?;
    }
    txn.commit().await?;
    if !deleted {
        return Err(Problem::not_found(
            "Phường không có quy định riêng này.",
            "The ward has no such rule of its own.",
        ));
    }
    services.organisation_changed(Some(ward.id)).await;
    Ok(())
}
