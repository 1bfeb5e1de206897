//! The working calendar of a ward: office hours in Asia/Ho_Chi_Minh time, public holidays and
//! the compensatory working days the government announces. It answers two questions: when is
//! an instant plus N working hours, and how much working time lies between two instants.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Every ward of Vietnam keeps Asia/Ho_Chi_Minh time.
pub const TIME_ZONE: Tz = chrono_tz::Asia::Ho_Chi_Minh;

/// How far a calculation looks for working time before giving up: a calendar with no office
/// hours at all for this long is a configuration error, not a reason to loop forever.
const SEARCH_DAYS: i64 = 3 * 366;

/// One stretch of office hours in a day, `start` before `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}",
            self.start.format("%H:%M"),
            self.end.format("%H:%M")
        )
    }
}

impl std::str::FromStr for Period {
    type Err = String;

    /// `07:30-11:30`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (start, end) = s
            .split_once('-')
            .ok_or_else(|| format!("`{s}` is not a period like 07:30-11:30"))?;
        let time = |t: &str| {
            NaiveTime::parse_from_str(t.trim(), "%H:%M")
                .map_err(|_| format!("`{t}` is not a time like 07:30"))
        };
        let period = Period {
            start: time(start)?,
            end: time(end)?,
        };
        if period.start >= period.end {
            return Err(format!("`{s}` ends before it starts"));
        }
        Ok(period)
    }
}

/// Office hours for each day of the week, Monday first, as stored and sent over the API:
/// `{"mon": ["07:30-11:30", "13:00-17:00"], …, "sun": []}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeekHours {
    pub mon: Vec<String>,
    pub tue: Vec<String>,
    pub wed: Vec<String>,
    pub thu: Vec<String>,
    pub fri: Vec<String>,
    pub sat: Vec<String>,
    pub sun: Vec<String>,
}

impl Default for WeekHours {
    /// The office hours of a ward's People's Committee: Monday to Friday, 07:30–11:30 and
    /// 13:00–17:00.
    fn default() -> Self {
        let day = || vec!["07:30-11:30".to_owned(), "13:00-17:00".to_owned()];
        WeekHours {
            mon: day(),
            tue: day(),
            wed: day(),
            thu: day(),
            fri: day(),
            sat: Vec::new(),
            sun: Vec::new(),
        }
    }
}

impl WeekHours {
    /// The parsed periods of each weekday, Monday first, checked: in order, not overlapping,
    /// and at least one working day in the week.
    pub fn periods(&self) -> Result<[Vec<Period>; 7], String> {
        let days = [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ];
        let mut week: [Vec<Period>; 7] = Default::default();
        for (i, (name, periods)) in days.into_iter().enumerate() {
            let parsed = periods
                .iter()
                .map(|p| p.parse::<Period>().map_err(|e| format!("{name}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            if parsed.windows(2).any(|w| w[0].end > w[1].start) {
                return Err(format!("{name}: periods must be in order and not overlap"));
            }
            week[i] = parsed;
        }
        if week.iter().all(Vec::is_empty) {
            return Err("at least one day of the week must have office hours".into());
        }
        Ok(week)
    }
}

crate::code::codes!(
    /// A date that differs from the usual week.
    DayKind, "day kind" {
        /// A public holiday or a day off given in exchange for a compensatory working day.
        Holiday => "holiday", "Ngày nghỉ", "Day off";
        /// A compensatory working day (ngày làm bù), usually a Saturday: worked with Monday's
        /// hours.
        WorkingDay => "working_day", "Ngày làm bù", "Make-up working day";
    }
);

/// Office hours and the exceptional days of one ward.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    week: [Vec<Period>; 7],
    days: BTreeMap<NaiveDate, DayKind>,
}

impl Calendar {
    pub fn new(
        hours: &WeekHours,
        days: impl IntoIterator<Item = (NaiveDate, DayKind)>,
    ) -> Result<Calendar, String> {
        Ok(Calendar {
            week: hours.periods()?,
            days: days.into_iter().collect(),
        })
    }

    /// The default office hours with the built-in holidays.
    pub fn standard() -> Calendar {
        Calendar::new(&WeekHours::default(), super::holidays::builtin())
            .expect("the default week is valid")
    }

