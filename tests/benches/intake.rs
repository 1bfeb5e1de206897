//! Sustained intake benchmark: heads of several wards file reports over loopback at a steady
//! offered rate, open loop, against the release server running as its own process, on a
//! database that already holds a city's year of reports.
//!
//! SQLite: `cargo bench -p sos-tests --bench intake`
//! PostgreSQL: `SOS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p sos-tests --bench intake`
//!
//! - The database is kept between runs (`target/bench-data/intake.db`, or `sos_bench_intake`)
//!   and filled up to `SOS_BENCH_REPORTS` synthetic reports (default 1,000,000) the first time.
//!   Each run files into a fresh copy of it (`intake-run.db`, or `sos_bench_intake_run`), so
//!   runs compare: none carries the open reports of the runs before it.
//! - Each level (`SOS_BENCH_CLIENTS`, default `1,8,32,64` connections) offers
//!   `SOS_BENCH_RATE` reports per second (default 1600) for `SOS_BENCH_SECONDS` (default 60)
//!   after 5 s of warm-up. Requests leave on a fixed schedule whatever the answers: a
//!   request's latency counts from when it was due, so a server that falls behind shows it in
//!   the tail instead of slowing the load down (no coordinated omission). A level lasts its
//!   time: what was due and not yet sent when it ends is counted as not sent.
//! - Reported per level: reports/s carried, p50 / p99 / p99.9, errors, the server's CPU per
//!   report and its peak resident memory, and on PostgreSQL the database's CPU per report
//!   (every `postgres` process of this machine). The raw commit rate of the same database (one
//!   single-row insert per transaction) is measured in the same run, before the levels.
//! - And for each 30 s window of a level: p50, p99 and the slowest answer of the requests due
//!   in it, and the server's largest resident memory, to see whether they stay flat.
//! - The server sends its mail over SMTP to a server in this process, as in production, and
//!   the run ends with the number of messages received.

use sea_orm::sea_query::{ColumnDef, Query, Table};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;
use sos_domain::taxonomy::Role;
use sos_store::entities::user;
use sos_tests::smtp::SmtpServer;
use sos_tests::{
    DEMO_PASSWORD, TestApp, engine, env_number, mib, ms, postgres_cpu_seconds, process_cpu_seconds,
    process_memory_kib, quantile,
};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Wards whose heads file, and heads per ward.
const WARDS: usize = 8;
const HEADS_PER_WARD: usize = 5;
const WARM_UP: Duration = Duration::from_secs(5);
/// A level's latencies and memory are also shown window by window, to see whether they stay
/// flat as the day fills.
const TIMELINE_WINDOW: Duration = Duration::from_secs(30);

const TEXTS: [&str; 6] = [
    "den duong hu truoc nha so 12, toi om",
    "Rác không ai thu gom ba ngày nay ở đầu hẻm 45",
    "Karaoke hát tới 12 giờ đêm ở nhà số 8",
    "Ổ gà lớn giữa đường Lê Văn Việt, xe máy té",
    "Nước ngập tới đầu gối ở hẻm 30 sau cơn mưa",
    "Cây xanh nghiêng sắp đổ trước trường tiểu học",
];

/// A head filing in the benchmark: their token, and where they stand when their ward has
/// boundaries (phones send their position; a ward without boundaries gets none).
struct Head {
    token: String,
    position: Option<(f64, f64)>,
}

fn main() {
    sos_tests::run_benchmark(run());
}

