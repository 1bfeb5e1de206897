//! Settings from the environment. Every setting has a documented default (see the README's
//! configuration table) and is checked at start-up, so a typo stops the service with a clear
//! message instead of surprising someone later.

use anyhow::{Context, bail};
use sos_domain::network::TargetPolicy;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The embedded default: a SQLite file in the data directory.
const DEFAULT_DATA_DIR: &str = "data";
const MIN_SECRET_BYTES: usize = 32;

#[derive(Clone)]
pub struct Settings {
    /// Where the service listens (`SOS_LISTEN`).
    pub listen: SocketAddr,
    /// SQLite file or PostgreSQL server (`DATABASE_URL`).
    pub database_url: String,
    /// Local state of the embedded mode: the SQLite file and the generated JWT secret.
    pub data_dir: PathBuf,
    /// HMAC key of access tokens (`JWT_SECRET`).
    pub jwt_secret: Vec<u8>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Login attempts allowed per username and per client address each minute.
    pub login_attempts_per_minute: u32,
    pub login_attempts_per_minute_per_ip: u32,
    /// Writes (any request but a read) per account and minute, counted across replicas.
    pub writes_per_minute: u32,
    /// The oldest phone app version served (`X-App-Version`); none: every version.
    pub min_app_version: Option<semver::Version>,
    /// The street map under the console's and dashboard's maps (`SOS_MAP_TILE_URL`); none:
    /// boundaries and reports on a plain background, which needs no internet.
    pub map_tiles: Option<MapTiles>,
    pub max_body_bytes: usize,
    /// Classifier confidence under which a report goes to the triage desk.
    pub triage_threshold: f32,
    /// How often each replica checks for a newly activated classifier model.
    pub classifier_refresh: Duration,
    /// How often each replica looks for deadlines to warn about or escalate.
    pub escalation_interval: Duration,
    /// Database connections in the pool (`SOS_DB_MAX_CONNECTIONS`).
    pub max_db_connections: u32,
    /// Largest photo accepted, in bytes (`SOS_MAX_PHOTO_BYTES`).
    pub max_photo_bytes: usize,
    /// Where photo files are kept: a directory, or `s3://bucket/prefix` (`SOS_PHOTO_STORE`).
    pub photo_store: String,
    /// Settings of an S3 photo bucket, from the usual `AWS_*` variables (endpoint, region,
    /// keys, `AWS_ALLOW_HTTP` for a local S3-compatible server).
    pub photo_bucket_options: Vec<(String, String)>,
    /// Photos processed at once (`SOS_PHOTO_WORKERS`); the rest wait their turn.
    pub photo_workers: usize,
    /// The SMTP server mail is sent through (`SMTP_URL`); without one, mail is written to
    /// `SOS_DATA_DIR/mail` as `.eml` files.
    pub smtp_url: Option<String>,
    /// The sender of the service's mail (`SOS_MAIL_FROM`).
    pub mail_from: String,
    /// A Google service-account key file for Firebase Cloud Messaging (`FCM_SERVICE_ACCOUNT`);
    /// without one, push messages are written to `SOS_DATA_DIR/push`.
    pub fcm_service_account: Option<PathBuf>,
    /// FCM's base URL (`FCM_ENDPOINT`), changed only to test against a local server.
    pub fcm_endpoint: String,
    /// Networks webhooks may reach besides the public internet (`SOS_WEBHOOK_ALLOWED_NETWORKS`):
    /// a receiver in the city's own network; plain `http` is allowed only there.
    pub webhook_targets: TargetPolicy,
    /// How often each replica looks for webhook deliveries that are due.
    pub delivery_interval: Duration,
    /// How long a worker's claim on a delivery holds: one whose worker died is sent again by
    /// another after this.
    pub delivery_lease: Duration,
    /// Wait after a delivery's first failure; it doubles with each further one.
    pub delivery_retry_base: Duration,
    /// Attempts before a delivery is parked as dead.
    pub delivery_max_attempts: u32,
    /// How often each replica rebuilds the statistics facts of days whose reports changed.
    pub facts_interval: Duration,
    /// How often writes counted in memory are added to the shared rate counts.
    pub write_counts_flush: Duration,
    /// Time given to requests in flight when the service is asked to stop.
    pub shutdown_grace: Duration,
    /// Time a client has to send a request's headers; a kept-alive connection idle that long
    /// is closed too (`SOS_HEADER_TIMEOUT_SECONDS`).
    pub header_timeout: Duration,
    /// The slowest a request body may arrive, once `body_grace` has passed
    /// (`SOS_BODY_MIN_BYTES_PER_SECOND`, `SOS_BODY_GRACE_SECONDS`).
    pub body_min_bytes_per_second: u64,
    pub body_grace: Duration,
    /// Connections open at once on this replica (`SOS_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// The header in which the trusted proxy in front of the service puts the client's address
    /// (`SOS_CLIENT_ADDRESS_HEADER`, such as `x-forwarded-for`: its last address is taken).
    /// Unset, the address the connection comes from is the client's: a header a client sends
    /// itself is never believed.
    pub client_address_header: Option<String>,
    pub log_json: bool,
}

