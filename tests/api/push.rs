//! Mobile push through Firebase Cloud Messaging's HTTP v1 API, against a local server that
//! checks every request as Google's documentation describes it (`sos_tests::fcm`).

use serde_json::{Value, json};
use sos_store::entities::device;
use sos_tests::TestApp;
use sos_tests::fcm::FakeFcm;
use std::time::Duration;

pub(crate) async fn with_fcm() -> (TestApp, FakeFcm, tempfile_path::KeyFile) {
    let fcm = FakeFcm::start().await;
    let key = tempfile_path::KeyFile::write(&fcm.service_account());
    let path = key.0.clone();
    let endpoint = fcm.url.clone();
    let app = TestApp::spawn_with(move |s| {
        s.fcm_service_account = Some(path);
        s.fcm_endpoint = endpoint;
        s.delivery_interval = Duration::from_millis(50);
    })
    .await;
    (app, fcm, key)
}

/// A service-account key file that is removed when the test ends.
pub(crate) mod tempfile_path {
    pub struct KeyFile(pub std::path::PathBuf);

    impl KeyFile {
        pub fn write(text: &str) -> KeyFile {
            let path = std::env::temp_dir().join(format!("sos-fcm-{}.json", uuid::Uuid::now_v7()));
            std::fs::write(&path, text).unwrap();
            KeyFile(path)
        }
    }

