//! The live stream: `GET /v1/stream` sends, as Server-Sent Events the moment they are
//! committed on whichever replica: to a neighborhood head, their new inbox entries; to
//! department staff, leaders and admins, every event of the reports they may read (their
//! department's, their ward's, the city's: the same rules as reading).
//!
//! Writers announce the users whose inbox grew and the wards whose reports changed. On
//! PostgreSQL the announcement is a `NOTIFY` that every replica's listener turns into a
//! wake-up of its local readers; the embedded SQLite mode is one process, so it wakes its
//! readers directly. Only the readers concerned wake (a watch per connected user, per ward,
//! and one for the whole city): ten thousand open streams cost nothing while quiet. A woken
//! reader reads from the database after the last item it sent, so a wake-up is only a hint:
//! nothing is lost if one is missed, and `Last-Event-ID` replays what a reconnecting phone
//! did not get.
//!
//! Ids are UUIDv7, ordered by creation, not by commit: a transaction that commits after a
//! later-created one would slip behind a reader that already passed its id. Scope readers,
//! which see many writers' events, therefore read again from a little before their last id
//! ([`LOOKBACK`]) and skip what they already sent.

use crate::auth::CurrentUser;
use crate::routes::views::{self, Notification};
use crate::state::AppState;
use crate::store::entities::{notification, report, report_event, user};
use crate::store::reports::{index, visible_reports, wards_of};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait,
};
use serde::Serialize;
use sos_domain::access::{Actor, ListScope, list_scope};
use std::collections::{HashMap, HashSet, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// The PostgreSQL channel of inbox announcements.
const CHANNEL: &str = "sos_inbox";
/// Ids per NOTIFY payload, under PostgreSQL's 8000-byte limit.
const IDS_PER_NOTIFY: usize = 150;
/// Mobile networks drop idle connections: a comment line this often keeps them open.
const HEARTBEAT: Duration = Duration::from_secs(15);
const ENTRIES_PER_READ: u64 = 100;
/// How far before its last event a scope reader reads again: longer than any transaction
/// between creating an event and committing it.
const LOOKBACK: Duration = Duration::from_secs(5);
/// A scope reader's events per read: a busy city's lookback fits.
const EVENTS_PER_READ: u64 = 1000;

/// What a reader is woken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Topic {
    /// A user's inbox grew.
    Inbox(Uuid),
    /// A report of the ward changed.
    Ward(Uuid),
    /// A report of any ward changed.
    City,
}

/// Wakes the readers of this replica whose inbox grew.
#[derive(Clone)]
pub struct Hub {
    /// Per topic with an open stream here: a counter bumped when it has news.
    wake: Arc<Mutex<HashMap<Topic, watch::Sender<u64>>>>,
    /// Set when the service stops: open streams end, so they do not hold up the shutdown.
    closing: tokio::sync::watch::Sender<bool>,
}

