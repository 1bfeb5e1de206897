//! Uploading phone photos: a 12-megapixel JPEG of about 4 MB, over HTTP to the real server.
//!
//! `cargo bench -p sos-tests --bench photos` (SQLite; PostgreSQL with `SOS_TEST_DATABASE_URL`).
//!
//! Three figures:
//! - memory: how far the process's peak resident memory (VmHWM) rises over its resident
//!   memory before one upload, measured first, while the peak is still the start-up's; it
//!   counts the client's copy of the upload too, so it is an upper bound for the server;
//! - latency of one upload at a time, from the first byte sent to the answer, over
//!   `SOS_BENCH_SAMPLES` uploads (default 30);
//! - `GET /v1/reports` latency while 4 uploads run at once, against the same list alone.

use reqwest::multipart::{Form, Part};
use sos_tests::images::{self, CameraTags};
use sos_tests::{TestApp, engine, env_number, ms, quantile};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
const TARGET_BYTES: usize = 4_000_000;

fn main() {
    sos_tests::run_benchmark(run());
}

/// A 12-megapixel phone photo of about 4 MB: grain is raised until the JPEG is that large.
fn twelve_megapixel_photo() -> Vec<u8> {
    let tags = CameraTags {
        position: Some((10.844, 106.79)),
        orientation: 6,
    };
    let mut grain = 8u8;
    loop {
        let jpeg = images::jpeg_of(&images::scene(WIDTH, HEIGHT, grain), 90);
        if jpeg.len() >= TARGET_BYTES || grain == 255 {
            return images::with_camera_tags(&jpeg, tags);
        }
        grain = grain.saturating_add(2);
    }
}

/// The same photo made distinct (a different trailer after its end), as every upload of the
/// benchmark must be a new photo, not a retry of the last.
fn distinct(photo: &[u8], n: usize) -> Vec<u8> {
    let mut copy = photo.to_vec();
    copy.extend_from_slice(format!("bench-{n}").as_bytes());
    copy
}

fn memory_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("memory field")
}

struct Uploader {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Uploader {
    /// Files a report and adds the photo to it; returns how long the upload took.
    async fn upload(&self, app: &TestApp, photo: Vec<u8>) -> Duration {
        let report = app
            .file_report(
                "tnp.kp1",
                serde_json::json!({"description": "ổ gà lớn trước nhà"}),
            )
            .await;
        let url = format!(
            "{}/v1/reports/{}/photos",
            self.base,
            report["id"].as_str().unwrap()
        );
        let form = Form::new().part(
            "photo",
            Part::bytes(photo)
                .file_name("IMG.jpg")
                .mime_str("image/jpeg")
                .unwrap(),
        );
        let started = Instant::now();
        let response = self
            .client
            .post(url)
            .bearer_auth(&self.token)
            .multipart(form)
            .send()
            .await
            .expect("upload");
        assert_eq!(response.status(), 201, "{:?}", response.text().await);
        started.elapsed()
    }
}

async fn list_times(
    app: &TestApp,
    token: &str,
    until: &AtomicBool,
    at_least: usize,
) -> Vec<Duration> {
    let mut times = Vec::new();
    while !until.load(Ordering::Relaxed) || times.len() < at_least {
        let started = Instant::now();
        let response = app
            .client
            .get(app.url("/v1/reports?limit=20"))
            .bearer_auth(token)
            .send()
            .await
            .expect("list");
        assert_eq!(response.status(), 200);
        response.bytes().await.expect("body");
        times.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    times.sort();
    times
}

async fn run() {
    let samples = env_number("SOS_BENCH_SAMPLES", 30);
    let photo = twelve_megapixel_photo();
    println!(
        "photo: {WIDTH}×{HEIGHT} JPEG, {:.1} MB, on {} ({} photo worker(s))",
        photo.len() as f64 / 1e6,
        engine(),
        sos_api::config::Settings::from_env()
            .map(|s| s.photo_workers)
            .unwrap_or(1)
    );
    let app = TestApp::spawn().await;
    let uploader = Uploader {
        client: reqwest::Client::new(),
        base: app.url(""),
        token: app.token("tnp.kp1").await,
    };
    // Warm up with a small photo: connections, statements, the store's directory.
    uploader
        .upload(
            &app,
            images::phone_jpeg(
                640,
                480,
                CameraTags {
                    position: None,
                    orientation: 1,
                },
            ),
        )
        .await;

    let before = memory_kib("VmRSS:");
    let peak_before = memory_kib("VmHWM:");
    uploader.upload(&app, distinct(&photo, 0)).await;
    let peak = memory_kib("VmHWM:");
    println!(
        "memory for one upload: peak {:.1} MiB above the {:.1} MiB resident before (start-up peak {:.1} MiB)",
        peak.saturating_sub(before) as f64 / 1024.0,
        before as f64 / 1024.0,
        peak_before as f64 / 1024.0,
    );

    let mut times = Vec::new();
    for n in 1..=samples {
        times.push(uploader.upload(&app, distinct(&photo, n)).await);
    }
    times.sort();
    println!(
        "one upload at a time ({samples}): p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        ms(quantile(&times, 0.5)),
        ms(quantile(&times, 0.95)),
        ms(*times.last().unwrap()),
    );

    let reader = app.token("tnp.leader").await;
    let done = AtomicBool::new(true);
    let alone = list_times(&app, &reader, &done, 200).await;
    let rounds = env_number("SOS_BENCH_ROUNDS", 5);
    let uploading = Arc::new(AtomicBool::new(false));
    let uploads = async {
        let mut upload_times = Vec::new();
        for round in 0..rounds {
            let batch =
                (0..4).map(|i| uploader.upload(&app, distinct(&photo, 1000 + round * 4 + i)));
            upload_times.extend(futures_util::future::join_all(batch).await);
        }
        uploading.store(true, Ordering::Relaxed);
        upload_times
    };
    let (mut upload_times, during) =
        tokio::join!(uploads, list_times(&app, &reader, &uploading, 1));
    upload_times.sort();
    println!(
        "GET /v1/reports alone ({}): p50 {:.1} ms, p99 {:.1} ms",
        alone.len(),
        ms(quantile(&alone, 0.5)),
        ms(quantile(&alone, 0.99)),
    );
    println!(
        "GET /v1/reports during 4 uploads at once ({} requests, {} uploads): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; the uploads took p50 {:.0} ms, max {:.0} ms",
        during.len(),
        upload_times.len(),
        ms(quantile(&during, 0.5)),
        ms(quantile(&during, 0.99)),
        ms(*during.last().unwrap()),
        ms(quantile(&upload_times, 0.5)),
        ms(*upload_times.last().unwrap()),
    );
    app.stop().await;
}
