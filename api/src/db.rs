//! Connecting to the database, and the one place where SQLite and PostgreSQL behave differently
//! for writers.

use crate::config::Settings;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};
use sos_migrations::{Migrator, MigratorTrait};
use std::time::Duration;

/// How long a SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    if settings.is_sqlite() {
        if let Err(e) = std::fs::create_dir_all(&settings.data_dir) {
            return Err(DbErr::Custom(format!(
                "cannot create data directory {}: {e}",
                settings.data_dir.display()
            )));
        }
    }
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(settings.max_db_connections)
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

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
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

/// True when the error is a violated unique constraint (a concurrent insert of the same key).
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}
