//! Response times: the working calendar of a ward, deadlines to acknowledge and to resolve a
//! report, and where a report stands against them.

pub mod alerts;
pub mod calendar;
pub mod deadlines;
pub mod holidays;

pub use calendar::{Calendar, DayKind, TIME_ZONE, WeekHours};
pub use deadlines::{Clock, Deadline, Policy, PolicyRule, Standing, Target};

/// The years a date given to the service may fall in: the service began in 2025, and a date
/// far outside this range is a typo or an attack (a deadline in year 10000 reads as passed to
/// SQLite, and as no date at all to a browser).
pub const SANE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Whether a date lies in [`SANE_YEARS`].
pub fn is_sane(date: chrono::NaiveDate) -> bool {
    use chrono::Datelike;
    SANE_YEARS.contains(&date.year())
}
