//! The live stream under load: 10,000 phones connected to one service process, reports filed
//! at 100 a second, and how long each takes to reach every affected phone; then reports filed
//! flat out, and how many inbox entries a second reach their streams.
//!
//! First `cargo build --release --bin sos` (the server it measures), then
//! SQLite: `cargo bench -p sos-tests --bench stream`
//! PostgreSQL: `SOS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p sos-tests --bench stream`
//!
//! `SOS_BENCH_SUBSCRIBERS` (default 10,000), `SOS_BENCH_RATE` (events a second, default 100)
//! and `SOS_BENCH_SECONDS` (default 30) change the load. The service runs in a process of its
//! own (the release `sos serve`), so that its memory is measured alone.

use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use sos_domain::taxonomy::Role;
use sos_store::entities::{neighborhood, notification, user};
use sos_tests::{TestApp, engine, env_number, ms, quantile};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

fn main() {
    sos_tests::run_benchmark(run());
}

/// When each report's inbox entries reached the streams.
#[derive(Default)]
struct Receipts {
    by_report: HashMap<String, Vec<Instant>>,
    total: usize,
}

fn resident_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

const TEXTS: [&str; 4] = [
    "Đèn đường hư trước nhà văn hóa, tối om",
    "Rác tồn đọng đầu hẻm ba ngày chưa thu gom",
    "Ổ gà lớn giữa đường, xe máy dễ té",
    "Nhóm thanh niên tụ tập gây ồn ào sau 23 giờ",
];

async fn run() {
    let subscribers = env_number("SOS_BENCH_SUBSCRIBERS", 10_000);
    let rate = env_number("SOS_BENCH_RATE", 100);
    let seconds = env_number("SOS_BENCH_SECONDS", 30);
    // This process prepares the database and plays the phones; its own workers wait.
    let app = TestApp::spawn_with(|s| {
        s.delivery_interval = Duration::from_secs(86_400);
        s.facts_interval = Duration::from_secs(86_400);
    })
    .await;
    // Every ward of the city with its neighborhoods and a head each, then more heads up to
    // one per subscriber: about six per neighborhood.
    sos_api::services::synthetic::seed(&app.db, &app.services.writer, &app.services.clock, 0, 1)
        .await
        .expect("city");
    let neighborhoods = neighborhood::Entity::find().all(&app.db).await.unwrap();
    let mut heads = user::Entity::find()
        .filter(user::Column::Role.eq(Role::NeighborhoodHead.as_str()))
        .all(&app.db)
        .await
        .unwrap();
    let ward_of: HashMap<Uuid, Uuid> = neighborhoods.iter().map(|n| (n.id, n.ward_id)).collect();
    let hash = heads[0].password_hash.clone();
    let mut n = 0;
    while heads.len() < subscribers {
        let place = &neighborhoods[n % neighborhoods.len()];
        n += 1;
        let head = user::ActiveModel {
            id: Set(Uuid::now_v7()),
            username: Set(format!("bench.head.{n}")),
            password_hash: Set(hash.clone()),
            display_name: Set(format!("Tổ trưởng {n}")),
            role: Set(Role::NeighborhoodHead.into()),
            ward_id: Set(ward_of.get(&place.id).copied()),
            neighborhood_id: Set(Some(place.id)),
            department_id: Set(None),
            email: Set(None),
            active: Set(true),
            created_at: Set(chrono::Utc::now()),
            phone: Set(None),
            must_change_password: Set(false),
            search_text: Set(format!("bench.head.{n}")),
            language: Set(sos_domain::language::Lang::Vi.into()),
        }
        .insert(&app.db)
        .await
        .unwrap();
        heads.push(head);
    }
    heads.truncate(subscribers);

    let service = app
        .process(&[("SOS_DB_MAX_CONNECTIONS", "20".to_owned())])
        .await;
    let base = format!("http://{}", service.app.addr);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = resident_kib(service.pid());

    let receipts = Arc::new(Mutex::new(Receipts::default()));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let connected = futures_util::stream::iter(heads.iter().map(|head| {
        let token = app
            .services
            .jwt
            .issue(head.id, Role::NeighborhoodHead, chrono::Utc::now(), None)
            .unwrap();
        let (client, url, receipts) = (
            client.clone(),
            format!("{base}/v1/stream"),
            receipts.clone(),
        );
        async move {
            let response = client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .expect("stream");
            assert_eq!(response.status(), 200);
            tokio::spawn(async move {
                let mut body = response.bytes_stream();
                let mut buffer = String::new();
                while let Some(Ok(chunk)) = body.next().await {
                    buffer.push_str(&String::from_utf8_lossy(&chunk));
                    while let Some(end) = buffer.find("\n\n") {
                        let event: String = buffer.drain(..end + 2).collect();
                        let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) else {
                            continue;
                        };
                        let entry: serde_json::Value = serde_json::from_str(data.trim()).unwrap();
                        let now = Instant::now();
                        let mut receipts = receipts.lock().unwrap();
                        receipts.total += 1;
                        receipts
                            .by_report
                            .entry(entry["report_id"].as_str().unwrap().to_owned())
                            .or_default()
                            .push(now);
                    }
                }
            });
        }
    }))
    .buffer_unordered(200)
    .count()
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = resident_kib(service.pid());
    println!(
        "engine: {}, {connected} subscribers connected to one process",
        engine()
    );
    println!(
        "service memory: {} MiB before, {} MiB with the streams open: {:.1} KiB per subscriber",
        before / 1024,
        after / 1024,
        (after.saturating_sub(before)) as f64 / connected as f64
    );

    // Phase 1: a steady `rate` of reports, each heard by every head of its neighborhood.
    let filed = file_reports(&client, &base, &app, &heads, rate, seconds).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (latencies, expected, got) = latencies(&app, &filed, &heads, &receipts).await;
    println!(
        "{} reports at {rate}/s for {seconds} s: {got} of {expected} inbox entries streamed",
        filed.len()
    );
    println!(
        "filing to receipt by every affected subscriber: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        ms(quantile(&latencies, 0.5)),
        ms(quantile(&latencies, 0.99)),
        ms(*latencies.last().unwrap())
    );

    // Phase 2: flat out, to measure how many entries a second reach their streams.
    let start_total = receipts.lock().unwrap().total;
    let started = Instant::now();
    let burst = file_reports(&client, &base, &app, &heads, 10_000, 10).await;
    let expected_total = start_total + expected_entries(&app, &burst, &heads).await;
    while receipts.lock().unwrap().total < expected_total
        && started.elapsed() < Duration::from_secs(120)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let delivered = receipts.lock().unwrap().total - start_total;
    println!(
        "flat out: {} reports in {:.1} s, {delivered} inbox entries streamed: {:.0} deliveries/s",
        burst.len(),
        started.elapsed().as_secs_f64(),
        delivered as f64 / started.elapsed().as_secs_f64()
    );
    service.kill().await;
    app.stop().await;
}