impl std::fmt::Debug for Settings {
    // Hand-written so that the JWT secret never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("database", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("triage_threshold", &self.triage_threshold)
            .finish_non_exhaustive()
    }
}

/// Hides the password of a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://***{}", &url[..scheme_end], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// A source of map tiles, as Leaflet reads it: `https://tiles.example.org/{z}/{x}/{y}.png`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapTiles {
    pub url: String,
    /// The credit the tiles' licence asks for, shown on the map.
    pub attribution: String,
}

impl MapTiles {
    pub fn parse(url: &str, attribution: Option<String>) -> anyhow::Result<MapTiles> {
        let url = url.trim();
        let usable = (url.starts_with("https://") || url.starts_with("http://"))
            && ["{z}", "{x}", "{y}"].iter().all(|part| url.contains(part))
            && !url
                .chars()
                .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | ';'));
        anyhow::ensure!(
            usable,
            "SOS_MAP_TILE_URL must be an http(s) address with {{z}}, {{x}} and {{y}}, such as \
             https://tile.openstreetmap.org/{{z}}/{{x}}/{{y}}.png"
        );
        Ok(MapTiles {
            url: url.to_owned(),
            attribution: attribution.unwrap_or_default(),
        })
    }

    /// Scheme, host and port: what the pages' Content-Security-Policy must allow images from.
    pub fn origin(&self) -> &str {
        let after_scheme = self.url.find("://").map_or(0, |at| at + 3);
        let end = self.url[after_scheme..]
            .find('/')
            .map_or(self.url.len(), |at| after_scheme + at);
        &self.url[..end]
    }
}

