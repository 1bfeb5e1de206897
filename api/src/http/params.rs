//! Query parameters as people type them: each reader records a field error naming the
//! parameter instead of failing at once, so one answer lists everything that is wrong.

use crate::problem::FieldError;
use chrono::{DateTime, NaiveDate, Utc};
use sos_domain::sla;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;
use uuid::Uuid;

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

/// Reads `limit` (`default` when absent, at most `max`).
pub fn limit(raw: Option<&str>, default: u64, max: u64, errors: &mut Vec<FieldError>) -> u64 {
    number("limit", raw, default, 1..=max, errors)
}

/// A number within `range`, `default` when absent.
pub fn number<T: FromStr + PartialOrd + Display + Copy>(
    name: &str,
    raw: Option<&str>,
    default: T,
    range: RangeInclusive<T>,
    errors: &mut Vec<FieldError>,
) -> T {
    match raw.map(|r| r.trim().parse::<T>()) {
        None => default,
        Some(Ok(value)) if range.contains(&value) => value,
        Some(_) => {
            let (low, high) = (range.start(), range.end());
            errors.push(FieldError::new(
                name,
                format!("{name} phải từ {low} đến {high}."),
                format!("{name} must be between {low} and {high}."),
            ));
            default
        }
    }
}

/// `true` or `false`, false when absent.
pub fn flag(name: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> bool {
    match raw.map(str::trim) {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => {
            errors.push(FieldError::new(
                name,
                format!("{name} là true hoặc false."),
                format!("{name} is true or false."),
            ));
            false
        }
    }
}

/// One code of a taxonomy list.
pub fn code<T: FromStr>(name: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<T> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    match raw.parse::<T>() {
        Ok(code) => Some(code),
        Err(_) => {
            errors.push(FieldError::new(
                name,
                format!("Mã không hợp lệ: `{raw}`."),
                format!("Unknown code `{raw}`."),
            ));
            None
        }
    }
}

/// A comma-separated list of codes.
pub fn codes<T: FromStr>(name: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Vec<T> {
    let Some(raw) = raw else { return Vec::new() };
    raw.split(',')
        .filter_map(|part| code::<T>(name, Some(part), errors))
        .collect()
}

pub fn uuid(name: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<Uuid> {
    let raw = raw?;
    match Uuid::parse_str(raw.trim()) {
        Ok(id) => Some(id),
        Err(_) => {
            errors.push(FieldError::new(
                name,
                "Cần một UUID.",
                "A UUID is expected.",
            ));
            None
        }
    }
}

fn out_of_range(name: &str) -> FieldError {
    let (first, last) = (sla::SANE_YEARS.start(), sla::SANE_YEARS.end());
    FieldError::new(
        name,
        format!("Ngày phải trong khoảng năm {first}–{last}."),
        format!("The date must fall in the years {first}–{last}."),
    )
}

/// A calendar date, `YYYY-MM-DD`, in the years the service deals with.
pub fn date(name: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<NaiveDate> {
    let raw = raw?.trim();
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(date) if sla::is_sane(date) => Some(date),
        Ok(_) => {
            errors.push(out_of_range(name));
            None
        }
        Err(_) => {
            errors.push(FieldError::new(
                name,
                "Cần ngày dạng YYYY-MM-DD.",
                "A date like YYYY-MM-DD is expected.",
            ));
            None
        }
    }
}

/// An RFC 3339 instant, in the years the service deals with.
pub fn time(name: &str, raw: Option<&str>, errors: &mut Vec<FieldError>) -> Option<DateTime<Utc>> {
    let raw = raw?;
    match DateTime::parse_from_rfc3339(raw.trim()) {
        Ok(t) if sla::is_sane(t.date_naive()) => Some(t.with_timezone(&Utc)),
        Ok(_) => {
            errors.push(out_of_range(name));
            None
        }
        Err(_) => {
            errors.push(FieldError::new(
                name,
                "Cần thời điểm theo RFC 3339, ví dụ 2025-07-01T08:00:00+07:00.",
                "An RFC 3339 timestamp is expected, e.g. 2025-07-01T08:00:00+07:00.",
            ));
            None
        }
    }
}
