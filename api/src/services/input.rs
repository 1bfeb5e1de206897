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

/// Whether an e-mail address has the shape of one: a local part, `@`, a domain with a dot, on
/// one line. Whether it exists is for the mail server to say.
pub fn is_email(address: &str) -> bool {
    let address = address.trim();
    match address.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !address.contains(char::is_whitespace)
                && text::is_single_line(address)
                && address.len() <= 254
        }
        None => false,
    }
}

/// Refuses an e-mail address that is not one.
pub fn email(field: &str, address: Option<&str>, errors: &mut Vec<FieldError>) {
    if address.is_some_and(|a| !is_email(a)) {
        errors.push(FieldError::new(
            field,
            "Địa chỉ e-mail không hợp lệ.",
            "This is not a valid e-mail address.",
        ));
    }
}

/// Refuses a name (of a person, a ward, a neighborhood) that is empty, longer than `max`
/// characters, or not on one line.
pub fn name(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) {
    single_line(field, value, errors);
    if value.trim().is_empty() || value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("Cần từ 1 đến {max} ký tự."),
            format!("Must have 1 to {max} characters."),
        ));
    }
}