async fn run() {
    let wanted = env_number("SOS_BENCH_REPORTS", 1_000_000);
    let seconds = env_number("SOS_BENCH_SECONDS", 60) as u64;
    let rate = env_number("SOS_BENCH_RATE", 1600) as f64;
    let levels: Vec<usize> = std::env::var("SOS_BENCH_CLIENTS")
        .unwrap_or_else(|_| "1,8,32,64".to_owned())
        .split(',')
        .map(|n| n.trim().parse().expect("SOS_BENCH_CLIENTS: numbers"))
        .collect();
    // This process only prepares the database and measures its raw commit rate; the server
    // under load is the release binary in a process of its own.
    let without_workers = |s: &mut sos_api::config::Settings| {
        let never = Duration::from_secs(86_400);
        s.escalation_interval = never;
        s.delivery_interval = never;
        s.facts_interval = never;
    };
    let seeded = sos_tests::kept_bench_database("intake").await;
    let seeding = TestApp::on_database(&seeded, without_workers).await;
    sos_tests::fill_with_synthetic_reports(&seeding, wanted).await;
    seeding.close().await;
    let url = sos_tests::fresh_copy_of_bench_database("intake").await;
    let app = TestApp::on_database(&url, without_workers).await;
    let raw = raw_commit_rate(&app.db, 2000).await;
    let heads = heads_of_several_wards(&app).await;
    // Mail leaves over SMTP, as in production, to a server in this process. The default,
    // a folder of `.eml` files, is for trying the service out, and what a file costs depends
    // on the file system's state: in one profile, creating them took a seventh of the
    // server's CPU, most of it ext4 looking for a free inode among those that earlier runs'
    // folders freed (docs/NOTES.md, issue 19's eighth slice).
    let mail = SmtpServer::start().await;
    // The server inherits this process's environment: `SOS_DB_MAX_CONNECTIONS` and the like
    // can be tried without a change here; by default it runs with the service's defaults.
    let server = app
        .process(&[
            ("SOS_WRITES_PER_MINUTE", "1000000".to_owned()),
            ("SMTP_URL", mail.url.clone()),
        ])
        .await;
    let pid = server.pid();
    let mut signed_in = Vec::new();
    for (username, position) in &heads {
        let token = server.app.token_with(username, DEMO_PASSWORD).await;
        signed_in.push(Head {
            token,
            position: *position,
        });
    }
    let heads = Arc::new(signed_in);
    println!(
        "engine: {}, {} heads of {WARDS} wards, {rate:.0} reports/s offered for {seconds} s per level",
        engine(),
        heads.len()
    );
    println!("raw commits (one single-row insert per transaction, sequential): {raw:.0}/s");
    println!(
        "{:>7} {:>10} {:>8} {:>8} {:>9} {:>7} {:>9} {:>11} {:>13} {:>14}",
        "clients",
        "reports/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "errors",
        "not sent",
        "CPU ms/rep",
        "peak RSS MiB",
        "DB CPU ms/rep"
    );
    let url = server.app.url("/v1/reports");
    for clients in levels {
        tidy_up(&app.db).await;
        let warm_up = (rate * WARM_UP.as_secs_f64()) as usize;
        load(&url, &heads, clients, rate, warm_up).await;
        let cpu_before = process_cpu_seconds(pid);
        // PostgreSQL's own processes (nothing on SQLite, which runs inside the server).
        let database_cpu_before = postgres_cpu_seconds();
        let total = (rate * seconds as f64) as usize;
        let memory = Arc::new(Mutex::new(Vec::new()));
        let sampler = tokio::spawn(largest_resident_memory_by_window(pid, memory.clone()));
        let run = load(&url, &heads, clients, rate, total).await;
        sampler.abort();
        let cpu = process_cpu_seconds(pid) - cpu_before;
        let database_cpu = postgres_cpu_seconds() - database_cpu_before;
        let carried = run.filed as f64 / run.elapsed.as_secs_f64();
        println!(
            "{clients:>7} {carried:>10.0} {:>8.2} {:>8.2} {:>9.2} {:>7} {:>9} {:>11.3} {:>13.1} {:>14.3}",
            ms(quantile(&run.latencies, 0.50)),
            ms(quantile(&run.latencies, 0.99)),
            ms(quantile(&run.latencies, 0.999)),
            run.errors.values().sum::<usize>(),
            total - run.latencies.len(),
            1000.0 * cpu / run.filed.max(1) as f64,
            mib(process_memory_kib(pid, "VmHWM:")),
            1000.0 * database_cpu / run.filed.max(1) as f64,
        );
        for (status, count) in &run.errors {
            println!("        {count} answered {status}");
        }
        if run.by_window.len() > 1 {
            let memory = memory.lock().expect("memory samples").clone();
            print_timeline(&run, &memory);
        }
    }
    println!(
        "mail: {} messages received over SMTP",
        mail.inbox.lock().expect("mail").len()
    );
    drop(server);
    app.stop().await;
}

