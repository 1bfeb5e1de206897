//! What an outside attacker tried: control characters in names, formulas in CSV cells, dates
//! from another millennium, endless searches, slow and oversized requests, files readable by
//! everyone. Each test failed before its fix.

use serde_json::json;
use sos_tests::TestApp;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test]
async fn names_and_one_line_texts_refuse_control_characters() {
    let app = TestApp::spawn().await;
    let ward = app.ward_id("tnp.leader").await;
    let admin = app.token("admin").await;
    let renamed = app
        .request(
            reqwest::Method::PATCH,
            &format!("/v1/wards/{ward}/departments/power_utility"),
            Some(&admin),
            Some(json!({"name": "Dien luc\r\nX-Injected: 1"})),
        )
        .await;
    assert_eq!(renamed.status, 422, "{:?}", renamed.body);
    assert_eq!(renamed.body["errors"][0]["field"], "/name");
    let created = app
        .post(
            &format!("/v1/wards/{ward}/departments"),
            &admin,
            json!({"code": "water_two", "name": "Cap nuoc\u{0}", "external": true, "email": "cn@example.com"}),
        )
        .await;
    assert_eq!(created.status, 422);

    let head = app.token("tnp.kp1").await;
    let filed = app
        .post(
            "/v1/reports",
            &head,
            json!({"description": "Đèn đường hư", "address": "Hẻm 5\r\nX: y"}),
        )
        .await;
    assert_eq!(filed.status, 422);
    assert_eq!(filed.body["errors"][0]["field"], "/address");
    let escape = app
        .post(
            "/v1/reports",
            &head,
            json!({"description": "den hu \u{1b}[2J"}),
        )
        .await;
    assert_eq!(escape.status, 422);
    // Line breaks are what a description is made of.
    let lines = app
        .post(
            "/v1/reports",
            &head,
            json!({"description": "Đèn đường hư.\nTrước nhà số 12,\ttối om."}),
        )
        .await;
    assert_eq!(lines.status, 201, "{:?}", lines.body);
}

#[tokio::test]
async fn csv_cells_never_run_as_formulas() {
    let app = TestApp::spawn().await;
    let formula = "=HYPERLINK(\"http://evil.example\",\"Xem\")";
    app.file_report(
        "tnp.kp1",
        json!({"description": formula, "address": "+cmd|' /C calc'!A0"}),
    )
    .await;
    let csv = app
        .get("/v1/reports.csv", &app.token("tnp.leader").await)
        .await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8(csv.bytes.to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[column("description")], format!("'{formula}"));
    assert_eq!(&row[column("address")], "'+cmd|' /C calc'!A0");
}

#[tokio::test]
async fn dates_out_of_any_sane_range_are_refused() {
    let app = TestApp::spawn().await;
    let report = app
        .file_report("tnp.kp1", json!({"description": "o ga lon giua duong"}))
        .await;
    let id = report["id"].as_str().unwrap();
    for far in ["+10000-01-01T00:00:00Z", "2300-01-01T00:00:00Z"] {
        let extended = app
            .try_act(
                "tnp.leader",
                id,
                json!({"action": "extend", "resolve_by": far, "reason": "Chờ vật tư"}),
            )
            .await;
        assert_eq!(extended.status, 422, "{far}: {:?}", extended.body);
    }
    let leader = app.token("tnp.leader").await;
    for path in [
        "/v1/reports?created_from=9999-01-01T00:00:00Z",
        "/v1/stats/summary?from=1900-01-01T00:00:00Z",
        "/v1/reports.geojson?created_to=0001-01-01T00:00:00Z",
    ] {
        let refused = app.get(path, &leader).await;
        assert_eq!(refused.status, 422, "{path}: {:?}", refused.body);
    }
    let admin = app.token("admin").await;
    let day = app
        .put(
            "/v1/calendar/days/9999-01-01",
            &admin,
            json!({"kind": "holiday", "name": "Tết"}),
        )
        .await;
    assert_eq!(day.status, 404);
}

#[tokio::test]
async fn searches_are_bounded() {
    let app = TestApp::spawn().await;
    let leader = app.token("tnp.leader").await;
    let long = "a".repeat(60_000);
    let refused = app.get(&format!("/v1/reports?q={long}"), &leader).await;
    assert_eq!(refused.status, 414, "{:?}", refused.body);
    let long = "đ".repeat(300);
    let refused = app.get(&format!("/v1/reports?q={long}"), &leader).await;
    assert_eq!(refused.status, 400, "{:?}", refused.body);
    assert_eq!(refused.problem(), "bad-parameter");
    let found = app.get("/v1/reports?q=den%20duong", &leader).await;
    assert_eq!(found.status, 200);
}

