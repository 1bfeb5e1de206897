use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;
use sos_tests::{EventReader, TestApp, engine};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// A stream as a head's phone opens it: inbox entries.
async fn open_stream(app: &TestApp, token: &str, last_event_id: Option<&str>) -> EventReader {
    open(app, token, last_event_id, "Notification").await
}

/// A stream as staff and leaders open it: the events of their scope.
async fn open_news(app: &TestApp, token: &str, last_event_id: Option<&str>) -> EventReader {
    open(app, token, last_event_id, "ReportNews").await
}

async fn open(
    app: &TestApp,
    token: &str,
    last_event_id: Option<&str>,
    schema: &'static str,
) -> EventReader {
    app.stream(token, last_event_id, schema).await
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
    let mut leader_on_b = open_news(&b, &b.token("tnp.leader").await, None).await;
    let report = a
        .file_report("tnp.kp3", json!({"description": "den duong hu"}))
        .await;
    let event = on_b.next(WAIT).await.expect("event from the other replica");
    assert_eq!(event.event, "report.assigned");
    assert_eq!(event.data["report_id"], report["id"]);
    let news = leader_on_b
        .next(WAIT)
        .await
        .expect("news from the other replica");
    assert_eq!(news.data["report_id"], report["id"]);
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

/// Staff follow their department's reports, leaders their ward's, the city's leader every
/// ward's: each event once, nothing beyond what they may read, and a reconnection replays.
#[tokio::test]
async fn staff_and_leaders_follow_every_event_of_their_scope() {
    let app = TestApp::spawn().await;
    let mut infra = open_news(&app, &app.token("tnp.infra").await, None).await;
    let mut leader = open_news(&app, &app.token("tnp.leader").await, None).await;
    let mut city = open_news(&app, &app.token("city.leader").await, None).await;
    let light = app
        .file_report(
            "tnp.kp1",
            json!({"description": "Đèn đường hư trước nhà số 3"}),
        )
        .await;
    let light_id = light["id"].as_str().unwrap();
    let noise = app
        .file_report(
            "tnp.kp1",
            json!({"description": "Karaoke mở loa quá lớn sau 23 giờ, gây ồn ào"}),
        )
        .await;
    assert_ne!(noise["department"]["code"], light["department"]["code"]);
    app.act("tnp.infra", light_id, json!({"action": "acknowledge"}))
        .await;

    // Everything of the light and the noise reaches the ward's leader and the city's, in
    // order of creation, once each.
    for reader in [&mut leader, &mut city] {
        let mut seen = Vec::new();
        while let Some(event) = reader.next(Duration::from_millis(1500)).await {
            seen.push((
                event.data["report_id"].as_str().unwrap().to_owned(),
                event.event,
                event.id,
            ));
        }
        let ids: Vec<&String> = seen.iter().map(|(_, _, id)| id).collect();
        let unique: std::collections::HashSet<&&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "once each: {seen:?}");
        assert!(
            seen.iter()
                .any(|(r, e, _)| r == light_id && e == "report.acknowledged")
        );
        assert!(
            seen.iter()
                .any(|(r, _, _)| r == noise["id"].as_str().unwrap())
        );
    }
    // The infrastructure department hears of its light, not of the noise.
    let mut infra_seen = Vec::new();
    while let Some(event) = infra.next(Duration::from_millis(1500)).await {
        assert_eq!(event.data["report_id"], light["id"], "{:?}", event);
        infra_seen.push(event);
    }
    assert!(infra_seen.iter().any(|e| e.event == "report.acknowledged"));
    let first = infra_seen.first().unwrap().id.clone();

    // Another ward's leader hears nothing of Tăng Nhơn Phú.
    let other_ward = sos_store::entities::user::Entity::find()
        .filter(sos_store::entities::user::Column::Role.eq("ward_leader"))
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username != "tnp.leader")
        .expect("a second ward");
    let mut elsewhere = open_news(&app, &app.token(&other_ward.username).await, Some(&first)).await;
    assert!(elsewhere.next(Duration::from_millis(800)).await.is_none());

    // A reconnection replays what came after the last event it had.
    drop(infra);
    app.act(
        "tnp.infra",
        light_id,
        json!({"action": "resolve", "response": "Đã thay bóng."}),
    )
    .await;
    let mut again = open_news(&app, &app.token("tnp.infra").await, Some(&first)).await;
    let mut replayed = Vec::new();
    while let Some(event) = again.next(Duration::from_millis(1500)).await {
        replayed.push(event.event);
    }
    assert!(
        replayed.contains(&"report.acknowledged".to_owned()),
        "{replayed:?}"
    );
    assert!(
        replayed.contains(&"report.resolved".to_owned()),
        "{replayed:?}"
    );
}

