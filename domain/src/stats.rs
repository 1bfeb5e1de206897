//! The arithmetic of leaders' statistics: percentiles, on-time rates, the age of the open
//! backlog and the periods of a time series. The database counts; this module decides what
//! the counts mean.

use chrono::{Datelike, Duration, NaiveDate};
use serde::Serialize;

/// A percentile as an exact fraction, so that the database and Rust agree on its ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percentile {
    pub numerator: u64,
    pub denominator: u64,
}

pub const MEDIAN: Percentile = Percentile {
    numerator: 1,
    denominator: 2,
};
pub const P90: Percentile = Percentile {
    numerator: 9,
    denominator: 10,
};

impl Percentile {
    /// Of `n` sorted values, the rank (0-based) this percentile starts from and the weight of
    /// the next one: it lies at `(n - 1) × p`, between two ranks.
    pub fn rank(self, n: u64) -> Option<(u64, f64)> {
        let position = n.checked_sub(1)? * self.numerator;
        let weight = (position % self.denominator) as f64 / self.denominator as f64;
        Some((position / self.denominator, weight))
    }

    /// The percentile from the values at its two ranks (the second absent when the first is
    /// the last), interpolating linearly as PostgreSQL's `percentile_cont` does.
    pub fn between(self, low: f64, high: Option<f64>, weight: f64) -> f64 {
        low + (high.unwrap_or(low) - low) * weight
    }
}

/// A percentile of sorted values: the median of 1, 2, 3, 10 is 2.5.
pub fn percentile(sorted: &[f64], p: Percentile) -> Option<f64> {
    let (rank, weight) = p.rank(sorted.len() as u64)?;
    let rank = rank as usize;
    Some(p.between(sorted[rank], sorted.get(rank + 1).copied(), weight))
}

/// Share of deadlines met among those decided (met, or missed); none when nothing is decided.
pub fn on_time_rate(on_time: u64, late: u64) -> Option<f64> {
    let decided = on_time + late;
    (decided > 0).then(|| on_time as f64 / decided as f64)
}

/// How long open reports have waited, in whole calendar days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AgeBucket {
    #[serde(rename = "under_1_day")]
    UnderOneDay,
    #[serde(rename = "1_to_3_days")]
    OneToThreeDays,
    #[serde(rename = "3_to_7_days")]
    ThreeToSevenDays,
    #[serde(rename = "7_to_30_days")]
    SevenToThirtyDays,
    #[serde(rename = "over_30_days")]
    OverThirtyDays,
}

impl AgeBucket {
    pub const ALL: [AgeBucket; 5] = [
        AgeBucket::UnderOneDay,
        AgeBucket::OneToThreeDays,
        AgeBucket::ThreeToSevenDays,
        AgeBucket::SevenToThirtyDays,
        AgeBucket::OverThirtyDays,
    ];

    /// The bucket of an open report that has waited `age`; each bucket includes its lower
    /// bound (a report open exactly three days is in `3_to_7_days`).
    pub fn of(age: Duration) -> AgeBucket {
        match age.num_seconds() {
            s if s < 86_400 => AgeBucket::UnderOneDay,
            s if s < 3 * 86_400 => AgeBucket::OneToThreeDays,
            s if s < 7 * 86_400 => AgeBucket::ThreeToSevenDays,
            s if s < 30 * 86_400 => AgeBucket::SevenToThirtyDays,
            _ => AgeBucket::OverThirtyDays,
        }
    }

    /// The bounds in seconds `[from, to)`, `to` unbounded for the last bucket.
    pub fn bounds(self) -> (i64, Option<i64>) {
        match self {
            AgeBucket::UnderOneDay => (0, Some(86_400)),
            AgeBucket::OneToThreeDays => (86_400, Some(3 * 86_400)),
            AgeBucket::ThreeToSevenDays => (3 * 86_400, Some(7 * 86_400)),
            AgeBucket::SevenToThirtyDays => (7 * 86_400, Some(30 * 86_400)),
            AgeBucket::OverThirtyDays => (30 * 86_400, None),
        }
    }
}

