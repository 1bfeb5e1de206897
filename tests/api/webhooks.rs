//! Webhooks: an outside system subscribed to a ward hears its reports' public events, signed,
//! with one idempotency key per delivery; failures are retried, then parked for an admin.
//! The receiver is a real HTTP server on a random port.

use axum::http::{HeaderMap, StatusCode};
use hmac::{KeyInit, Mac};
use serde_json::{Value, json};
use sos_tests::TestApp;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "a-shared-secret-of-the-1022-portal";

#[derive(Clone, Debug)]
struct Received {
    headers: HeaderMap,
    body: bytes::Bytes,
}

/// An outside system: records what arrives, and answers 503 while `failing`.
#[derive(Clone)]
struct Receiver {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    failing: Arc<AtomicBool>,
}

impl Receiver {
    async fn start() -> Receiver {
        let received = Arc::new(Mutex::new(Vec::new()));
        let failing = Arc::new(AtomicBool::new(false));
        let (log, fail) = (received.clone(), failing.clone());
        let router = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: bytes::Bytes| {
                let (log, fail) = (log.clone(), fail.clone());
                async move {
                    log.lock().unwrap().push(Received { headers, body });
                    if fail.load(Ordering::SeqCst) {
                        StatusCode::SERVICE_UNAVAILABLE
                    } else {
                        StatusCode::NO_CONTENT
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver {
            url,
            received,
            failing,
        }
    }

    fn all(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// The bodies received for a report, in order.
    fn for_report(&self, report_id: &str) -> Vec<(Received, Value)> {
        self.all()
            .into_iter()
            .map(|r| {
                let body: Value = serde_json::from_slice(&r.body).unwrap();
                (r, body)
            })
            .filter(|(_, body)| body["report_id"] == report_id)
            .collect()
    }

    async fn wait_for(&self, what: &str, done: impl Fn(&Receiver) -> bool) {
        for _ in 0..200 {
            if done(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{what}: not received in 10 s; got {:?}", self.all());
    }
}

fn header<'a>(received: &'a Received, name: &str) -> &'a str {
    received.headers.get(name).unwrap().to_str().unwrap()
}

/// Checks `X-SOS-Signature` as a receiver would.
fn signed_with(received: &Received, secret: &str) -> bool {
    let value = header(received, "x-sos-signature");
    let (Some(t), Some(v1)) = (
        value.split(',').find_map(|p| p.strip_prefix("t=")),
        value.split(',').find_map(|p| p.strip_prefix("v1=")),
    ) else {
        return false;
    };
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(&received.body);
    hex::encode(mac.finalize().into_bytes()) == v1
}

async fn quick_retries() -> TestApp {
    TestApp::spawn_with(|settings| {
        settings.delivery_interval = Duration::from_millis(50);
        settings.delivery_retry_base = Duration::from_millis(50);
        settings.delivery_max_attempts = 3;
    })
    .await
}

async fn subscribe(app: &TestApp, receiver: &Receiver, event_types: Value) -> Value {
    let ward = app.ward_id("tnp.leader").await;
    let created = app
        .post(
            &format!("/v1/wards/{ward}/webhooks"),
            &app.token("admin").await,
            json!({"url": receiver.url, "event_types": event_types, "secret": SECRET}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    created.body
}

#[tokio::test]
async fn a_subscribed_system_hears_its_wards_reports_signed() {
    let app = quick_retries().await;
    let receiver = Receiver::start().await;
    let webhook = subscribe(
        &app,
        &receiver,
        json!(["report.assigned", "report.resolved"]),
    )
    .await;
    assert_eq!(webhook["secret"], SECRET, "shown once, when made");
    let ward = app.ward_id("tnp.leader").await;
    let listed = app
        .get(
            &format!("/v1/wards/{ward}/webhooks"),
            &app.token("admin").await,
        )
        .await;
    assert_eq!(listed.body["items"][0]["id"], webhook["id"]);
    assert_eq!(listed.body["items"][0].get("secret"), None);

    let report = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu truoc nha so 12"}),
        )
        .await;
    let id = report["id"].as_str().unwrap();
    receiver
        .wait_for("report.assigned", |r| !r.for_report(id).is_empty())
        .await;
    let (first, body) = &receiver.for_report(id)[0];
    assert_eq!(body["type"], "report.assigned");
    assert_eq!(body["ward_id"], ward.as_str());
    assert_eq!(body["to_status"], "assigned");
    assert!(
        sos_tests::spec::is_timestamp(body["occurred_at"].as_str().unwrap()),
        "{}",
        body["occurred_at"]
    );
    assert_eq!(header(first, "x-sos-event"), "report.assigned");
    assert_eq!(
        header(first, "idempotency-key"),
        body["id"].as_str().unwrap()
    );
    assert!(signed_with(first, SECRET));
    assert!(!signed_with(first, "another-secret-entirely"));

    // An internal note and unsubscribed types are not sent; the answer is.
    app.act(
        "tnp.infra",
        id,
        json!({"action": "comment", "text": "Cần xe thang", "visibility": "internal"}),
    )
    .await;
    app.act("tnp.infra", id, json!({"action": "acknowledge"}))
        .await;
    app.act("tnp.infra", id, json!({"action": "start"})).await;
    app.act(
        "tnp.infra",
        id,
        json!({"action": "resolve", "response": "Đã thay bóng đèn."}),
    )
    .await;
    receiver
        .wait_for("report.resolved", |r| r.for_report(id).len() >= 2)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let types: Vec<Value> = receiver
        .for_report(id)
        .iter()
        .map(|(_, body)| body["type"].clone())
        .collect();
    assert_eq!(types, [json!("report.assigned"), json!("report.resolved")]);
    assert_eq!(receiver.for_report(id)[1].1["text"], "Đã thay bóng đèn.");

    // Another ward's reports stay with that ward.
    let elsewhere = app
        .file_report("xh.kp1", json!({"description": "rac khong ai thu gom"}))
        .await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(
        receiver
            .for_report(elsewhere["id"].as_str().unwrap())
            .is_empty()
    );
    let sent = app
        .get("/v1/deliveries?status=sent", &app.token("admin").await)
        .await;
    let webhooks_sent = sent.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["channel"] == "webhook")
        .count();
    assert_eq!(webhooks_sent, 2);
}

#[tokio::test]
async fn failed_deliveries_are_retried_then_parked_for_an_admin() {
    let app = quick_retries().await;
    let receiver = Receiver::start().await;
    subscribe(&app, &receiver, json!([])).await;
    receiver.failing.store(true, Ordering::SeqCst);
    let report = app
        .file_report("tnp.kp2", json!({"description": "ổ gà lớn giữa đường"}))
        .await;
    let id = report["id"].as_str().unwrap();
    // Two events (submitted, assigned), three attempts each.
    receiver
        .wait_for("three attempts of each", |r| r.for_report(id).len() >= 6)
        .await;
    let admin = app.token("admin").await;
    let mut dead = Value::Null;
    for _ in 0..100 {
        dead = app.get("/v1/deliveries?status=dead", &admin).await.body;
        if dead["items"].as_array().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let dead = dead["items"].as_array().unwrap().clone();
    assert_eq!(dead.len(), 2, "{dead:?}");
    assert!(dead.iter().all(|d| d["attempts"] == 3));
    assert!(dead[0]["last_error"].as_str().unwrap().contains("503"));
    // Every attempt of one delivery carried the same key, so the receiver can drop repeats.
    let attempts = receiver.for_report(id);
    let keys: std::collections::HashSet<&str> = attempts
        .iter()
        .map(|(r, _)| header(r, "idempotency-key"))
        .collect();
    assert_eq!(keys.len(), 2);

    // Others may not look, nor retry.
    let leader = app.token("tnp.leader").await;
    assert_eq!(app.get("/v1/deliveries", &leader).await.status, 403);
    let retry_path = format!("/v1/deliveries/{}/retry", dead[0]["id"].as_str().unwrap());
    assert_eq!(
        app.post(&retry_path, &leader, Value::Null).await.status,
        403
    );

    // The receiver is back; the admin retries one, with the same key as before.
    receiver.failing.store(false, Ordering::SeqCst);
    let retried = app.post(&retry_path, &admin, Value::Null).await;
    assert_eq!(retried.status, 200, "{:?}", retried.body);
    assert_eq!(retried.body["status"], "pending");
    let key = dead[0]["id"].as_str().unwrap().to_owned();
    receiver
        .wait_for("the retried delivery", |r| r.for_report(id).len() >= 7)
        .await;
    let last = receiver.for_report(id).pop().unwrap().0;
    assert_eq!(header(&last, "idempotency-key"), key);
    for _ in 0..100 {
        let sent = app.get("/v1/deliveries?status=sent", &admin).await.body;
        if sent["items"].as_array().unwrap().len() == 1 {
            assert_eq!(sent["items"][0]["id"], key.as_str());
            let again = app.post(&retry_path, &admin, Value::Null).await;
            assert_eq!(again.status, 409, "only dead deliveries are retried");
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the retried delivery was not marked sent");
}

#[tokio::test]
async fn subscriptions_are_checked_and_belong_to_their_ward() {
    let app = TestApp::spawn().await;
    let ward = app.ward_id("tnp.leader").await;
    let path = format!("/v1/wards/{ward}/webhooks");
    let admin = app.token("admin").await;
    for (body, field) in [
        (json!({"url": "ftp://portal/hook"}), "/url"),
        (json!({"url": "not a url"}), "/url"),
        (
            json!({"url": "https://portal.example/hook", "secret": "short"}),
            "/secret",
        ),
    ] {
        let refused = app.post(&path, &admin, body).await;
        assert_eq!(refused.status, 422);
        assert_eq!(refused.body["errors"][0]["field"], field);
    }
    let unknown_type = app
        .post(
            &path,
            &admin,
            json!({"url": "https://portal.example/hook", "event_types": ["report.exploded"]}),
        )
        .await;
    assert_eq!(unknown_type.status, 422);
    let leader = app
        .post(
            &path,
            &app.token("tnp.leader").await,
            json!({"url": "https://portal.example/hook"}),
        )
        .await;
    assert_eq!(leader.status, 403);
    let made = app
        .post(&path, &admin, json!({"url": "https://portal.example/hook"}))
        .await;
    assert_eq!(made.status, 201);
    assert!(
        made.body["secret"].as_str().unwrap().len() >= 32,
        "generated"
    );
    assert_eq!(made.body["event_types"], json!([]), "every type");
    let webhook = made.body["id"].as_str().unwrap();
    // Not under another ward's address.
    let xh = app.ward_id("xh.leader").await;
    let wrong_ward = app
        .delete(&format!("/v1/wards/{xh}/webhooks/{webhook}"), &admin)
        .await;
    assert_eq!(wrong_ward.status, 404);
    let removed = app.delete(&format!("{path}/{webhook}"), &admin).await;
    assert_eq!(removed.status, 204);
    assert!(
        app.get(&path, &admin).await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn replicas_share_the_deliveries_and_send_each_once() {
    let replicas = TestApp::spawn_replicas(2).await;
    let receiver = Receiver::start().await;
    subscribe(&replicas[0], &receiver, json!(["report.submitted"])).await;
    let mut ids = Vec::new();
    for n in 0..20 {
        let replica = &replicas[n % 2];
        let report = replica
            .file_report(
                "tnp.kp3",
                json!({"description": format!("rac thai o hem {n}")}),
            )
            .await;
        ids.push(report["id"].as_str().unwrap().to_owned());
    }
    receiver
        .wait_for("twenty deliveries", |r| r.all().len() >= 20)
        .await;
    // Both workers keep polling for a while: nothing is sent a second time.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let received = receiver.all();
    assert_eq!(received.len(), 20);
    let keys: std::collections::HashSet<&str> = received
        .iter()
        .map(|r| header(r, "idempotency-key"))
        .collect();
    assert_eq!(keys.len(), 20);
    for id in &ids {
        assert_eq!(receiver.for_report(id).len(), 1, "{id}");
    }
}

/// A receiver that sends every request elsewhere with a 307.
async fn redirecting_to(target: &str) -> (String, Arc<Mutex<usize>>) {
    let hits = Arc::new(Mutex::new(0));
    let (count, location) = (hits.clone(), target.to_owned());
    let router = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let (count, location) = (count.clone(), location.clone());
            async move {
                *count.lock().unwrap() += 1;
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(axum::http::header::LOCATION, location)],
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, hits)
}

#[tokio::test]
async fn receivers_inside_the_service_are_refused_unless_the_operator_allows_them() {
    // No network allowed: only the public internet, over https.
    let app = TestApp::spawn_with(|settings| settings.webhook_targets = Default::default()).await;
    let ward = app.ward_id("tnp.leader").await;
    let admin = app.token("admin").await;
    let receiver = Receiver::start().await;
    let port = receiver
        .url
        .split(':')
        .nth(2)
        .unwrap()
        .split('/')
        .next()
        .unwrap();
    let inside = [
        format!("http://localhost:{port}/hook"),
        format!("https://localhost:{port}/hook"),
        format!("http://127.0.0.1:{port}/hook"),
        format!("https://[::1]:{port}/hook"),
        format!("https://0.0.0.0:{port}/hook"),
        format!("https://2130706433:{port}/hook"),
        format!("https://0x7f000001:{port}/hook"),
        "https://169.254.169.254/latest/meta-data".to_owned(),
        "https://10.1.2.3/hook".to_owned(),
        "https://[fd00::1]/hook".to_owned(),
        "https://portal:secret@203.162.4.191/hook".to_owned(),
        "http://203.162.4.191/hook".to_owned(),
    ];
    for url in &inside {
        let refused = app
            .post(
                &format!("/v1/wards/{ward}/webhooks"),
                &admin,
                json!({"url": url, "secret": SECRET}),
            )
            .await;
        assert_eq!(refused.status, 422, "{url}: {:?}", refused.body);
        assert_eq!(refused.body["errors"][0]["field"], "/url", "{url}");
    }
    assert!(receiver.all().is_empty(), "nothing was sent to try");
    let listed = app.get(&format!("/v1/wards/{ward}/webhooks"), &admin).await;
    assert_eq!(listed.body["items"], json!([]));

    // Where the operator allows the network (the tests' receivers), plain http is fine.
    let allowed = quick_retries().await;
    subscribe(&allowed, &receiver, json!([])).await;
}

#[tokio::test]
async fn a_receiver_that_redirects_is_not_followed() {
    let app = quick_retries().await;
    let elsewhere = Receiver::start().await;
    let (url, hits) = redirecting_to(&elsewhere.url).await;
    let ward = app.ward_id("tnp.leader").await;
    let admin = app.token("admin").await;
    let created = app
        .post(
            &format!("/v1/wards/{ward}/webhooks"),
            &admin,
            json!({"url": url, "event_types": ["report.assigned"], "secret": SECRET}),
        )
        .await;
    assert_eq!(created.status, 201);
    app.file_report("tnp.kp1", json!({"description": "den duong hu o hem 5"}))
        .await;
    let mut dead = Value::Null;
    for _ in 0..200 {
        let listed = app.get("/v1/deliveries?status=dead", &admin).await;
        if let Some(first) = listed.body["items"].as_array().and_then(|i| i.first()) {
            dead = first.clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        *hits.lock().unwrap(),
        3,
        "each attempt reached the first receiver"
    );
    assert!(elsewhere.all().is_empty(), "and never where it pointed");
    assert!(
        dead["last_error"].as_str().unwrap_or("").contains("307"),
        "{dead:?}"
    );
}
