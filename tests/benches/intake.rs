//! Intake load benchmark: files reports over loopback with 1, 8 and 32 concurrent clients
//! against the service built with the bench (release) profile, and measures the raw
//! single-row insert rate of the same database in the same run for comparison.
//!
//! SQLite: `cargo bench -p sos-tests --bench intake`
//! PostgreSQL: `SOS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p sos-tests --bench intake`
//! `SOS_BENCH_REQUESTS` sets the reports filed per concurrency level (default 2000).

use sea_orm::sea_query::{ColumnDef, Query, Table};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::json;
use sos_tests::{TestApp, engine, env_number};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const HEADS: [&str; 10] = [
    "tnp.kp1", "tnp.kp2", "tnp.kp3", "tnp.kp4", "tnp.kp5", "xh.kp1", "xh.kp2", "xh.kp3", "xh.kp4",
    "xh.kp5",
];

const TEXTS: [&str; 6] = [
    "den duong hu truoc nha so 12, toi om",
    "Rác không ai thu gom ba ngày nay ở đầu hẻm 45",
    "Karaoke hát tới 12 giờ đêm ở nhà số 8",
    "Ổ gà lớn giữa đường Lê Văn Việt, xe máy té",
    "Nước ngập tới đầu gối ở hẻm 30 sau cơn mưa",
    "Cây xanh nghiêng sắp đổ trước trường tiểu học",
];

fn main() {
    sos_tests::run_benchmark(run());
}

async fn run() {
    let requests = env_number("SOS_BENCH_REQUESTS", 2000);
    let app = TestApp::spawn_with(|s| s.max_db_connections = 16).await;
    println!("engine: {}, {requests} reports per level", engine());

    let raw = raw_insert_rate(&app.db, requests).await;
    println!("raw single-row inserts (one transaction each, sequential): {raw:.0} rows/s");

    let mut tokens = Vec::new();
    for head in HEADS {
        tokens.push(app.token(head).await);
    }
    let tokens = Arc::new(tokens);
    println!(
        "{:>8} {:>12} {:>10} {:>10} {:>10}",
        "clients", "reports/s", "p50 ms", "p99 ms", "vs raw"
    );
    for clients in [1, 8, 32] {
        let (throughput, p50, p99) = intake(&app, tokens.clone(), clients, requests).await;
        println!(
            "{clients:>8} {throughput:>12.0} {:>10.2} {:>10.2} {:>9.0}%",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            100.0 * throughput / raw
        );
    }
    app.stop().await;
}

/// Rows per second for `count` single-row inserts, each its own transaction, one after another.
async fn raw_insert_rate(db: &DatabaseConnection, count: usize) -> f64 {
    let create = Table::create()
        .table("bench_raw")
        .col(ColumnDef::new("id").uuid().not_null().primary_key())
        .col(ColumnDef::new("payload").text().not_null())
        .col(
            ColumnDef::new("created_at")
                .timestamp_with_time_zone()
                .not_null(),
        )
        .to_owned();
    db.execute(&create).await.expect("create bench table");
    let started = Instant::now();
    for i in 0..count {
        let insert = Query::insert()
            .into_table("bench_raw")
            .columns(["id", "payload", "created_at"])
            .values_panic([
                uuid::Uuid::now_v7().into(),
                TEXTS[i % TEXTS.len()].into(),
                chrono::Utc::now().into(),
            ])
            .to_owned();
        db.execute(&insert).await.expect("insert");
    }
    count as f64 / started.elapsed().as_secs_f64()
}

/// Files `total` reports with `clients` concurrent clients; returns reports/s, p50 and p99.
async fn intake(
    app: &TestApp,
    tokens: Arc<Vec<String>>,
    clients: usize,
    total: usize,
) -> (f64, Duration, Duration) {
    let next = Arc::new(AtomicUsize::new(0));
    let url = app.url("/v1/reports");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client_index in 0..clients {
        let (next, url, tokens, client) = (
            next.clone(),
            url.clone(),
            tokens.clone(),
            reqwest::Client::new(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let token = &tokens[(client_index + i) % tokens.len()];
                let body = json!({"description": format!("{} (#{i})", TEXTS[i % TEXTS.len()])});
                let sent = Instant::now();
                let response = client
                    .post(&url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("request");
                let status = response.status();
                let _ = response.bytes().await;
                latencies.push(sent.elapsed());
                assert_eq!(status, 201, "intake failed under load");
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("client"));
    }
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    (total as f64 / elapsed.as_secs_f64(), at(0.50), at(0.99))
}
