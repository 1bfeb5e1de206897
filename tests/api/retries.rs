//! A phone on a bad network sends a write again when it lost the answer: with the same
//! `Idempotency-Key` it gets the first answer and nothing happens twice, on any replica.

use reqwest::Method;
use serde_json::{Value, json};
use sos_tests::{TestApp, TestResponse};

/// Sends `body` to `path` as `token`'s account, with `key` as its `Idempotency-Key`.
async fn keyed(app: &TestApp, path: &str, token: &str, key: &str, body: Value) -> TestResponse {
    let request = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&body);
    app.send(Method::POST, path, request).await
}

async fn report_of(app: &TestApp) -> String {
    let report = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu o hem 9, toi om"}),
        )
        .await;
    report["id"].as_str().unwrap().to_owned()
}

/// The types of the events on a report's timeline, oldest first, as its department reads it.
async fn timeline(app: &TestApp, report_id: &str) -> Vec<String> {
    let detail = app
        .get(
            &format!("/v1/reports/{report_id}"),
            &app.token("tnp.infra").await,
        )
        .await;
    detail.body["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

fn count(events: &[String], kind: &str) -> usize {
    events.iter().filter(|e| *e == kind).count()
}

#[tokio::test]
async fn a_resent_action_gets_the_first_answer_and_happens_once() {
    let app = TestApp::spawn().await;
    let report_id = report_of(&app).await;
    let token = app.token("tnp.infra").await;
    let path = format!("/v1/reports/{report_id}/actions");
    let acknowledge = json!({"action": "acknowledge"});

    let first = keyed(&app, &path, &token, "ack-1", acknowledge.clone()).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert!(first.header("idempotent-replayed").is_none());
    let again = keyed(&app, &path, &token, "ack-1", acknowledge.clone()).await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert_eq!(again.body, first.body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(
        count(&timeline(&app, &report_id).await, "report.acknowledged"),
        1
    );

    // Without a key the same resend is what it always was: refused, the report has moved on.
    let unkeyed = app.post(&path, &token, acknowledge).await;
    assert_eq!(unkeyed.status, 409);
}

#[tokio::test]
async fn a_resent_comment_is_stored_once_and_another_under_its_key_is_refused() {
    let app = TestApp::spawn().await;
    let report_id = report_of(&app).await;
    let token = app.token("tnp.infra").await;
    let path = format!("/v1/reports/{report_id}/actions");
    let comment = json!({"action": "comment", "text": "Đã báo điện lực."});

    for _ in 0..3 {
        let sent = keyed(&app, &path, &token, "note-1", comment.clone()).await;
        assert_eq!(sent.status, 200, "{:?}", sent.body);
    }
    let other = keyed(
        &app,
        &path,
        &token,
        "note-1",
        json!({"action": "comment", "text": "Một ghi chú khác."}),
    )
    .await;
    assert_eq!(other.status, 422);
    assert_eq!(other.problem(), "idempotency-key-reused");

    let events = timeline(&app, &report_id).await;
    assert_eq!(count(&events, "report.commented"), 1, "{events:?}");
}

#[tokio::test]
async fn twins_sent_at_once_run_once_and_distinct_comments_all_land() {
    let app = TestApp::spawn().await;
    let report_id = report_of(&app).await;
    let token = app.token("tnp.infra").await;
    let path = format!("/v1/reports/{report_id}/actions");

    // Six copies of one comment, racing: one runs, the others wait for its answer.
    let twins = (0..6).map(|_| {
        keyed(
            &app,
            &path,
            &token,
            "twin",
            json!({"action": "comment", "text": "Cùng một ý kiến."}),
        )
    });
    let answers = futures_util::future::join_all(twins).await;
    for answer in &answers {
        assert_eq!(answer.status, 200, "{:?}", answer.body);
    }
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.header("idempotent-replayed").is_none())
            .count(),
        1,
        "exactly one of the twins ran"
    );

    // Six different comments at once: a comment changes nothing another depends on, so none
    // is refused as stale.
    let distinct = (0..6).map(|n| {
        app.post(
            &path,
            &token,
            json!({"action": "comment", "text": format!("Ý kiến số {n}.")}),
        )
    });
    for answer in futures_util::future::join_all(distinct).await {
        assert_eq!(answer.status, 200, "{:?}", answer.body);
    }
    let events = timeline(&app, &report_id).await;
    assert_eq!(count(&events, "report.commented"), 7, "{events:?}");
}

#[tokio::test]
async fn keys_belong_to_their_account_and_hold_across_replicas() {
    let app = TestApp::spawn().await;
    let other_replica = app.replica().await;
    let report_id = report_of(&app).await;
    let path = format!("/v1/reports/{report_id}/actions");
    let staff = app.token("tnp.infra").await;
    let leader = app.token("tnp.leader").await;

    let comment = json!({"action": "comment", "text": "Đã cử người đến."});
    let first = keyed(&app, &path, &staff, "shared-key", comment.clone()).await;
    assert_eq!(first.status, 200);
    let elsewhere = keyed(&other_replica, &path, &staff, "shared-key", comment).await;
    assert_eq!(elsewhere.status, 200);
    assert_eq!(elsewhere.header("idempotent-replayed"), Some("true"));
    assert_eq!(elsewhere.body, first.body);

    // The leader's key of the same name is theirs: their comment runs.
    let leaders = keyed(
        &app,
        &path,
        &leader,
        "shared-key",
        json!({"action": "comment", "text": "Lãnh đạo phường đã biết."}),
    )
    .await;
    assert_eq!(leaders.status, 200, "{:?}", leaders.body);
    assert!(leaders.header("idempotent-replayed").is_none());
    assert_eq!(
        count(&timeline(&app, &report_id).await, "report.commented"),
        2
    );
}

#[tokio::test]
async fn refused_requests_do_not_hold_their_key() {
    let app = TestApp::spawn().await;
    let report_id = report_of(&app).await;
    let path = format!("/v1/reports/{report_id}/actions");
    let token = app.token("tnp.infra").await;
    let comment = json!({"action": "comment", "text": "Ghi chú."});

    // A key that is not one is a problem, and nothing ran.
    let bad = keyed(&app, &path, &token, &"k".repeat(256), comment.clone()).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.problem(), "bad-parameter");

    // A request not signed in is refused as always; the key stays free for the real one.
    let unsigned = keyed(&app, &path, "not-a-token", "retry-me", comment.clone()).await;
    assert_eq!(unsigned.status, 401);
    let signed = keyed(&app, &path, &token, "retry-me", comment).await;
    assert_eq!(signed.status, 200, "{:?}", signed.body);
    assert!(signed.header("idempotent-replayed").is_none());
    assert_eq!(
        count(&timeline(&app, &report_id).await, "report.commented"),
        1
    );
}

#[tokio::test]
async fn any_write_takes_a_key_a_delete_too() {
    let app = TestApp::spawn().await;
    let head = app.token("tnp.kp1").await;
    let device = json!({"token": "fcm-token-retries-1", "platform": "android"});
    let registered = keyed(&app, "/v1/devices", &head, "device-1", device.clone()).await;
    assert!(registered.status < 300, "{:?}", registered.body);

    let path = "/v1/devices/fcm-token-retries-1";
    let delete = |key: &'static str| {
        let request = app
            .client
            .delete(app.url(path))
            .bearer_auth(&head)
            .header("idempotency-key", key);
        app.send(Method::DELETE, path, request)
    };
    let first = delete("forget-device").await;
    let again = delete("forget-device").await;
    assert_eq!(again.status, first.status);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
}
