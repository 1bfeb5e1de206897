//! The report state machine of `TAXONOMY.md`.
//!
//! `transition` answers one question: from this state, what does this action lead to, and which
//! event records it? Who may act is a separate question, answered by [`crate::access`].

use crate::taxonomy::{Action, EventType, Status};

/// The outcome of an allowed action: the next state and the event that records the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub to: Status,
    pub event: EventType,
}

/// An action the current state does not allow, with what it does allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: Status,
    pub action: Action,
    pub allowed: Vec<Action>,
}

/// The actions a report in `status` accepts, whoever asks.
pub fn allowed_actions(status: Status) -> &'static [Action] {
    use Action::*;
    match status {
        // Intake routes a report in the same transaction that creates it, so `submitted` is
        // only seen if routing found no desk at all: then it can still be routed by hand.
        Status::Submitted => &[Reroute, Reject, MarkDuplicate, Comment],
        Status::Assigned => &[
            Acknowledge,
            Start,
            Resolve,
            Reject,
            Reroute,
            MarkDuplicate,
            Comment,
            Extend,
        ],
        Status::Acknowledged => &[
            Start,
            Resolve,
            Reject,
            Reroute,
            MarkDuplicate,
            Comment,
            Extend,
        ],
        Status::InProgress => &[Resolve, Reject, Reroute, MarkDuplicate, Comment, Extend],
        Status::Resolved => &[Reopen, Close, Comment],
        // Final states keep their history open for notes, nothing else.
        Status::Closed | Status::Rejected | Status::Duplicate => &[Comment],
    }
}

/// Applies `action` to a report in `status`.
pub fn transition(status: Status, action: Action) -> Result<Transition, Refused> {
    if !allowed_actions(status).contains(&action) {
        return Err(Refused {
            status,
            action,
            allowed: allowed_actions(status).to_vec(),
        });
    }
    let (to, event) = match action {
        Action::Acknowledge => (Status::Acknowledged, EventType::Acknowledged),
        Action::Start => (Status::InProgress, EventType::InProgress),
        Action::Resolve => (Status::Resolved, EventType::Resolved),
        Action::Reject => (Status::Rejected, EventType::Rejected),
        // A rerouted report waits for its new department to acknowledge it.
        Action::Reroute => (Status::Assigned, EventType::Rerouted),
        Action::MarkDuplicate => (Status::Duplicate, EventType::Duplicate),
        Action::Comment => (status, EventType::Commented),
        // More time to resolve, granted by a leader: the work goes on where it was.
        Action::Extend => (status, EventType::DeadlineExtended),
        // Reopened work goes back to the department that resolved it, to be taken up again.
        Action::Reopen => (Status::Assigned, EventType::Reopened),
        Action::Close => (Status::Closed, EventType::Closed),
    };
    Ok(Transition { to, event })
}

/// The moments response times are measured from, generic over the time type so that this
/// module stays free of clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Milestones<T> {
    /// A person took the report ("đã tiếp nhận").
    pub acknowledged_at: Option<T>,
    pub resolved_at: Option<T>,
    pub closed_at: Option<T>,
}

/// The milestones after `action` took a report to `to` at `now`. Starting or resolving a
/// report nobody acknowledged counts as acknowledging it then; a reroute or a reopening starts
/// the department's work over, so it must acknowledge again.
pub fn milestones_after<T: Copy>(
    action: Action,
    to: Status,
    current: Milestones<T>,
    now: T,
) -> Milestones<T> {
    let mut next = current;
    match action {
        // A note or an extension changes no state, and so no milestone.
        Action::Comment | Action::Extend => {}
        Action::Reroute | Action::Reopen => {
            next.acknowledged_at = None;
            next.resolved_at = None;
        }
        _ => match to {
            Status::Acknowledged => next.acknowledged_at = Some(now),
            Status::InProgress => next.acknowledged_at = current.acknowledged_at.or(Some(now)),
            Status::Resolved => {
                next.resolved_at = Some(now);
                next.acknowledged_at = current.acknowledged_at.or(Some(now));
            }
            Status::Closed => next.closed_at = Some(now),
            _ => {}
        },
    }
    next
}