    /// The office periods of a date: none on a holiday, Monday's on a compensatory working
    /// day, the weekday's otherwise.
    pub fn periods_on(&self, date: NaiveDate) -> &[Period] {
        match self.days.get(&date) {
            Some(DayKind::Holiday) => &[],
            Some(DayKind::WorkingDay) => &self.week[0],
            None => &self.week[date.weekday().num_days_from_monday() as usize],
        }
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        !self.periods_on(date).is_empty()
    }

    /// The instant `amount` of working time after `from`. Time outside office hours does not
    /// count: a report filed on Friday evening with 8 working hours to go is due on Monday at
    /// closing time.
    pub fn add_working(&self, from: DateTime<Utc>, amount: Duration) -> DateTime<Utc> {
        if amount <= Duration::zero() {
            return from;
        }
        let local = from.with_timezone(&TIME_ZONE).naive_local();
        let mut remaining = amount;
        let mut date = local.date();
        for _ in 0..SEARCH_DAYS {
            for period in self.periods_on(date) {
                let start = date.and_time(period.start).max(local);
                let end = date.and_time(period.end);
                if start >= end {
                    continue;
                }
                let available = end - start;
                if remaining <= available {
                    return utc(start + remaining);
                }
                remaining -= available;
            }
            date = date.succ_opt().expect("dates this close are valid");
        }
        // No office hours for years: count calendar time rather than never falling due.
        from + amount
    }

    /// The working time between two instants (zero when `to` is not after `from`).
    pub fn working_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let (from, to) = (
            from.with_timezone(&TIME_ZONE).naive_local(),
            to.with_timezone(&TIME_ZONE).naive_local(),
        );
        let mut total = Duration::zero();
        let mut date = from.date();
        while date <= to.date() {
            for period in self.periods_on(date) {
                let start = date.and_time(period.start).max(from);
                let end = date.and_time(period.end).min(to);
                if start < end {
                    total += end - start;
                }
            }
            date = date.succ_opt().expect("dates this close are valid");
        }
        total
    }
}