/// Files reports as heads chosen in turn, at `rate` a second for `seconds` (fewer if the
/// service cannot keep up: 64 at most in flight); returns each report's id and filing start.
async fn file_reports(
    client: &reqwest::Client,
    base: &str,
    app: &TestApp,
    heads: &[user::Model],
    rate: usize,
    seconds: usize,
) -> Vec<(String, Instant)> {
    let total = rate * seconds;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(64));
    let filed = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let deadline = Instant::now() + Duration::from_secs(seconds as u64);
    let mut tasks = Vec::new();
    for i in 0..total {
        tick.tick().await;
        if Instant::now() > deadline {
            break;
        }
        let permit = in_flight.clone().acquire_owned().await.unwrap();
        let head = &heads[(i * 7919) % heads.len()];
        let token = app
            .services
            .jwt
            .issue(head.id, Role::NeighborhoodHead, chrono::Utc::now(), None)
            .unwrap();
        let (client, url, filed) = (client.clone(), format!("{base}/v1/reports"), filed.clone());
        let text = format!("{} (số {i})", TEXTS[i % TEXTS.len()]);
        tasks.push(tokio::spawn(async move {
            let started = Instant::now();
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&json!({ "description": text }))
                .send()
                .await
                .expect("file");
            assert_eq!(response.status(), 201);
            let body: serde_json::Value = response.json().await.unwrap();
            filed
                .lock()
                .unwrap()
                .push((body["id"].as_str().unwrap().to_owned(), started));
            drop(permit);
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    Arc::try_unwrap(filed).unwrap().into_inner().unwrap()
}

/// How many inbox entries these reports wrote for the connected heads.
async fn expected_entries(
    app: &TestApp,
    filed: &[(String, Instant)],
    heads: &[user::Model],
) -> usize {
    let connected: Vec<Uuid> = heads.iter().map(|h| h.id).collect();
    let mut count = 0;
    for chunk in filed.chunks(500) {
        let ids: Vec<Uuid> = chunk.iter().map(|(id, _)| id.parse().unwrap()).collect();
        count += notification::Entity::find()
            .filter(notification::Column::ReportId.is_in(ids))
            .all(&app.db)
            .await
            .unwrap()
            .iter()
            .filter(|entry| connected.contains(&entry.user_id))
            .count();
    }
    count
}

/// Per report, from the start of its filing to its receipt by the last affected subscriber
/// (sorted); and the entries expected and received.
async fn latencies(
    app: &TestApp,
    filed: &[(String, Instant)],
    heads: &[user::Model],
    receipts: &Mutex<Receipts>,
) -> (Vec<Duration>, usize, usize) {
    let expected = expected_entries(app, filed, heads).await;
    let receipts = receipts.lock().unwrap();
    let mut got = 0;
    let mut latencies: Vec<Duration> = filed
        .iter()
        .filter_map(|(id, started)| {
            let times = receipts.by_report.get(id)?;
            got += times.len();
            Some(*times.iter().max()? - *started)
        })
        .collect();
    latencies.sort();
    (latencies, expected, got)
}
