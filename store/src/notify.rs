//! PostgreSQL's LISTEN/NOTIFY, which tells every replica what another one changed. SQLite is
//! one process's file: there is nothing to relay, and both functions say so.

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr};

/// Sends `payload` on `channel` to every listener; false on SQLite (nothing sent).
pub async fn notify(db: &DatabaseConnection, channel: &str, payload: &str) -> Result<bool, DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(false);
    }
    let statement = sea_orm::Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_notify($1, $2)",
        [channel.into(), payload.into()],
    );
    db.execute_raw(statement).await?;
    Ok(true)
}

/// A listener of one channel.
pub struct Listener(sea_orm::sqlx::postgres::PgListener);

/// What a listener heard.
pub enum Heard {
    Payload(String),
    /// The pool is closing: the service is stopping.
    Closed,
    /// The connection failed; the listener reconnects by itself on the next call.
    Failed(String),
}

impl Listener {
    /// Listens to `channel`; `None` on SQLite.
    pub async fn start(db: &DatabaseConnection, channel: &str) -> Result<Option<Listener>, DbErr> {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(None);
        }
        let mut listener =
            sea_orm::sqlx::postgres::PgListener::connect_with(db.get_postgres_connection_pool())
                .await
                .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
        listener
            .listen(channel)
            .await
            .map_err(|e| DbErr::Conn(sea_orm::RuntimeErr::SqlxError(e.into())))?;
        Ok(Some(Listener(listener)))
    }

    pub async fn recv(&mut self) -> Heard {
        match self.0.recv().await {
            Ok(message) => Heard::Payload(message.payload().to_owned()),
            Err(sea_orm::sqlx::Error::PoolClosed) => Heard::Closed,
            Err(error) => Heard::Failed(error.to_string()),
        }
    }
}
