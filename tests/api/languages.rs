//! The app's language everywhere: answers follow `Accept-Language` (and say so in
//! `Content-Language` and `Vary`); pushes and letters follow the language the phone or the
//! account registered.

use crate::preferences::{choose, with_smtp};
use crate::push::{wait_for, with_fcm};
use reqwest::Method;
use sea_orm::{ActiveModelTrait, Set};
use serde_json::{Value, json};
use sos_store::entities::notification;
use sos_tests::smtp::decode_header;
use sos_tests::{TestApp, TestResponse};
use uuid::Uuid;

/// `GET path` as someone whose phone asks for `accept_language`.
async fn get_in(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    accept_language: &str,
) -> TestResponse {
    let mut request = app
        .client
        .get(app.url(path))
        .header("accept-language", accept_language);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    app.send(Method::GET, path, request).await
}

fn varies_by_language(response: &TestResponse) -> bool {
    response
        .headers
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|name| name.trim().eq_ignore_ascii_case("accept-language"))
}

fn subcategory<'a>(taxonomy: &'a Value, code: &str) -> &'a Value {
    taxonomy["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["subcategories"].as_array().unwrap())
        .find(|s| s["code"] == code)
        .unwrap_or_else(|| panic!("no subcategory {code}"))
}

#[tokio::test]
async fn the_taxonomy_is_in_english_when_the_phone_asks_for_it() {
    let app = TestApp::spawn().await;
    let english = get_in(&app, "/v1/taxonomy", None, "en-GB,en;q=0.9").await;
    assert_eq!(english.status, 200);
    assert_eq!(english.header("content-language"), Some("en"));
    assert!(varies_by_language(&english), "{:?}", english.headers);
    assert_eq!(english.body["categories"][0]["label"], "Infrastructure");
    let streetlight = subcategory(&english.body, "streetlight");
    assert_eq!(streetlight["label"], "Street lighting");
    assert_eq!(
        streetlight["description"],
        "Street lights that are off, flickering or on during the day."
    );
    let statuses = english.body["statuses"].as_array().unwrap();
    assert!(statuses.contains(&json!({"code": "in_progress", "label": "In progress"})));

    let vietnamese = get_in(&app, "/v1/taxonomy", None, "vi-VN").await;
    assert_eq!(vietnamese.header("content-language"), Some("vi"));
    assert!(varies_by_language(&vietnamese));
    assert_eq!(vietnamese.body["categories"][0]["label"], "Hạ tầng");
    let đèn = subcategory(&vietnamese.body, "streetlight");
    assert_eq!(đèn["label"], "Đèn chiếu sáng công cộng");
    // Examples show what to write, and reports are written in Vietnamese.
    assert_eq!(streetlight["examples"], đèn["examples"]);
    assert_eq!(streetlight["icon"], đèn["icon"]);
    // Codes never change with the language.
    assert_eq!(
        english.body["statuses"].as_array().unwrap().len(),
        statuses.len()
    );

    // No preference: Vietnamese.
    let default = app.request(Method::GET, "/v1/taxonomy", None, None).await;
    assert_eq!(default.body, vietnamese.body);

    // A phone switched to Vietnamese does not keep its English copy: the tags differ, and
    // an unchanged answer (304) still says that it depends on the language.
    let english_tag = english.header("etag").expect("tagged").to_owned();
    let switched = app
        .client
        .get(app.url("/v1/taxonomy"))
        .header("accept-language", "vi")
        .header("if-none-match", &english_tag);
    let switched = app.send(Method::GET, "/v1/taxonomy", switched).await;
    assert_eq!(switched.status, 200);
    assert_eq!(switched.body, vietnamese.body);
    let unchanged = app
        .client
        .get(app.url("/v1/taxonomy"))
        .header("accept-language", "en")
        .header("if-none-match", &english_tag);
    let unchanged = app.send(Method::GET, "/v1/taxonomy", unchanged).await;
    assert_eq!(unchanged.status, 304);
    assert!(varies_by_language(&unchanged), "{:?}", unchanged.headers);
}

