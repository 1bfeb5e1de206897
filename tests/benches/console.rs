//! The console's first screen on a city's year of reports: how long from opening the page
//! (already signed in) until the person sees their figures or their queue, in a real headless
//! Chromium, against the release server running as its own process.
//!
//! SQLite: `cargo build --release --bin sos && cargo bench -p sos-tests --bench console`
//! PostgreSQL: the same with `SOS_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres`
//!
//! It shares the city benchmark's kept database (`target/bench-data/stats.db`, or
//! `sos_bench_stats`), filled up to `SOS_BENCH_REPORTS` synthetic reports (default 1,000,000)
//! the first time. Each screen is opened `SOS_BENCH_SAMPLES` times (default 10) after one
//! warm-up; the time runs from the navigation until the screen's data is drawn (polled every
//! 20 ms, so a figure is up to that much late).

use chrono::Utc;
use fantoccini::Client;
use sos_tests::browser::{became_true, browser};
use sos_tests::{TestApp, engine, env_number, ms, quantile};
use std::time::{Duration, Instant};

fn main() {
    sos_tests::run_benchmark(run());
}

/// A screen: who looks, where, what on the page says its first screen is drawn (the figures
/// and rankings, or the queue's rows), and what says all of it is (trend, late list and map).
struct Screen {
    name: &'static str,
    username: &'static str,
    address: &'static str,
    drawn: &'static str,
    complete: &'static str,
}

const DASHBOARD_COMPLETE: &str =
    "document.getElementById('dashboard-status').textContent.startsWith('Cập nhật')";
const QUEUE_COMPLETE: &str =
    "document.querySelector('#queue-map .pin, #queue-map .marker-cluster') !== null";

const SCREENS: [Screen; 4] = [
    Screen {
        name: "city dashboard (city.leader, 30 days)",
        username: "city.leader",
        address: "/console#/dashboard",
        drawn: "document.getElementById('kpi-received').textContent !== '–' && document.querySelectorAll('#departments tbody tr').length > 0 && document.querySelectorAll('#wards tbody tr').length > 0",
        complete: DASHBOARD_COMPLETE,
    },
    Screen {
        name: "ward dashboard (tnp.leader, 30 days)",
        username: "tnp.leader",
        address: "/console#/dashboard",
        drawn: "document.getElementById('kpi-received').textContent !== '–' && document.querySelectorAll('#departments tbody tr').length > 0",
        complete: DASHBOARD_COMPLETE,
    },
    Screen {
        name: "department queue (tnp.infra)",
        username: "tnp.infra",
        address: "/console#/queue",
        drawn: "document.querySelectorAll('#queue-rows tr').length > 0",
        complete: QUEUE_COMPLETE,
    },
    Screen {
        name: "ward queue (tnp.leader)",
        username: "tnp.leader",
        address: "/console#/queue",
        drawn: "document.querySelectorAll('#queue-rows tr').length > 0",
        complete: QUEUE_COMPLETE,
    },
];

/// Whether `condition` became true within 30 s, asked every 20 ms (the figures' resolution).
async fn until(browser: &Client, condition: &str) -> bool {
    became_true(
        browser,
        condition,
        Duration::from_secs(30),
        Duration::from_millis(20),
    )
    .await
}

/// One opening of `screen` in a browser of its own (nothing kept from an earlier load: no
/// open connection, no page in the back-forward cache), already signed in: the time from the
/// navigation until the screen's data is drawn.
async fn first_screen(server: &TestApp, screen: &Screen) -> (Duration, Duration) {
    let Some((_driver, browser)) = browser(1366, 768).await else {
        panic!("the console benchmark needs chromium and chromium-driver");
    };
    // The session the sign-in form would have kept.
    let login = server
        .login_response(screen.username, sos_tests::DEMO_PASSWORD)
        .await;
    browser.goto(&server.url("/console")).await.unwrap();
    browser
        .execute(
            "sessionStorage.setItem('sos.console.session', JSON.stringify({access: arguments[0], refresh: arguments[1]}));",
            vec![login.body["access_token"].clone(), login.body["refresh_token"].clone()],
        )
        .await
        .unwrap();
    // Away first: from `/console` to `/console#/…` would only change the fragment.
    browser.goto("about:blank").await.unwrap();
    let started = Instant::now();
    browser.goto(&server.url(screen.address)).await.unwrap();
    if !until(&browser, screen.drawn).await {
        let seen = browser
            .execute(
                "return [location.href, document.getElementById('notice').textContent];",
                vec![],
            )
            .await;
        panic!("{}: never drawn; the page: {seen:?}", screen.name);
    }
    let drawn = started.elapsed();
    assert!(
        until(&browser, screen.complete).await,
        "{}: never complete",
        screen.name
    );
    let complete = started.elapsed();
    browser.close().await.unwrap();
    (drawn, complete)
}

async fn run() {
    let wanted = env_number("SOS_BENCH_REPORTS", 1_000_000);
    let samples = env_number("SOS_BENCH_SAMPLES", 10);
    let url = sos_tests::kept_bench_database("stats").await;
    // This process's own deadline worker stays off: the catch-up below is the one scan.
    let app = TestApp::on_database(&url, |s| {
        s.max_db_connections = 4;
        s.escalation_interval = Duration::from_secs(86_400);
    })
    .await;
    sos_tests::fill_with_synthetic_reports(&app, wanted).await;
    // A live service warned and escalated as deadlines passed; a year written at once has
    // that still to do, and the first scan (minutes of writes) would be measured instead.
    let caught_up = sos_api::services::escalation::scan(&app.services, Utc::now())
        .await
        .expect("deadline scan");
    println!(
        "deadline scan caught up: {} warnings and {} escalations",
        caught_up.warnings, caught_up.escalations
    );
    let server = app.process(&[]).await;
    println!(
        "engine: {}, {wanted} reports, release server pid {}, {samples} loads per screen",
        engine(),
        server.pid()
    );
    println!("| screen | first screen p50 / max ms | all drawn p50 / max ms |");
    println!("|---|---|---|");
    for screen in SCREENS {
        let mut drawn = Vec::new();
        let mut complete = Vec::new();
        for sample in 0..=samples {
            let (first, all) = first_screen(&server.app, &screen).await;
            // The first opening of each screen warms the server's caches: not counted.
            if sample > 0 {
                drawn.push(first);
                complete.push(all);
            }
        }
        drawn.sort();
        complete.sort();
        println!(
            "| {} | {:.0} / {:.0} | {:.0} / {:.0} |",
            screen.name,
            ms(quantile(&drawn, 0.5)),
            ms(*drawn.last().unwrap()),
            ms(quantile(&complete, 0.5)),
            ms(*complete.last().unwrap())
        );
    }
    server.kill().await;
}