impl Settings {
    /// Reads the environment. The JWT secret is resolved separately by [`Settings::resolve_secret`]
    /// because the embedded mode may create one on disk.
    pub fn from_env() -> anyhow::Result<Self> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings from any source of variables (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let vars = Variables(&lookup);
        let data_dir = PathBuf::from(vars.text("SOS_DATA_DIR", DEFAULT_DATA_DIR));
        let database_url = vars
            .raw("DATABASE_URL")
            .unwrap_or_else(|| sqlite_url(&data_dir));
        let settings = Settings {
            listen: vars.number("SOS_LISTEN", "127.0.0.1:8080".parse()?)?,
            jwt_secret: vars.raw("JWT_SECRET").unwrap_or_default().into_bytes(),
            access_token_ttl: vars.secs("SOS_ACCESS_TOKEN_TTL_SECONDS", 900)?,
            refresh_token_ttl: vars.secs("SOS_REFRESH_TOKEN_TTL_SECONDS", 30 * 86_400)?,
            login_attempts_per_minute: vars.number("SOS_LOGIN_ATTEMPTS_PER_MINUTE", 5)?,
            login_attempts_per_minute_per_ip: vars
                .number("SOS_LOGIN_ATTEMPTS_PER_MINUTE_PER_IP", 60)?,
            writes_per_minute: vars.number("SOS_WRITES_PER_MINUTE", 120)?,
            min_app_version: vars
                .raw("SOS_MIN_APP_VERSION")
                .map(|v| v.parse())
                .transpose()
                .context("SOS_MIN_APP_VERSION must be a version such as 1.4.0")?,
            map_tiles: vars
                .raw("SOS_MAP_TILE_URL")
                .map(|url| MapTiles::parse(&url, vars.raw("SOS_MAP_TILE_ATTRIBUTION")))
                .transpose()?,
            max_body_bytes: vars.number("SOS_MAX_BODY_BYTES", 65_536)?,
            triage_threshold: vars.number(
                "SOS_TRIAGE_THRESHOLD",
                sos_domain::routing::DEFAULT_TRIAGE_THRESHOLD,
            )?,
            classifier_refresh: vars.secs("SOS_CLASSIFIER_REFRESH_SECONDS", 30)?,
            escalation_interval: vars.secs("SOS_ESCALATION_INTERVAL_SECONDS", 60)?,
            max_db_connections: vars.number(
                "SOS_DB_MAX_CONNECTIONS",
                default_db_connections(&database_url),
            )?,
            max_photo_bytes: vars.number("SOS_MAX_PHOTO_BYTES", 10 * 1024 * 1024)?,
            photo_store: vars.text(
                "SOS_PHOTO_STORE",
                &data_dir.join("photos").display().to_string(),
            ),
            photo_bucket_options: S3_VARIABLES
                .iter()
                .filter_map(|name| Some((name.to_ascii_lowercase(), vars.raw(name)?)))
                .collect(),
            photo_workers: vars.number("SOS_PHOTO_WORKERS", default_photo_workers())?,
            smtp_url: vars.raw("SMTP_URL"),
            fcm_service_account: vars.raw("FCM_SERVICE_ACCOUNT").map(PathBuf::from),
            fcm_endpoint: vars.text("FCM_ENDPOINT", "https://fcm.googleapis.com"),
            mail_from: vars.text(
                "SOS_MAIL_FROM",
                "SOS Khu Phố <no-reply@sos-khu-pho.invalid>",
            ),
            webhook_targets: TargetPolicy::parse(&vars.text("SOS_WEBHOOK_ALLOWED_NETWORKS", ""))
                .map_err(|e| anyhow::anyhow!("SOS_WEBHOOK_ALLOWED_NETWORKS is not valid: {e}"))?,
            delivery_interval: vars.millis("SOS_DELIVERY_INTERVAL_MS", 1000)?,
            delivery_lease: vars.secs("SOS_DELIVERY_LEASE_SECONDS", 60)?,
            delivery_retry_base: vars.millis("SOS_DELIVERY_RETRY_BASE_MS", 10_000)?,
            facts_interval: vars.millis("SOS_FACTS_INTERVAL_MS", 2000)?,
            write_counts_flush: vars.millis("SOS_WRITE_COUNTS_FLUSH_MS", 1000)?,
            delivery_max_attempts: vars.number("SOS_DELIVERY_MAX_ATTEMPTS", 8)?,
            shutdown_grace: vars.secs("SOS_SHUTDOWN_GRACE_SECONDS", 20)?,
            header_timeout: vars.secs("SOS_HEADER_TIMEOUT_SECONDS", 10)?,
            body_min_bytes_per_second: vars.number("SOS_BODY_MIN_BYTES_PER_SECOND", 1024)?,
            body_grace: vars.secs("SOS_BODY_GRACE_SECONDS", 10)?,
            max_connections: vars.number("SOS_MAX_CONNECTIONS", 4096)?,
            client_address_header: vars
                .raw("SOS_CLIENT_ADDRESS_HEADER")
                .map(|name| name.trim().to_ascii_lowercase())
                .filter(|name| !name.is_empty()),
            log_json: match vars.text("SOS_LOG_FORMAT", "text").as_str() {
                "json" => true,
                "text" => false,
                other => bail!("SOS_LOG_FORMAT={other:?} is not valid: use text or json"),
            },
            database_url,
            data_dir,
        };
        settings.validate()?;
        Ok(settings)
    }

