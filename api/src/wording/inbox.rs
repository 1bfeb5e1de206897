//! What people read in their inbox, written in Vietnamese and English when the event happens
//! (each reader later gets the language they ask for).

use crate::i18n::{Lang, Text};
use sos_domain::taxonomy::EventType;

/// At most this many characters of the description stand for the report in a message.
const EXCERPT_CHARS: usize = 60;

pub fn excerpt(text: &str) -> String {
    let mut chars = text.chars();
    let head: String = chars.by_ref().take(EXCERPT_CHARS).collect();
    if chars.next().is_some() {
        format!("{head}…")
    } else {
        head
    }
}

/// The title and body of an inbox entry, in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub title: Text,
    pub body: Text,
}

/// A report's description, cut short and quoted the way each language quotes.
fn quoted(description: &str) -> Text {
    let excerpt = excerpt(description);
    Text::new(format!("«{excerpt}»"), format!("“{excerpt}”"))
}

/// Title and body of an inbox entry for an event on a report. `text` is the event's: what a
/// person wrote (the same in both languages) or what the service wrote of a deadline.
/// `department` is the name the ward gave the unit, which is not translated.
pub fn entry(
    event: EventType,
    description: &str,
    text: Option<&Text>,
    department: Option<&str>,
) -> Entry {
    let about = quoted(description);
    let body = Text::new(
        body_vi(event, &about.vi, text.map_or("", |t| &t.vi), department),
        body_en(event, &about.en, text.map_or("", |t| &t.en), department),
    );
    Entry {
        title: Text::new(event.label(Lang::Vi), event.label(Lang::En)),
        body,
    }
}

fn body_vi(event: EventType, about: &str, text: &str, department: Option<&str>) -> String {
    let unit = department.unwrap_or("đơn vị phụ trách");
    match event {
        EventType::Assigned => format!("Phản ánh {about} đã được chuyển đến {unit}."),
        EventType::Acknowledged => format!("{unit} đã tiếp nhận phản ánh {about}."),
        EventType::InProgress => format!("{unit} đang xử lý phản ánh {about}."),
        EventType::Resolved => format!("Kết quả xử lý phản ánh {about}: {text}"),
        EventType::Rejected => {
            format!("Phản ánh {about} không được tiếp nhận. Lý do: {text}")
        }
        EventType::Duplicate => format!("Phản ánh {about} trùng với một phản ánh đang được xử lý."),
        EventType::Rerouted => format!("Phản ánh {about} đã được chuyển sang {unit}."),
        EventType::Commented => format!("Ý kiến về phản ánh {about}: {text}"),
        EventType::DeadlineWarning => format!("Phản ánh {about} sắp quá hạn {text}."),
        EventType::Escalated => {
            format!("Phản ánh {about} đã quá hạn {text} mà {unit} chưa hoàn thành.")
        }
        EventType::DeadlineExtended => {
            format!("Phản ánh {about} được gia hạn xử lý. Lý do: {text}")
        }
        EventType::Submitted | EventType::Reopened | EventType::Closed => {
            format!("Phản ánh {about}.")
        }
    }
}

fn body_en(event: EventType, about: &str, text: &str, department: Option<&str>) -> String {
    let unit = department.unwrap_or("the department in charge");
    match event {
        EventType::Assigned => format!("Report {about} was sent to {unit}."),
        EventType::Acknowledged => format!("Report {about} was acknowledged by {unit}."),
        EventType::InProgress => format!("Report {about} is being handled by {unit}."),
        EventType::Resolved => format!("Outcome of report {about}: {text}"),
        EventType::Rejected => format!("Report {about} was not accepted. Reason: {text}"),
        EventType::Duplicate => {
            format!("Report {about} repeats a report that is already being handled.")
        }
        EventType::Rerouted => format!("Report {about} was passed on to {unit}."),
        EventType::Commented => format!("Comment on report {about}: {text}"),
        EventType::DeadlineWarning => format!("Report {about} is almost overdue {text}."),
        EventType::Escalated => {
            format!("Report {about} is overdue {text} and {unit} has not finished it.")
        }
        EventType::DeadlineExtended => {
            format!("The deadline of report {about} was extended. Reason: {text}")
        }
        EventType::Submitted | EventType::Reopened | EventType::Closed => {
            format!("Report {about}.")
        }
    }
}

/// Title and body for the head of a report that was merged into another one, when the other
/// one is answered.
pub fn merged_answer(description: &str, response: Option<&str>) -> Entry {
    let about = quoted(description);
    let response = response.unwrap_or("");
    Entry {
        title: Text::new(
            EventType::Resolved.label(Lang::Vi),
            EventType::Resolved.label(Lang::En),
        ),
        body: Text::new(
            format!(
                "Phản ánh {} trùng với một phản ánh đã được xử lý. Kết quả: {response}",
                about.vi
            ),
            format!(
                "Report {} repeats a report that has been resolved. Outcome: {response}",
                about.en
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_reads_whole_in_each_language() {
        let reason = Text::same("Ngoài phạm vi của phường");
        let entry = entry(
            EventType::Rejected,
            "Đèn đường hư",
            Some(&reason),
            Some("Công an phường"),
        );
        assert_eq!(entry.title.vi, "Phản ánh bị từ chối");
        assert_eq!(entry.title.en, "Report rejected");
        assert_eq!(
            entry.body.vi,
            "Phản ánh «Đèn đường hư» không được tiếp nhận. Lý do: Ngoài phạm vi của phường"
        );
        assert_eq!(
            entry.body.en,
            "Report “Đèn đường hư” was not accepted. Reason: Ngoài phạm vi của phường"
        );
    }
}