impl Hub {
    /// Starts the hub; on PostgreSQL also the listener that relays other replicas' news.
    pub async fn start(db: &DatabaseConnection) -> anyhow::Result<Hub> {
        let hub = Hub {
            wake: Arc::default(),
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
                        Ok(message) => {
                            relay.wake_local(message.payload().split(',').filter_map(parse_topic))
                        }
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

    fn wake_local(&self, topics: impl IntoIterator<Item = Topic>) {
        let wake = self.wake.lock().expect("hub lock");
        for topic in topics {
            if let Some(sender) = wake.get(&topic) {
                sender.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// The wake-ups of one topic.
    fn subscribe(&self, topic: Topic) -> watch::Receiver<u64> {
        let mut wake = self.wake.lock().expect("hub lock");
        wake.entry(topic)
            .or_insert_with(|| watch::Sender::new(0))
            .subscribe()
    }

    /// A reader of `topic` is going away: forget the topic if it was its last one here.
    fn leave(&self, topic: Topic) {
        let mut wake = self.wake.lock().expect("hub lock");
        // The leaving reader still holds its receiver.
        if wake.get(&topic).is_some_and(|s| s.receiver_count() <= 1) {
            wake.remove(&topic);
        }
    }

    /// Announces, after a commit, the users who have new inbox entries and the wards whose
    /// reports have new events.
    pub async fn announce(
        &self,
        db: &DatabaseConnection,
        users: impl IntoIterator<Item = Uuid>,
        wards: impl IntoIterator<Item = Uuid>,
    ) {
        let mut topics: Vec<Topic> = users
            .into_iter()
            .map(Topic::Inbox)
            .chain(wards.into_iter().map(Topic::Ward))
            .collect();
        if topics.iter().any(|t| matches!(t, Topic::Ward(_))) {
            topics.push(Topic::City);
        }
        topics.sort();
        topics.dedup();
        if topics.is_empty() {
            return;
        }
        if db.get_database_backend() != DatabaseBackend::Postgres {
            self.wake_local(topics);
            return;
        }
        for chunk in topics.chunks(IDS_PER_NOTIFY) {
            let payload = chunk
                .iter()
                .map(|t| format_topic(*t))
                .collect::<Vec<_>>()
                .join(",");
            let statement = sea_orm::Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, $2)",
                [CHANNEL.into(), payload.into()],
            );
            if let Err(error) = db.execute_raw(statement).await {
                // Readers still catch up at their next wake-up or reconnection.
                tracing::warn!(%error, "could not announce new events");
            }
        }
    }
}

/// A topic in a `NOTIFY` payload: `u:{user}`, `w:{ward}` or `city`.
fn format_topic(topic: Topic) -> String {
    match topic {
        Topic::Inbox(user) => format!("u:{user}"),
        Topic::Ward(ward) => format!("w:{ward}"),
        Topic::City => "city".to_owned(),
    }
}

fn parse_topic(text: &str) -> Option<Topic> {
    match text.split_once(':') {
        Some(("u", id)) => Some(Topic::Inbox(id.parse().ok()?)),
        Some(("w", id)) => Some(Topic::Ward(id.parse().ok()?)),
        None if text == "city" => Some(Topic::City),
        _ => None,
    }
}

/// What a stream of department staff, leaders and admins carries: an event of a report they
/// may read.
#[derive(Serialize)]
pub struct ReportNews {
    report_id: Uuid,
    ward_id: Uuid,
    event: views::Event,
}

/// What one connection follows.
enum Source {
    /// A head's inbox.
    Inbox(Uuid),
    /// The events of the reports an actor may read.
    Scope(Actor),
}

/// The reader of one connection: where it is and what it has yet to send.
struct Reader {
    db: DatabaseConnection,
    hub: Hub,
    source: Source,
    topic: Topic,
    after: Option<Uuid>,
    wake: watch::Receiver<u64>,
    closing: tokio::sync::watch::Receiver<bool>,
    pending: VecDeque<Event>,
    /// Scope readers: what they sent within the lookback, oldest first, to skip when read
    /// again.
    sent: HashSet<Uuid>,
    sent_order: VecDeque<Uuid>,
    /// The last read stopped at a full page: there is more to read at once.
    behind: bool,
}

/// The smallest UUIDv7 of the millisecond `LOOKBACK` before `id`'s.
fn lookback_floor(id: Uuid) -> Uuid {
    let millis = id
        .get_timestamp()
        .map(|t| {
            let (secs, nanos) = t.to_unix();
            secs * 1000 + u64::from(nanos) / 1_000_000
        })
        .unwrap_or(0)
        .saturating_sub(LOOKBACK.as_millis() as u64);
    uuid::Builder::from_unix_timestamp_millis(millis, &[0; 10]).into_uuid()
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.hub.leave(self.topic);
    }
}

impl Reader {
    async fn read_new(&mut self) -> Result<(), sea_orm::DbErr> {
        match &self.source {
            Source::Inbox(user) => self.read_inbox(*user).await,
            Source::Scope(actor) => {
                let actor = actor.clone();
                self.read_scope(&actor).await
            }
        }
    }

    async fn read_inbox(&mut self, user: Uuid) -> Result<(), sea_orm::DbErr> {
        let mut select = notification::Entity::find().filter(notification::Column::UserId.eq(user));
        if let Some(after) = self.after {
            select = select.filter(notification::Column::Id.gt(after));
        }
        let rows = select
            .order_by_asc(notification::Column::Id)
            .limit(ENTRIES_PER_READ)
            .all(&self.db)
            .await?;
        self.behind = rows.len() as u64 == ENTRIES_PER_READ;
        if let Some(last) = rows.last() {
            self.after = Some(last.id);
        }
        self.pending.extend(rows.iter().map(|entry| {
            Event::default()
                .id(entry.id.to_string())
                .event(entry.event_type.clone())
                .json_data(Notification::from(entry))
                .unwrap_or_default()
        }));
        Ok(())
    }

    async fn read_scope(&mut self, actor: &Actor) -> Result<(), sea_orm::DbErr> {
        let Some(visible) = visible_reports(actor) else {
            return Ok(());
        };
        let visible_ids = visible
            .select_only()
            .column(report::Column::Id)
            .into_query();
        // Page through the lookback: a busy city may fill a page with what was already sent.
        let mut from = self.after.map(lookback_floor);
        let mut rows: Vec<report_event::Model> = Vec::new();
        loop {
            let mut select = report_event::Entity::find()
                .filter(report_event::Column::ReportId.in_subquery(visible_ids.clone()));
            if let Some(from) = from {
                select = select.filter(report_event::Column::Id.gt(from));
            }
            let page = select
                .order_by_asc(report_event::Column::Id)
                .limit(EVENTS_PER_READ)
                .all(&self.db)
                .await?;
            let full = page.len() as u64 == EVENTS_PER_READ;
            from = page.last().map(|e| e.id).or(from);
            rows.extend(page.into_iter().filter(|e| !self.sent.contains(&e.id)));
            // More waits beyond a full page: read it once these are sent, without a wake-up.
            self.behind = full;
            if !full || !rows.is_empty() {
                break;
            }
        }
        if rows.is_empty() {
            return Ok(());
        }
        let wards = wards_of(&self.db, rows.iter().map(|e| e.report_id)).await?;
        let actors = index(
            user::Entity::find()
                .filter(user::Column::Id.is_in(rows.iter().filter_map(|e| e.actor_id)))
                .all(&self.db)
                .await?,
            |u| u.id,
        );
        for row in rows {
            self.after = Some(self.after.map_or(row.id, |a| a.max(row.id)));
            self.sent.insert(row.id);
            self.sent_order.push_back(row.id);
            let news = ReportNews {
                report_id: row.report_id,
                ward_id: wards.get(&row.report_id).copied().unwrap_or_default(),
                event: views::Event::new(&row, row.actor_id.and_then(|a| actors.get(&a))),
            };
            self.pending.push_back(
                Event::default()
                    .id(row.id.to_string())
                    .event(row.event_type.clone())
                    .json_data(news)
                    .unwrap_or_default(),
            );
        }
        // Forget what fell out of the lookback.
        if let Some(floor) = self.after.map(lookback_floor) {
            while self.sent_order.front().is_some_and(|id| *id <= floor) {
                if let Some(id) = self.sent_order.pop_front() {
                    self.sent.remove(&id);
                }
            }
        }
        Ok(())
    }

    /// The next event to send, waiting for one as long as it takes.
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Reader)> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some((Ok(event), self));
            }
            if !std::mem::take(&mut self.behind) {
                tokio::select! {
                    woken = self.wake.changed() => if woken.is_err() { return None },
                    _ = self.closing.wait_for(|closing| *closing) => return None,
                };
            }
            if let Err(error) = self.read_new().await {
                tracing::warn!(%error, "stream read failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// `GET /v1/stream`: a head's new inbox entries, or the events of the scope of staff and
/// leaders, as they come; with `Last-Event-ID`, first what came after it.
pub async fn stream(
    State(state): State<AppState>,
    current: CurrentUser,
    headers: HeaderMap,
) -> crate::error::ApiResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    let actor = current.actor.clone();
    let (source, topic) = match list_scope(&actor) {
        ListScope::Neighborhood { .. } | ListScope::Nothing => (
            Source::Inbox(current.user.id),
            Topic::Inbox(current.user.id),
        ),
        ListScope::All => (Source::Scope(actor), Topic::City),
        ListScope::Ward(ward) | ListScope::Department { ward_id: ward, .. } => {
            (Source::Scope(actor), Topic::Ward(ward))
        }
    };
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
        hub: state.hub.clone(),
        wake: state.hub.subscribe(topic),
        source,
        topic,
        after: last_seen,
        closing,
        pending: VecDeque::new(),
        sent: HashSet::new(),
        sent_order: VecDeque::new(),
        behind: false,
    };
    match (last_seen, &reader.source) {
        // A reconnection: replay what was missed.
        (Some(_), _) => reader.read_new().await?,
        // A first connection: only what comes from now on.
        (None, Source::Inbox(user)) => {
            reader.after = notification::Entity::find()
                .filter(notification::Column::UserId.eq(*user))
                .order_by_desc(notification::Column::Id)
                .one(&state.db)
                .await?
                .map(|n| n.id);
        }
        // Events from now on (and none of the lookback before it).
        (None, Source::Scope(_)) => {
            let now = Uuid::now_v7();
            reader.after = Some(now);
            reader.read_new().await?;
            reader.pending.clear();
            reader.after = Some(reader.after.map_or(now, |a| a.max(now)));
        }
    }
    let events = futures_util::stream::unfold(reader, Reader::next);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT)))
}
