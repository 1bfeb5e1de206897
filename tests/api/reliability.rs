//! A server killed with SIGKILL in the middle of delivering loses nothing: started again, it
//! delivers what was left, and the deliveries cut off mid-send go again with the same keys.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;
use sos_store::entities::{notification, outbox, report};
use sos_tests::TestApp;
use sos_tests::smtp::SmtpServer;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A webhook receiver that holds every request until its gate opens, so that the server can
/// be killed with deliveries sent and not yet answered.
#[derive(Clone)]
struct GatedReceiver {
    /// Idempotency key and body of each request, in arrival order.
    received: Arc<Mutex<Vec<(String, String)>>>,
    gate: tokio::sync::watch::Sender<bool>,
}

async fn receive(State(receiver): State<GatedReceiver>, headers: HeaderMap, body: String) {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    receiver.received.lock().unwrap().push((key, body));
    let _ = receiver.gate.subscribe().wait_for(|open| *open).await;
}

impl GatedReceiver {
    async fn start() -> (GatedReceiver, String) {
        let receiver = GatedReceiver {
            received: Arc::default(),
            gate: tokio::sync::watch::Sender::new(false),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(receiver.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    fn open(&self) {
        self.gate.send_replace(true);
    }
}

async fn pending(app: &TestApp) -> u64 {
    outbox::Entity::find()
        .filter(outbox::Column::Status.eq("pending"))
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_server_killed_mid_delivery_loses_nothing_and_resends_with_the_same_keys() {
    let (receiver, hook) = GatedReceiver::start().await;
    let smtp = SmtpServer::start().await;
    // This process only prepares the database and looks into it: its own workers wait.
    let app = TestApp::spawn_with(|s| {
        s.delivery_interval = Duration::from_secs(86_400);
        s.facts_interval = Duration::from_secs(86_400);
    })
    .await;
    let ward = app.ward_id("tnp.leader").await;
    let subscribed = app
        .post(
            &format!("/v1/wards/{ward}/webhooks"),
            &app.token("admin").await,
            json!({ "url": hook }),
        )
        .await;
    assert_eq!(subscribed.status, 201, "{}", subscribed.body);
    let env = [
        ("SMTP_URL", smtp.url.clone()),
        ("SOS_DELIVERY_INTERVAL_MS", "20".to_owned()),
        ("SOS_DELIVERY_LEASE_SECONDS", "2".to_owned()),
    ];

    let first = app.process(&env).await;
    let mut reports = Vec::new();
    for n in 0..12 {
        let filed = first
            .app
            .file_report(
                "tnp.kp1",
                json!({ "description": format!("Dây điện bị đứt trước nhà số {n}, rất nguy hiểm") }),
            )
            .await;
        let id = filed["id"].as_str().unwrap().to_owned();
        first
            .app
            .act(
                "tnp.infra",
                &id,
                json!({ "action": "resolve", "response": "Điện lực đã nối lại dây." }),
            )
            .await;
        reports.push(id);
    }
    // Kill it while a batch has reached the receiver and waits for its answer.
    for _ in 0..1000 {
        if receiver.count() >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(receiver.count() >= 1, "deliveries began");
    first.kill().await;
    // Requests the dead process had sent: none was answered, so none was recorded as sent.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let cut_off = receiver.count();
    assert!(
        pending(&app).await > 0,
        "the server died with deliveries left"
    );
    receiver.open();

    let second = app.process(&env).await;
    for _ in 0..600 {
        if pending(&app).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        pending(&app).await,
        0,
        "everything was delivered after the restart"
    );
    second.kill().await;

    let rows = outbox::Entity::find().all(&app.db).await.unwrap();
    assert!(rows.iter().all(|r| r.status == "sent"), "nothing dead");
    // Every webhook delivery arrived, each copy with its own key and the same body.
    let received = receiver.received.lock().unwrap().clone();
    let mut bodies: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (key, body) in &received {
        bodies
            .entry(key.as_str())
            .or_default()
            .insert(body.as_str());
    }
    let webhooks: Vec<&outbox::Model> = rows.iter().filter(|r| r.channel == "webhook").collect();
    assert!(
        webhooks.len() >= 24,
        "filed and resolved: {}",
        webhooks.len()
    );
    for row in &webhooks {
        let copies = bodies.get(row.id.to_string().as_str());
        assert_eq!(
            copies.map(HashSet::len),
            Some(1),
            "delivery {} arrived, always the same",
            row.id
        );
    }
    assert_eq!(
        bodies.len(),
        webhooks.len(),
        "nothing arrived that the outbox did not hold"
    );
    assert_eq!(
        received.len(),
        webhooks.len() + cut_off,
        "each delivery cut off by the kill went once more"
    );
    // Every letter to the power company went out, under its delivery's Message-ID.
    let message_ids: HashSet<String> = smtp
        .delivered()
        .iter()
        .filter_map(|m| m.header("message-id"))
        .collect();
    let letters: Vec<&outbox::Model> = rows.iter().filter(|r| r.channel == "email").collect();
    assert_eq!(letters.len(), reports.len());
    for row in letters {
        assert!(
            message_ids.contains(&format!("<{}@sos-khu-pho>", row.id)),
            "letter {}",
            row.id
        );
    }
    // Every inbox entry exists once: the head heard of each report's routing and answer.
    let entries = notification::Entity::find().all(&app.db).await.unwrap();
    let mut seen = HashSet::new();
    for entry in &entries {
        assert!(
            seen.insert((entry.user_id, entry.event_id)),
            "one entry per person and event"
        );
    }
    for id in &reports {
        let id: uuid::Uuid = id.parse().unwrap();
        let resolved = report::Entity::find_by_id(id)
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(resolved.status, "resolved");
        let answers = entries
            .iter()
            .filter(|e| e.report_id == id && e.event_type == "report.resolved")
            .count();
        assert!(answers >= 1, "the head heard the answer to {id}");
    }
    app.stop().await;
}
