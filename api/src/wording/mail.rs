//! The service's letters, as HTML and plain text: to the outside companies of a ward (in
//! Vietnamese), to people who chose mail and the leaders' morning digest (in the language of
//! the account), and the welcome of a new account (in both).

use crate::i18n::Lang;
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
/// a ward: what, where, and that the ward's department stays in charge. Always in Vietnamese:
/// these are Vietnamese companies written to by a Vietnamese ward, with no account that could
/// choose another language.
pub fn agency_notice(
    report: &report::Model,
    agency: &department::Model,
    ward: &ward::Model,
    neighborhood: Option<&neighborhood::Model>,
    address: &str,
) -> OutgoingMail {
    let kind = report.subcategory.label(Lang::Vi);
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

/// The words of a letter to a person that are not theirs nor a report's, in each language.
struct Phrases {
    hello: &'static str,
    report_id: &'static str,
    why_inbox_mail: &'static str,
    digest_subject: &'static str,
    digest_intro: &'static str,
    received: &'static str,
    resolved: &'static str,
    acknowledged_on_time: &'static str,
    resolved_on_time: &'static str,
    open: &'static str,
    overdue: &'static str,
    most_overdue: &'static str,
    dashboard: &'static str,
}

const VI: Phrases = Phrases {
    hello: "Chào",
    report_id: "Mã phản ánh",
    why_inbox_mail: "Bạn nhận thư này vì đã chọn nhận thông báo qua e-mail trong SOS Khu Phố; \
                     có thể tắt trong phần cài đặt thông báo.",
    digest_subject: "Tình hình phản ánh ngày",
    digest_intro: "Tình hình phản ánh của phường ngày",
    received: "Phản ánh nhận được",
    resolved: "Đã xử lý xong",
    acknowledged_on_time: "Tỉ lệ tiếp nhận đúng hạn",
    resolved_on_time: "Tỉ lệ xử lý đúng hạn",
    open: "Đang chờ xử lý (hiện nay)",
    overdue: "Trong đó quá hạn",
    most_overdue: "Quá hạn lâu nhất:",
    dashboard: "Xem chi tiết trên bảng điều khiển",
};

const EN: Phrases = Phrases {
    hello: "Hello",
    report_id: "Report ID",
    why_inbox_mail: "You get this letter because you chose e-mail notifications in SOS Khu Phố; \
                     you can turn them off in your notification settings.",
    digest_subject: "Ward reports for",
    digest_intro: "Reports in your ward on",
    received: "Reports received",
    resolved: "Reports resolved",
    acknowledged_on_time: "Acknowledged on time",
    resolved_on_time: "Resolved on time",
    open: "Waiting to be handled (now)",
    overdue: "Of which overdue",
    most_overdue: "Most overdue:",
    dashboard: "See the details on the dashboard",
};

fn phrases(lang: Lang) -> &'static Phrases {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// To a head or leader who chose mail: their inbox entry, as a letter in their language (the
/// title and body given are already in it).
pub fn inbox_notice(
    lang: Lang,
    name: &str,
    address: &str,
    title: &str,
    body: &str,
    report: Uuid,
) -> OutgoingMail {
    let words = phrases(lang);
    let subject = format!("[SOS Khu Phố] {title}");
    let text = format!(
        "{hello} {name},\n\n{body}\n\n{report_id}: {report}\n\n{why}\n",
        hello = words.hello,
        report_id = words.report_id,
        why = words.why_inbox_mail,
    );
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><meta charset=\"utf-8\"><body>\
         <p>{hello} {name},</p><p><strong>{title}</strong></p><p>{body}</p>\
         <p>{report_id}: {report}</p>\
         <p><small>{why}</small></p></body></html>",
        hello = words.hello,
        report_id = words.report_id,
        why = words.why_inbox_mail,
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

/// A rate as each language writes it: `87,5 %` in Vietnamese, `87.5%` in English; a dash when
/// nothing was decided.
fn percent(lang: Lang, rate: Option<f64>) -> String {
    rate.map_or("–".to_owned(), |r| match lang {
        Lang::Vi => format!("{:.1} %", r * 100.0).replace('.', ","),
        Lang::En => format!("{:.1}%", r * 100.0),
    })
}

/// A day as each language writes it: `09/03/2026`; `9 March 2026`, since English readers may
/// take 09/03 for the 3rd of September.
fn date(lang: Lang, day: NaiveDate) -> String {
    match lang {
        Lang::Vi => day.format("%d/%m/%Y").to_string(),
        Lang::En => day.format("%-d %B %Y").to_string(),
    }
}

/// To a ward leader each morning, in their language: the day before in their ward.
pub fn daily_digest(lang: Lang, name: &str, address: &str, figures: &DayFigures) -> OutgoingMail {
    let words = phrases(lang);
    let day = date(lang, figures.day);
    let subject = format!("[SOS Khu Phố] {} {day}", words.digest_subject);
    let rows = [
        (words.received, figures.received.to_string()),
        (words.resolved, figures.resolved.to_string()),
        (
            words.acknowledged_on_time,
            percent(lang, figures.acknowledge_on_time_rate),
        ),
        (
            words.resolved_on_time,
            percent(lang, figures.resolve_on_time_rate),
        ),
        (words.open, figures.open.to_string()),
        (words.overdue, figures.overdue.to_string()),
    ];
    let mut text = format!(
        "{} {name},\n\n{} {day}:\n\n",
        words.hello, words.digest_intro
    );
    let mut html = format!(
        "<!doctype html><html lang=\"{lang}\"><meta charset=\"utf-8\"><body>\
         <p>{} {},</p><p>{} {day}:</p><table>",
        words.hello,
        escape(name),
        words.digest_intro,
    );
    for (label, value) in &rows {
        text.push_str(&format!("{label}: {value}\n"));
        html.push_str(&format!(
            "<tr><th align=\"left\">{label}</th><td align=\"right\">{value}</td></tr>"
        ));
    }
    html.push_str("</table>");
    if !figures.late.is_empty() {
        text.push_str(&format!("\n{}\n", words.most_overdue));
        html.push_str(&format!("<p>{}</p><ol>", words.most_overdue));
        for report in &figures.late {
            text.push_str(&format!("- {report}\n"));
            html.push_str(&format!("<li>{}</li>", escape(report)));
        }
        html.push_str("</ol>");
    }
    text.push_str(&format!("\n{} /dashboard.\n", words.dashboard));
    html.push_str(&format!(
        "<p>{} <code>/dashboard</code>.</p></body></html>",
        words.dashboard
    ));
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
    fn figures_are_written_the_way_each_language_writes_them() {
        assert_eq!(percent(Lang::Vi, Some(0.875)), "87,5 %");
        assert_eq!(percent(Lang::En, Some(0.875)), "87.5%");
        let day = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(date(Lang::Vi, day), "09/03/2026");
        assert_eq!(date(Lang::En, day), "9 March 2026");
    }

    #[test]
    fn report_text_is_escaped_in_html() {
        assert_eq!(
            escape("<b>\"Tom & Jerry's\"</b>"),
            "&lt;b&gt;&quot;Tom &amp; Jerry&#39;s&quot;&lt;/b&gt;"
        );
    }
}
