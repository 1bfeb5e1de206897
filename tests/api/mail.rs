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

/// A delivery queued as the service would, but with what the service should never have
/// written: it must fail on its own and leave the others alone.
fn poisoned_letter(
    ward_id: uuid::Uuid,
    payload: String,
    recipient: &str,
) -> sos_store::entities::outbox::Model {
    let now = chrono::Utc::now();
    sos_store::entities::outbox::Model {
        id: uuid::Uuid::now_v7(),
        channel: sos_domain::delivery::DeliveryChannel::Email.into(),
        ward_id,
        subscription_id: None,
        recipient: Some(recipient.to_owned()),
        event_id: uuid::Uuid::nil(),
        report_id: uuid::Uuid::nil(),
        event_type: "digest.daily".to_owned(),
        payload,
        status: sos_domain::delivery::DeliveryStatus::Pending.into(),
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        created_at: now,
        sent_at: None,
    }
}

#[tokio::test]
async fn poisoned_letters_are_parked_and_every_other_delivery_still_goes_out() {
    let server = SmtpServer::start().await;
    let url = server.url.clone();
    let app = TestApp::spawn_with(|settings| {
        settings.smtp_url = Some(url);
        settings.delivery_interval = Duration::from_millis(50);
        settings.delivery_retry_base = Duration::from_millis(50);
        settings.delivery_max_attempts = 2;
    })
    .await;
    let ward: uuid::Uuid = app.ward_id("tnp.leader").await.parse().unwrap();
    let letter = |to: &str, to_name: &str| {
        json!({"to": to, "to_name": to_name, "subject": "Thư", "text": "Nội dung", "html": "<p>Nội dung</p>"})
            .to_string()
    };
    let bad_address = poisoned_letter(ward, letter("not an address", "Ai đó"), "not an address");
    let unreadable = poisoned_letter(ward, "{\"to\": ".to_owned(), "x@example.com");
    // A name a panel should have refused: its line break must not become a header.
    let injected = poisoned_letter(
        ward,
        letter("dienluc.tnp@example.com", "Dien luc\r\nX-Injected: 1"),
        "dienluc.tnp@example.com",
    );
    sos_store::outbox::insert(
        &app.db,
        &[bad_address.clone(), unreadable.clone(), injected],
    )
    .await
    .unwrap();
    // Meanwhile, a report is routed: its letter to the power company goes out as usual.
    let report = app
        .file_report(
            "tnp.kp1",
            json!({"description": "Dây điện bị đứt rơi xuống đường trước nhà số 5"}),
        )
        .await;
    assert_eq!(report["subcategory"], "power_lines");
    server.wait_for(2).await;
    let delivered = server.delivered();
    assert!(
        delivered
            .iter()
            .all(|m| !m.data.contains("\r\nX-Injected:")),
        "no header was injected"
    );
    let id = report["id"].as_str().unwrap();
    assert!(
        delivered
            .iter()
            .any(|m| m.plain_text().is_some_and(|text| text.contains(id)))
    );

    let admin = app.token("admin").await;
    let mut dead = Vec::new();
    for _ in 0..200 {
        dead = app.get("/v1/deliveries?status=dead", &admin).await.body["items"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if dead.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(dead.len(), 2, "{dead:?}");
    for (poisoned, why) in [
        (&bad_address, "cannot build the message"),
        (&unreadable, "unreadable message"),
    ] {
        let parked = dead
            .iter()
            .find(|d| d["id"] == poisoned.id.to_string())
            .unwrap_or_else(|| panic!("{why}: not parked"));
        assert_eq!(parked["attempts"], 2, "retried first");
        assert!(
            parked["last_error"].as_str().unwrap().contains(why),
            "{parked:?}"
        );
    }
}
