//! Deadlines to acknowledge and to resolve a report, from a policy per priority (optionally per
//! subcategory) that a ward may change, and where a report stands against them.

use super::calendar::Calendar;
use crate::taxonomy::{Priority, Subcategory};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

crate::code::codes!(
    /// Which clock a deadline runs on.
    Clock, "deadline clock" {
        /// Every minute counts: danger does not wait for office hours.
        Calendar => "calendar", "Theo lịch", "Calendar time";
        /// Only the ward's office hours count.
        Working => "working", "Theo giờ hành chính", "Office hours";
    }
);

crate::code::codes!(
    /// The two deadlines of a report.
    DeadlineKind, "deadline" {
        Acknowledge => "acknowledge", "tiếp nhận", "acknowledge";
        Resolve => "resolve", "xử lý", "resolve";
    }
);

crate::code::codes!(
    /// The alerts a deadline gives: a warning to the department at 80 % of its time, an
    /// escalation to the ward's leaders once it has passed.
    AlertStage, "deadline alert" {
        Warning => "warning", "Sắp quá hạn", "Deadline approaching";
        Escalation => "escalation", "Quá hạn", "Overdue";
    }
);

/// An amount of time on a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Target {
    pub minutes: u32,
    pub clock: Clock,
}

/// How long a report may wait to be acknowledged and to be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub acknowledge: Target,
    pub resolve: Target,
}

/// A ward's own policy for a priority, or for one subcategory at that priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyRule {
    pub priority: Priority,
    pub subcategory: Option<Subcategory>,
    pub policy: Policy,
}

/// A working day of the default office hours.
const WORKING_DAY: u32 = 8 * 60;

const fn target(minutes: u32, clock: Clock) -> Target {
    Target { minutes, clock }
}

/// The defaults, after what Vietnamese cities promise: urgent matters on calendar time
/// (acknowledged in 15 minutes, resolved in 4 hours); others in working time, normal reports
/// acknowledged within 8 working hours (iHanoi's promise) and resolved within 3 working days
/// (Đà Nẵng's).
pub fn default_policy(priority: Priority) -> Policy {
    use Clock::*;
    let (acknowledge, resolve) = match priority {
        Priority::Urgent => (target(15, Calendar), target(4 * 60, Calendar)),
        Priority::High => (target(4 * 60, Working), target(2 * WORKING_DAY, Working)),
        Priority::Normal => (
            target(WORKING_DAY, Working),
            target(3 * WORKING_DAY, Working),
        ),
        Priority::Low => (
            target(2 * WORKING_DAY, Working),
            target(10 * WORKING_DAY, Working),
        ),
    };
    Policy {
        acknowledge,
        resolve,
    }
}

/// The policy for a report: the ward's rule for its subcategory at its priority, else the
/// ward's rule for its priority, else the default.
pub fn policy_for(rules: &[PolicyRule], priority: Priority, subcategory: Subcategory) -> Policy {
    let rule = |wanted: Option<Subcategory>| {
        rules
            .iter()
            .find(|r| r.priority == priority && r.subcategory == wanted)
    };
    rule(Some(subcategory))
        .or_else(|| rule(None))
        .map_or_else(|| default_policy(priority), |r| r.policy)
}

/// Share of the allowed time after which a deadline is at risk and the department is warned.
pub const WARNING_SHARE: f64 = 0.8;

/// One deadline: when its clock started, when to warn, when it is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    pub started_at: DateTime<Utc>,
    pub warn_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

impl Deadline {
    /// The deadline of `target` for a clock started at `started_at`.
    pub fn new(calendar: &Calendar, target: Target, started_at: DateTime<Utc>) -> Deadline {
        let allowed = Duration::minutes(i64::from(target.minutes));
        let warning = Duration::seconds((allowed.num_seconds() as f64 * WARNING_SHARE) as i64);
        let after = |amount| match target.clock {
            Clock::Calendar => started_at + amount,
            Clock::Working => calendar.add_working(started_at, amount),
        };
        Deadline {
            started_at,
            warn_at: after(warning),
            due_at: after(allowed),
        }
    }

    /// A deadline known by its start and due time only (an extension, the ward's promise):
    /// the warning comes at its share of the calendar time between them.
    pub fn between(started_at: DateTime<Utc>, due_at: DateTime<Utc>) -> Deadline {
        let allowed = due_at - started_at;
        let warning = Duration::seconds((allowed.num_seconds() as f64 * WARNING_SHARE) as i64);
        Deadline {
            started_at,
            warn_at: started_at + warning,
            due_at,
        }
    }
}

/// Where a report stands against a deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Met in time, or still within the first 80 % of the allowed time.
    OnTime,
    /// Not met, and past the warning point.
    AtRisk,
    /// Met late, or not met and past due.
    Late,
}

impl Standing {
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::OnTime => "on_time",
            Standing::AtRisk => "at_risk",
            Standing::Late => "late",
        }
    }
}