/// A local time of Asia/Ho_Chi_Minh as UTC. The zone has kept UTC+7 without daylight saving
/// since 1975, so every local time exists exactly once.
fn utc(local: NaiveDateTime) -> DateTime<Utc> {
    TIME_ZONE
        .from_local_datetime(&local)
        .single()
        .expect("Asia/Ho_Chi_Minh has no gaps or folds")
        .with_timezone(&Utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A local time in Ho Chi Minh City.
    fn at(date: &str, time: &str) -> DateTime<Utc> {
        let local =
            NaiveDateTime::parse_from_str(&format!("{date} {time}"), "%Y-%m-%d %H:%M").unwrap();
        utc(local)
    }

    fn hours(h: i64) -> Duration {
        Duration::hours(h)
    }

    fn plain_week() -> Calendar {
        Calendar::new(&WeekHours::default(), []).unwrap()
    }

    #[test]
    fn local_time_is_seven_hours_ahead_of_utc() {
        assert_eq!(
            at("2026-03-02", "07:30").to_rfc3339(),
            "2026-03-02T00:30:00+00:00"
        );
    }

    #[test]
    fn working_hours_skip_lunch_evenings_and_weekends() {
        let calendar = plain_week();
        // Monday 2 March 2026, 10:30: one hour before lunch, then the afternoon.
        assert_eq!(
            calendar.add_working(at("2026-03-02", "10:30"), hours(1)),
            at("2026-03-02", "11:30")
        );
        assert_eq!(
            calendar.add_working(at("2026-03-02", "10:30"), hours(2)),
            at("2026-03-02", "14:00")
        );
        // Filed during lunch: the clock starts at 13:00.
        assert_eq!(
            calendar.add_working(at("2026-03-02", "12:00"), hours(1)),
            at("2026-03-02", "14:00")
        );
        // Friday 17:30 plus 8 working hours: the whole of Monday.
        assert_eq!(
            calendar.add_working(at("2026-03-06", "17:30"), hours(8)),
            at("2026-03-09", "17:00")
        );
        // Saturday morning plus 30 minutes: Monday 08:00.
        assert_eq!(
            calendar.add_working(at("2026-03-07", "09:00"), Duration::minutes(30)),
            at("2026-03-09", "08:00")
        );
        // Three working days from Wednesday 09:00: Monday 09:00.
        assert_eq!(
            calendar.add_working(at("2026-03-04", "09:00"), hours(24)),
            at("2026-03-09", "09:00")
        );
        assert_eq!(
            calendar.add_working(at("2026-03-04", "09:00"), Duration::zero()),
            at("2026-03-04", "09:00")
        );
    }

    #[test]
    fn an_instant_at_closing_time_moves_to_the_next_opening() {
        let calendar = plain_week();
        assert_eq!(
            calendar.add_working(at("2026-03-02", "17:00"), Duration::minutes(1)),
            at("2026-03-03", "07:31")
        );
        assert_eq!(
            calendar.add_working(at("2026-03-02", "11:30"), Duration::minutes(1)),
            at("2026-03-02", "13:01")
        );
    }

    #[test]
    fn working_time_between_two_instants() {
        let calendar = plain_week();
        let between = |a, b| calendar.working_between(a, b);
        assert_eq!(
            between(at("2026-03-02", "07:30"), at("2026-03-02", "17:00")),
            hours(8)
        );
        assert_eq!(
            between(at("2026-03-02", "11:00"), at("2026-03-02", "13:30")),
            Duration::minutes(60)
        );
        // Friday 16:00 to Monday 08:30: one hour on Friday, one on Monday.
        assert_eq!(
            between(at("2026-03-06", "16:00"), at("2026-03-09", "08:30")),
            hours(2)
        );
        assert_eq!(
            between(at("2026-03-07", "08:00"), at("2026-03-08", "18:00")),
            Duration::zero()
        );
        assert_eq!(
            between(at("2026-03-09", "08:00"), at("2026-03-02", "08:00")),
            Duration::zero()
        );
    }

    #[test]
    fn adding_and_measuring_agree() {
        let calendar = Calendar::standard();
        let mut from = at("2025-12-29", "06:00");
        for step in 0..200 {
            let amount = Duration::minutes(37 * step);
            let due = calendar.add_working(from, amount);
            assert_eq!(
                calendar.working_between(from, due),
                amount,
                "{from} + {amount}"
            );
            from += Duration::minutes(431);
        }
    }

    #[test]
    fn holidays_are_not_worked_and_compensatory_days_are() {
        let monday = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        let saturday = NaiveDate::from_ymd_opt(2026, 3, 7).unwrap();
        let calendar = Calendar::new(
            &WeekHours::default(),
            [(monday, DayKind::Holiday), (saturday, DayKind::WorkingDay)],
        )
        .unwrap();
        assert!(!calendar.is_working_day(monday));
        assert!(calendar.is_working_day(saturday));
        // Friday 17:00 + 8 h: Saturday is worked with Monday's hours, Monday is off.
        assert_eq!(
            calendar.add_working(at("2026-03-06", "17:00"), hours(8)),
            at("2026-03-07", "17:00")
        );
        assert_eq!(
            calendar.add_working(at("2026-03-06", "17:00"), hours(9)),
            at("2026-03-10", "08:30")
        );
    }

    #[test]
    fn week_hours_are_checked() {
        let mut hours = WeekHours::default();
        assert!(hours.periods().is_ok());
        hours.mon = vec!["13:00-17:00".into(), "07:30-11:30".into()];
        assert!(hours.periods().unwrap_err().contains("mon"));
        hours.mon = vec!["17:00-13:00".into()];
        assert!(hours.periods().unwrap_err().contains("ends before"));
        hours.mon = vec!["7h30".into()];
        assert!(hours.periods().is_err());
        let closed = WeekHours {
            mon: vec![],
            tue: vec![],
            wed: vec![],
            thu: vec![],
            fri: vec![],
            sat: vec![],
            sun: vec![],
        };
        assert!(closed.periods().is_err());
        let json = serde_json::to_value(WeekHours::default()).unwrap();
        assert_eq!(json["mon"][1], "13:00-17:00");
        assert_eq!(json["sun"], serde_json::json!([]));
    }

    #[test]
    fn a_calendar_that_never_opens_falls_back_to_calendar_time() {
        let mut calendar = plain_week();
        let start = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        calendar.days = (0..SEARCH_DAYS + 10)
            .map(|d| (start + Duration::days(d), DayKind::Holiday))
            .collect();
        let from = at("2026-01-01", "08:00");
        assert_eq!(calendar.add_working(from, hours(1)), from + hours(1));
    }
}
