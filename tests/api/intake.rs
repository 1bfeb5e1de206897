//! What one filing costs the database: the statements a report takes, counted on the service's
//! own connection pool.

use serde_json::json;
use sos_tests::TestApp;
use std::time::Duration;

/// The workers run on timers; in this test they wait longer than it lasts, so every statement
/// counted is a filing's.
fn quiet_workers(settings: &mut sos_api::config::Settings) {
    let never = Duration::from_secs(86_400);
    settings.delivery_interval = never;
    settings.facts_interval = never;
    settings.escalation_interval = never;
    settings.classifier_refresh = never;
    settings.write_counts_flush = never;
}

#[tokio::test]
async fn a_filing_runs_at_most_six_statements() {
    let app = TestApp::spawn_with(quiet_workers).await;
    let token = app.token("tnp.kp1").await;
    let file = |n: usize| {
        let body = json!({
            "description": format!("rac thai chat dong o hem {n} chua duoc thu gom"),
            "location": {"lat": 10.8445, "lon": 106.7893, "accuracy_m": 10.0},
        });
        let (app, token) = (&app, &token);
        async move {
            let response = app.post("/v1/reports", token, body).await;
            assert_eq!(response.status, 201, "{:?}", response.body);
        }
    };
    // The first filing of a ward reads what rarely changes (its departments, routing, clocks).
    file(0).await;
    let before = app.services.statements.get();
    const FILINGS: u64 = 5;
    for n in 1..=FILINGS {
        file(n as usize).await;
    }
    let per_filing = (app.services.statements.get() - before) as f64 / FILINGS as f64;
    println!("statements per filing: {per_filing}");
    assert!(
        per_filing <= 6.0,
        "a filing ran {per_filing} statements (RUST_LOG=sos_store::sql=trace lists them)"
    );
}

/// The facts worker asks which reports changed, and clears each flag it reads: a row of the
/// largest table written again, with its indexes. A filing writes two events (submitted, then
/// assigned) in one transaction, so it needs one flag, not two.
#[tokio::test]
async fn a_filing_leaves_one_report_for_the_facts_worker_not_one_per_event() {
    let app = TestApp::spawn_with(quiet_workers).await;
    let leader = app.token("tnp.leader").await;
    let received = || async {
        let summary = app.get("/v1/stats/summary", &leader).await;
        assert_eq!(summary.status, 200, "{:?}", summary.body);
        summary.body["received"].as_u64().unwrap()
    };
    let before = received().await;
    let token = app.token("tnp.kp1").await;
    let body = json!({
        "description": "den duong hu truoc nha so 12, toi om",
        "location": {"lat": 10.8445, "lon": 106.7893, "accuracy_m": 10.0},
    });
    let response = app.post("/v1/reports", &token, body).await;
    assert_eq!(response.status, 201, "{:?}", response.body);
    let id: uuid::Uuid = response.body["id"].as_str().unwrap().parse().unwrap();
    let timeline = sos_store::reports::timeline(&app.db, id).await.unwrap();
    let kinds: Vec<&str> = timeline.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        kinds,
        ["report.submitted", "report.assigned"],
        "a routed filing's events"
    );
    let pending = timeline.iter().filter(|e| e.facts_pending).count();
    assert_eq!(pending, 1, "events left for the facts worker: {timeline:?}");
    // One flag is enough for the figures: the ward's summary counts the new report at once.
    assert_eq!(received().await, before + 1);
}