/// Whether an event goes to the inbox of the report's neighborhood heads: what the ward did
/// with their report, and public answers from the ward; not what the heads did themselves.
pub fn notifies_heads(event: EventType, public: bool, by_a_head: bool) -> bool {
    match event {
        EventType::Assigned
        | EventType::Acknowledged
        | EventType::InProgress
        | EventType::Resolved
        | EventType::Rejected
        | EventType::Duplicate
        | EventType::Rerouted => true,
        EventType::Commented => public && !by_a_head,
        // Deadlines are the ward's internal business.
        EventType::Submitted
        | EventType::Reopened
        | EventType::Closed
        | EventType::DeadlineWarning
        | EventType::Escalated
        | EventType::DeadlineExtended => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;
    use Status::*;

    /// Every (state, action) pair that is allowed, with where it leads. Anything not listed
    /// here must be refused: the test below walks the full product of states and actions.
    const ALLOWED: &[(Status, Action, Status, EventType)] = &[
        (Submitted, Reroute, Assigned, EventType::Rerouted),
        (Submitted, Reject, Rejected, EventType::Rejected),
        (Submitted, MarkDuplicate, Duplicate, EventType::Duplicate),
        (Submitted, Comment, Submitted, EventType::Commented),
        (Assigned, Acknowledge, Acknowledged, EventType::Acknowledged),
        (Assigned, Start, InProgress, EventType::InProgress),
        (Assigned, Resolve, Resolved, EventType::Resolved),
        (Assigned, Reject, Rejected, EventType::Rejected),
        (Assigned, Reroute, Assigned, EventType::Rerouted),
        (Assigned, MarkDuplicate, Duplicate, EventType::Duplicate),
        (Assigned, Comment, Assigned, EventType::Commented),
        (Assigned, Extend, Assigned, EventType::DeadlineExtended),
        (Acknowledged, Start, InProgress, EventType::InProgress),
        (Acknowledged, Resolve, Resolved, EventType::Resolved),
        (Acknowledged, Reject, Rejected, EventType::Rejected),
        (Acknowledged, Reroute, Assigned, EventType::Rerouted),
        (Acknowledged, MarkDuplicate, Duplicate, EventType::Duplicate),
        (Acknowledged, Comment, Acknowledged, EventType::Commented),
        (
            Acknowledged,
            Extend,
            Acknowledged,
            EventType::DeadlineExtended,
        ),
        (InProgress, Resolve, Resolved, EventType::Resolved),
        (InProgress, Reject, Rejected, EventType::Rejected),
        (InProgress, Reroute, Assigned, EventType::Rerouted),
        (InProgress, MarkDuplicate, Duplicate, EventType::Duplicate),
        (InProgress, Comment, InProgress, EventType::Commented),
        (InProgress, Extend, InProgress, EventType::DeadlineExtended),
        (Resolved, Reopen, Assigned, EventType::Reopened),
        (Resolved, Close, Closed, EventType::Closed),
        (Resolved, Comment, Resolved, EventType::Commented),
        (Closed, Comment, Closed, EventType::Commented),
        (Rejected, Comment, Rejected, EventType::Commented),
        (Duplicate, Comment, Duplicate, EventType::Commented),
    ];

    #[test]
    fn every_state_and_action_is_allowed_or_refused_as_the_table_says() {
        let mut refused = 0;
        for &status in Status::ALL {
            for &action in Action::ALL {
                let expected = ALLOWED
                    .iter()
                    .find(|(s, a, _, _)| *s == status && *a == action);
                match (transition(status, action), expected) {
                    (Ok(t), Some(&(_, _, to, event))) => {
                        assert_eq!(t, Transition { to, event }, "{status} + {action}")
                    }
                    (Err(r), None) => {
                        refused += 1;
                        assert_eq!(r.status, status);
                        assert_eq!(r.action, action);
                        assert!(!r.allowed.contains(&action), "{status} + {action}");
                        assert_eq!(r.allowed, allowed_actions(status));
                    }
                    (got, expected) => {
                        panic!("{status} + {action}: got {got:?}, table says {expected:?}")
                    }
                }
            }
        }
        assert_eq!(
            refused,
            Status::ALL.len() * Action::ALL.len() - ALLOWED.len()
        );
    }

    #[test]
    fn a_closed_report_cannot_be_reopened_only_annotated() {
        let refused = transition(Closed, Reopen).unwrap_err();
        assert_eq!(refused.allowed, vec![Comment]);
    }

    #[test]
    fn heads_hear_of_the_wards_work_and_public_answers_only() {
        for event in EventType::ALL {
            let expected = !matches!(
                event,
                EventType::Submitted
                    | EventType::Reopened
                    | EventType::Closed
                    | EventType::DeadlineWarning
                    | EventType::Escalated
                    | EventType::DeadlineExtended
            );
            assert_eq!(notifies_heads(*event, true, false), expected, "{event}");
        }
        assert!(
            !notifies_heads(EventType::Commented, false, false),
            "internal note"
        );
        assert!(
            !notifies_heads(EventType::Commented, true, true),
            "a head's own comment"
        );
    }

    #[test]
    fn milestones_follow_the_work() {
        let none = Milestones::<u32>::default();
        let acknowledged = milestones_after(Acknowledge, Acknowledged, none, 1);
        assert_eq!(acknowledged.acknowledged_at, Some(1));
        // Starting keeps the first acknowledgement; starting unacknowledged work acknowledges it.
        assert_eq!(
            milestones_after(Start, InProgress, acknowledged, 2).acknowledged_at,
            Some(1)
        );
        assert_eq!(
            milestones_after(Start, InProgress, none, 2).acknowledged_at,
            Some(2)
        );
        let resolved = milestones_after(Resolve, Resolved, none, 3);
        assert_eq!(
            (resolved.acknowledged_at, resolved.resolved_at),
            (Some(3), Some(3))
        );
        let closed = milestones_after(Close, Closed, resolved, 4);
        assert_eq!(
            closed,
            Milestones {
                acknowledged_at: Some(3),
                resolved_at: Some(3),
                closed_at: Some(4)
            }
        );
        for restart in [Reroute, Reopen] {
            let again = milestones_after(restart, Assigned, resolved, 5);
            assert_eq!(
                (again.acknowledged_at, again.resolved_at),
                (None, None),
                "{restart}"
            );
        }
        assert_eq!(milestones_after(Comment, Resolved, resolved, 6), resolved);
        assert_eq!(
            milestones_after(Extend, Acknowledged, acknowledged, 6),
            acknowledged
        );
        assert_eq!(
            milestones_after(Comment, Acknowledged, acknowledged, 6),
            acknowledged
        );
    }

    #[test]
    fn the_happy_path_reaches_closed() {
        let mut status = Assigned;
        for action in [Acknowledge, Start, Resolve, Close] {
            status = transition(status, action).unwrap().to;
        }
        assert_eq!(status, Closed);
    }
}
