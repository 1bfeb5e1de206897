//! Page sizes of list endpoints.

use crate::error::FieldError;

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

/// Reads `limit` (`default` when absent, at most `max`); an out-of-range or unreadable value
/// is recorded as a field error.
pub fn limit(raw: Option<&str>, default: u64, max: u64, errors: &mut Vec<FieldError>) -> u64 {
    match raw.map(|l| l.trim().parse::<u64>()) {
        None => default,
        Some(Ok(n)) if (1..=max).contains(&n) => n,
        Some(_) => {
            errors.push(FieldError::new(
                "limit",
                format!("limit phải từ 1 đến {max}."),
                format!("limit must be between 1 and {max}."),
            ));
            default
        }
    }
}
