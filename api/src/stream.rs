//! The live inbox: `GET /v1/stream` sends a user's new inbox entries as Server-Sent Events the
//! moment they are committed, on whichever replica the change happened.
//!
//! Writers announce the users whose inbox grew. On PostgreSQL the announcement is a
//! `NOTIFY` that every replica's listener turns into a wake-up of its local readers; the
//! embedded SQLite mode is one process, so it wakes its readers directly. A woken reader reads
//! its own inbox after the last entry it sent, so a wake-up is only a hint: nothing is lost if
//! one is missed, and `Last-Event-ID` replays what a reconnecting phone did not get.

use crate::auth::CurrentUser;
use crate::routes::views::Notification;
use crate::state::AppState;
use crate::store::entities::notification;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The PostgreSQL channel of inbox announcements.
const CHANNEL: &str = "sos_inbox";
/// Ids per NOTIFY payload, under PostgreSQL's 8000-byte limit.
const IDS_PER_NOTIFY: usize = 150;
/// Mobile networks drop idle connections: a comment line this often keeps them open.
const HEARTBEAT: Duration = Duration::from_secs(15);
const ENTRIES_PER_READ: u64 = 100;

/// Wakes the readers of this replica whose inbox grew.
#[derive(Clone)]
pub struct Hub {
    wake: broadcast::Sender<Uuid>,
    /// Set when the service stops: open streams end, so they do not hold up the shutdown.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Hub {
    /// Starts the hub; on PostgreSQL also the listener that relays other replicas' news.
    pub async fn start(db: &DatabaseConnection) -> anyhow::Result<Hub> {
        let (wake, _) = broadcast::channel(4096);
        let hub = Hub {
            wake,
            closing: tokio::sync::watch::Sender::new(false),
        };
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let mut listener = sea_orm::sqlx::postgres::PgListener::connect_with(
                db.get_postgres_connection_pool(),
            )
            .await?;
            listener.listen(CHANNEL).await?;
            let relay = hub.clone();
            tokio::spawn(async move {
                loop {
                    // The listener reconnects by itself after a lost connection.
                    match listener.recv().await {
                        Ok(message) => relay.wake_local(
                            message
                                .payload()
                                .split(',')
                                .filter_map(|id| id.parse().ok()),
                        ),
                        // The service is closing its database pool: let the connection go.
                        Err(sea_orm::sqlx::Error::PoolClosed) => break,
                        Err(error) => {
                            tracing::warn!(%error, "inbox listener failed; retrying");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            });
        }
        Ok(hub)
    }

    /// Ends every open stream of this replica (the phones reconnect to another one).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    fn wake_local(&self, users: impl IntoIterator<Item = Uuid>) {
        for user in users {
            // No receiver is not an error: nobody of this replica is listening.
            let _ = self.wake.send(user);
        }
    }

    /// Announces, after a commit, the users who have new inbox entries.
    pub async fn announce(&self, db: &DatabaseConnection, users: impl IntoIterator<Item = Uuid>) {
        let mut users: Vec<Uuid> = users.into_iter().collect();
        users.sort();
        users.dedup();
        if users.is_empty() {
            return;
        }
        if db.get_database_backend() != DatabaseBackend::Postgres {
            self.wake_local(users);
            return;
        }
        for chunk in users.chunks(IDS_PER_NOTIFY) {
            let payload = chunk
                .iter()
                .map(Uuid::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let statement = sea_orm::Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), payload.into()],
            );
            if let Err(error) = db.execute_raw(statement).await {
                // Readers still catch up at their next wake-up or reconnection.
                tracing::warn!(%error, "could not announce new inbox entries");
            }
        }
    }
}

/// The reader of one connection: where it is in the inbox and what it has yet to send.
struct Reader {
    db: DatabaseConnection,
    user: Uuid,
    after: Option<Uuid>,
    wake: broadcast::Receiver<Uuid>,
    closing: tokio::sync::watch::Receiver<bool>,
    pending: VecDeque<notification::Model>,
}

impl Reader {
    async fn read_new(&mut self) -> Result<(), sea_orm::DbErr> {
        let mut select =
            notification::Entity::find().filter(notification::Column::UserId.eq(self.user));
        if let Some(after) = self.after {
            select = select.filter(notification::Column::Id.gt(after));
        }
        let rows = select
            .order_by_asc(notification::Column::Id)
            .limit(ENTRIES_PER_READ)
            .all(&self.db)
            .await?;
        if let Some(last) = rows.last() {
            self.after = Some(last.id);
        }
        self.pending.extend(rows);
        Ok(())
    }

    /// The next entry to send, waiting for one as long as it takes.
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Reader)> {
        loop {
            if let Some(entry) = self.pending.pop_front() {
                let event = Event::default()
                    .id(entry.id.to_string())
                    .event(entry.event_type.clone())
                    .json_data(Notification::from(&entry))
                    .unwrap_or_default();
                return Some((Ok(event), self));
            }
            let woken = tokio::select! {
                woken = self.wake.recv() => woken,
                _ = self.closing.wait_for(|closing| *closing) => return None,
            };
            match woken {
                Ok(user) if user != self.user => continue,
                // A lagging reader may have missed its own wake-up: read anyway.
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return None,
            }
            if let Err(error) = self.read_new().await {
                tracing::warn!(%error, "inbox stream read failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// `GET /v1/stream`: new inbox entries as they come; with `Last-Event-ID`, first those after it.
pub async fn stream(
    State(state): State<AppState>,
    current: CurrentUser,
    headers: HeaderMap,
) -> crate::error::ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let wake = state.hub.wake.subscribe();
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v.trim()).ok());
    let closing = state.hub.closing.subscribe();
    if *closing.borrow() {
        return Err(crate::error::ApiError::new(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            crate::error::Text::new(
                "Máy chủ đang dừng, hãy kết nối lại.",
                "The server is stopping; reconnect.",
            ),
        ));
    }
    let mut reader = Reader {
        db: state.db.clone(),
        user: current.user.id,
        after: last_seen,
        wake,
        closing,
        pending: VecDeque::new(),
    };
    match last_seen {
        // A reconnection: replay what was missed.
        Some(_) => reader.read_new().await?,
        // A first connection: only what comes from now on.
        None => {
            reader.after = notification::Entity::find()
                .filter(notification::Column::UserId.eq(reader.user))
                .order_by_desc(notification::Column::Id)
                .one(&state.db)
                .await?
                .map(|n| n.id);
        }
    }
    let events = futures_util::stream::unfold(reader, Reader::next);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)))
}