    pub fn is_sqlite(&self) -> bool {
        is_sqlite_url(&self.database_url)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !(self.is_sqlite()
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            bail!("DATABASE_URL must start with sqlite:, postgres:// or postgresql://");
        }
        if self.access_token_ttl < Duration::from_secs(60)
            || self.access_token_ttl > Duration::from_secs(86_400)
        {
            bail!("SOS_ACCESS_TOKEN_TTL_SECONDS must be between 60 and 86400");
        }
        if self.refresh_token_ttl <= self.access_token_ttl {
            bail!("SOS_REFRESH_TOKEN_TTL_SECONDS must be longer than the access token's lifetime");
        }
        if self.login_attempts_per_minute == 0 || self.login_attempts_per_minute_per_ip == 0 {
            bail!("login attempt limits must be at least 1 a minute");
        }
        if self.writes_per_minute == 0 {
            bail!("SOS_WRITES_PER_MINUTE must be at least 1");
        }
        if !(1024..=16 * 1024 * 1024).contains(&self.max_body_bytes) {
            bail!("SOS_MAX_BODY_BYTES must be between 1024 and 16777216");
        }
        if !(0.0..=1.0).contains(&self.triage_threshold) {
            bail!("SOS_TRIAGE_THRESHOLD must be between 0 and 1");
        }
        if self.classifier_refresh.is_zero() {
            bail!("SOS_CLASSIFIER_REFRESH_SECONDS must be at least 1");
        }
        if self.escalation_interval.is_zero() {
            bail!("SOS_ESCALATION_INTERVAL_SECONDS must be at least 1");
        }
        if !(64 * 1024..=64 * 1024 * 1024).contains(&self.max_photo_bytes) {
            bail!("SOS_MAX_PHOTO_BYTES must be between 65536 and 67108864");
        }
        if self.mail_from.parse::<lettre::message::Mailbox>().is_err() {
            bail!("SOS_MAIL_FROM must be an address, e.g. SOS Khu Phố <sos@phuong.gov.vn>");
        }
        if self.delivery_interval.is_zero() || self.delivery_retry_base.is_zero() {
            bail!("SOS_DELIVERY_INTERVAL_MS and SOS_DELIVERY_RETRY_BASE_MS must be at least 1");
        }
        if self.delivery_lease < Duration::from_secs(1) {
            bail!("SOS_DELIVERY_LEASE_SECONDS must be at least 1");
        }
        if self.facts_interval.is_zero() {
            bail!("SOS_FACTS_INTERVAL_MS must be at least 1");
        }
        if self.write_counts_flush.is_zero() {
            bail!("SOS_WRITE_COUNTS_FLUSH_MS must be at least 1");
        }
        if !(1..=50).contains(&self.delivery_max_attempts) {
            bail!("SOS_DELIVERY_MAX_ATTEMPTS must be between 1 and 50");
        }
        if !(1..=300).contains(&self.header_timeout.as_secs()) {
            bail!("SOS_HEADER_TIMEOUT_SECONDS must be between 1 and 300");
        }
        if self.body_min_bytes_per_second == 0 || self.body_grace.is_zero() {
            bail!("SOS_BODY_MIN_BYTES_PER_SECOND and SOS_BODY_GRACE_SECONDS must be at least 1");
        }
        if self.max_connections == 0 {
            bail!("SOS_MAX_CONNECTIONS must be at least 1");
        }
        if self.photo_workers == 0 {
            bail!("SOS_PHOTO_WORKERS must be at least 1");
        }
        // Start-up holds one connection as a lock while migrations use another.
        if self.max_db_connections < 2 {
            bail!("SOS_DB_MAX_CONNECTIONS must be at least 2");
        }
        if !self.jwt_secret.is_empty() && self.jwt_secret.len() < MIN_SECRET_BYTES {
            bail!("JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long");
        }
        Ok(())
    }