/// A phone away for a long time gets everything it missed, beyond one read's worth.
#[tokio::test]
async fn a_long_absence_is_replayed_in_full() {
    let app = TestApp::spawn().await;
    let first = app
        .file_report("tnp.kp1", json!({"description": "Ổ gà giữa đường số 1"}))
        .await;
    let mark = app.inbox_entry("tnp.kp1", "report.assigned").await;
    assert_eq!(mark["report_id"], first["id"]);
    let missed = 130;
    for n in 0..missed {
        app.file_report(
            "tnp.kp1",
            json!({ "description": format!("Rác tồn đọng đầu hẻm {n} chưa thu gom") }),
        )
        .await;
    }
    let token = app.token("tnp.kp1").await;
    let mut again = open_stream(&app, &token, mark["id"].as_str()).await;
    let mut replayed = std::collections::HashSet::new();
    while let Some(event) = again.next(Duration::from_millis(1500)).await {
        assert!(replayed.insert(event.id), "once each");
    }
    assert_eq!(replayed.len(), missed);
}

/// An access token of `who` that expires in `lifetime`, signed as the service signs them.
async fn short_token(app: &TestApp, who: &str, lifetime: Duration) -> String {
    let me = app.get("/v1/me", &app.token(who).await).await;
    let id = me.body["id"].as_str().unwrap().parse().unwrap();
    let role = me.body["role"].as_str().unwrap().parse().unwrap();
    sos_api::services::accounts::JwtKeys::new(sos_tests::TEST_JWT_SECRET.as_bytes(), lifetime)
        .issue(id, role, chrono::Utc::now(), None)
        .unwrap()
}

#[tokio::test]
async fn a_stream_ends_when_its_token_expires_and_resumes_with_a_fresh_one() {
    let app = TestApp::spawn().await;
    let token = short_token(&app, "tnp.kp1", Duration::from_secs(2)).await;
    let mut stream = open_stream(&app, &token, None).await;
    let report = app
        .file_report("tnp.kp1", json!({"description": "den duong hu o hem 3"}))
        .await;
    let first = stream
        .next(WAIT)
        .await
        .expect("the routing, while the token is good");
    assert!(
        stream.ends_within(Duration::from_secs(5)).await,
        "ended at expiry"
    );
    // A fresh token resumes after what was received.
    app.act(
        "tnp.infra",
        report["id"].as_str().unwrap(),
        json!({"action": "acknowledge"}),
    )
    .await;
    let fresh = app.token("tnp.kp1").await;
    let mut resumed = open_stream(&app, &fresh, Some(&first.id)).await;
    assert_eq!(
        resumed.next(WAIT).await.unwrap().event,
        "report.acknowledged"
    );
}

#[tokio::test]
async fn signing_out_ends_the_streams_of_that_sign_in_at_once() {
    let app = TestApp::spawn().await;
    let pair = app.login_response("tnp.leader", "sos-demo").await;
    let access = pair.body["access_token"].as_str().unwrap().to_owned();
    let refresh = pair.body["refresh_token"].as_str().unwrap().to_owned();
    let mut mine = open_news(&app, &access, None).await;
    // Another sign-in of the same leader keeps its stream.
    let other = app.token("tnp.leader").await;
    let mut theirs = open_news(&app, &other, None).await;
    let out = app
        .request(
            Method::POST,
            "/v1/auth/logout",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(out.status, 204);
    assert!(mine.ends_within(Duration::from_secs(3)).await, "signed out");
    app.file_report("tnp.kp2", json!({"description": "rac ton dong o cho"}))
        .await;
    assert!(
        theirs.next(WAIT).await.is_some(),
        "the other sign-in still hears"
    );
}

#[tokio::test]
async fn an_account_keeps_a_few_streams_and_the_oldest_gives_way() {
    let app = TestApp::spawn().await;
    let token = app.token("tnp.kp1").await;
    let mut oldest = open_stream(&app, &token, None).await;
    let mut newer = Vec::new();
    for _ in 0..5 {
        newer.push(open_stream(&app, &token, None).await);
    }
    assert!(
        oldest.ends_within(Duration::from_secs(3)).await,
        "closed for the sixth"
    );
    app.file_report("tnp.kp1", json!({"description": "cay nga chan duong"}))
        .await;
    for stream in &mut newer {
        assert!(
            stream.next(WAIT).await.is_some(),
            "the five newest still hear"
        );
    }
}