#[tokio::test]
async fn an_inbox_entry_reads_in_the_language_asked() {
    let app = TestApp::spawn().await;
    let head = app.token("tnp.kp1").await;
    app.file_and_resolve(
        "tnp.kp1",
        "Đèn đường hư trước nhà số 12, tối om",
        "tnp.infra",
        "Đã thay bóng đèn mới.",
    )
    .await;

    let english = get_in(&app, "/v1/notifications", Some(&head), "en").await;
    assert_eq!(english.status, 200);
    assert_eq!(english.header("content-language"), Some("en"));
    assert!(varies_by_language(&english));
    let resolved = english.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["type"] == "report.resolved")
        .cloned()
        .expect("the answer is in the inbox");
    assert_eq!(resolved["title"], "Report resolved");
    // What the department wrote is the department's words, in any language.
    assert_eq!(
        resolved["body"],
        "Outcome of report “Đèn đường hư trước nhà số 12, tối om”: Đã thay bóng đèn mới."
    );

    let vietnamese = get_in(&app, "/v1/notifications", Some(&head), "vi").await;
    let đã_xử_lý = vietnamese.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == resolved["id"])
        .cloned()
        .unwrap();
    assert_eq!(đã_xử_lý["title"], "Đã có kết quả xử lý");
    assert_eq!(
        đã_xử_lý["body"],
        "Kết quả xử lý phản ánh «Đèn đường hư trước nhà số 12, tối om»: Đã thay bóng đèn mới."
    );

    // Marking it read answers the entry in the request's language too.
    let path = format!(
        "/v1/notifications/{}/read",
        resolved["id"].as_str().unwrap()
    );
    let request = app
        .client
        .post(app.url(&path))
        .bearer_auth(&head)
        .header("accept-language", "en");
    let read = app.send(Method::POST, &path, request).await;
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body["title"], "Report resolved");

    // An entry from before the service wrote English stays readable, in Vietnamese.
    let id: Uuid = resolved["id"].as_str().unwrap().parse().unwrap();
    notification::ActiveModel {
        id: Set(id),
        title_en: Set(None),
        body_en: Set(None),
        ..Default::default()
    }
    .update(&app.db)
    .await
    .unwrap();
    let english = get_in(&app, "/v1/notifications?limit=100", Some(&head), "en").await;
    let older = english.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == resolved["id"])
        .cloned()
        .unwrap();
    assert_eq!(older["title"], "Đã có kết quả xử lý");
}

#[tokio::test]
async fn a_head_who_reads_english_gets_letters_in_english() {
    let (app, server) = with_smtp().await;
    let (status, chosen) = choose(
        &app,
        "tnp.kp1",
        json!({ "push": true, "email": true, "daily_digest": false, "language": "en",
                "event_types": ["report.resolved"], "email_address": "head.kp1@ward.example" }),
    )
    .await;
    assert_eq!(status, 200, "{chosen}");
    assert_eq!(chosen["language"], "en");
    // An app that does not send a language keeps the one chosen.
    let (_, again) = choose(
        &app,
        "tnp.kp1",
        json!({ "push": true, "email": true, "daily_digest": false,
                "event_types": ["report.resolved"], "email_address": "head.kp1@ward.example" }),
    )
    .await;
    assert_eq!(again["language"], "en");

    let id = app
        .file_and_resolve(
            "tnp.kp1",
            "Cống nghẹt bốc mùi trước chợ",
            "tnp.infra",
            "Đã nạo vét cống, hết mùi.",
        )
        .await;
    server.wait_for(1).await;
    let mail = &server.delivered()[0];
    assert_eq!(mail.to, ["head.kp1@ward.example"]);
    assert_eq!(
        decode_header(&mail.header("subject").unwrap()),
        "[SOS Khu Phố] Report resolved"
    );
    let text = mail.plain_text().unwrap();
    assert!(text.starts_with("Hello "), "{text}");
    assert!(
        text.contains(
            "Outcome of report “Cống nghẹt bốc mùi trước chợ”: Đã nạo vét cống, hết mùi."
        ),
        "{text}"
    );
    assert!(text.contains(&format!("Report ID: {id}")), "{text}");
    assert!(text.contains("notification settings"), "{text}");
    assert!(mail.data.contains("lang=3D\"en\"") || mail.data.contains("lang=\"en\""));
}

