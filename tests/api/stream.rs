use reqwest::Method;
use serde_json::json;
use sos_tests::{EventReader, TestApp, engine};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

async fn open_stream(app: &TestApp, token: &str, last_event_id: Option<&str>) -> EventReader {
    let mut request = app.client.get(app.url("/v1/stream")).bearer_auth(token);
    if let Some(id) = last_event_id {
        request = request.header("last-event-id", id);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    EventReader::new(response)
}

#[tokio::test]
async fn the_head_hears_each_step_live_and_catches_up_after_a_reconnection() {
    let app = TestApp::spawn().await;
    let head = app.token("tnp.kp1").await;
    let mut live = open_stream(&app, &head, None).await;
    let report = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu truoc nha so 12, toi om"}),
        )
        .await;
    let id = report["id"].as_str().unwrap();

    let assigned = live.next(WAIT).await.expect("assigned");
    assert_eq!(assigned.event, "report.assigned");
    assert_eq!(assigned.data["report_id"], report["id"]);
    assert_eq!(assigned.id, assigned.data["id"].as_str().unwrap());

    app.act("tnp.infra", id, json!({"action": "acknowledge"}))
        .await;
    assert_eq!(
        live.next(WAIT).await.expect("acknowledged").event,
        "report.acknowledged"
    );

    // The phone loses its connection; meanwhile the department works on.
    drop(live);
    app.act("tnp.infra", id, json!({"action": "start"})).await;
    app.act(
        "tnp.infra",
        id,
        json!({"action": "resolve", "response": "Đã thay bóng đèn."}),
    )
    .await;
    let mut again = open_stream(&app, &head, Some(&assigned.id)).await;
    let replayed: Vec<String> = [
        again.next(WAIT).await.expect("1"),
        again.next(WAIT).await.expect("2"),
        again.next(WAIT).await.expect("3"),
    ]
    .into_iter()
    .map(|e| e.event)
    .collect();
    assert_eq!(
        replayed,
        [
            "report.acknowledged",
            "report.in_progress",
            "report.resolved"
        ]
    );
    assert!(
        again.next(Duration::from_millis(300)).await.is_none(),
        "nothing twice"
    );

    // Another neighborhood's head hears none of it.
    let mut other = open_stream(&app, &app.token("tnp.kp2").await, None).await;
    app.act(
        "tnp.kp1",
        id,
        json!({"action": "comment", "text": "Cảm ơn phường"}),
    )
    .await;
    assert!(other.next(Duration::from_millis(500)).await.is_none());
}

#[tokio::test]
async fn the_stream_needs_a_signed_in_user() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::GET, "/v1/stream", None, None).await;
    assert_eq!(response.status, 401);
}

/// A change committed on one replica reaches a reader connected to another. On PostgreSQL this
/// goes through LISTEN/NOTIFY; the embedded SQLite mode is one process with no second replica
/// to reach, so there the test has nothing to check.
#[tokio::test]
async fn a_change_on_one_replica_reaches_readers_of_another() {
    if engine() != "postgres" {
        return;
    }
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let head = a.token("tnp.kp3").await;
    let mut on_b = open_stream(&b, &head, None).await;
    let report = a
        .file_report("tnp.kp3", json!({"description": "den duong hu"}))
        .await;
    let event = on_b.next(WAIT).await.expect("event from the other replica");
    assert_eq!(event.event, "report.assigned");
    assert_eq!(event.data["report_id"], report["id"]);
}

#[tokio::test]
async fn stopping_the_service_ends_open_streams_instead_of_waiting_for_them() {
    let app = TestApp::spawn_with(|s| s.shutdown_grace = Duration::from_secs(60)).await;
    let mut reader = open_stream(&app, &app.token("tnp.kp1").await, None).await;
    let started = std::time::Instant::now();
    app.stop().await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "shutdown waited {:?}",
        started.elapsed()
    );
    assert!(reader.next(Duration::from_secs(2)).await.is_none());
}