/// Every statement a connection runs is prepared and kept in its cache (sqlx keeps 100). Batches
/// of reports, and the events written with them, were one multi-row statement each, with a
/// placeholder per cell: every batch size was a new text, and under sustained intake each
/// connection filled its cache with statements of thousands of parameters and prepared them
/// again as they were evicted. Batches of 1 to 64 now run one text per table on PostgreSQL,
/// and a chunk per power of two on SQLite.
#[tokio::test]
async fn batches_of_every_size_run_a_few_statement_texts() {
    use sea_orm::TransactionTrait;
    use std::collections::HashSet;
    use std::sync::{Arc, Mutex};
    let app = TestApp::spawn_with(quiet_workers).await;
    let filed = app
        .file_report(
            "tnp.kp1",
            json!({"description": "den duong hu truoc nha so 5"}),
        )
        .await;
    let id = filed["id"].as_str().unwrap().parse().unwrap();
    let template = sos_store::reports::find(&app.db, id)
        .await
        .unwrap()
        .unwrap();
    let first_event = sos_store::reports::timeline(&app.db, id).await.unwrap()[0].clone();

    let mut db = sos_store::db::connect(app.database_url(), 1).await.unwrap();
    let texts = Arc::new(Mutex::new(HashSet::new()));
    let seen = texts.clone();
    db.set_metric_callback(move |info| {
        if info.statement.sql.starts_with("INSERT") || info.statement.sql.starts_with("WITH") {
            seen.lock().unwrap().insert(info.statement.sql.clone());
        }
    });
    let mut last_batch = (Vec::new(), Vec::new());
    for size in 1..=64 {
        // Every other row has each optional column set, so that a batch mixes nulls and
        // values in every column.
        let (reports, events): (Vec<_>, Vec<_>) = (0..size)
            .map(|n| {
                let report = sos_store::entities::report::Model {
                    id: uuid::Uuid::now_v7(),
                    ..template.clone()
                };
                let event = sos_store::entities::report_event::Model {
                    id: uuid::Uuid::now_v7(),
                    report_id: report.id,
                    ..first_event.clone()
                };
                if n % 2 == 0 {
                    (report, event)
                } else {
                    every_optional_field(report, event)
                }
            })
            .unzip();
        let txn = db.begin().await.unwrap();
        let stored = sos_store::reports::insert_new(&txn, &reports)
            .await
            .unwrap();
        assert_eq!(
            stored.len(),
            size,
            "every new report of a batch of {size} is stored"
        );
        sos_store::reports::insert_records(&txn, &events, &[], &[])
            .await
            .unwrap();
        txn.commit().await.unwrap();
        last_batch = (reports, events);
    }
    // A batch that repeats stored ids stores none of them.
    let again = vec![template.clone(); 3];
    let txn = db.begin().await.unwrap();
    assert!(
        sos_store::reports::insert_new(&txn, &again)
            .await
            .unwrap()
            .is_empty()
    );
    txn.commit().await.unwrap();

    let texts = texts.lock().unwrap().len();
    // PostgreSQL: the reports' insert and the events' insert. SQLite: each with a chunk per
    // power of two up to 64 (1, 2, 4, …, 64).
    let most = if sos_tests::engine() == "postgres" {
        2
    } else {
        14
    };
    assert!(
        texts <= most,
        "{texts} insert texts for batches of 1 to 64 (at most {most})"
    );
    // Every column reads back as written, whatever form the rows travelled in.
    let (reports, events) = last_batch;
    for (report, event) in reports.iter().zip(&events) {
        let stored = sos_store::reports::find(&app.db, report.id).await.unwrap();
        assert_eq!(stored.as_ref(), Some(report));
        let timeline = sos_store::reports::timeline(&app.db, report.id)
            .await
            .unwrap();
        assert_eq!(timeline, std::slice::from_ref(event));
    }
}

/// `report` and its `event` with every optional column set, to values PostgreSQL and SQLite
/// store exactly (times of whole microseconds, as the filing's own are).
fn every_optional_field(
    report: sos_store::entities::report::Model,
    event: sos_store::entities::report_event::Model,
) -> (
    sos_store::entities::report::Model,
    sos_store::entities::report_event::Model,
) {
    let at = report.created_at;
    let event = sos_store::entities::report_event::Model {
        actor_id: Some(report.reporter_id),
        from_status: Some(report.status),
        to_status: Some(report.status),
        text: Some("Đã chuyển cho phòng Kinh tế".into()),
        ..event
    };
    let report = sos_store::entities::report::Model {
        address: Some("12 Nguyễn Trãi, khu phố 1".into()),
        lat: Some(10.776_9),
        lon: Some(106.700_9),
        accuracy_m: Some(12.5),
        chosen_subcategory: Some(report.subcategory),
        duplicate_of: Some(report.id),
        rating: Some(4),
        response: Some("Đã thay bóng đèn".into()),
        acknowledged_at: Some(at),
        resolved_at: Some(at),
        closed_at: Some(at),
        assigned_at: Some(at),
        acknowledge_due_at: Some(at),
        acknowledge_warn_at: Some(at),
        resolve_due_at: Some(at),
        resolve_warn_at: Some(at),
        ward_acknowledge_due_at: Some(at),
        ward_resolve_due_at: Some(at),
        acknowledge_working_seconds: Some(3_600),
        resolve_working_seconds: Some(7_200),
        next_alert_at: Some(at),
        ..report
    };
    (report, event)
}

/// A statement longer than a TCP segment leaves at once. With Nagle's algorithm on (sqlx 0.9.0
/// left it on), its last part waited for PostgreSQL's delayed acknowledgement, 40 ms on Linux:
/// an intake batch's inserts took 45 ms each whatever the load, and intake fell to a few
/// hundred reports a second.
#[tokio::test]
async fn statements_longer_than_a_segment_do_not_wait_for_delayed_acknowledgements() {
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    if sos_tests::engine() != "postgres" {
        // SQLite is a file in the process: no socket.
        return;
    }
    let app = TestApp::spawn().await;
    let long = "x".repeat(200_000);
    let mut took = Vec::new();
    for _ in 0..11 {
        let started = std::time::Instant::now();
        let statement = Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT length($1) AS length",
            [long.clone().into()],
        );
        app.services.db.query_one_raw(statement).await.unwrap();
        took.push(started.elapsed());
    }
    took.sort();
    // A stall is 40 ms or more; the statement itself takes about a millisecond.
    assert!(took[5] < Duration::from_millis(20), "{took:?}");
}