/// Sends raw bytes on a new connection and reads the answer until the server closes it (or
/// `wait` passes): the answer, and how long it took.
async fn raw(app: &TestApp, request: &[u8], wait: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut socket = TcpStream::connect(app.addr).await.unwrap();
    socket.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(wait, socket.read_to_end(&mut answer)).await;
    (
        String::from_utf8_lossy(&answer).into_owned(),
        started.elapsed(),
    )
}

fn problem_of(answer: &str) -> serde_json::Value {
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    serde_json::from_str(body).unwrap_or_else(|_| panic!("not a problem: {answer:?}"))
}

#[tokio::test]
async fn oversized_requests_get_problems_too() {
    let app = TestApp::spawn().await;
    let host = format!("Host: {}\r\n", app.addr);
    for (size, status) in [(20_000, 414), (200_000, 414)] {
        let request = format!(
            "GET /v1/reports?q={} HTTP/1.1\r\n{host}\r\n",
            "a".repeat(size)
        );
        let (answer, _) = raw(&app, request.as_bytes(), Duration::from_secs(5)).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{size}: {answer:.80}"
        );
        assert!(answer.contains("application/problem+json"), "{size}");
        assert_eq!(problem_of(&answer)["status"], status);
    }
    for count in [150, 1000, 5000] {
        let headers: String = (0..count).map(|i| format!("X-H{i}: {i}\r\n")).collect();
        let request = format!("GET /healthz HTTP/1.1\r\n{host}{headers}\r\n");
        let (answer, _) = raw(&app, request.as_bytes(), Duration::from_secs(5)).await;
        assert!(answer.starts_with("HTTP/1.1 431"), "{count}: {answer:.80}");
        assert_eq!(problem_of(&answer)["status"], 431, "{count}");
    }
}

async fn impatient() -> TestApp {
    TestApp::spawn_with(|settings| {
        settings.header_timeout = Duration::from_secs(1);
        settings.body_grace = Duration::from_secs(1);
        settings.body_min_bytes_per_second = 100;
        settings.max_connections = 4;
    })
    .await
}

