//! The service's letters, in Vietnamese, as HTML and plain text: to the outside companies of
//! a ward, to people who chose mail, and the leaders' morning digest.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sos_store::entities::{department, neighborhood, report, ward};
use uuid::Uuid;

/// A message as the outbox keeps it until it is sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to: String,
    pub to_name: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The figures of a ward's day, as a digest shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct DayFigures {
    pub day: NaiveDate,
    pub received: u64,
    pub resolved: u64,
    pub acknowledge_on_time_rate: Option<f64>,
    pub resolve_on_time_rate: Option<f64>,
    /// Open now, and of those past the ward's deadline to resolve.
    pub open: i64,
    pub overdue: i64,
    /// The descriptions (cut short) of the reports most past the promise.
    pub late: Vec<String>,
}

/// Text from reports goes into HTML escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// To an outside company (power, water, public works), when a report of its kind is routed in
/// a ward: what, where, and that the ward's department stays in charge.
pub fn agency_notice(
    report: &report::Model,
    agency: &department::Model,
    ward: &ward::Model,
    neighborhood: Option<&neighborhood::Model>,
    address: &str,
) -> OutgoingMail {
    let kind = report.subcategory.label();
    let place = match neighborhood {
        Some(n) => format!("{}, {}", n.name, ward.name),
        None => ward.name.clone(),
    };
    let filed = report
        .created_at
        .with_timezone(&sos_domain::sla::TIME_ZONE)
        .format("%H:%M ngày %d/%m/%Y");
    let position = match (report.lat, report.lon) {
        (Some(lat), Some(lon)) => format!("{lat:.5}, {lon:.5}"),
        _ => "không có".to_owned(),
    };
    let subject = format!("[SOS Khu Phố] {kind} tại {place}");
    let text = format!(
        "Kính gửi {agency},\n\n\
         {ward} nhận được phản ánh thuộc lĩnh vực của quý đơn vị:\n\n\
         Nội dung: {description}\n\
         Nơi xảy ra: {place}\n\
         Địa chỉ: {address}\n\
         Toạ độ: {position}\n\
         Thời điểm: {filed}\n\
         Mã phản ánh: {id}\n\n\
         Phòng ban của phường vẫn chịu trách nhiệm theo dõi; xin quý đơn vị phối hợp xử lý.\n\n\
         SOS Khu Phố (thư tự động, vui lòng không trả lời).\n",
        agency = agency.name,
        ward = ward.name,
        description = report.description,
        id = report.id,
    );
    let html = format!(
        "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><body>\
         <p>Kính gửi {agency},</p>\
         <p>{ward} nhận được phản ánh thuộc lĩnh vực của quý đơn vị:</p>\
         <table>\
         <tr><th align=\"left\">Nội dung</th><td>{description}</td></tr>\
         <tr><th align=\"left\">Nơi xảy ra</th><td>{place}</td></tr>\
         <tr><th align=\"left\">Địa chỉ</th><td>{address}</td></tr>\
         <tr><th align=\"left\">Toạ độ</th><td>{position}</td></tr>\
         <tr><th align=\"left\">Thời điểm</th><td>{filed}</td></tr>\
         <tr><th align=\"left\">Mã phản ánh</th><td>{id}</td></tr>\
         </table>\
         <p>Phòng ban của phường vẫn chịu trách nhiệm theo dõi; xin quý đơn vị phối hợp xử lý.</p>\
         <p><small>SOS Khu Phố (thư tự động, vui lòng không trả lời).</small></p>\
         </body></html>",
        agency = escape(&agency.name),
        ward = escape(&ward.name),
        description = escape(&report.description),
        place = escape(&place),
        address = escape(address),
        id = report.id,
    );
    OutgoingMail {
        to: agency.email.clone().unwrap_or_default(),
        to_name: agency.name.clone(),
        subject,
        text,
        html,
    }
}

/// To a head or leader who chose mail: their inbox entry, as a letter.
pub fn inbox_notice(
    name: &str,
    address: &str,
    title: &str,
    body: &str,
    report: Uuid,
) -> OutgoingMail {
    let subject = format!("[SOS Khu Phố] {title}");
    let text = format!(
        "Chào {name},\n\n{body}\n\nMã phản ánh: {report}\n\n\
         Bạn nhận thư này vì đã chọn nhận thông báo qua e-mail trong SOS Khu Phố; \
         có thể tắt trong phần cài đặt thông báo.\n"
    );
    let html = format!(
        "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><body>\
         <p>Chào {name},</p><p><strong>{title}</strong></p><p>{body}</p>\
         <p>Mã phản ánh: {report}</p>\
         <p><small>Bạn nhận thư này vì đã chọn nhận thông báo qua e-mail trong SOS Khu Phố; \
         có thể tắt trong phần cài đặt thông báo.</small></p></body></html>",
        name = escape(name),
        title = escape(title),
        body = escape(body),
    );
    OutgoingMail {
        to: address.to_owned(),
        to_name: name.to_owned(),
        subject,
        text,
        html,
    }
}

