//! Each ward's clock (calendar and deadline policies), loaded from the database and cached, and
//! how it sets a report's deadlines and response times.

use chrono::{DateTime, Utc};
use sos_domain::sla::alerts;
use sos_domain::sla::deadlines::{self, Deadline, DeadlineKind, Policy, PolicyRule, Target};
use sos_domain::sla::{Calendar, WeekHours};
use sos_store::entities::report;
use sos_store::{ConnectionTrait, DbErr, wards, working_time};
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
        deadlines::policy_for(&self.rules, *report.priority, *report.subcategory)
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

/// The deadlines of `report` that still run in its state, as alerts are given for them.
pub fn running_deadlines(report: &report::Model) -> Vec<alerts::Running> {
    [
        (
            DeadlineKind::Acknowledge,
            report.acknowledge_warn_at,
            report.acknowledge_due_at,
        ),
        (
            DeadlineKind::Resolve,
            report.resolve_warn_at,
            report.resolve_due_at,
        ),
    ]
    .into_iter()
    .filter(|(kind, ..)| alerts::runs_in(*kind, *report.status))
    .filter_map(|(kind, warn_at, due_at)| {
        Some(alerts::Running {
            kind,
            warn_at: warn_at?,
            due_at: due_at?,
        })
    })
    .collect()
}

/// Sets when the deadline scanner should look at `report`, whose state or deadlines may
/// have changed: at its earliest alert, even one passed and sent (the scanner then only moves
/// it on), so that none is missed.
pub fn schedule_alerts(report: &mut report::Model) {
    report.next_alert_at = alerts::next_look(&running_deadlines(report), None);
}

/// How long a ward's clock is trusted before it is read again: an admin's change on another
/// replica reaches this one within this time.
const CLOCK_TTL: Duration = Duration::from_secs(60);

/// Ward clocks by ward, cached for [`CLOCK_TTL`].
#[derive(Default)]
pub struct WardClocks {
    cache: Mutex<HashMap<Uuid, (Instant, Arc<WardClock>)>>,
}

impl WardClocks {
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

async fn load(db: &impl ConnectionTrait, ward_id: Uuid) -> Result<WardClock, DbErr> {
    let hours = match wards::ward(db, ward_id).await? {
        Some(ward) => working_time::office_hours(&ward),
        None => WeekHours::default(),
    };
    let days = working_time::calendar_days(db).await?;
    // Office hours are checked when they are set; should a stored value not parse, the ward
    // keeps the default hours rather than having no clock.
    let calendar = Calendar::new(&hours, days.iter().copied())
        .or_else(|_| Calendar::new(&WeekHours::default(), days.iter().copied()))
        .map_err(DbErr::Custom)?;
    let rules = working_time::policy_rules(db, ward_id).await?;
    Ok(WardClock { calendar, rules })
}
