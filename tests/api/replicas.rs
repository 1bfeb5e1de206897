use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use serde_json::json;
use sos_tests::TestApp;

#[tokio::test]
async fn replicas_started_together_share_one_database() {
    let replicas = TestApp::spawn_replicas(3).await;
    let (a, b) = (&replicas[0], &replicas[1]);
    let report = a
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu truoc nha so 3"}),
        )
        .await;
    let id = report["id"].as_str().unwrap();
    // A token issued by one replica is good on the others: they share the signing key.
    let staff = a.token("tnp.infra").await;
    let acknowledged = b
        .post(
            &format!("/v1/reports/{id}/actions"),
            &staff,
            json!({"action": "acknowledge"}),
        )
        .await;
    assert_eq!(acknowledged.status, 200);
    let seen = replicas[2]
        .get(&format!("/v1/reports/{id}"), &a.token("tnp.kp1").await)
        .await;
    assert_eq!(seen.body["status"], "acknowledged");
    let inbox = b.get("/v1/notifications", &a.token("tnp.kp1").await).await;
    assert_eq!(inbox.body["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn two_people_acting_at_once_on_two_replicas_do_not_both_win() {
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    for round in 0..5 {
        let report = a
            .file_report(
                "tnp.kp2",
                json!({"description": format!("den duong hu, lan {round}")}),
            )
            .await;
        let id = report["id"].as_str().unwrap().to_owned();
        let (infra, triage) = (a.token("tnp.infra").await, a.token("tnp.triage").await);
        let path = format!("/v1/reports/{id}/actions");
        let (first, second) = tokio::join!(
            a.post(&path, &infra, json!({"action": "acknowledge"})),
            b.post(&path, &triage, json!({"action": "acknowledge"})),
        );
        let mut statuses = [first.status, second.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: {:?} {:?}",
            first.body,
            second.body
        );
        let detail = a.get(&format!("/v1/reports/{id}"), &infra).await;
        let acknowledgements = detail.body["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == "report.acknowledged")
            .count();
        assert_eq!(acknowledgements, 1, "round {round}");
    }
}

/// A city's PostgreSQL usually sits across a network from the replicas: `sslmode` in
/// `DATABASE_URL` must give them encrypted connections, and `verify-full` must refuse a server
/// whose certificate no trusted root signed (this test server's is self-signed).
#[tokio::test]
async fn postgres_connections_are_encrypted_when_the_url_asks() {
    if sos_tests::engine() != "postgres" {
        return;
    }
    let with_mode = |url: &str, mode: &str| {
        let join = if url.contains('?') { '&' } else { '?' };
        format!("{url}{join}sslmode={mode}")
    };
    let mut url = String::new();
    let app = TestApp::spawn_with(|s| {
        url.clone_from(&s.database_url);
        s.database_url = with_mode(&url, "require");
    })
    .await;
    let encrypted = |db: sea_orm::DatabaseConnection| async move {
        db.query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
        ))
        .await
        .expect("query")
        .expect("a row")
        .try_get::<bool>("", "ssl")
        .expect("ssl")
    };
    assert!(encrypted(app.services.db.clone()).await);
    // The service works over it.
    let filed = app
        .file_report("tnp.kp1", json!({"description": "cay do chan ngang duong"}))
        .await;
    assert!(filed["id"].is_string());

    let mut settings = sos_api::config::Settings::from_env().expect("settings");
    settings.database_url = with_mode(&url, "disable");
    let plain = sos_store::db::connect(&settings.database_url, settings.max_db_connections)
        .await
        .expect("connects");
    assert!(
        !encrypted(plain).await,
        "sslmode=disable stays in the clear"
    );
    settings.database_url = with_mode(&url, "verify-full");
    let refused = sos_store::db::connect(&settings.database_url, settings.max_db_connections)
        .await
        .expect_err("a self-signed certificate is not trusted");
    assert!(refused.to_string().contains("certificate"), "{refused}");
    app.stop().await;
}

/// What a replica keeps of a ward in memory (its routing table, its heads and their phones)
/// follows a change made on another replica at once, not after the minute it may be kept.
/// SQLite serves from one process: there is no other replica to tell.
#[tokio::test]
async fn what_replicas_keep_of_a_ward_follows_a_change_made_on_another() {
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    use sos_domain::delivery::DeliveryChannel;
    use sos_store::entities::outbox;
    if sos_tests::engine() != "postgres" {
        return;
    }
    let a = TestApp::spawn().await;
    let b = a.replica().await;
    let streetlight = json!({"description": "den duong hu truoc nha so 9"});
    // Filing on b makes it read the ward.
    let first = b.file_report("tnp.kp1", streetlight.clone()).await;
    assert_eq!(first["department"]["code"], "economy_infrastructure");
    let tnp = a.ward_id("tnp.leader").await;
    let changed = a
        .put(
            &format!("/v1/wards/{tnp}/routing/streetlight"),
            &a.token("admin").await,
            json!({"department": "urban_order"}),
        )
        .await;
    assert_eq!(changed.status, 200);
    let phone = a
        .post(
            "/v1/devices",
            &a.token("tnp.kp1").await,
            json!({"token": "kp1-phone", "platform": "android"}),
        )
        .await;
    assert!(phone.status < 300, "{:?}", phone.body);
    // The word travels by NOTIFY: a moment, not a minute.
    let pushes = |id: String| {
        let db = a.db.clone();
        async move {
            outbox::Entity::find()
                .filter(outbox::Column::ReportId.eq(id.parse::<uuid::Uuid>().unwrap()))
                .filter(outbox::Column::Channel.eq(DeliveryChannel::Push.as_str()))
                .count(&db)
                .await
                .unwrap()
        }
    };
    let started = std::time::Instant::now();
    loop {
        let next = b.file_report("tnp.kp1", streetlight.clone()).await;
        let id = next["id"].as_str().unwrap().to_owned();
        if next["department"]["code"] == "urban_order" && pushes(id).await > 0 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "replica b still routes and reaches the head as before: {next}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
