//! Response times: the working calendar of a ward, deadlines to acknowledge and to resolve a
//! report, and where a report stands against them.

pub mod calendar;
pub mod deadlines;
pub mod holidays;

pub use calendar::{Calendar, DayKind, TIME_ZONE, WeekHours};
pub use deadlines::{Clock, Deadline, Policy, PolicyRule, Standing, Target};
