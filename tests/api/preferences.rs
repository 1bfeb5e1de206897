//! What each person hears beyond their inbox: their choices, the letters of those who opted
//! in, and the ward leader's morning digest, through a real SMTP conversation.

use chrono::Utc;
use serde_json::{Value, json};
use sos_tests::TestApp;
use sos_tests::smtp::{SmtpServer, decode_header};
use std::time::Duration;

pub(crate) async fn with_smtp() -> (TestApp, SmtpServer) {
    let server = SmtpServer::start().await;
    let url = server.url.clone();
    let app = TestApp::spawn_with(|s| {
        s.smtp_url = Some(url);
        s.delivery_interval = Duration::from_millis(50);
    })
    .await;
    (app, server)
}

pub(crate) async fn choose(app: &TestApp, who: &str, preferences: Value) -> (u16, Value) {
    let token = app.token(who).await;
    let response = app.put("/v1/me/preferences", &token, preferences).await;
    (response.status, response.body)
}

#[tokio::test]
async fn preferences_start_from_sensible_defaults_and_refuse_what_cannot_work() {
    let app = TestApp::spawn().await;
    let head = app
        .get("/v1/me/preferences", &app.token("tnp.kp1").await)
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(
        head.body,
        json!({ "push": true, "email": false, "daily_digest": false, "event_types": [],
                "email_address": null, "language": "vi" })
    );
    let leader = app
        .get("/v1/me/preferences", &app.token("tnp.leader").await)
        .await;
    assert_eq!(
        leader.body["daily_digest"], true,
        "leaders get the morning digest"
    );
    for (body, field) in [
        (
            json!({ "push": true, "email": true, "daily_digest": false }),
            "/email_address",
        ),
        (
            json!({ "push": true, "email": true, "daily_digest": false, "email_address": "not an address" }),
            "/email_address",
        ),
        (
            json!({ "push": true, "email": false, "daily_digest": false, "event_types": ["report.exploded"] }),
            "",
        ),
    ] {
        let (status, problem) = choose(&app, "tnp.kp1", body.clone()).await;
        assert!(status == 422 || status == 400, "{body}: {status} {problem}");
        if !field.is_empty() {
            assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        }
    }
    let (status, chosen) = choose(
        &app,
        "tnp.kp1",
        json!({ "push": false, "email": true, "daily_digest": false,
                "event_types": ["report.resolved"], "email_address": "  kp1@phuong.example  " }),
    )
    .await;
    assert_eq!(status, 200, "{chosen}");
    let read = app
        .get("/v1/me/preferences", &app.token("tnp.kp1").await)
        .await;
    assert_eq!(read.body, chosen);
    assert_eq!(read.body["email_address"], "kp1@phuong.example");
    assert_eq!(read.body["event_types"], json!(["report.resolved"]));
}

#[tokio::test]
async fn a_head_who_chose_mail_gets_the_answer_and_only_what_they_chose() {
    let (app, server) = with_smtp().await;
    let (status, _) = choose(
        &app,
        "tnp.kp1",
        json!({ "push": true, "email": true, "daily_digest": false,
                "event_types": ["report.resolved"], "email_address": "truong.kp1@phuong.example" }),
    )
    .await;
    assert_eq!(status, 200);
    let id = app
        .file_and_resolve(
            "tnp.kp1",
            "Cống nghẹt bốc mùi trước chợ",
            "tnp.infra",
            "Đã nạo vét cống, hết mùi.",
        )
        .await;
    server.wait_for(1).await;
    // The routing was not chosen: only the answer arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delivered = server.delivered();
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let mail = &delivered[0];
    assert_eq!(mail.to, ["truong.kp1@phuong.example"]);
    let subject = decode_header(&mail.header("subject").unwrap());
    assert!(subject.starts_with("[SOS Khu Phố] "), "{subject}");
    let resolved = app.inbox_entry("tnp.kp1", "report.resolved").await;
    assert_eq!(
        subject,
        format!("[SOS Khu Phố] {}", resolved["title"].as_str().unwrap())
    );
    let text = mail.plain_text().unwrap();
    assert!(text.contains(resolved["body"].as_str().unwrap()), "{text}");
    assert!(text.contains(&id), "{text}");
    // Another head who chose nothing gets no mail.
    assert!(
        delivered
            .iter()
            .all(|m| m.to == ["truong.kp1@phuong.example"])
    );
}

#[tokio::test]
async fn the_ward_leader_reads_yesterday_in_the_morning_once() {
    let (app, server) = with_smtp().await;
    let (status, _) = choose(
        &app,
        "tnp.leader",
        json!({ "push": true, "email": false, "daily_digest": true,
                "email_address": "lanh.dao@phuong.example" }),
    )
    .await;
    assert_eq!(status, 200);
    for text in ["Đèn đường hư đầu hẻm 7", "Rác tồn đọng ở chợ ba ngày"] {
        app.file_report("tnp.kp1", json!({ "description": text }))
            .await;
    }
    // The morning after today, in Ho Chi Minh City.
    let today = sos_domain::rollup::local_day(Utc::now());
    let morning = sos_api::services::digest::due_at(today.succ_opt().unwrap());
    let before = morning - chrono::Duration::minutes(1);
    assert_eq!(
        sos_api::services::digest::send_due(&app.services, before)
            .await
            .unwrap(),
        0,
        "not before 07:00"
    );
    // Two replicas at the same minute: one letter.
    let other = app.replica().await;
    let (a, b) = tokio::join!(
        sos_api::services::digest::send_due(&app.services, morning),
        sos_api::services::digest::send_due(&other.services, morning)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(
        sos_api::services::digest::send_due(&app.services, morning)
            .await
            .unwrap(),
        0
    );
    // The service's own worker also sends the real yesterday's digest when the suite runs
    // after 07:00 in Ho Chi Minh City; the letter this test drove is the one for `today`.
    let subject = format!(
        "[SOS Khu Phố] Tình hình phản ánh ngày {}",
        today.format("%d/%m/%Y")
    );
    let for_today = || {
        server
            .delivered()
            .into_iter()
            .filter(|m| {
                m.to == ["lanh.dao@phuong.example"]
                    && m.header("subject").map(|s| decode_header(&s)).as_ref() == Some(&subject)
            })
            .collect::<Vec<_>>()
    };
    for _ in 0..200 {
        if !for_today().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delivered = for_today();
    assert_eq!(delivered.len(), 1, "{:?}", server.delivered());
    let mail = &delivered[0];
    // Its figures are the summary's for that day.
    let start = sos_domain::rollup::day_start(today);
    let end = sos_domain::rollup::day_start(today.succ_opt().unwrap());
    let summary = app
        .get(
            &format!(
                "/v1/stats/summary?from={}&to={}",
                start.format("%Y-%m-%dT%H:%M:%SZ"),
                end.format("%Y-%m-%dT%H:%M:%SZ")
            ),
            &app.token("tnp.leader").await,
        )
        .await;
    assert_eq!(summary.body["received"], 2);
    let text = mail.plain_text().unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"Phản ánh nhận được: 2"), "{text}");
    let resolved = format!("Đã xử lý xong: {}", summary.body["resolved"]);
    assert!(lines.contains(&resolved.as_str()), "{text}");
    assert!(lines.contains(&"Đang chờ xử lý (hiện nay): 2"), "{text}");
    other.stop().await;
    app.stop().await;
}