#[tokio::test]
async fn a_leader_who_reads_english_gets_the_morning_digest_in_english() {
    let (app, server) = with_smtp().await;
    let (status, _) = choose(
        &app,
        "tnp.leader",
        json!({ "push": true, "email": false, "daily_digest": true, "language": "en",
                "email_address": "leader@ward.example" }),
    )
    .await;
    assert_eq!(status, 200);
    app.file_report(
        "tnp.kp1",
        json!({ "description": "Đèn đường hư đầu hẻm 7" }),
    )
    .await;
    let today = sos_domain::rollup::local_day(chrono::Utc::now());
    let morning = sos_api::services::digest::due_at(today.succ_opt().unwrap());
    sos_api::services::digest::send_due(&app.services, morning)
        .await
        .unwrap();
    // The worker may also send the real yesterday's digest: this one is today's.
    let subject = format!(
        "[SOS Khu Phố] Ward reports for {}",
        today.format("%-d %B %Y")
    );
    let mut letter = None;
    for _ in 0..200 {
        letter = server
            .delivered()
            .into_iter()
            .find(|m| m.header("subject").map(|s| decode_header(&s)).as_ref() == Some(&subject));
        if letter.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let letter = letter.unwrap_or_else(|| panic!("no {subject:?} in {:?}", server.delivered()));
    let text = letter.plain_text().unwrap();
    assert!(text.contains("Reports received: 1"), "{text}");
    assert!(text.contains("Acknowledged on time: "), "{text}");
}

#[tokio::test]
async fn a_phone_registered_in_english_hears_english_and_the_others_their_accounts_language() {
    let (app, fcm, _key) = with_fcm().await;
    let head = app.token("tnp.kp1").await;
    let english = app
        .post(
            "/v1/devices",
            &head,
            json!({ "token": "phone-in-english", "platform": "ios", "language": "en" }),
        )
        .await;
    assert_eq!(english.status, 201, "{}", english.body);
    assert_eq!(english.body["language"], "en");
    let following = app
        .post(
            "/v1/devices",
            &head,
            json!({ "token": "phone-like-the-account", "platform": "android" }),
        )
        .await;
    assert_eq!(following.body["language"], Value::Null);

    app.file_report(
        "tnp.kp1",
        json!({ "description": "Rác tồn đọng đầu hẻm 45 ba ngày nay" }),
    )
    .await;
    wait_for(&fcm, "both phones", |f| {
        !f.messages_to("phone-in-english").is_empty()
            && !f.messages_to("phone-like-the-account").is_empty()
    })
    .await;
    let in_english = &fcm.messages_to("phone-in-english")[0];
    let in_vietnamese = &fcm.messages_to("phone-like-the-account")[0];
    assert_eq!(in_english["data"]["type"], "report.assigned");
    assert_eq!(in_english["notification"]["title"], "Sent to a department");
    assert!(
        in_english["notification"]["body"]
            .as_str()
            .unwrap()
            .starts_with("Report “Rác tồn đọng đầu hẻm 45 ba ngày nay” was sent to "),
        "{in_english}"
    );
    assert_eq!(
        in_vietnamese["notification"]["title"],
        "Đã chuyển đến đơn vị xử lý"
    );

    // The account now reads English: its phones that chose nothing follow it.
    let (status, _) = choose(
        &app,
        "tnp.kp1",
        json!({ "push": true, "email": false, "daily_digest": false, "language": "en" }),
    )
    .await;
    assert_eq!(status, 200);
    let filed = app
        .file_report(
            "tnp.kp1",
            json!({ "description": "Đèn đường hư đầu hẻm 9" }),
        )
        .await;
    let report_id = filed["id"].as_str().unwrap().to_owned();
    wait_for(&fcm, "the second report", |f| {
        f.messages_to("phone-like-the-account")
            .iter()
            .any(|m| m["data"]["report_id"] == report_id.as_str())
    })
    .await;
    let pushed = fcm
        .messages_to("phone-like-the-account")
        .into_iter()
        .find(|m| m["data"]["report_id"] == report_id.as_str())
        .unwrap();
    assert_eq!(pushed["notification"]["title"], "Sent to a department");
    assert_eq!(fcm.problems(), Vec::<String>::new());
    app.stop().await;
}

#[tokio::test]
async fn a_language_the_service_does_not_speak_is_refused() {
    let app = TestApp::spawn().await;
    let head = app.token("tnp.kp1").await;
    let refused = app
        .put(
            "/v1/me/preferences",
            &head,
            json!({ "push": true, "email": false, "daily_digest": false, "language": "fr" }),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["errors"][0]["field"], "/language");
    let refused = app
        .post(
            "/v1/devices",
            &head,
            json!({ "token": "a-phone", "platform": "android", "language": "EN" }),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.body["errors"][0]["field"], "/language");
    // Nothing was changed.
    let preferences = app.get("/v1/me/preferences", &head).await;
    assert_eq!(preferences.body["language"], "vi");
}