/// Heads of the first wards (by code) that have heads: the demo's, whose neighborhoods have
/// boundaries (they send a position inside theirs), then the synthetic load's.
async fn heads_of_several_wards(app: &TestApp) -> Vec<(String, Option<(f64, f64)>)> {
    let heads = user::Entity::find()
        .filter(user::Column::Role.eq(Role::NeighborhoodHead.as_str()))
        .filter(user::Column::Active.eq(true))
        .all(&app.db)
        .await
        .expect("heads");
    let places = neighborhood_points(app).await;
    let mut by_ward: BTreeMap<String, Vec<&user::Model>> = BTreeMap::new();
    for head in &heads {
        let ward = head.ward_id.map(|w| w.to_string()).unwrap_or_default();
        by_ward.entry(ward).or_default().push(head);
    }
    // Wards with boundaries first, so that some filings are placed by their position.
    let mut wards: Vec<Vec<&user::Model>> = by_ward.into_values().collect();
    wards.sort_by_key(|heads| {
        !heads
            .iter()
            .any(|h| h.neighborhood_id.is_some_and(|n| places.contains_key(&n)))
    });
    wards
        .into_iter()
        .take(WARDS)
        .flat_map(|mut heads| {
            heads.sort_by(|a, b| a.username.cmp(&b.username));
            heads.truncate(HEADS_PER_WARD);
            heads
        })
        .map(|head| {
            let position = head.neighborhood_id.and_then(|n| places.get(&n).copied());
            (head.username.clone(), position)
        })
        .collect()
}

/// A point inside each neighborhood that has a boundary in force: (latitude, longitude).
async fn neighborhood_points(app: &TestApp) -> std::collections::HashMap<uuid::Uuid, (f64, f64)> {
    use geo::InteriorPoint;
    let today = app.services.clock.today();
    sos_store::geography::in_force(&app.db, today, None)
        .await
        .expect("boundaries")
        .iter()
        .filter_map(|row| {
            let point = sos_api::services::geography::read_area(row)?.interior_point()?;
            Some((row.neighborhood_id?, (point.y(), point.x())))
        })
        .collect()
}

/// Samples the server's resident memory every second; keeps the largest of each window.
async fn largest_resident_memory_by_window(pid: u32, largest: Arc<Mutex<Vec<u64>>>) {
    let started = tokio::time::Instant::now();
    let mut every_second = tokio::time::interval(Duration::from_secs(1));
    loop {
        every_second.tick().await;
        let rss = process_memory_kib(pid, "VmRSS:");
        let mut largest = largest.lock().expect("memory samples");
        let in_window = window_of(&mut largest, started.elapsed());
        *in_window = (*in_window).max(rss);
    }
}

/// The entry of `windows` for the window holding `elapsed` (since the level began), added
/// with the windows before it if there is none yet.
fn window_of<T: Default + Clone>(windows: &mut Vec<T>, elapsed: Duration) -> &mut T {
    let window = (elapsed.as_secs() / TIMELINE_WINDOW.as_secs()) as usize;
    if windows.len() <= window {
        windows.resize(window + 1, T::default());
    }
    &mut windows[window]
}

/// A level window by window: its answers' p50, p99 and slowest, and the server's largest
/// resident memory.
fn print_timeline(run: &Run, memory: &[u64]) {
    println!(
        "        {:>9} {:>8} {:>8} {:>8} {:>9}",
        "from s", "p50 ms", "p99 ms", "max ms", "RSS MiB"
    );
    for (window, latencies) in run.by_window.iter().enumerate() {
        let Some(slowest) = latencies.last() else {
            continue;
        };
        println!(
            "        {:>9} {:>8.2} {:>8.2} {:>8.2} {:>9.1}",
            window as u64 * TIMELINE_WINDOW.as_secs(),
            ms(quantile(latencies, 0.50)),
            ms(quantile(latencies, 0.99)),
            ms(*slowest),
            mib(memory.get(window).copied().unwrap_or(0)),
        );
    }
}

