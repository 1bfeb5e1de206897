//! What the neighborhood heads read in their inbox, in Vietnamese.

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

/// Title and body of an inbox entry for an event on a report.
pub fn entry(
    event: EventType,
    description: &str,
    text: Option<&str>,
    department: Option<&str>,
) -> (String, String) {
    let about = format!("«{}»", excerpt(description));
    let unit = department.unwrap_or("đơn vị phụ trách");
    let body = match event {
        EventType::Assigned => format!("Phản ánh {about} đã được chuyển đến {unit}."),
        EventType::Acknowledged => format!("{unit} đã tiếp nhận phản ánh {about}."),
        EventType::InProgress => format!("{unit} đang xử lý phản ánh {about}."),
        EventType::Resolved => format!("Kết quả xử lý phản ánh {about}: {}", text.unwrap_or("")),
        EventType::Rejected => format!(
            "Phản ánh {about} không được tiếp nhận. Lý do: {}",
            text.unwrap_or("")
        ),
        EventType::Duplicate => format!("Phản ánh {about} trùng với một phản ánh đang được xử lý."),
        EventType::Rerouted => format!("Phản ánh {about} đã được chuyển sang {unit}."),
        EventType::Commented => format!("Ý kiến về phản ánh {about}: {}", text.unwrap_or("")),
        EventType::DeadlineWarning => {
            format!("Phản ánh {about} sắp quá hạn {}.", text.unwrap_or(""))
        }
        EventType::Escalated => format!(
            "Phản ánh {about} đã quá hạn {} mà {unit} chưa hoàn thành.",
            text.unwrap_or("")
        ),
        EventType::DeadlineExtended => format!(
            "Phản ánh {about} được gia hạn xử lý. Lý do: {}",
            text.unwrap_or("")
        ),
        EventType::Submitted | EventType::Reopened | EventType::Closed => {
            format!("Phản ánh {about}.")
        }
    };
    (event.label().to_owned(), body)
}

/// Title and body for the head of a report that was merged into another one, when the other
/// one is answered.
pub fn merged_answer(description: &str, response: Option<&str>) -> (String, String) {
    let body = format!(
        "Phản ánh «{}» trùng với một phản ánh đã được xử lý. Kết quả: {}",
        excerpt(description),
        response.unwrap_or("")
    );
    (EventType::Resolved.label().to_owned(), body)
}