/// The standing of `deadline` for work done at `done_at` (if it was done), seen at `now`.
pub fn standing(
    deadline: &Deadline,
    done_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Standing {
    match done_at {
        Some(done) if done <= deadline.due_at => Standing::OnTime,
        Some(_) => Standing::Late,
        None if now > deadline.due_at => Standing::Late,
        None if now >= deadline.warn_at => Standing::AtRisk,
        None => Standing::OnTime,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::calendar::{TIME_ZONE, WeekHours};
    use chrono::{NaiveDateTime, TimeZone};

    fn at(local: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
        TIME_ZONE
            .from_local_datetime(&naive)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn calendar() -> Calendar {
        Calendar::new(&WeekHours::default(), []).unwrap()
    }

    #[test]
    fn urgent_reports_run_on_calendar_time() {
        let policy = default_policy(Priority::Urgent);
        // Saturday night: no office hours, the clock runs anyway.
        let filed = at("2026-03-07 23:50");
        let acknowledge = Deadline::new(&calendar(), policy.acknowledge, filed);
        assert_eq!(acknowledge.due_at, at("2026-03-08 00:05"));
        assert_eq!(acknowledge.warn_at, at("2026-03-08 00:02"));
        let resolve = Deadline::new(&calendar(), policy.resolve, filed);
        assert_eq!(resolve.due_at, at("2026-03-08 03:50"));
    }

    #[test]
    fn normal_reports_run_on_working_time() {
        let policy = default_policy(Priority::Normal);
        let filed = at("2026-03-06 16:00"); // a Friday
        let acknowledge = Deadline::new(&calendar(), policy.acknowledge, filed);
        // One hour on Friday, seven on Monday.
        assert_eq!(acknowledge.due_at, at("2026-03-09 16:00"));
        // 80 % of 8 h = 6 h 24 min: one hour Friday, 5 h 24 min Monday.
        assert_eq!(acknowledge.warn_at, at("2026-03-09 14:24"));
        let resolve = Deadline::new(&calendar(), policy.resolve, filed);
        assert_eq!(resolve.due_at, at("2026-03-11 16:00"));
    }

    #[test]
    fn standings() {
        let deadline = Deadline::new(
            &calendar(),
            default_policy(Priority::Urgent).acknowledge,
            at("2026-03-02 08:00"),
        );
        let minutes = |m| at("2026-03-02 08:00") + Duration::minutes(m);
        assert_eq!(standing(&deadline, None, minutes(5)), Standing::OnTime);
        assert_eq!(standing(&deadline, None, minutes(12)), Standing::AtRisk);
        assert_eq!(standing(&deadline, None, minutes(16)), Standing::Late);
        assert_eq!(
            standing(&deadline, Some(minutes(15)), minutes(60)),
            Standing::OnTime
        );
        assert_eq!(
            standing(&deadline, Some(minutes(16)), minutes(60)),
            Standing::Late
        );
    }

    #[test]
    fn a_wards_rules_override_the_defaults_most_specific_first() {
        let quick = Policy {
            acknowledge: target(30, Clock::Working),
            resolve: target(120, Clock::Working),
        };
        let quicker = Policy {
            acknowledge: target(10, Clock::Calendar),
            resolve: target(60, Clock::Calendar),
        };
        let rules = [
            PolicyRule {
                priority: Priority::Normal,
                subcategory: None,
                policy: quick,
            },
            PolicyRule {
                priority: Priority::Normal,
                subcategory: Some(Subcategory::Streetlight),
                policy: quicker,
            },
        ];
        assert_eq!(
            policy_for(&rules, Priority::Normal, Subcategory::Streetlight),
            quicker
        );
        assert_eq!(
            policy_for(&rules, Priority::Normal, Subcategory::Noise),
            quick
        );
        assert_eq!(
            policy_for(&rules, Priority::High, Subcategory::Noise),
            default_policy(Priority::High)
        );
    }

    #[test]
    fn an_extension_moves_the_due_time_and_the_warning_with_it() {
        let deadline = Deadline::new(
            &calendar(),
            default_policy(Priority::Urgent).resolve,
            at("2026-03-02 08:00"),
        );
        let extended = Deadline::between(deadline.started_at, at("2026-03-02 18:00"));
        assert_eq!(extended.started_at, deadline.started_at);
        assert_eq!(extended.due_at, at("2026-03-02 18:00"));
        assert_eq!(extended.warn_at, at("2026-03-02 16:00"));
    }

    #[test]
    fn defaults_are_stricter_for_more_pressing_priorities() {
        let order = [
            Priority::Urgent,
            Priority::High,
            Priority::Normal,
            Priority::Low,
        ];
        for pair in order.windows(2) {
            let (a, b) = (default_policy(pair[0]), default_policy(pair[1]));
            assert!(a.acknowledge.minutes <= b.acknowledge.minutes);
            assert!(a.resolve.minutes <= b.resolve.minutes);
        }
    }
}