/// What one level of load gave.
struct Run {
    /// Answered 201.
    filed: usize,
    elapsed: Duration,
    /// From when each request sent was due to its answer, sorted.
    latencies: Vec<Duration>,
    /// Each answer's latency, by the window of the level its request was due in, sorted.
    by_window: Vec<Vec<Duration>>,
    /// Answers other than 201, by status (0: no answer).
    errors: BTreeMap<u16, usize>,
}

/// Offers `total` filings at `rate` per second over `clients` connections: request `i` is
/// due at `i / rate` seconds; a connection takes the next request when it is free, and sends
/// it when it is due. Nothing more is sent once the last one was due.
async fn load(url: &str, heads: &Arc<Vec<Head>>, clients: usize, rate: f64, total: usize) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let started = tokio::time::Instant::now();
    let end = started + Duration::from_secs_f64(total as f64 / rate);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (next, url, heads) = (next.clone(), url.to_owned(), heads.clone());
        // One connection per client, kept open as a phone's would be between reports.
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .build()
            .expect("client");
        tasks.push(tokio::spawn(async move {
            // (when the request was due, from the level's start; its latency)
            let mut answers = Vec::new();
            let mut errors: BTreeMap<u16, usize> = BTreeMap::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || tokio::time::Instant::now() > end {
                    break;
                }
                let due = started + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due).await;
                let head = &heads[i % heads.len()];
                let mut body = json!({
                    "id": uuid::Uuid::now_v7(),
                    "description": format!("{} (#{i})", TEXTS[i % TEXTS.len()]),
                });
                if let Some((lat, lon)) = head.position {
                    body["location"] = json!({"lat": lat, "lon": lon, "accuracy_m": 15.0});
                }
                let status = match client
                    .post(&url)
                    .bearer_auth(&head.token)
                    .json(&body)
                    .send()
                    .await
                {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let _ = response.bytes().await;
                        status
                    }
                    Err(_) => 0,
                };
                answers.push((due - started, due.elapsed()));
                if status != 201 {
                    *errors.entry(status).or_default() += 1;
                }
            }
            (answers, errors)
        }));
    }
    let mut run = Run {
        filed: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::with_capacity(total),
        by_window: Vec::new(),
        errors: BTreeMap::new(),
    };
    for task in tasks {
        let (answers, errors) = task.await.expect("client");
        for (due, latency) in answers {
            window_of(&mut run.by_window, due).push(latency);
            run.latencies.push(latency);
        }
        for (status, count) in errors {
            *run.errors.entry(status).or_default() += count;
        }
    }
    run.elapsed = started.elapsed();
    run.latencies.sort();
    for window in &mut run.by_window {
        window.sort();
    }
    run.filed = run.latencies.len() - run.errors.values().sum::<usize>();
    run
}

/// On PostgreSQL, what autovacuum does in service, done before a level and not timed:
/// clearing the dead rows of the last one (the facts worker rewrites the event it drains)
/// and refreshing the planner's statistics. This machine's PostgreSQL runs with autovacuum
/// off, and without this each level ran on the bloat of all the runs before it. Then a
/// checkpoint: copying the database and vacuuming it write hundreds of MB of WAL, and the
/// checkpoint they call for otherwise fell at a different moment of each level, with its
/// full-page writes (one run's p50 was 850 ms, its neighbours' 11–20 ms, with the server's
/// code unchanged between them).
async fn tidy_up(db: &DatabaseConnection) {
    if engine() == "postgres" {
        db.execute_unprepared("VACUUM (ANALYZE)")
            .await
            .expect("vacuum");
        db.execute_unprepared("CHECKPOINT")
            .await
            .expect("checkpoint");
    }
}

/// Commits per second of one single-row insert each, one after another, through the pool.
async fn raw_commit_rate(db: &DatabaseConnection, count: usize) -> f64 {
    let create = Table::create()
        .table("bench_raw")
        .if_not_exists()
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
