//! The one source of "now" for the whole service.
//!
//! Times are kept at the precision both databases store (microseconds), so a value read back
//! equals the value written, which keyset cursors and version checks rely on. Tests can pin
//! the clock to a chosen instant (and move it), so that what depends on the time of day (the
//! morning digest, deadlines, escalations) is tested at the moment it matters.
//!
//! Every instant the service writes out (JSON answers, live events, webhook bodies, the data
//! of events and the administrative log) has one form, [`rfc3339`]: RFC 3339 in UTC with
//! exactly six fractional digits and `Z`, as `2026-03-25T01:00:00.000000Z`. Views take it with
//! `#[serde(with = "crate::clock::rfc3339_serde")]` (or `::option`). Only the spreadsheet of
//! reports (`GET /v1/reports.csv`) shows the ward's local time instead, for people.

use chrono::{DateTime, NaiveDate, SecondsFormat, SubsecRound, Utc};
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

/// An instant as the service writes it: RFC 3339, UTC, six fractional digits, `Z`.
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Serialises a `DateTime<Utc>` field with [`rfc3339`]; reads any RFC 3339 instant.
pub mod rfc3339_serde {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&super::rfc3339(*at))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        DateTime::<Utc>::deserialize(deserializer)
    }

    /// The same for an `Option<DateTime<Utc>>` field: `null` when absent.
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => serializer.serialize_str(&super::super::rfc3339(*at)),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<DateTime<Utc>>::deserialize(deserializer)
        }
    }
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

    #[test]
    fn instants_are_written_in_utc_with_six_digits_whatever_their_precision() {
        let at = |text: &str| DateTime::parse_from_rfc3339(text).unwrap().to_utc();
        assert_eq!(
            rfc3339(at("2026-03-25T08:00:00+07:00")),
            "2026-03-25T01:00:00.000000Z"
        );
        assert_eq!(
            rfc3339(at("2026-03-25T01:00:00.5Z")),
            "2026-03-25T01:00:00.500000Z"
        );
        assert_eq!(
            rfc3339(at("2026-03-25T01:00:00.123456789Z")),
            "2026-03-25T01:00:00.123456Z"
        );

        #[derive(serde::Serialize, serde::Deserialize)]
        struct View {
            #[serde(with = "rfc3339_serde")]
            at: DateTime<Utc>,
            #[serde(with = "rfc3339_serde::option")]
            maybe: Option<DateTime<Utc>>,
            #[serde(with = "rfc3339_serde::option")]
            never: Option<DateTime<Utc>>,
        }
        let view = View {
            at: at("2026-03-25T01:00:00Z"),
            maybe: Some(at("2026-03-25T01:00:00.000123Z")),
            never: None,
        };
        let json = serde_json::to_string(&view).unwrap();
        assert_eq!(
            json,
            r#"{"at":"2026-03-25T01:00:00.000000Z","maybe":"2026-03-25T01:00:00.000123Z","never":null}"#
        );
        let back: View = serde_json::from_str(&json).unwrap();
        assert_eq!(
            (back.at, back.maybe, back.never),
            (view.at, view.maybe, None)
        );
    }
}
