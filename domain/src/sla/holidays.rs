//! Vietnam's public holidays and compensatory working days as built-in data
//! (`domain/data/holidays.csv`): the days off of civil servants and public employees, who staff
//! ward offices. Loaded into the database at start-up where missing; an admin changes them
//! there as the government announces each year's swaps.

use super::calendar::DayKind;
use chrono::NaiveDate;

const BUILTIN: &str = include_str!("../../data/holidays.csv");

/// A day of the built-in list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

/// Parses `date,kind,name` lines (`#` starts a comment line).
pub fn parse(text: &str) -> Result<Vec<Day>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .skip(1) // the header
        .map(|(n, line)| {
            let mut fields = line.splitn(3, ',');
            let (Some(date), Some(kind), Some(name)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(format!("line {}: expected date,kind,name", n + 1));
            };
            Ok(Day {
                date: NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                    .map_err(|e| format!("line {}: {e}", n + 1))?,
                kind: match kind.trim() {
                    "holiday" => DayKind::Holiday,
                    "working_day" => DayKind::WorkingDay,
                    other => return Err(format!("line {}: unknown kind `{other}`", n + 1)),
                },
                name: name.trim().to_owned(),
            })
        })
        .collect()
}

/// The built-in days.
pub fn builtin_days() -> Vec<Day> {
    parse(BUILTIN).expect("the built-in holidays parse")
}

/// The built-in days as a calendar takes them.
pub fn builtin() -> impl Iterator<Item = (NaiveDate, DayKind)> {
    builtin_days().into_iter().map(|d| (d.date, d.kind))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sla::Calendar;
    use chrono::{Datelike, Weekday};

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_built_in_list_covers_2025_to_2027_without_repeats() {
        let days = builtin_days();
        for year in 2025..=2027 {
            assert!(days.iter().any(|d| d.date == date(year, 1, 1)), "{year}");
            assert!(days.iter().any(|d| d.date == date(year, 4, 30)), "{year}");
            assert!(days.iter().any(|d| d.date == date(year, 9, 2)), "{year}");
        }
        let mut dates: Vec<_> = days.iter().map(|d| d.date).collect();
        dates.sort();
        dates.dedup();
        assert_eq!(dates.len(), days.len());
        // Compensatory working days are weekend days; holidays are named.
        for day in &days {
            assert!(!day.name.is_empty());
            if day.kind == DayKind::WorkingDay {
                assert!(
                    matches!(day.date.weekday(), Weekday::Sat | Weekday::Sun),
                    "{day:?}"
                );
            }
        }
    }

    #[test]
    fn tet_closes_the_ward_office_for_a_week() {
        let calendar = Calendar::standard();
        // Tết Bính Ngọ: the first day of the lunar year is Tuesday 17 February 2026.
        for day in 16..=20 {
            assert!(!calendar.is_working_day(date(2026, 2, day)), "{day}/2/2026");
        }
        assert!(calendar.is_working_day(date(2026, 2, 23)));
    }

    #[test]
    fn bad_lines_are_named() {
        assert!(
            parse("date,kind,name\n2026-13-01,holiday,x")
                .unwrap_err()
                .contains("line 2")
        );
        assert!(
            parse("date,kind,name\n2026-01-01,party,x")
                .unwrap_err()
                .contains("party")
        );
        assert_eq!(
            parse("# note\ndate,kind,name\n2026-01-01,holiday,Tết")
                .unwrap()
                .len(),
            1
        );
    }
}
