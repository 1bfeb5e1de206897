//! Test harness: starts the real service on `127.0.0.1:0` against a fresh database, SQLite by
//! default or PostgreSQL when `SOS_TEST_DATABASE_URL` names a server, and checks every response
//! against `openapi.yaml` on the way back.

use reqwest::Method;
use serde_json::{Value, json};
use sos_api::config::Settings;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex};
use uuid::Uuid;

pub mod browser;
pub mod fcm;
pub mod images;
pub mod smtp;
pub mod spec;

pub use spec::SPEC;

/// The PostgreSQL server to test against, e.g. `postgres://postgres@127.0.0.1:5432/postgres`.
const POSTGRES_ENV: &str = "SOS_TEST_DATABASE_URL";

/// The PostgreSQL server that `SOS_TEST_DATABASE_URL` names, if any (else tests use SQLite).
fn postgres_server_url() -> Option<String> {
    std::env::var(POSTGRES_ENV).ok().filter(|v| !v.is_empty())
}

/// Where benchmarks keep their SQLite databases between runs.
const BENCH_DATA_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench-data");

pub const DEMO_PASSWORD: &str = "sos-demo";

/// A fresh database for one test, removed when the test ends; or one that outlives it.
enum TestDatabase {
    Sqlite {
        dir: PathBuf,
    },
    Postgres {
        admin_url: String,
        name: String,
    },
    /// A database given by the caller (benchmarks keep theirs between runs).
    Kept,
}

impl TestDatabase {
    async fn create() -> (TestDatabase, String) {
        match postgres_server_url() {
            Some(admin_url) => {
                let name = format!("sos_test_{}", Uuid::new_v4().simple());
                let admin = sea_orm::Database::connect(&admin_url)
                    .await
                    .expect("connect to PostgreSQL");
                use sea_orm::ConnectionTrait;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let url = replace_database(&admin_url, &name);
                (TestDatabase::Postgres { admin_url, name }, url)
            }
            None => {
                let dir =
                    std::env::temp_dir().join(format!("sos-test-{}", Uuid::new_v4().simple()));
                std::fs::create_dir_all(&dir).expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.join("sos.db").display());
                (TestDatabase::Sqlite { dir }, url)
            }
        }
    }

    pub fn is_postgres() -> bool {
        postgres_server_url().is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self {
            TestDatabase::Sqlite { dir } => {
                let _ = std::fs::remove_dir_all(dir);
            }
            TestDatabase::Kept => {}
            TestDatabase::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime, which cannot block on itself.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .ok()?;
                    runtime.block_on(async {
                        use sea_orm::ConnectionTrait;
                        let admin = sea_orm::Database::connect(&admin_url).await.ok()?;
                        admin
                            .execute_unprepared(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .await
                            .ok()?;
                        admin.close().await.ok()
                    })
                })
                .join();
            }
        }
    }
}

fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The settings of a service under test: the environment's, on `url`, with a known JWT
/// secret and limits no test trips over.
fn test_settings(url: &str) -> Settings {
    let mut settings = Settings::from_env().expect("settings");
    settings.database_url = url.to_owned();
    settings.data_dir = std::env::temp_dir();
    settings.jwt_secret = TEST_JWT_SECRET.as_bytes().to_vec();
    settings.login_attempts_per_minute = 1000;
    settings.login_attempts_per_minute_per_ip = 10_000;
    settings.writes_per_minute = 100_000;
    settings.max_db_connections = 5;
    // The tests' webhook receivers listen on this machine.
    settings.webhook_targets =
        sos_domain::network::TargetPolicy::parse(LOCAL_RECEIVERS).expect("networks");
    settings.photo_store = std::env::temp_dir()
        .join(format!("sos-photos-{}", uuid::Uuid::new_v4().simple()))
        .display()
        .to_string();
    settings
}

/// Where the tests' webhook receivers are: loopback, which a service refuses to reach unless
/// its operator allows it.
pub const LOCAL_RECEIVERS: &str = "127.0.0.0/8, ::1/128";

/// The JWT secret of every service under test.
pub const TEST_JWT_SECRET: &str = "test-secret-that-is-at-least-32-bytes";

