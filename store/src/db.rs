//! Connecting to the database, and the one place where SQLite and PostgreSQL behave differently
//! for writers.

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sos_migrations::{Migrator, MigratorTrait};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How long a SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `url` (`sqlite:…` or `postgres://…`, `sslmode` as libpq spells it) with a
/// pool of at most `max_connections`.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            // WAL lets readers run beside the writer; FULL makes a committed report survive a
            // power cut; foreign keys are off by default in SQLite.
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
        });
    Database::connect(options).await
}

/// How many SQL statements a connection pool has run (transaction control aside), for the
/// operator's figures and for tests that hold the service to a number of statements per use.
#[derive(Clone, Default, Debug)]
pub struct StatementCount(Arc<AtomicU64>);

impl StatementCount {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counts the statements run through `db` from now on; each is also logged at `trace` level
/// (`RUST_LOG=sos_store::sql=trace`) with its duration.
pub fn count_statements(db: &mut DatabaseConnection) -> StatementCount {
    let count = StatementCount::default();
    let counter = count.0.clone();
    db.set_metric_callback(move |info| {
        counter.fetch_add(1, Ordering::Relaxed);
        tracing::trace!(
            target: "sos_store::sql",
            elapsed_us = info.elapsed.as_micros() as u64,
            failed = info.failed,
            "{}",
            info.statement.sql
        );
    });
    count
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Arbitrary, fixed: the PostgreSQL advisory lock that start-up work takes.
const STARTUP_LOCK: i64 = 0x5053_4b50; // "SOS KP"

/// Serialises start-up work (migrations, reference data) between replicas that start together
/// on one PostgreSQL database: the first does the work, the others wait and then find it done.
/// The lock lives as long as the returned transaction; dropping it releases the lock. SQLite is
/// one process's file and needs none.
pub async fn startup_lock(db: &DatabaseConnection) -> Result<Option<DatabaseTransaction>, DbErr> {
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return Ok(None);
    }
    let lock = db.begin().await?;
    lock.execute_unprepared(&format!("SELECT pg_advisory_xact_lock({STARTUP_LOCK})"))
        .await?;
    Ok(Some(lock))
}

/// Starts a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later can fail with
/// "database is locked" when another writer got there in between, whatever the busy timeout.
/// PostgreSQL ignores the SQLite mode and uses its default isolation (read committed); writers
/// there are kept consistent by the version column of reports.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// A write transaction of the service. On SQLite it also holds the process's writer lock:
/// SQLite admits one writer at a time anyway, and queueing writers here, in order, avoids the
/// busy handler's sleep-and-retry, which would add tens of milliseconds under load.
pub struct WriteTxn {
    txn: DatabaseTransaction,
    _writer: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.txn
    }
}

impl WriteTxn {
    pub async fn commit(self) -> Result<(), DbErr> {
        self.txn.commit().await
    }
}

/// The writer lock of a SQLite database; PostgreSQL needs none.
#[derive(Clone, Default)]
pub struct Writer(Option<std::sync::Arc<tokio::sync::Mutex<()>>>);

impl Writer {
    pub fn for_database(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Sqlite => Writer(Some(Default::default())),
            _ => Writer(None),
        }
    }

    pub async fn begin(&self, db: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
        let writer = match &self.0 {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        Ok(WriteTxn {
            txn: begin_write(db).await?,
            _writer: writer,
        })
    }
}

/// True when the error is a violated unique constraint (a concurrent insert of the same key).
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// A transaction of either engine.
pub type Transaction = DatabaseTransaction;

/// Whether the database answers.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.execute_unprepared("SELECT 1").await.map(drop)
}

/// The files of a SQLite database URL (`sqlite://path?mode=rwc`): the database and its
/// write-ahead log; none for PostgreSQL or an in-memory database.
pub fn sqlite_files(url: &str) -> Vec<std::path::PathBuf> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Vec::new();
    };
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Vec::new();
    }
    ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| std::path::PathBuf::from(format!("{path}{suffix}")))
        .collect()
}
