//! How a deadline is told to people, in both languages.

use crate::i18n::{Lang, Text};
use chrono::{DateTime, Utc};
use sos_domain::sla::TIME_ZONE;
use sos_domain::sla::deadlines::DeadlineKind;

/// "(tiếp nhận trước 16:00 ngày 09/03/2026)", "(acknowledge by 16:00 on 9 March 2026)": the
/// ward's local time, with the month named in English, where 09/03 could be read either way.
pub fn describe(deadline: DeadlineKind, due: DateTime<Utc>) -> Text {
    let local = due.with_timezone(&TIME_ZONE);
    Text::new(
        format!(
            "({} trước {})",
            deadline.label(Lang::Vi),
            local.format("%H:%M ngày %d/%m/%Y")
        ),
        format!(
            "({} by {})",
            deadline.label(Lang::En),
            local.format("%H:%M on %-d %B %Y")
        ),
    )
}
