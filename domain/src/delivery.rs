//! Deliveries to outside systems: which events a subscription wants, and when a failed
//! delivery is tried again.

use crate::taxonomy::EventType;
use std::time::Duration;

/// A subscription's event types as stored: codes between `|`, or `|*|` for every type.
pub fn event_types_field(types: &[EventType]) -> String {
    if types.is_empty() {
        return "|*|".to_owned();
    }
    let mut field = String::from("|");
    for event_type in types {
        field.push_str(event_type.as_str());
        field.push('|');
    }
    field
}

/// The event types of a stored field; empty for every type.
pub fn event_types_of(field: &str) -> Vec<EventType> {
    field
        .split('|')
        .filter_map(|code| code.parse().ok())
        .collect()
}

pub fn subscribes(field: &str, event_type: EventType) -> bool {
    field == "|*|" || field.contains(&format!("|{}|", event_type.as_str()))
}

/// How long to wait before attempt `attempt + 1` after `attempt` failed ones: doubling from
/// `base` up to `cap`, the second half drawn at random (`jitter` in 0..1) so that receivers
/// that come back are not hit by every sender at the same instant.
pub fn retry_delay(attempt: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let delay = doubled.min(cap);
    delay / 2 + delay.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_name_their_event_types() {
        let field = event_types_field(&[EventType::Assigned, EventType::Resolved]);
        assert_eq!(field, "|report.assigned|report.resolved|");
        assert!(subscribes(&field, EventType::Resolved));
        assert!(!subscribes(&field, EventType::Commented));
        assert_eq!(
            event_types_of(&field),
            [EventType::Assigned, EventType::Resolved]
        );
        let every = event_types_field(&[]);
        assert!(subscribes(&every, EventType::Commented));
        assert!(event_types_of(&every).is_empty());
    }

    #[test]
    fn retries_back_off_exponentially_with_jitter_up_to_a_cap() {
        let base = Duration::from_secs(10);
        let cap = Duration::from_secs(3600);
        let at = |attempt, jitter| retry_delay(attempt, base, cap, jitter);
        assert_eq!(at(1, 0.0), Duration::from_secs(5));
        assert_eq!(at(1, 1.0), Duration::from_secs(10));
        assert_eq!(at(2, 1.0), Duration::from_secs(20));
        assert_eq!(at(4, 0.5), Duration::from_secs(60));
        assert_eq!(at(30, 1.0), cap, "never beyond the cap");
        assert!(at(3, 0.3) >= at(3, 0.0) && at(3, 0.3) <= at(3, 1.0));
    }
}