#[tokio::test]
async fn slow_headers_slow_bodies_and_idle_connections_are_cut_off() {
    let app = impatient().await;
    // Headers sent a line at a time, too slowly.
    let started = Instant::now();
    let mut socket = TcpStream::connect(app.addr).await.unwrap();
    socket
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    let mut closed = false;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        if socket.write_all(b"X-Slow: 1\r\n").await.is_err() {
            closed = true;
            break;
        }
        let mut byte = [0u8; 1];
        if let Ok(Ok(0)) =
            tokio::time::timeout(Duration::from_millis(1), socket.read(&mut byte)).await
        {
            closed = true;
            break;
        }
    }
    assert!(closed, "the slow headers were cut off");
    assert!(started.elapsed() < Duration::from_secs(4));

    // A body trickled a few bytes a second.
    let token = app.token("tnp.kp1").await;
    let head = format!(
        "POST /v1/reports HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
        app.addr
    );
    let mut socket = TcpStream::connect(app.addr).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    let started = Instant::now();
    let mut answer = Vec::new();
    for _ in 0..20 {
        if socket.write_all(b"{").await.is_err() {
            break;
        }
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout(Duration::from_millis(300), socket.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                answer.extend_from_slice(&chunk[..n]);
                break;
            }
            _ => {}
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:.200}");
    assert!(started.elapsed() < Duration::from_secs(5));

    // A connection opened and left idle is closed.
    let (answer, took) = raw(&app, b"", Duration::from_secs(5)).await;
    assert!(
        answer.is_empty() && took < Duration::from_secs(3),
        "{took:?}"
    );
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_and_streams_outlive_the_header_timeout() {
    let app = impatient().await;
    let token = app.token("tnp.leader").await;
    let mut stream = app.stream(&token, None, "ReportNews").await;
    // Four idle connections fill the cap; they are closed after the header timeout, and the
    // next request is served then.
    let mut idle = Vec::new();
    for _ in 0..3 {
        idle.push(TcpStream::connect(app.addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let health = app.get("/healthz", &token).await;
    assert_eq!(health.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "waited for room"
    );
    // The stream's heartbeat and events keep it open well past the header timeout.
    tokio::time::sleep(Duration::from_secs(2)).await;
    app.file_report(
        "tnp.kp1",
        json!({"description": "rac khong ai thu gom o hem 9"}),
    )
    .await;
    let event = stream.next(Duration::from_secs(10)).await;
    assert!(event.is_some(), "the stream still delivers");
    drop(idle);
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_its_secrets_are_private() {
    use std::os::unix::fs::PermissionsExt;
    if sos_tests::engine() == "postgres" {
        return;
    }
    let data = std::env::temp_dir().join(format!("sos-data-{}", uuid::Uuid::new_v4().simple()));
    let dir = data.clone();
    let app = TestApp::spawn_with(move |settings| {
        settings.data_dir = dir.clone();
        settings.database_url = format!("sqlite://{}?mode=rwc", dir.join("sos.db").display());
    })
    .await;
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    for file in ["sos.db", "sos.db-wal", "sos.db-shm"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    app.stop().await;
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test]
async fn routes_refuse_the_wrong_people_before_reading_what_they_send() {
    let app = TestApp::spawn().await;
    let head = app.token("tnp.kp1").await;
    let ward = app.ward_id("tnp.leader").await;
    for path in [
        "POST /v1/boundaries?level=ward".to_owned(),
        format!("POST /v1/wards/{ward}/departments"),
        format!("PUT /v1/wards/{ward}/office-hours"),
        "PUT /v1/calendar/days/2026-09-02".to_owned(),
    ] {
        // A body announced at 30 MB, of which a kilobyte is sent: the answer comes at once.
        let request = format!(
            "{path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {head}\r\nContent-Type: application/json\r\nContent-Length: 31457280\r\n\r\n{}",
            app.addr,
            " ".repeat(1024)
        );
        let mut socket = TcpStream::connect(app.addr).await.unwrap();
        socket.write_all(request.as_bytes()).await.unwrap();
        let mut answer = vec![0u8; 4096];
        let read = tokio::time::timeout(Duration::from_secs(3), socket.read(&mut answer))
            .await
            .expect("answered without the body")
            .unwrap();
        let answer = String::from_utf8_lossy(&answer[..read]);
        assert!(answer.starts_with("HTTP/1.1 403"), "{path}: {answer:.120}");
    }
}

#[tokio::test]
async fn sign_in_attempts_are_counted_for_the_whole_service_not_per_replica() {
    let a = TestApp::spawn_with(|s| s.login_attempts_per_minute = 3).await;
    let b = a.replica_with(|s| s.login_attempts_per_minute = 3).await;
    assert_eq!(a.login_response("tnp.kp3", "guess").await.status, 401);
    assert_eq!(a.login_response("tnp.kp3", "guess").await.status, 401);
    assert_eq!(b.login_response("tnp.kp3", "guess").await.status, 401);
    let limited = b.login_response("tnp.kp3", "guess").await;
    assert_eq!(limited.status, 429, "{:?}", limited.body);
    assert_eq!(limited.problem(), "rate-limited");
    let wait: u64 = limited.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=120).contains(&wait), "{wait}");
}

#[tokio::test]
async fn an_account_writing_too_fast_is_told_to_wait_on_every_replica() {
    let a = TestApp::spawn_with(|s| s.writes_per_minute = 3).await;
    let b = a.replica_with(|s| s.writes_per_minute = 3).await;
    let head = a.token("tnp.kp1").await;
    let file =
        |n: u32| json!({"description": format!("Rác chưa thu gom ở hẻm {n} đường Lê Văn Việt")});
    assert_eq!(a.post("/v1/reports", &head, file(1)).await.status, 201);
    assert_eq!(a.post("/v1/reports", &head, file(2)).await.status, 201);
    assert_eq!(b.post("/v1/reports", &head, file(3)).await.status, 201);

    let refused = b.post("/v1/reports", &head, file(4)).await;
    assert_eq!(refused.status, 429, "{:?}", refused.body);
    assert_eq!(refused.problem(), "rate-limited");
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=120).contains(&wait), "{wait}");
    // The refused filing left nothing behind; reading goes on; another account still writes.
    let mine = b.get("/v1/reports", &head).await;
    assert_eq!(mine.status, 200);
    let texts = mine.body.to_string();
    assert!(texts.contains("hẻm 3") && !texts.contains("hẻm 4"));
    let other = b.token("tnp.kp2").await;
    assert_eq!(b.post("/v1/reports", &other, file(5)).await.status, 201);
}
