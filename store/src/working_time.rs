//! What deadlines are measured against: the national calendar of days off, each ward's office
//! hours and its deadline policies.

use crate::code::Stored;
use crate::entities::{calendar_day, deadline_policy, ward};
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};
use sos_domain::sla::deadlines::{Policy, PolicyRule, Target};
use sos_domain::sla::{DayKind, WeekHours};
use sos_domain::taxonomy::{Priority, Subcategory};
use uuid::Uuid;

/// Every national day off and compensatory working day.
pub async fn calendar_days(db: &impl ConnectionTrait) -> Result<Vec<(NaiveDate, DayKind)>, DbErr> {
    Ok(calendar_day::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|day| (day.date, *day.kind))
        .collect())
}

/// The days of `first..=last`, in order.
pub async fn calendar_between(
    db: &impl ConnectionTrait,
    first: NaiveDate,
    last: NaiveDate,
) -> Result<Vec<calendar_day::Model>, DbErr> {
    calendar_day::Entity::find()
        .filter(calendar_day::Column::Date.between(first, last))
        .order_by_asc(calendar_day::Column::Date)
        .all(db)
        .await
}

/// Declares a day (or changes it).
pub async fn set_calendar_day(
    txn: &impl ConnectionTrait,
    row: &calendar_day::Model,
) -> Result<(), DbErr> {
    calendar_day::Entity::delete_by_id(row.date)
        .exec(txn)
        .await?;
    calendar_day::ActiveModel::from(row.clone())
        .insert(txn)
        .await?;
    Ok(())
}

/// Inserts the days not yet declared (the built-in calendar).
pub async fn insert_missing_days(
    txn: &impl ConnectionTrait,
    days: impl IntoIterator<Item = calendar_day::Model>,
) -> Result<(), DbErr> {
    let rows: Vec<calendar_day::ActiveModel> = days.into_iter().map(Into::into).collect();
    if rows.is_empty() {
        return Ok(());
    }
    calendar_day::Entity::insert_many(rows)
        .on_conflict_do_nothing_on([calendar_day::Column::Date])
        .exec_without_returning(txn)
        .await?;
    Ok(())
}

/// Removes a declared day; false when it was not declared.
pub async fn delete_calendar_day(
    txn: &impl ConnectionTrait,
    date: NaiveDate,
) -> Result<bool, DbErr> {
    let deleted = calendar_day::Entity::delete_by_id(date).exec(txn).await?;
    Ok(deleted.rows_affected > 0)
}

/// A ward's office hours: its own, or the default ones.
pub fn office_hours(ward: &ward::Model) -> WeekHours {
    ward.office_hours
        .clone()
        .and_then(|json| serde_json::from_value(json).ok())
        .unwrap_or_default()
}

pub async fn set_office_hours(
    txn: &impl ConnectionTrait,
    ward_id: Uuid,
    hours: &WeekHours,
) -> Result<(), DbErr> {
    let json = serde_json::to_value(hours).map_err(|e| DbErr::Custom(e.to_string()))?;
    ward::ActiveModel {
        id: Set(ward_id),
        office_hours: Set(Some(json)),
        ..Default::default()
    }
    .update(txn)
    .await?;
    Ok(())
}

/// A stored rule as the domain's; like an unknown code (see `code`), a value no rule can
/// hold is an error, never guessed at.
fn rule_of(row: &deadline_policy::Model) -> Result<PolicyRule, DbErr> {
    let minutes = |m: i32| {
        u32::try_from(m)
            .map_err(|_| DbErr::Custom(format!("deadline policy {}: {m} minutes", row.id)))
    };
    Ok(PolicyRule {
        priority: *row.priority,
        subcategory: match row.subcategory.as_str() {
            "" => None,
            code => Some(
                code.parse()
                    .map_err(|e| DbErr::Custom(format!("deadline policy {}: {e}", row.id)))?,
            ),
        },
        policy: Policy {
            acknowledge: Target {
                minutes: minutes(row.acknowledge_minutes)?,
                clock: *row.acknowledge_clock,
            },
            resolve: Target {
                minutes: minutes(row.resolve_minutes)?,
                clock: *row.resolve_clock,
            },
        },
    })
}

/// A ward's own deadline rules.
pub async fn policy_rules(
    db: &impl ConnectionTrait,
    ward_id: Uuid,
) -> Result<Vec<PolicyRule>, DbErr> {
    deadline_policy::Entity::find()
        .filter(deadline_policy::Column::WardId.eq(ward_id))
        .all(db)
        .await?
        .iter()
        .map(rule_of)
        .collect()
}

/// Removes a ward's rule for a priority (or one subcategory at it); false when it had none.
pub async fn delete_policy(
    txn: &impl ConnectionTrait,
    ward_id: Uuid,
    priority: Priority,
    subcategory: Option<Subcategory>,
) -> Result<bool, DbErr> {
    let deleted = deadline_policy::Entity::delete_many()
        .filter(deadline_policy::Column::WardId.eq(ward_id))
        .filter(deadline_policy::Column::Priority.eq(priority.as_str()))
        .filter(deadline_policy::Column::Subcategory.eq(subcategory.map_or("", |s| s.as_str())))
        .exec(txn)
        .await?;
    Ok(deleted.rows_affected > 0)
}

/// Sets a ward's rule, replacing the one it had for the same priority and subcategory.
pub async fn set_policy(
    txn: &impl ConnectionTrait,
    ward_id: Uuid,
    rule: &PolicyRule,
) -> Result<(), DbErr> {
    delete_policy(txn, ward_id, rule.priority, rule.subcategory).await?;
    deadline_policy::ActiveModel {
        id: Set(Uuid::now_v7()),
        ward_id: Set(ward_id),
        priority: Set(Stored(rule.priority)),
        subcategory: Set(rule
            .subcategory
            .map_or(String::new(), |s| s.as_str().to_owned())),
        acknowledge_minutes: Set(rule.policy.acknowledge.minutes as i32),
        acknowledge_clock: Set(Stored(rule.policy.acknowledge.clock)),
        resolve_minutes: Set(rule.policy.resolve.minutes as i32),
        resolve_clock: Set(Stored(rule.policy.resolve.clock)),
    }
    .insert(txn)
    .await?;
    Ok(())
}