    /// Makes sure there is a JWT secret. Replicas of a production service must share one, so it
    /// must come from `JWT_SECRET`; the embedded SQLite mode creates one in its data directory
    /// and keeps it, so tokens survive a restart.
    pub fn resolve_secret(&mut self) -> anyhow::Result<()> {
        if !self.jwt_secret.is_empty() {
            return Ok(());
        }
        if !self.is_sqlite() {
            bail!(
                "JWT_SECRET is required with PostgreSQL: every replica must sign with the same key"
            );
        }
        let path = self.data_dir.join("jwt-secret");
        if let Ok(existing) = std::fs::read_to_string(&path) {
            let existing = existing.trim();
            if existing.len() >= MIN_SECRET_BYTES {
                self.jwt_secret = existing.as_bytes().to_vec();
                return Ok(());
            }
        }
        create_private_dir(&self.data_dir)
            .with_context(|| format!("cannot create data directory {}", self.data_dir.display()))?;
        // 256 random bits, URL-safe.
        let secret = base64::Engine::encode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            rand::random::<[u8; 32]>(),
        );
        write_private(&path, secret.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        self.jwt_secret = secret.into_bytes();
        Ok(())
    }
}

/// Creates the directory (and its parents) readable by the service's user alone, and makes an
/// existing one so: it holds the database, the signing secret, mail and photos.
pub fn create_private_dir(path: &std::path::Path) -> std::io::Result<()> {
    std::fs::create_dir_all(path)?;
    make_private(path, 0o700)
}

/// Writes a file readable by the service's user alone.
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(bytes)?;
    make_private(path, 0o600)
}

/// Gives a file or directory the permissions `mode` (Unix; elsewhere, leaves them).
pub fn make_private(path: &std::path::Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

/// The variables settings are read from; blank ones count as absent.
struct Variables<'a, F: Fn(&str) -> Option<String>>(&'a F);

impl<F: Fn(&str) -> Option<String>> Variables<'_, F> {
    fn raw(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn text(&self, name: &str, default: &str) -> String {
        self.raw(name).unwrap_or_else(|| default.to_owned())
    }

    /// A value of its type, `default` when absent; the message names the variable.
    fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> anyhow::Result<T>
    where
        T::Err: std::fmt::Display,
    {
        self.raw(name)
            .map_or(Ok(default), |value| parse(name, &value))
    }

    fn secs(&self, name: &str, default: u64) -> anyhow::Result<Duration> {
        self.number(name, default).map(Duration::from_secs)
    }

    fn millis(&self, name: &str, default: u64) -> anyhow::Result<Duration> {
        self.number(name, default).map(Duration::from_millis)
    }
}

/// Parses a value, with a message that names its variable.
fn parse<T: std::str::FromStr>(name: &str, value: &str) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    value
        .trim()
        .parse()
        .map_err(|e| anyhow::anyhow!("{name}={value:?} is not valid: {e}"))
}

/// The `AWS_*` variables an S3 photo bucket is configured with.
const S3_VARIABLES: [&str; 8] = [
    "AWS_ENDPOINT",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_ALLOW_HTTP",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
];

/// The cores this process may run on (1 when unknown).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn is_sqlite_url(database_url: &str) -> bool {
    database_url.starts_with("sqlite:")
}

/// One core is left to answer requests while photos are processed.
fn default_photo_workers() -> usize {
    cores().saturating_sub(1).max(1)
}

/// SQLite runs its queries on this process's own cores and lets one writer in at a time, so
/// connections beyond twice the cores only add their page caches and prepared statements
/// (about 6 MiB each) without serving anyone sooner. PostgreSQL's connections mostly wait on
/// the network, so it keeps a pool of ten.
fn default_db_connections(database_url: &str) -> u32 {
    if !is_sqlite_url(database_url) {
        return 10;
    }
    u32::try_from(2 * cores()).unwrap_or(u32::MAX).clamp(4, 10)
}