/// The `sos` binary as operators run it: the release build of the service.
///
/// Set `SOS_SERVER_BIN` to use a given binary. Otherwise a test builds it with `cargo build
/// --release` (a no-op when it is up to date, as after `.ci/run`'s own build), at low priority
/// so that tests running meanwhile keep the processor. That works because cargo locks each
/// profile's directory on its own, and tests run from the dev profile's. A benchmark runs
/// from the release directory, whose lock its cargo holds, so it takes the binary already
/// there: build it first.
pub fn server_binary() -> &'static std::path::Path {
    static BINARY: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BINARY.get_or_init(|| {
        if let Some(path) = std::env::var_os("SOS_SERVER_BIN") {
            return PathBuf::from(path);
        }
        let exe = std::env::current_exe().expect("exe");
        // target/<profile>/deps/<this binary>
        let profile_dir = exe
            .parent()
            .and_then(|deps| deps.parent())
            .expect("profile");
        if profile_dir
            .file_name()
            .is_some_and(|name| name == "release")
        {
            let binary = profile_dir.join("sos");
            assert!(
                binary.exists(),
                "run `cargo build --release --bin sos` before this benchmark"
            );
            return binary;
        }
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = std::process::Command::new("nice")
            .args(["-n", "19"])
            .arg(cargo)
            .args(["build", "--release", "--package", "sos-api", "--bin", "sos"])
            .args(["--message-format", "json-render-diagnostics"])
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("cargo runs");
        assert!(output.status.success(), "cargo build --release failed");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|message| {
                message["reason"] == "compiler-artifact" && message["target"]["name"] == "sos"
            })
            .find_map(|artifact| artifact["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the binary it built")
    })
}

/// The service running in a process of its own on a test's database, to be killed.
pub struct ServiceProcess {
    /// Requests to the process (its `db` and `state` are the starting test's).
    pub app: TestApp,
    child: tokio::process::Child,
    /// Its data directory (the embedded mail and push folders, photos).
    scratch: PathBuf,
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

impl ServiceProcess {
    /// The operating system's id of the process.
    pub fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    /// Kills the process with SIGKILL: no shutdown, no cleanup, as a crash or an OOM kill.
    pub async fn kill(mut self) {
        self.child.kill().await.expect("kill");
    }
}

/// The tests' HTTP client: it follows no redirect, so a test sees what the server answered.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

pub struct TestApp {
    pub addr: SocketAddr,
    database_url: String,
    pub client: reqwest::Client,
    pub db: sea_orm::DatabaseConnection,
    /// The service's use cases, for tests that call its background work directly.
    pub services: sos_api::services::Services,
    tokens: Mutex<HashMap<String, String>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _database: Arc<TestDatabase>,
}

/// A response, already checked against the spec.
#[derive(Debug)]
pub struct TestResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    /// The body as received (pictures, CSV).
    pub bytes: bytes::Bytes,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem type's last part, e.g. `validation`.
    pub fn problem(&self) -> &str {
        self.body["type"]
            .as_str()
            .and_then(|t| t.rsplit(':').next())
            .unwrap_or("")
    }
}