/// The periods of a time series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Day,
    /// Weeks start on Monday.
    Week,
    Month,
}

impl Interval {
    /// The first day of the period `date` falls in.
    pub fn start_of(self, date: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => date,
            Interval::Week => {
                date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
            }
            Interval::Month => date.with_day(1).expect("every month has a first day"),
        }
    }

    /// The first day of the period after the one starting at `start`.
    pub fn next(self, start: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => start + Duration::days(1),
            Interval::Week => start + Duration::days(7),
            Interval::Month => {
                let (year, month) = if start.month() == 12 {
                    (start.year() + 1, 1)
                } else {
                    (start.year(), start.month() + 1)
                };
                NaiveDate::from_ymd_opt(year, month, 1).expect("a valid month")
            }
        }
    }

    /// Every period from the one holding `first` to the one holding `last`, in order.
    pub fn periods(self, first: NaiveDate, last: NaiveDate) -> Vec<NaiveDate> {
        let mut periods = Vec::new();
        let mut start = self.start_of(first);
        while start <= last {
            periods.push(start);
            start = self.next(start);
        }
        periods
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn percentiles_interpolate_between_ranks() {
        assert_eq!(percentile(&[], MEDIAN), None);
        assert_eq!(percentile(&[4.0], P90), Some(4.0));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 10.0], MEDIAN), Some(2.5));
        assert_eq!(percentile(&[1.0, 2.0, 3.0], MEDIAN), Some(2.0));
        // p90 of 1..=10: position 8.1, between 9 and 10.
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert!((percentile(&values, P90).unwrap() - 9.1).abs() < 1e-9);
        assert_eq!(P90.rank(10), Some((8, 0.1)));
        assert_eq!(MEDIAN.rank(4), Some((1, 0.5)));
        assert_eq!(MEDIAN.rank(0), None);
    }

    #[test]
    fn on_time_rates_count_decided_deadlines_only() {
        assert_eq!(on_time_rate(0, 0), None);
        assert_eq!(on_time_rate(3, 1), Some(0.75));
        assert_eq!(on_time_rate(0, 2), Some(0.0));
    }

    #[test]
    fn backlog_ages_fall_in_their_buckets() {
        assert_eq!(AgeBucket::of(Duration::hours(23)), AgeBucket::UnderOneDay);
        assert_eq!(AgeBucket::of(Duration::days(1)), AgeBucket::OneToThreeDays);
        assert_eq!(
            AgeBucket::of(Duration::days(3)),
            AgeBucket::ThreeToSevenDays
        );
        assert_eq!(
            AgeBucket::of(Duration::days(29)),
            AgeBucket::SevenToThirtyDays
        );
        assert_eq!(
            AgeBucket::of(Duration::days(400)),
            AgeBucket::OverThirtyDays
        );
        for bucket in AgeBucket::ALL {
            let (from, to) = bucket.bounds();
            assert_eq!(AgeBucket::of(Duration::seconds(from)), bucket);
            if let Some(to) = to {
                assert_ne!(AgeBucket::of(Duration::seconds(to)), bucket);
            }
        }
    }

    #[test]
    fn periods_start_on_days_mondays_and_firsts_of_months() {
        // Wednesday 4 March 2026.
        let wednesday = date(2026, 3, 4);
        assert_eq!(Interval::Day.start_of(wednesday), wednesday);
        assert_eq!(Interval::Week.start_of(wednesday), date(2026, 3, 2));
        assert_eq!(Interval::Month.start_of(wednesday), date(2026, 3, 1));
        assert_eq!(Interval::Month.next(date(2026, 12, 1)), date(2027, 1, 1));
        assert_eq!(
            Interval::Week.periods(date(2026, 3, 4), date(2026, 3, 16)),
            [date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16)]
        );
        assert_eq!(
            Interval::Month
                .periods(date(2026, 1, 31), date(2026, 3, 1))
                .len(),
            3
        );
        assert!(
            Interval::Day
                .periods(date(2026, 3, 2), date(2026, 3, 1))
                .is_empty()
        );
    }
}
