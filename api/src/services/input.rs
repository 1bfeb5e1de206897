//! Checks of what people type that many use cases share: the characters a text may hold. A
//! name, a title or an address stays on one line; a description or an answer may have line
//! breaks and tabs; neither holds other control characters (`sos_domain::text`).

use crate::problem::FieldError;
use sos_domain::text;

/// Refuses a one-line text (a name, a title, an address) with a control character.
pub fn single_line(field: &str, value: &str, errors: &mut Vec<FieldError>) {
    if !text::is_single_line(value) {
        errors.push(FieldError::new(
            field,
            "Không được chứa ký tự điều khiển hay xuống dòng.",
            "Must not contain control characters or line breaks.",
        ));
    }
}

/// Refuses a text of several lines with a control character other than a line break or tab.
pub fn clean_text(field: &str, value: &str, errors: &mut Vec<FieldError>) {
    if !text::is_clean_text(value) {
        errors.push(FieldError::new(
            field,
            "Không được chứa ký tự điều khiển.",
            "Must not contain control characters.",
        ));
    }
}
