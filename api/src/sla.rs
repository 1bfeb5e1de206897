//! Each ward's clock (calendar and deadline policies), loaded from the database and cached, and
//! how it sets a report's deadlines and response times.

use crate::store::entities::{calendar_day, deadline_policy, report, ward};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use sos_domain::sla::deadlines::{self, Deadline, Policy, PolicyRule, Target};
use sos_domain::sla::{Calendar, DayKind, WeekHours};
use sos_domain::taxonomy::{Priority, Subcategory};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// A ward's calendar and its own deadline rules.
#[derive(Debug)]
pub struct WardClock {
    pub calendar: Calendar,
    pub rules: Vec<PolicyRule>,
}

impl WardClock {
    pub fn policy(&self, report: &report::Model) -> Policy {
        let priority = report.priority.parse().unwrap_or(Priority::Normal);
        let subcategory = report.subcategory.parse().unwrap_or(Subcategory::Other);
        deadlines::policy_for(&self.rules, priority, subcategory)
    }

    /// Starts the clock of the department that now holds `report`: new deadlines from `at`.
    pub fn start_department_clock(&self, report: &mut report::Model, at: DateTime<Utc>) {
        let policy = self.policy(report);
        let acknowledge = Deadline::new(&self.calendar, policy.acknowledge, at);
        let resolve = Deadline::new(&self.calendar, policy.resolve, at);
        report.assigned_at = Some(at);
        report.acknowledge_due_at = Some(acknowledge.due_at);
        report.acknowledge_warn_at = Some(acknowledge.warn_at);
        report.resolve_due_at = Some(resolve.due_at);
        report.resolve_warn_at = Some(resolve.warn_at);
    }

    /// Sets the ward's promise to the neighborhood, counted from filing. It is set once: a
    /// reroute restarts the department's clock, never the ward's.
    pub fn start_ward_clock(&self, report: &mut report::Model) {
        if report.ward_acknowledge_due_at.is_some() {
            return;
        }
        let policy = self.policy(report);
        let due = |target: Target| Deadline::new(&self.calendar, target, report.created_at).due_at;
        report.ward_acknowledge_due_at = Some(due(policy.acknowledge));
        report.ward_resolve_due_at = Some(due(policy.resolve));
    }

    /// Working time from filing to each milestone reached, cleared with the milestone.
    pub fn record_response_times(&self, report: &mut report::Model) {
        let since_filing = |at: Option<DateTime<Utc>>| {
            at.map(|at| {
                self.calendar
                    .working_between(report.created_at, at)
                    .num_seconds()
            })
        };
        report.acknowledge_working_seconds = since_filing(report.acknowledged_at);
        report.resolve_working_seconds = since_filing(report.resolved_at);
    }
}

/// How long a ward's clock is trusted before it is read again: an admin's change on another
/// replica reaches this one within this time.
const CLOCK_TTL: Duration = Duration::from_secs(60);

/// Ward clocks by ward, cached for [`CLOCK_TTL`].
#[derive(Default)]
pub struct Clocks {
    cache: Mutex<HashMap<Uuid, (Instant, Arc<WardClock>)>>,
}

impl Clocks {
    pub async fn ward(
        &self,
        db: &impl ConnectionTrait,
        ward_id: Uuid,
    ) -> Result<Arc<WardClock>, DbErr> {
        if let Some((loaded, clock)) = self.lock().get(&ward_id)
            && loaded.elapsed() < CLOCK_TTL
        {
            return Ok(clock.clone());
        }
        let clock = Arc::new(load(db, ward_id).await?);
        self.lock().insert(ward_id, (Instant::now(), clock.clone()));
        Ok(clock)
    }

    /// Drops cached clocks after a change: of one ward, or of all (the national calendar).
    pub fn forget(&self, ward_id: Option<Uuid>) {
        match ward_id {
            Some(id) => {
                self.lock().remove(&id);
            }
            None => self.lock().clear(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (Instant, Arc<WardClock>)>> {
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The national days off and compensatory working days.
pub async fn calendar_days(
    db: &impl ConnectionTrait,
) -> Result<Vec<(chrono::NaiveDate, DayKind)>, DbErr> {
    Ok(calendar_day::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|day| Some((day.date, parse_day_kind(&day.kind)?)))
        .collect())
}

pub fn parse_day_kind(kind: &str) -> Option<DayKind> {
    serde_json::from_value(serde_json::Value::String(kind.to_owned())).ok()
}

pub fn day_kind_code(kind: DayKind) -> &'static str {
    match kind {
        DayKind::Holiday => "holiday",
        DayKind::WorkingDay => "working_day",
    }
}

/// A ward's office hours: its own, or the default ones.
pub fn office_hours(ward: &ward::Model) -> WeekHours {
    ward.office_hours
        .clone()
        .and_then(|json| serde_json::from_value(json).ok())
        .unwrap_or_default()
}

pub fn rule_of(row: &deadline_policy::Model) -> Option<PolicyRule> {
    let clock =
        |code: &str| serde_json::from_value(serde_json::Value::String(code.to_owned())).ok();
    let minutes = |m: i32| u32::try_from(m).ok();
    Some(PolicyRule {
        priority: row.priority.parse().ok()?,
        subcategory: match row.subcategory.as_str() {
            "" => None,
            code => Some(code.parse().ok()?),
        },
        policy: Policy {
            acknowledge: Target {
                minutes: minutes(row.acknowledge_minutes)?,
                clock: clock(&row.acknowledge_clock)?,
            },
            resolve: Target {
                minutes: minutes(row.resolve_minutes)?,
                clock: clock(&row.resolve_clock)?,
            },
        },
    })
}

async fn load(db: &impl ConnectionTrait, ward_id: Uuid) -> Result<WardClock, DbErr> {
    let hours = match ward::Entity::find_by_id(ward_id).one(db).await? {
        Some(ward) => office_hours(&ward),
        None => WeekHours::default(),
    };
    let days = calendar_days(db).await?;
    // Office hours are checked when they are set; should a stored value not parse, the ward
    // keeps the default hours rather than having no clock.
    let calendar = Calendar::new(&hours, days.iter().copied())
        .or_else(|_| Calendar::new(&WeekHours::default(), days.iter().copied()))
        .map_err(DbErr::Custom)?;
    let rules = deadline_policy::Entity::find()
        .filter(deadline_policy::Column::WardId.eq(ward_id))
        .all(db)
        .await?
        .iter()
        .filter_map(rule_of)
        .collect();
    Ok(WardClock { calendar, rules })
}
