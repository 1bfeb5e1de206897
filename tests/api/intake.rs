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
