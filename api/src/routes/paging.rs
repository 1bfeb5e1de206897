//! Page sizes of list endpoints.

use crate::error::FieldError;

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

/// Reads `limit`; an out-of-range or unreadable value is recorded as a field error.
pub fn limit(raw: Option<&str>, errors: &mut Vec<FieldError>) -> u64 {
    match raw.map(|l| l.trim().parse::<u64>()) {
        None => DEFAULT_PAGE,
        Some(Ok(n)) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::new(
                "limit",
                format!("limit phải từ 1 đến {MAX_PAGE}."),
                format!("limit must be between 1 and {MAX_PAGE}."),
            ));
            DEFAULT_PAGE
        }
    }
}
