//! Deliveries to outside systems and people's phones and mailboxes: which events a
//! subscription or a person wants, and when a failed delivery is tried again.

use crate::taxonomy::{EventType, Role};
use std::time::Duration;

/// Where a person may hear of an event beyond their inbox, which always has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Push,
    Email,
}

crate::code::codes!(
    /// How a delivery of the outbox leaves the service.
    DeliveryChannel, "delivery channel" {
        /// A POST to a ward's subscribed outside system.
        Webhook => "webhook", "Webhook", "Webhook";
        Email => "email", "E-mail", "E-mail";
        /// A mobile push through FCM.
        Push => "push", "Thông báo đẩy", "Push notification";
    }
);

crate::code::codes!(
    /// Where a delivery stands.
    DeliveryStatus, "delivery status" {
        /// Waiting for its next attempt (or being sent).
        Pending => "pending", "Đang chờ gửi", "Waiting to be sent";
        Sent => "sent", "Đã gửi", "Sent";
        /// Given up after its attempts: an admin may send it again.
        Dead => "dead", "Đã dừng gửi", "Given up";
    }
);

/// What a person wants to hear, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preferences {
    pub push: bool,
    pub email: bool,
    /// The ward's figures of the day before, each morning (leaders).
    pub daily_digest: bool,
    /// The event types pushed and e-mailed; empty for every type.
    pub event_types: Vec<EventType>,
}

impl Preferences {
    /// Until a person chooses: their phone hears everything their inbox gets (a head waits
    /// for the ward's answer there); mail is opt-in, as inboxes fill fast; ward leaders get
    /// the morning digest, the one mail meant for them.
    pub fn default_for(role: Role) -> Preferences {
        Preferences {
            push: true,
            email: false,
            daily_digest: role == Role::WardLeader,
            event_types: Vec::new(),
        }
    }

    /// Whether an inbox entry of `event_type` also goes to `channel`.
    pub fn wants(&self, channel: Channel, event_type: EventType) -> bool {
        let on = match channel {
            Channel::Push => self.push,
            Channel::Email => self.email,
        };
        on && (self.event_types.is_empty() || self.event_types.contains(&event_type))
    }
}

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
    fn people_hear_on_the_channels_and_of_the_events_they_chose() {
        let head = Preferences::default_for(Role::NeighborhoodHead);
        assert!(head.wants(Channel::Push, EventType::Resolved));
        assert!(
            !head.wants(Channel::Email, EventType::Resolved),
            "mail is opt-in"
        );
        assert!(!head.daily_digest);
        assert!(Preferences::default_for(Role::WardLeader).daily_digest);
        let chosen = Preferences {
            email: true,
            event_types: vec![EventType::Resolved, EventType::Rejected],
            ..head
        };
        assert!(chosen.wants(Channel::Email, EventType::Resolved));
        assert!(chosen.wants(Channel::Push, EventType::Rejected));
        assert!(!chosen.wants(Channel::Push, EventType::Assigned));
        let quiet = Preferences {
            push: false,
            ..chosen
        };
        assert!(!quiet.wants(Channel::Push, EventType::Resolved));
    }

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
