//! The alerts a report's deadlines give, and when the next one is reached. A report keeps the
//! time of its next alert, so the deadline scanner reads only the reports with an alert due,
//! not every open report whose deadline passed long ago.

use super::deadlines::{AlertStage, DeadlineKind};
use crate::taxonomy::Status;
use chrono::{DateTime, Utc};

/// A deadline as alerts are given for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Running {
    pub kind: DeadlineKind,
    pub warn_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

/// Whether a deadline still runs in `status`: to acknowledge until someone has, to resolve
/// until it is resolved (or the report leaves the departments' hands).
pub fn runs_in(kind: DeadlineKind, status: Status) -> bool {
    match kind {
        DeadlineKind::Acknowledge => status == Status::Assigned,
        DeadlineKind::Resolve => matches!(
            status,
            Status::Assigned | Status::Acknowledged | Status::InProgress
        ),
    }
}

/// When an alert of `deadline` is reached: a warning at its warning time, an escalation once
/// its due time has passed.
fn reached_at(deadline: &Running, stage: AlertStage) -> DateTime<Utc> {
    match stage {
        AlertStage::Warning => deadline.warn_at,
        AlertStage::Escalation => deadline.due_at,
    }
}

fn is_reached(deadline: &Running, stage: AlertStage, now: DateTime<Utc>) -> bool {
    let at = reached_at(deadline, stage);
    match stage {
        AlertStage::Warning => at <= now,
        AlertStage::Escalation => at < now,
    }
}

/// The stages in the order they are sent when several are reached at once: the escalation,
/// which goes to the leaders, first.
const STAGES: [AlertStage; 2] = [AlertStage::Escalation, AlertStage::Warning];

/// The alerts of `running` reached at `now`, in the order to send them.
pub fn reached(running: &[Running], now: DateTime<Utc>) -> Vec<(DeadlineKind, AlertStage)> {
    running
        .iter()
        .flat_map(|deadline| STAGES.map(|stage| (deadline, stage)))
        .filter(|(deadline, stage)| is_reached(deadline, *stage, now))
        .map(|(deadline, stage)| (deadline.kind, stage))
        .collect()
}

/// When the scanner should next look at a report with these deadlines: the earliest alert
/// not reached at `now`, or with `now` unset (its deadlines were just set) the earliest of
/// all. None when no alert is left. An alert already sent may make it early, never late: a
/// look that finds every reached alert sent only moves it on.
pub fn next_look(running: &[Running], now: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    running
        .iter()
        .flat_map(|deadline| STAGES.map(|stage| (deadline, stage)))
        .filter(|(deadline, stage)| now.is_none_or(|now| !is_reached(deadline, *stage, now)))
        .map(|(deadline, stage)| reached_at(deadline, stage))
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn minutes(m: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).unwrap() + Duration::minutes(m)
    }

    /// An urgent report's deadlines, filed at minute 0.
    fn urgent() -> [Running; 2] {
        [
            Running {
                kind: DeadlineKind::Acknowledge,
                warn_at: minutes(12),
                due_at: minutes(15),
            },
            Running {
                kind: DeadlineKind::Resolve,
                warn_at: minutes(192),
                due_at: minutes(240),
            },
        ]
    }

    #[test]
    fn a_deadline_runs_until_its_work_is_done() {
        use DeadlineKind::*;
        assert!(runs_in(Acknowledge, Status::Assigned));
        assert!(!runs_in(Acknowledge, Status::Acknowledged));
        assert!(runs_in(Resolve, Status::InProgress));
        for settled in [
            Status::Submitted,
            Status::Resolved,
            Status::Closed,
            Status::Rejected,
            Status::Duplicate,
        ] {
            assert!(!runs_in(Acknowledge, settled) && !runs_in(Resolve, settled));
        }
    }

    #[test]
    fn the_next_look_is_the_earliest_alert_not_yet_reached() {
        let running = urgent();
        assert_eq!(next_look(&running, None), Some(minutes(12)));
        assert_eq!(next_look(&running, Some(minutes(11))), Some(minutes(12)));
        assert_eq!(next_look(&running, Some(minutes(12))), Some(minutes(15)));
        // An escalation is reached once the due time has passed, not at it.
        assert_eq!(next_look(&running, Some(minutes(15))), Some(minutes(15)));
        assert_eq!(next_look(&running, Some(minutes(16))), Some(minutes(192)));
        assert_eq!(next_look(&running, Some(minutes(241))), None);
        assert_eq!(next_look(&[], None), None);
    }

    #[test]
    fn alerts_reached_together_go_escalations_first() {
        use AlertStage::*;
        use DeadlineKind::*;
        let running = urgent();
        assert!(reached(&running, minutes(11)).is_empty());
        assert_eq!(reached(&running, minutes(12)), [(Acknowledge, Warning)]);
        assert_eq!(
            reached(&running, minutes(200)),
            [
                (Acknowledge, Escalation),
                (Acknowledge, Warning),
                (Resolve, Warning)
            ]
        );
    }
}
