//! What hostile photos cost the server in memory (issue 15 #7): small files that claim huge
//! pictures, 16-bit depth, colour profiles that inflate to hundreds of megabytes, a JPEG far
//! too short for the size it claims; and, beside them, the largest phone photo accepted.
//!
//! First `cargo build --release -p sos-api --bin sos` (the server it measures), then
//! `cargo bench -p sos-tests --bench photo_memory`.
//!
//! The service runs in a process of its own (the release `sos serve`, one photo worker), and
//! every file goes through the real HTTP API (`POST /v1/reports/{id}/photos` as a demo
//! neighborhood head). Before each upload the process's peak resident memory is reset to its
//! resident memory (`5` written to `/proc/PID/clear_refs`); after it, the peak (VmHWM) less the
//! resident memory before is what that upload cost. `SOS_BENCH_ENV` adds `NAME=value` pairs
//! (comma-separated) to the server's environment, e.g. `MALLOC_MMAP_THRESHOLD_=4194304`.

use reqwest::multipart::{Form, Part};
use sos_tests::images::{self, CameraTags};
use sos_tests::{ServiceProcess, TestApp, engine, mib, ms, process_memory_kib};
use std::time::{Duration, Instant};

fn main() {
    sos_tests::run_benchmark(run());
}

/// The hostile files, and the largest photo a phone sends by default.
fn inputs() -> Vec<(&'static str, Vec<u8>)> {
    let upright = CameraTags {
        position: None,
        orientation: 1,
    };
    vec![
        (
            "PNG 7900×7900 16-bit RGBA (all black)",
            images::flat_png(7900, 7900, 6, 16),
        ),
        (
            "PNG 4000×3000 16-bit RGBA (all black)",
            images::flat_png(4000, 3000, 6, 16),
        ),
        (
            "PNG 64×48 with a colour profile inflating to 390 MB",
            images::png_with_profile_bomb(390_000_000),
        ),
        (
            "PNG 64×48 with a colour profile inflating to 1 GiB",
            images::png_with_profile_bomb(1 << 30),
        ),
        ("JPEG claiming 7990×7990", images::jpeg_claiming(7990, 7990)),
        (
            "PNG 5712×4284 8-bit RGB (all black): the most a small file is let cost",
            images::flat_png(5712, 4284, 2, 8),
        ),
        (
            "JPEG 5712×4284 (an iPhone's 24 MP photo)",
            images::jpeg_of(&images::scene(5712, 4284, 8), 85),
        ),
        (
            "JPEG 4000×3000 phone photo with EXIF",
            images::phone_jpeg(4000, 3000, upright),
        ),
    ]
}

async fn upload(service: &ServiceProcess, token: &str, file: Vec<u8>) -> (u16, String) {
    let report = service
        .app
        .file_report(
            "tnp.kp1",
            serde_json::json!({"description": "ổ gà lớn trước nhà"}),
        )
        .await;
    let url = service.app.url(&format!(
        "/v1/reports/{}/photos",
        report["id"].as_str().unwrap()
    ));
    let form = Form::new().part(
        "photo",
        Part::bytes(file)
            .file_name("IMG.jpg")
            .mime_str("image/jpeg")
            .unwrap(),
    );
    let response = service
        .app
        .client
        .post(url)
        .bearer_auth(token)
        .header("accept-language", "en")
        .multipart(form)
        .timeout(Duration::from_secs(120))
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    let said = body["errors"][0]["message"]
        .as_str()
        .or(body["detail"].as_str())
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{}×{}", body["width"], body["height"]));
    (status, said)
}

async fn run() {
    let inputs = inputs();
    let app = TestApp::spawn().await;
    let mut env = vec![("SOS_PHOTO_WORKERS", "1".to_owned())];
    let extra = std::env::var("SOS_BENCH_ENV").unwrap_or_default();
    for pair in extra.split(',').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').expect("NAME=value");
        env.push((name, value.to_owned()));
    }
    let service = app.process(&env).await;
    let pid = service.pid();
    let token = service.app.token("tnp.kp1").await;
    // Warm up: connections, statements, the store's directory, a first photo.
    let (status, _) = upload(
        &service,
        &token,
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
    assert_eq!(status, 201);
    println!(
        "server pid {pid} on {engine}, 1 photo worker{extra}; resident {:.1} MiB, start-up peak {:.1} MiB",
        mib(process_memory_kib(pid, "VmRSS:")),
        mib(process_memory_kib(pid, "VmHWM:")),
        engine = engine(),
        extra = if extra.is_empty() {
            String::new()
        } else {
            format!(", with {extra}")
        },
    );
    println!(
        "| file | bytes | answer | time | resident before | peak rise |\n|---|---|---|---|---|---|"
    );
    let mut worst = 0;
    for (what, file) in inputs {
        let size = file.len();
        tokio::time::sleep(Duration::from_millis(300)).await;
        std::fs::write(format!("/proc/{pid}/clear_refs"), "5").expect("reset the peak");
        let before = process_memory_kib(pid, "VmRSS:");
        let started = Instant::now();
        let (status, said) = upload(&service, &token, file).await;
        let took = started.elapsed();
        let peak = process_memory_kib(pid, "VmHWM:");
        let rise = peak.saturating_sub(before);
        worst = worst.max(rise);
        println!(
            "| {what} | {size} | {status} {said} | {:.0} ms | {:.1} MiB | {:.1} MiB |",
            ms(took),
            mib(before),
            mib(rise),
        );
    }
    println!(
        "worst peak rise: {:.1} MiB (target: under 150 MB, 143 MiB); resident at the end {:.1} MiB",
        mib(worst),
        mib(process_memory_kib(pid, "VmRSS:"))
    );
    service.kill().await;
}