/// A rate as Vietnamese write it: `87,5 %`, or a dash when nothing was decided.
fn percent(rate: Option<f64>) -> String {
    rate.map_or("–".to_owned(), |r| {
        format!("{:.1} %", r * 100.0).replace('.', ",")
    })
}

/// To a ward leader each morning: the day before in their ward.
pub fn daily_digest(name: &str, address: &str, figures: &DayFigures) -> OutgoingMail {
    let day = figures.day.format("%d/%m/%Y");
    let subject = format!("[SOS Khu Phố] Tình hình phản ánh ngày {day}");
    let rows = [
        ("Phản ánh nhận được", figures.received.to_string()),
        ("Đã xử lý xong", figures.resolved.to_string()),
        (
            "Tỉ lệ tiếp nhận đúng hạn",
            percent(figures.acknowledge_on_time_rate),
        ),
        (
            "Tỉ lệ xử lý đúng hạn",
            percent(figures.resolve_on_time_rate),
        ),
        ("Đang chờ xử lý (hiện nay)", figures.open.to_string()),
        ("Trong đó quá hạn", figures.overdue.to_string()),
    ];
    let mut text = format!("Chào {name},\n\nTình hình phản ánh của phường ngày {day}:\n\n");
    let mut html = format!(
        "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><body>\
         <p>Chào {},</p><p>Tình hình phản ánh của phường ngày {day}:</p><table>",
        escape(name)
    );
    for (label, value) in &rows {
        text.push_str(&format!("{label}: {value}\n"));
        html.push_str(&format!(
            "<tr><th align=\"left\">{label}</th><td align=\"right\">{value}</td></tr>"
        ));
    }
    html.push_str("</table>");
    if !figures.late.is_empty() {
        text.push_str("\nQuá hạn lâu nhất:\n");
        html.push_str("<p>Quá hạn lâu nhất:</p><ol>");
        for report in &figures.late {
            text.push_str(&format!("- {report}\n"));
            html.push_str(&format!("<li>{}</li>", escape(report)));
        }
        html.push_str("</ol>");
    }
    text.push_str("\nXem chi tiết trên bảng điều khiển /dashboard.\n");
    html.push_str(
        "<p>Xem chi tiết trên bảng điều khiển <code>/dashboard</code>.</p></body></html>",
    );
    OutgoingMail {
        to: address.to_owned(),
        to_name: name.to_owned(),
        subject,
        text,
        html,
    }
}

/// To a person whose account was just made, when an administrator gave an address: the
/// username and the one-time password, in Vietnamese then English (the account has not chosen
/// a language yet). Only the owner's mailbox sees the password; the administrator does not.
pub fn welcome(name: &str, address: &str, username: &str, password: &str) -> OutgoingMail {
    let subject = "[SOS Khu Phố] Tài khoản của bạn / Your account".to_owned();
    let text = format!(
        "Chào {name},\n\n\
         Tài khoản SOS Khu Phố của bạn đã được tạo.\n\
         Tên đăng nhập: {username}\n\
         Mật khẩu dùng một lần: {password}\n\n\
         Lần đăng nhập đầu tiên, ứng dụng sẽ yêu cầu bạn đặt mật khẩu mới. \
         Không chia sẻ mật khẩu này với ai.\n\n\
         * * *\n\n\
         Your SOS Khu Phố account has been made.\n\
         Username: {username}\n\
         One-time password: {password}\n\n\
         At your first sign-in the app asks you to choose a new password. \
         Do not share this one with anyone.\n"
    );
    let html = format!(
        "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><body>\
         <p>Chào {name},</p><p>Tài khoản SOS Khu Phố của bạn đã được tạo.</p>\
         <p>Tên đăng nhập: <code>{username}</code><br>\
         Mật khẩu dùng một lần: <code>{password}</code></p>\
         <p>Lần đăng nhập đầu tiên, ứng dụng sẽ yêu cầu bạn đặt mật khẩu mới. \
         Không chia sẻ mật khẩu này với ai.</p><hr>\
         <p lang=\"en\">Your SOS Khu Phố account has been made.<br>\
         Username: <code>{username}</code><br>One-time password: <code>{password}</code></p>\
         <p lang=\"en\">At your first sign-in the app asks you to choose a new password. \
         Do not share this one with anyone.</p></body></html>",
        name = escape(name),
        username = escape(username),
        password = escape(password),
    );
    OutgoingMail {
        to: address.to_owned(),
        to_name: name.to_owned(),
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_text_is_escaped_in_html() {
        assert_eq!(
            escape("<b>\"Tom & Jerry's\"</b>"),
            "&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;"
        );
    }
}
