//! The one source of "now" for the whole service.
//!
//! Times are kept at the precision both databases store (microseconds), so a value read back
//! equals the value written, which keyset cursors and version checks rely on. Tests can pin
//! the clock to a chosen instant (and move it), so that what depends on the time of day (the
//! morning digest, deadlines, escalations) is tested at the moment it matters.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use sos_domain::sla::TIME_ZONE;
use std::sync::{Arc, RwLock};

/// A clock: the system's, or one pinned by a test.
#[derive(Clone, Default)]
pub struct Clock {
    pinned: Option<Arc<RwLock<DateTime<Utc>>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that stays at `at` until [`Clock::set`] moves it.
    pub fn pinned(at: DateTime<Utc>) -> Clock {
        Clock {
            pinned: Some(Arc::new(RwLock::new(truncate(at)))),
        }
    }

    /// Moves a pinned clock; the system clock cannot be moved.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Some(pinned) = &self.pinned {
            *pinned.write().unwrap_or_else(|p| p.into_inner()) = truncate(at);
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &self.pinned {
            Some(pinned) => *pinned.read().unwrap_or_else(|p| p.into_inner()),
            None => truncate(Utc::now()),
        }
    }

    /// Today in Vietnam.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&TIME_ZONE).date_naive()
    }
}

fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_kept_to_microseconds_and_a_pinned_clock_stays_put() {
        let system = Clock::system().now();
        assert_eq!(system.timestamp_subsec_nanos() % 1000, 0);
        let at = DateTime::parse_from_rfc3339("2026-03-09T00:59:59.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::pinned(at);
        assert_eq!(clock.now().timestamp_subsec_nanos(), 123_456_000);
        assert_eq!(clock.today().to_string(), "2026-03-09");
        clock.set(at + chrono::Duration::hours(17));
        assert_eq!(clock.today().to_string(), "2026-03-10");
        assert_eq!(clock.clone().now(), clock.now());
    }
}