fn sqlite_url(data_dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", data_dir.join("sos.db").display())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let vars: std::collections::HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn a_tile_source_needs_its_placeholders_and_names_its_origin() {
        assert!(settings(&[]).unwrap().map_tiles.is_none());
        let osm = settings(&[
            (
                "SOS_MAP_TILE_URL",
                "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
            ),
            ("SOS_MAP_TILE_ATTRIBUTION", "© OpenStreetMap"),
        ])
        .unwrap()
        .map_tiles
        .unwrap();
        assert_eq!(osm.origin(), "https://tile.openstreetmap.org");
        assert_eq!(osm.attribution, "© OpenStreetMap");
        let local = MapTiles::parse("http://127.0.0.1:8081/{z}/{x}/{y}.png", None).unwrap();
        assert_eq!(local.origin(), "http://127.0.0.1:8081");
        for bad in [
            "tile.openstreetmap.org/{z}/{x}/{y}.png",
            "https://tiles.example.org/{z}/{x}.png",
            "https://tiles.example.org/{z}/{x}/{y}.png; script-src *",
        ] {
            assert!(MapTiles::parse(bad, None).is_err(), "{bad}");
        }
    }

    #[test]
    fn defaults_give_the_embedded_mode() {
        let defaults = settings(&[]).unwrap();
        assert!(defaults.is_sqlite());
        assert_eq!(defaults.database_url, "sqlite://data/sos.db?mode=rwc");
        assert_eq!(defaults.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(defaults.access_token_ttl, Duration::from_secs(900));
        assert!(!defaults.log_json);
        assert_eq!(defaults.max_photo_bytes, 10 * 1024 * 1024);
        assert_eq!(defaults.photo_store, "data/photos");
    }

    #[test]
    fn a_sqlite_pool_follows_the_cores_and_a_postgres_pool_keeps_ten() {
        let cores = super::cores();
        let sqlite = settings(&[]).unwrap().max_db_connections;
        assert!((4..=10).contains(&sqlite), "{sqlite}");
        assert!(
            sqlite as usize <= (2 * cores).max(4),
            "{sqlite} for {cores} cores"
        );
        let postgres = settings(&[("DATABASE_URL", "postgres://sos@db/sos")]).unwrap();
        assert_eq!(postgres.max_db_connections, 10);
        let chosen = settings(&[("SOS_DB_MAX_CONNECTIONS", "7")]).unwrap();
        assert_eq!(chosen.max_db_connections, 7);
    }

    #[test]
    fn wrong_values_are_refused_with_the_variables_name() {
        let cases = [
            ("SOS_LISTEN", "localhost"),
            ("SOS_ACCESS_TOKEN_TTL_SECONDS", "ten"),
            ("SOS_ACCESS_TOKEN_TTL_SECONDS", "5"),
            ("SOS_TRIAGE_THRESHOLD", "1.5"),
            ("SOS_DB_MAX_CONNECTIONS", "1"),
            ("SOS_LOG_FORMAT", "xml"),
            ("SOS_MAX_PHOTO_BYTES", "100"),
            ("SOS_PHOTO_WORKERS", "0"),
            ("DATABASE_URL", "mysql://db/sos"),
            ("JWT_SECRET", "short"),
            ("SOS_WEBHOOK_ALLOWED_NETWORKS", "localhost"),
        ];
        for (name, value) in cases {
            let error = settings(&[(name, value)]).unwrap_err().to_string();
            assert!(error.contains(name), "{name}={value}: {error}");
        }
    }

    #[test]
    fn postgres_needs_a_shared_secret() {
        let mut production = settings(&[("DATABASE_URL", "postgres://sos@db/sos")]).unwrap();
        let error = production.resolve_secret().unwrap_err().to_string();
        assert!(error.contains("JWT_SECRET"), "{error}");
    }

    #[cfg(unix)]
    #[test]
    fn the_generated_secret_is_readable_by_the_service_alone() {
        use std::os::unix::fs::PermissionsExt;
        let dir =
            std::env::temp_dir().join(format!("sos-secret-{}", uuid::Uuid::new_v4().simple()));
        let mut embedded = settings(&[("SOS_DATA_DIR", dir.to_str().unwrap())]).unwrap();
        embedded.resolve_secret().unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("jwt-secret")), 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn database_passwords_are_not_shown() {
        assert_eq!(
            redact_url("postgres://sos:hunter2@db:5432/sos"),
            "postgres://***@db:5432/sos"
        );
        assert_eq!(redact_url("sqlite://data/sos.db"), "sqlite://data/sos.db");
    }
}