    impl Drop for KeyFile {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

async fn register(app: &TestApp, who: &str, token: &str) -> (u16, Value) {
    let response = app
        .post(
            "/v1/devices",
            &app.token(who).await,
            json!({ "token": token, "platform": "android" }),
        )
        .await;
    (response.status, response.body)
}

pub(crate) async fn wait_for(fcm: &FakeFcm, what: &str, done: impl Fn(&FakeFcm) -> bool) {
    for _ in 0..200 {
        if done(fcm) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not pushed in 10 s; got {:?}", fcm.messages());
}

#[tokio::test]
async fn the_heads_phone_hears_the_wards_answer_in_vietnamese() {
    let (app, fcm, _key) = with_fcm().await;
    let (status, device) = register(&app, "tnp.kp1", "head-phone-1").await;
    assert_eq!(status, 201, "{device}");
    assert_eq!(device["platform"], "android");
    assert_eq!(
        register(&app, "tnp.kp1", "head-phone-1").await.0,
        200,
        "again: same device"
    );

    let filed = app
        .file_report(
            "tnp.kp1",
            json!({ "description": "Đèn đường hư trước nhà số 12, tối om" }),
        )
        .await;
    let report_id = filed["id"].as_str().unwrap().to_owned();
    wait_for(&fcm, "routing", |f| {
        !f.messages_to("head-phone-1").is_empty()
    })
    .await;
    app.act(
        "tnp.infra",
        &report_id,
        json!({ "action": "resolve", "response": "Đã thay bóng đèn mới." }),
    )
    .await;
    wait_for(&fcm, "the answer", |f| {
        f.messages_to("head-phone-1")
            .iter()
            .any(|m| m["data"]["type"] == "report.resolved")
    })
    .await;
    assert_eq!(fcm.problems(), Vec::<String>::new());

    // Each push is the head's inbox entry, word for word, with what the app opens it with.
    let resolved = app.inbox_entry("tnp.kp1", "report.resolved").await;
    let pushed = fcm
        .messages_to("head-phone-1")
        .into_iter()
        .find(|m| m["data"]["type"] == "report.resolved")
        .unwrap();
    assert_eq!(pushed["notification"]["title"], resolved["title"]);
    assert_eq!(pushed["notification"]["body"], resolved["body"]);
    assert!(
        resolved["title"]
            .as_str()
            .unwrap()
            .contains("Đã có kết quả")
            || resolved["body"]
                .as_str()
                .unwrap()
                .contains("Đã thay bóng đèn"),
        "Vietnamese text: {resolved}"
    );
    assert_eq!(pushed["data"]["report_id"], report_id.as_str());
    assert_eq!(pushed["data"]["notification_id"], resolved["id"]);
    assert!(pushed["data"]["delivery_id"].is_string());
    // One sign-in to Google served every message: the access token is kept.
    assert!(fcm.messages().len() >= 2);
    assert_eq!(fcm.tokens_issued(), 1);
    // Nothing the head may not see reaches their phone.
    assert!(
        fcm.messages_to("head-phone-1")
            .iter()
            .all(|m| m["data"]["report_id"] == report_id.as_str())
    );
    app.stop().await;
}

#[tokio::test]
async fn a_token_fcm_no_longer_knows_is_forgotten_and_others_keep_theirs() {
    let (app, fcm, _key) = with_fcm().await;
    register(&app, "tnp.kp1", "old-phone").await;
    register(&app, "tnp.kp1", "new-phone").await;
    fcm.unregister("old-phone");
    app.file_report(
        "tnp.kp1",
        json!({ "description": "Rác tồn đọng đầu hẻm 45 ba ngày nay" }),
    )
    .await;
    wait_for(&fcm, "the new phone", |f| {
        !f.messages_to("new-phone").is_empty()
    })
    .await;
    let mut forgotten = false;
    for _ in 0..100 {
        let tokens: Vec<String> = <device::Entity as sea_orm::EntityTrait>::find()
            .all(&app.db)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.token)
            .collect();
        if !tokens.contains(&"old-phone".to_owned()) {
            assert!(tokens.contains(&"new-phone".to_owned()));
            forgotten = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(forgotten, "the unregistered token is removed");
    // Its delivery is dead at once, not retried; the admin sees it without the whole token.
    let admin = app.token("admin").await;
    let dead = app.get("/v1/deliveries?status=dead", &admin).await;
    let items = dead.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", dead.body);
    assert_eq!(items[0]["channel"], "push");
    assert_eq!(items[0]["attempts"], 1);
    assert_eq!(items[0]["recipient"], "…-phone");
    assert!(
        items[0]["last_error"]
            .as_str()
            .unwrap()
            .contains("UNREGISTERED")
    );
    assert!(fcm.messages_to("old-phone").is_empty());
    assert_eq!(fcm.problems(), Vec::<String>::new());
    app.stop().await;
}

#[tokio::test]
async fn devices_belong_to_whoever_registered_them_last() {
    let (app, fcm, _key) = with_fcm().await;
    let head = app.token("tnp.kp1").await;
    // Bad input is refused, and explained.
    for body in [
        json!({ "token": "", "platform": "android" }),
        json!({ "token": "has space", "platform": "android" }),
        json!({ "token": "ok", "platform": "symbian" }),
        json!({ "token": "ok" }),
    ] {
        let refused = app.post("/v1/devices", &head, body.clone()).await;
        assert_eq!(refused.status, 422, "{body}: {}", refused.body);
        assert_eq!(
            refused.header("content-type"),
            Some("application/problem+json")
        );
    }
    // The phone is handed from one head to another: it follows its new user.
    assert_eq!(register(&app, "tnp.kp1", "shared-phone").await.0, 201);
    assert_eq!(register(&app, "tnp.kp2", "shared-phone").await.0, 200);
    // The first head can no longer remove it; the second can, once.
    let not_theirs = app.delete("/v1/devices/shared-phone", &head).await;
    assert_eq!(not_theirs.status, 404);
    app.file_report(
        "tnp.kp1",
        json!({ "description": "Cống nghẹt, nước tràn ra đường" }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        fcm.messages_to("shared-phone").is_empty(),
        "the first head's news no longer goes to the phone"
    );
    // A head who turned pushes off hears nothing on their phone, though the inbox has it.
    let second = app.token("tnp.kp2").await;
    let quiet = app
        .put(
            "/v1/me/preferences",
            &second,
            json!({ "push": false, "email": false, "daily_digest": false }),
        )
        .await;
    assert_eq!(quiet.status, 200);
    app.file_report(
        "tnp.kp2",
        json!({ "description": "Lấn chiếm vỉa hè bán hàng" }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(fcm.messages_to("shared-phone").is_empty());
    assert!(!app.inbox_types("tnp.kp2").await.is_empty());
    let removed = app.delete("/v1/devices/shared-phone", &second).await;
    assert_eq!(removed.status, 204);
    let again = app.delete("/v1/devices/shared-phone", &second).await;
    assert_eq!(again.status, 404);
    app.stop().await;
}