impl TestApp {
    /// The service with the demo wards and accounts.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        let (database, url) = TestDatabase::create().await;
        TestApp::start(url, Arc::new(database), configure).await
    }

    /// The service with the demo, on `clock` (pinned by the test, to move it).
    pub async fn spawn_with_clock(clock: sos_api::clock::Clock) -> TestApp {
        let (database, url) = TestDatabase::create().await;
        TestApp::start_with(url, Arc::new(database), |_| {}, true, clock).await
    }

    /// The service on a fresh database without the demo: a new installation, with the national
    /// list of wards and nothing else.
    pub async fn spawn_bare() -> TestApp {
        let (database, url) = TestDatabase::create().await;
        let clock = sos_api::clock::Clock::system();
        TestApp::start_with(url, Arc::new(database), |_| {}, false, clock).await
    }

    /// The address of the test's database, for commands run against it.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The service on an existing database, which is left as it is afterwards.
    pub async fn on_database(url: &str, configure: impl FnOnce(&mut Settings)) -> TestApp {
        TestApp::start(url.to_owned(), Arc::new(TestDatabase::Kept), configure).await
    }

    /// Several replicas of the service on one fresh database. On PostgreSQL they start at the
    /// same moment, as an orchestrator would start them; the embedded SQLite mode is meant for
    /// one process, so there they start one after the other and then run side by side.
    pub async fn spawn_replicas(count: usize) -> Vec<TestApp> {
        let (database, url) = TestDatabase::create().await;
        let database = Arc::new(database);
        if TestDatabase::is_postgres() {
            let starts = (0..count).map(|_| TestApp::start(url.clone(), database.clone(), |_| {}));
            return futures_util::future::join_all(starts).await;
        }
        let mut replicas = Vec::new();
        for _ in 0..count {
            replicas.push(TestApp::start(url.clone(), database.clone(), |_| {}).await);
        }
        replicas
    }

    /// Another replica of this service, on the same database.
    pub async fn replica(&self) -> TestApp {
        self.replica_with(|_| {}).await
    }

    /// Another replica of this service, on the same database, with its own settings.
    pub async fn replica_with(&self, configure: impl FnOnce(&mut Settings)) -> TestApp {
        TestApp::start(self.database_url.clone(), self._database.clone(), configure).await
    }

    async fn start(
        url: String,
        database: Arc<TestDatabase>,
        configure: impl FnOnce(&mut Settings),
    ) -> TestApp {
        TestApp::start_with(
            url,
            database,
            configure,
            true,
            sos_api::clock::Clock::system(),
        )
        .await
    }

    async fn start_with(
        url: String,
        database: Arc<TestDatabase>,
        configure: impl FnOnce(&mut Settings),
        demo: bool,
        clock: sos_api::clock::Clock,
    ) -> TestApp {
        let mut settings = test_settings(&url);
        configure(&mut settings);
        let services = sos_api::services::Services::start(settings, clock)
            .await
            .expect("services");
        if demo {
            sos_api::services::seed::seed_demo(&services.db, &services.writer, &services.clock)
                .await
                .expect("demo data");
        }
        let db = services.db.clone();
        let app_services = services.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(sos_api::http::serve(listener, services, async {
            let _ = rx.await;
        }));
        TestApp {
            addr,
            database_url: url,
            client: client(),
            db,
            services: app_services,
            tokens: Mutex::new(HashMap::new()),
            shutdown: Some(tx),
            server: Some(server),
            _database: database,
        }
    }

    /// The service's release binary (`sos serve`) in a process of its own, on this test's
    /// database, with `env` added to its environment.
    pub async fn process(&self, env: &[(&str, String)]) -> ServiceProcess {
        use tokio::io::AsyncBufReadExt;
        // A build may take minutes: off this test's runtime, whose tasks keep serving.
        let binary = tokio::task::spawn_blocking(server_binary)
            .await
            .expect("the server binary");
        let scratch = std::env::temp_dir().join(format!("sos-process-{}", Uuid::new_v4().simple()));
        let mut command = tokio::process::Command::new(binary);
        command
            .arg("serve")
            .env("DATABASE_URL", &self.database_url)
            .env("SOS_LISTEN", "127.0.0.1:0")
            .env("JWT_SECRET", TEST_JWT_SECRET)
            .env("SOS_DATA_DIR", &scratch)
            .env("SOS_PHOTO_STORE", scratch.join("photos"))
            .env("SOS_LOGIN_ATTEMPTS_PER_MINUTE", "1000")
            .env("SOS_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP", "10000")
            .env("SOS_WRITES_PER_MINUTE", "100000")
            .env("SOS_WEBHOOK_ALLOWED_NETWORKS", LOCAL_RECEIVERS)
            .env("SOS_LOG_FORMAT", "json")
            // Only the binary's own lines: the address it listens on.
            .env("RUST_LOG", "warn,sos=info")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("service process");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
        let addr = tokio::time::timeout(std::time::Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.expect("read") {
                let Ok(log) = serde_json::from_str::<Value>(&line) else {
                    continue;
                };
                if let Some(addr) = log["fields"]["message"]
                    .as_str()
                    .and_then(|m| m.strip_prefix("listening on http://"))
                {
                    return addr.parse::<SocketAddr>().expect("address");
                }
            }
            panic!("the service process ended before listening");
        })
        .await
        .expect("the service process listens within a minute");
        // Keep draining its output, so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        ServiceProcess {
            app: TestApp {
                addr,
                database_url: self.database_url.clone(),
                client: client(),
                db: self.db.clone(),
                services: self.services.clone(),
                tokens: Mutex::new(HashMap::new()),
                shutdown: None,
                server: None,
                _database: self._database.clone(),
            },
            child,
            scratch,
        }
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task").expect("server result");
        }
    }

    /// Stops the service and closes its connections to the database, which its listener of
    /// other replicas' news follows: a PostgreSQL database copied next as a template must
    /// have no session open.
    pub async fn close(self) {
        let db = self.db.clone();
        self.stop().await;
        db.close().await.expect("close the pool");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends a request and checks the response against `openapi.yaml`.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let mut request = self.client.request(method.clone(), self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(method, path, request).await
    }

    /// Sends a prepared request (raw bodies, odd headers) and checks the response.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> TestResponse {
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if content_type.starts_with("text/event-stream") {
            // An endless stream: its type is checked here, its events by `events()`.
            spec::check_stream(
                method.as_str(),
                path.split('?').next().unwrap_or(path),
                status,
            );
            return TestResponse {
                status,
                headers,
                body: Value::Null,
                bytes: bytes::Bytes::new(),
            };
        }
        let bytes = response.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else if content_type.starts_with("text/") {
            Value::String(String::from_utf8(bytes.to_vec()).expect("text is UTF-8"))
        } else {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let route = path.split('?').next().unwrap_or(path);
        spec::check_response(method.as_str(), route, status, content_type, &bytes, &body);
        if status == 401 {
            // RFC 9110: a 401 carries its challenge; the problem type says why.
            let challenge = headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert!(
                challenge.starts_with("Bearer"),
                "{method} {route}: a 401 without `WWW-Authenticate: Bearer`"
            );
            let kind = body["type"].as_str().unwrap_or("");
            assert!(
                spec::UNAUTHORIZED_TYPES
                    .iter()
                    .any(|t| kind == format!("urn:sos-khu-pho:problem:{t}")),
                "{method} {route}: a 401 of an undocumented type {kind:?}"
            );
        }
        TestResponse {
            status,
            headers,
            body,
            bytes,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> TestResponse {
        self.request(Method::GET, path, Some(token), None).await
    }

    /// Reads `path` until `done` holds of its body (what a page did may take a moment to
    /// land); the last body, whether or not it did within five seconds.
    pub async fn get_until(&self, path: &str, token: &str, done: impl Fn(&Value) -> bool) -> Value {
        let mut body = Value::Null;
        for _ in 0..50 {
            body = self.get(path, token).await.body;
            if done(&body) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        body
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> TestResponse {
        self.request(Method::POST, path, Some(token), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> TestResponse {
        self.request(Method::PUT, path, Some(token), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str, token: &str) -> TestResponse {
        self.request(Method::DELETE, path, Some(token), None).await
    }

    /// The entries of someone's inbox, newest first.
    pub async fn inbox(&self, who: &str) -> Vec<Value> {
        let inbox = self.get("/v1/notifications", &self.token(who).await).await;
        assert_eq!(inbox.status, 200);
        inbox.body["items"].as_array().expect("items").clone()
    }

    /// The types of the entries in someone's inbox, newest first.
    pub async fn inbox_types(&self, who: &str) -> Vec<String> {
        self.inbox(who)
            .await
            .iter()
            .map(|n| n["type"].as_str().expect("type").to_owned())
            .collect()
    }

    /// The newest entry of a type in someone's inbox.
    pub async fn inbox_entry(&self, who: &str, event_type: &str) -> Value {
        self.inbox(who)
            .await
            .into_iter()
            .find(|n| n["type"] == event_type)
            .unwrap_or_else(|| panic!("no {event_type} in the inbox of {who}"))
    }

    pub async fn login_response(&self, username: &str, password: &str) -> TestResponse {
        self.request(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"username": username, "password": password})),
        )
        .await
    }

    /// Opens `GET /v1/stream` as `token`'s phone or desk would, resuming after
    /// `last_event_id`; its events are checked against the spec's `schema`.
    pub async fn stream(
        &self,
        token: &str,
        last_event_id: Option<&str>,
        schema: &'static str,
    ) -> EventReader {
        let mut request = self.client.get(self.url("/v1/stream")).bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.expect("stream");
        assert_eq!(response.status(), 200);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        EventReader::new(response, schema)
    }

    /// An access token of a demo account, signed in once per test app.
    pub async fn token(&self, username: &str) -> String {
        self.token_with(username, DEMO_PASSWORD).await
    }

    /// An access token of an account, signed in once per test app with `password`.
    pub async fn token_with(&self, username: &str, password: &str) -> String {
        if let Some(token) = self.tokens.lock().unwrap().get(username) {
            return token.clone();
        }
        let response = self.login_response(username, password).await;
        assert_eq!(
            response.status, 200,
            "login {username}: {:?}",
            response.body
        );
        let token = response.body["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned();
        self.tokens
            .lock()
            .unwrap()
            .insert(username.to_owned(), token.clone());
        token
    }

    /// The id of `who`'s ward.
    pub async fn ward_id(&self, who: &str) -> String {
        let me = self.get("/v1/me", &self.token(who).await).await;
        me.body["ward"]["id"].as_str().unwrap().to_owned()
    }

    /// Files a report as a head and returns its JSON.
    pub async fn file_report(&self, head: &str, body: Value) -> Value {
        let token = self.token(head).await;
        let response = self.post("/v1/reports", &token, body).await;
        assert_eq!(response.status, 201, "{:?}", response.body);
        response.body
    }

    /// Files `description` as `head` and has `staff` resolve it with `answer`; the report's id.
    pub async fn file_and_resolve(
        &self,
        head: &str,
        description: &str,
        staff: &str,
        answer: &str,
    ) -> String {
        let filed = self
            .file_report(head, serde_json::json!({ "description": description }))
            .await;
        let id = filed["id"].as_str().unwrap().to_owned();
        self.act(
            staff,
            &id,
            serde_json::json!({ "action": "resolve", "response": answer }),
        )
        .await;
        id
    }

    /// Performs an action as `who`, expecting success.
    pub async fn act(&self, who: &str, report_id: &str, body: Value) -> Value {
        let response = self.try_act(who, report_id, body.clone()).await;
        assert_eq!(response.status, 200, "{who} {body}: {:?}", response.body);
        response.body
    }

    pub async fn try_act(&self, who: &str, report_id: &str, body: Value) -> TestResponse {
        let token = self.token(who).await;
        self.post(&format!("/v1/reports/{report_id}/actions"), &token, body)
            .await
    }
}

/// One Server-Sent Event as received.
#[derive(Debug, Clone)]
pub struct StreamEvent {
    pub id: String,
    pub event: String,
    pub data: Value,
}

/// Reads the events of an SSE response, validating each `data` against its schema: a
/// `Notification` in a head's stream, `ReportNews` in the others'.
pub struct EventReader {
    body: std::pin::Pin<Box<dyn futures_util::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buffer: String,
    schema: &'static str,
}

impl EventReader {
    /// Reads `response`, each event's data checked against the schema named `schema`.
    pub fn new(response: reqwest::Response, schema: &'static str) -> Self {
        EventReader {
            body: Box::pin(response.bytes_stream()),
            buffer: String::new(),
            schema,
        }
    }

    /// Whether the server ends the stream within `wait` (events meanwhile are skipped).
    pub async fn ends_within(&mut self, wait: std::time::Duration) -> bool {
        use futures_util::StreamExt;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Err(_) => return false,
                Ok(None | Some(Err(_))) => return true,
                Ok(Some(Ok(_))) => {}
            }
        }
    }

    /// The next event, or `None` if none comes within `wait` (heartbeats are skipped).
    pub async fn next(&mut self, wait: std::time::Duration) -> Option<StreamEvent> {
        use futures_util::StreamExt;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut id, mut event, mut data) = (String::new(), String::new(), String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if !event.is_empty() {
                    let data: Value = serde_json::from_str(&data).expect("event data is JSON");
                    spec::check_schema(self.schema, &data);
                    return Some(StreamEvent { id, event, data });
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()??
                .ok()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Runs a benchmark's body on a multi-threaded runtime, as the service runs.
pub fn run_benchmark(body: impl std::future::Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(body);
}

/// A benchmark's database, kept between runs and created if missing: the PostgreSQL database
/// `sos_bench_{name}` when `SOS_TEST_DATABASE_URL` names a server, else
/// `target/bench-data/{name}.db`.
pub async fn kept_bench_database(name: &str) -> String {
    use sea_orm::ConnectionTrait;
    match postgres_server_url() {
        Some(admin_url) => {
            let database = format!("sos_bench_{name}");
            let admin = sea_orm::Database::connect(&admin_url)
                .await
                .expect("PostgreSQL");
            let exists = admin
                .query_one_raw(sea_orm::Statement::from_string(
                    admin.get_database_backend(),
                    format!("SELECT 1 FROM pg_database WHERE datname = '{database}'"),
                ))
                .await
                .expect("query")
                .is_some();
            if !exists {
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {database}"))
                    .await
                    .expect("create database");
            }
            replace_database(&admin_url, &database)
        }
        None => {
            std::fs::create_dir_all(BENCH_DATA_DIR).expect("bench data directory");
            format!("sqlite://{BENCH_DATA_DIR}/{name}.db?mode=rwc")
        }
    }
}

/// A copy of the kept benchmark database [`kept_bench_database`] gives for `name`, for one
/// run to write into: `sos_bench_{name}_run`, or `target/bench-data/{name}-run.db`, replaced
/// at every call. Each run then starts from the
/// same reports, not from what the last run filed: those stay open, and their deadlines passing
/// would set the scanner escalating beside the load being measured.
pub async fn fresh_copy_of_bench_database(name: &str) -> String {
    use sea_orm::ConnectionTrait;
    let copy = format!("sos_bench_{name}_run");
    match postgres_server_url() {
        Some(admin_url) => {
            let admin = sea_orm::Database::connect(&admin_url)
                .await
                .expect("PostgreSQL");
            // A template must have no session open: the seeding service has closed its
            // pool, and sessions still ending are ended here.
            for statement in [
                format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = 'sos_bench_{name}' AND pid <> pg_backend_pid()"
                ),
                format!("DROP DATABASE IF EXISTS {copy} WITH (FORCE)"),
                format!("CREATE DATABASE {copy} TEMPLATE sos_bench_{name}"),
            ] {
                admin
                    .execute_unprepared(&statement)
                    .await
                    .unwrap_or_else(|e| panic!("{statement}: {e}"));
            }
            replace_database(&admin_url, &copy)
        }
        None => {
            let path = format!("{BENCH_DATA_DIR}/{name}-run.db");
            for stale in [path.clone(), format!("{path}-wal"), format!("{path}-shm")] {
                let _ = std::fs::remove_file(stale);
            }
            // VACUUM INTO writes a consistent copy, the write-ahead log's pages included.
            let seeded = format!("sqlite://{BENCH_DATA_DIR}/{name}.db");
            let source = sea_orm::Database::connect(&seeded).await.expect("SQLite");
            source
                .execute_unprepared(&format!("VACUUM INTO '{path}'"))
                .await
                .expect("copy the benchmark database");
            source.close().await.expect("close");
            format!("sqlite://{path}?mode=rwc")
        }
    }
}

/// Fills a benchmark's database up to `wanted` synthetic reports (a city's year is about a
/// million), once, and builds their statistics facts, as the replicas' workers would.
pub async fn fill_with_synthetic_reports(app: &TestApp, wanted: usize) {
    use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait};
    let stored = sos_store::entities::report::Entity::find()
        .count(&app.db)
        .await
        .expect("count") as usize;
    if stored < wanted {
        println!("writing {} synthetic reports (once)…", wanted - stored);
        let started = std::time::Instant::now();
        sos_api::services::synthetic::seed(
            &app.db,
            &app.services.writer,
            &app.services.clock,
            wanted - stored,
            stored as u64,
        )
        .await
        .expect("synthetic load");
        println!("  done in {:.0} s", started.elapsed().as_secs_f64());
        // A live database is vacuumed and analysed by autovacuum as it goes; a freshly
        // written one is not yet, and its plans and visibility map would mislead.
        if app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            app.db
                .execute_unprepared("VACUUM ANALYZE")
                .await
                .expect("vacuum");
        }
    }
    send_the_alerts_of_past_deadlines(app).await;
    let started = std::time::Instant::now();
    let built = sos_api::services::stats::build_all_facts(&app.services)
        .await
        .expect("day facts");
    if built > 0 {
        println!(
            "built the facts of {built} ward-days and changed reports in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
}

/// Sends the deadline warnings and escalations that a year of synthetic reports is due, and
/// counts their deliveries as made: a city that has run for a year has sent them, and a run
/// that found them waiting would measure its scheduler catching up on tens of thousands of
/// alerts (and stall its intake) instead of the steady state.
async fn send_the_alerts_of_past_deadlines(app: &TestApp) {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use sos_domain::delivery::DeliveryStatus;
    use sos_store::Stored;
    use sos_store::entities::outbox;
    let started = std::time::Instant::now();
    let now = app.services.clock.now();
    let sent = sos_api::services::escalation::scan(&app.services, now)
        .await
        .expect("deadline alerts");
    if sent.warnings + sent.escalations == 0 {
        return;
    }
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Stored(DeliveryStatus::Sent).into())
        .col_expr(outbox::Column::SentAt, Some(now).into())
        .filter(outbox::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .exec(&app.db)
        .await
        .expect("deliveries made");
    println!(
        "sent {} warnings and {} escalations of past deadlines in {:.0} s",
        sent.warnings,
        sent.escalations,
        started.elapsed().as_secs_f64()
    );
}

/// A memory figure of a process from `/proc/PID/status` (`VmRSS:`, `VmHWM:`…), in KiB.
pub fn process_memory_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("memory field")
}

/// The CPU time a process has used, user and system, in seconds (`/proc/PID/stat`, in the
/// kernel's clock ticks of 1/100 s).
pub fn process_cpu_seconds(pid: u32) -> f64 {
    cpu_seconds_of(pid).expect("the process's stat")
}

/// User and system CPU seconds of a process, if it still runs.
fn cpu_seconds_of(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name, in parentheses, may hold spaces: count fields after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields of the line, 12th and 13th after the name.
    let ticks = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// CPU seconds of the PostgreSQL processes running on this machine (the server and its
/// backends, living ones only), for what the database spends beside the service.
pub fn postgres_cpu_seconds() -> f64 {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|name| name.trim() == "postgres")
        })
        .filter_map(cpu_seconds_of)
        .sum()
}

pub fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The `q` quantile of sorted durations (nearest rank).
pub fn quantile(sorted: &[std::time::Duration], q: f64) -> std::time::Duration {
    sorted[((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1]
}

pub fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A number from the environment for a benchmark's size, `default` when unset.
pub fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Takes the schema back to before the migration `name`, the later ones undone too, as a
/// database not yet upgraded to it; `Migrator::up` upgrades it again. By name, so a test
/// means the same migration however many are added after it.
pub async fn migrate_back_before(db: &sea_orm::DatabaseConnection, name: &str) {
    use sos_migrations::{Migrator, MigratorTrait};
    let steps = Migrator::migrations()
        .iter()
        .rev()
        .position(|migration| migration.name() == name)
        .unwrap_or_else(|| panic!("no migration {name}"))
        + 1;
    Migrator::down(db, Some(steps as u32))
        .await
        .expect("migrations undone");
}

/// Whether this run is against PostgreSQL (for messages only: every test runs on both).
pub fn engine() -> &'static str {
    static ENGINE: LazyLock<&str> = LazyLock::new(|| {
        if TestDatabase::is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    });
    &ENGINE
}
