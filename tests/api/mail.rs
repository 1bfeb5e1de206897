//! E-mail to outside companies: a report of their kind routed in a ward reaches them through
//! a real SMTP conversation, in Vietnamese, with UTF-8 headers encoded as mail requires.

use serde_json::{Value, json};
use sos_tests::TestApp;
use sos_tests::smtp::{SmtpServer, decode_header};
use std::time::Duration;

#[tokio::test]
async fn the_power_company_hears_of_a_fallen_cable_by_mail() {
    let server = SmtpServer::start().await;
    let url = server.url.clone();
    let app = TestApp::spawn_with(|settings| {
        settings.smtp_url = Some(url);
        settings.delivery_interval = Duration::from_millis(50);
    })
    .await;
    let report = app
        .file_report(
            "tnp.kp1",
            json!({"description": "Dây điện bị đứt rơi xuống đường trước nhà số 5 <nguy hiểm>", "address": "Hẻm 12 Lê Văn Việt"}),
        )
        .await;
    assert_eq!(report["subcategory"], "power_lines");
    server.wait_for(1).await;
    let mail = &server.delivered()[0];
    assert_eq!(mail.to, ["dienluc.tnp@example.com"]);
    let subject = mail.header("subject").unwrap();
    assert!(
        subject.is_ascii() && subject.contains("=?"),
        "encoded: {subject}"
    );
    assert_eq!(
        decode_header(&subject),
        "[SOS Khu Phố] Điện, cáp tại Khu phố 1, Phường Tăng Nhơn Phú"
    );
    let to = decode_header(&mail.header("to").unwrap());
    assert!(to.contains("Công ty Điện lực (khu vực)"), "{to}");
    assert!(decode_header(&mail.header("from").unwrap()).starts_with("SOS Khu Phố"));
    assert!(
        mail.header("content-type")
            .unwrap()
            .starts_with("multipart/alternative")
    );
    assert!(mail.data.contains("text/plain") && mail.data.contains("text/html"));
    // The report's own text is escaped in the HTML part.
    assert!(mail.data.contains("&lt;nguy hi"), "escaped in HTML");

    // The delivery is recorded, its id in the Message-ID.
    let admin = app.token("admin").await;
    let sent = app.get("/v1/deliveries?status=sent", &admin).await;
    let delivery = sent.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["channel"] == "email")
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(delivery["recipient"], "dienluc.tnp@example.com");
    assert_eq!(
        mail.header("message-id").unwrap(),
        format!("<{}@sos-khu-pho>", delivery["id"].as_str().unwrap())
    );

    // A streetlight is the ward's own business: no company is written to.
    app.file_report(
        "tnp.kp2",
        json!({"description": "den duong hu truoc nha so 9"}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.delivered().len(), 1);
}

#[tokio::test]
async fn without_an_smtp_server_mail_is_kept_in_a_folder() {
    let folder = std::env::temp_dir().join(format!("sos-mail-{}", uuid::Uuid::new_v4().simple()));
    let data_dir = folder.clone();
    let app = TestApp::spawn_with(move |settings| {
        settings.smtp_url = None;
        settings.data_dir = data_dir;
        settings.delivery_interval = Duration::from_millis(50);
    })
    .await;
    let report = app
        .file_report(
            "tnp.kp3",
            json!({"description": "mat nuoc may ca ngay, nuoc sinh hoat khong co"}),
        )
        .await;
    assert_eq!(report["subcategory"], "water_supply");
    let id = report["id"].as_str().unwrap();
    for _ in 0..200 {
        let written: Vec<String> = std::fs::read_dir(folder.join("mail"))
            .map(|entries| {
                entries
                    .flatten()
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(mail) = written.iter().find(|m| m.contains(id)) {
            assert!(mail.contains("To: =?utf-8?") || mail.contains("capnuoc.tnp@example.com"));
            assert!(mail.contains("capnuoc.tnp@example.com"));
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no mail for {id} in {}", folder.display());
}
