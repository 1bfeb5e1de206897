//! A city's year of reports: leaders' statistics, the deadline scan and the duplicate lookup
//! at intake on a large synthetic load.
//!
//! SQLite: `cargo bench -p sos-tests --bench city`
//! PostgreSQL: `SOS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p sos-tests --bench city`
//!
//! The database is kept between runs (`target/bench-data/stats.db`, or the PostgreSQL database
//! `sos_bench_stats`) and filled up to `SOS_BENCH_REPORTS` synthetic reports (default
//! 1,000,000) the first time, which takes minutes. Each figure is measured over
//! `SOS_BENCH_SAMPLES` requests (default 30) after three warm-up requests.

use chrono::{Duration as Days, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use sos_domain::access::Actor;
use sos_domain::taxonomy::Role;
use sos_store::entities::report;
use sos_tests::{TestApp, engine, env_number, ms, quantile};
use std::time::{Duration, Instant};

fn main() {
    sos_tests::run_benchmark(run());
}

async fn run() {
    let wanted = env_number("SOS_BENCH_REPORTS", 1_000_000);
    let samples = env_number("SOS_BENCH_SAMPLES", 30);
    let url = sos_tests::kept_bench_database("stats").await;
    // The scheduler stays out of the measurements; the scan is measured on its own below.
    let app = TestApp::on_database(&url, |s| {
        s.max_db_connections = 8;
        s.escalation_interval = Duration::from_secs(86_400);
    })
    .await;
    sos_tests::fill_with_synthetic_reports(&app, wanted).await;
    let total = report::Entity::find().count(&app.db).await.expect("count");
    let open = report::Entity::find()
        .filter(report::Column::Status.is_in([
            "submitted",
            "assigned",
            "acknowledged",
            "in_progress",
        ]))
        .count(&app.db)
        .await
        .expect("count");
    println!(
        "engine: {}, {total} reports, {open} open, {samples} samples each",
        engine()
    );

    let ward = app.token("tnp.leader").await;
    let city = app.token("city.leader").await;
    let year = {
        let to = Utc::now();
        let from = to - Days::days(365);
        format!(
            "from={}&to={}",
            from.format("%Y-%m-%dT%H:%M:%SZ"),
            to.format("%Y-%m-%dT%H:%M:%SZ")
        )
    };
    println!(
        "{:<52} {:>9} {:>9} {:>9}",
        "request", "p50 ms", "p95 ms", "max ms"
    );
    for (label, path, token) in [
        (
            "ward summary, last 30 days",
            "/v1/stats/summary".to_owned(),
            &ward,
        ),
        (
            "ward summary, last 365 days",
            format!("/v1/stats/summary?{year}"),
            &ward,
        ),
        (
            "ward departments, last 365 days",
            format!("/v1/stats/departments?{year}"),
            &ward,
        ),
        (
            "ward weekly series, last 365 days",
            format!("/v1/stats/timeseries?{year}&interval=week"),
            &ward,
        ),
        (
            "city summary, last 30 days",
            "/v1/stats/summary".to_owned(),
            &city,
        ),
        (
            "city summary, last 365 days",
            format!("/v1/stats/summary?{year}"),
            &city,
        ),
        (
            "city ward ranking, last 365 days",
            format!("/v1/stats/wards?{year}"),
            &city,
        ),
    ] {
        let times = measure(&app, &path, token, samples).await;
        println!(
            "{label:<52} {:>9.1} {:>9.1} {:>9.1}",
            ms(quantile(&times, 0.5)),
            ms(quantile(&times, 0.95)),
            ms(*times.last().unwrap())
        );
    }

    duplicate_lookup(&app, samples * 10).await;

    // The deadline scan: the first one sends what is due, the next ones find nothing new.
    for round in ["first", "second", "third"] {
        let started = Instant::now();
        let sent = sos_api::services::escalation::scan(&app.services, Utc::now())
            .await
            .expect("scan");
        println!(
            "deadline scan ({round}): {:.0} ms, {} warnings and {} escalations sent",
            ms(started.elapsed()),
            sent.warnings,
            sent.escalations
        );
    }
    app.stop().await;
}

/// The lookup of possible duplicates a head's new report gets: for open located reports of
/// the last two weeks (where duplicates are looked for), a new one of the same kind 5 m away
/// an hour later, looked up as its head would file it.
async fn duplicate_lookup(app: &TestApp, count: usize) {
    let open = report::Entity::find()
        .filter(report::Column::Lat.is_not_null())
        .filter(report::Column::Status.is_in(["assigned", "acknowledged", "in_progress"]))
        .filter(report::Column::CreatedAt.gte(Utc::now() - Days::days(14)))
        .order_by_asc(report::Column::Id)
        .limit(count as u64 * 7)
        .all(&app.db)
        .await
        .expect("open reports");
    let mut times = Vec::with_capacity(count);
    let mut found = 0;
    for existing in open.iter().step_by(7).take(count) {
        let head = Actor {
            user_id: existing.reporter_id,
            role: Role::NeighborhoodHead,
            ward_id: Some(existing.ward_id),
            neighborhood_id: Some(existing.neighborhood_id),
            department_id: None,
            triage_desk: false,
        };
        let mut new = existing.clone();
        new.id = uuid::Uuid::now_v7();
        new.lat = existing.lat.map(|lat| lat + 0.000_045);
        new.created_at = existing.created_at + Days::hours(1);
        let started = Instant::now();
        let duplicates = sos_api::services::reports::possible_duplicates(&app.db, &head, &new)
            .await
            .expect("lookup");
        times.push(started.elapsed());
        found += usize::from(!duplicates.is_empty());
    }
    times.sort();
    println!(
        "{:<52} {:>9.2} {:>9.2} {:>9.2}   ({} lookups, {found} found the original)",
        "duplicate lookup at intake",
        ms(quantile(&times, 0.5)),
        ms(quantile(&times, 0.95)),
        ms(*times.last().unwrap()),
        times.len()
    );
}

async fn measure(app: &TestApp, path: &str, token: &str, samples: usize) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut times = Vec::with_capacity(samples);
    for i in 0..samples + 3 {
        let started = Instant::now();
        let response = client
            .get(app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "{path}");
        let _ = response.bytes().await;
        if i >= 3 {
            times.push(started.elapsed());
        }
    }
    times.sort();
    times
}
