//! Wake-ups of live streams. Writers announce, after a commit, the users whose inbox grew and
//! the wards whose reports changed; the readers of this replica concerned wake up and read
//! from the database. On PostgreSQL the announcement is a `NOTIFY` that every replica's
//! listener relays to its own readers; the embedded SQLite mode is one process and wakes its
//! readers directly. Only the readers concerned wake (a watch per connected user, per ward,
//! and one for the whole city): ten thousand open streams cost nothing while quiet. A wake-up
//! is only a hint: readers catch up from the database, so nothing is lost if one is missed.
//!
//! Report news is announced off the writer's path: this replica's readers wake at once, and
//! one task sends other replicas what gathered meanwhile in a `NOTIFY` of its own. A `NOTIFY`
//! per commit cost filings a round trip each, and PostgreSQL serialises the commits of every
//! transaction that notifies.

use sos_store::DatabaseConnection;
use sos_store::notify::{Heard, Listener};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

/// The PostgreSQL channel of announcements.
const CHANNEL: &str = "sos_inbox";
/// Topics per NOTIFY payload, under PostgreSQL's 8000-byte limit.
const TOPICS_PER_NOTIFY: usize = 150;

/// What a reader is woken for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// A user's inbox grew.
    Inbox(Uuid),
    /// A report of the ward changed.
    Ward(Uuid),
    /// A report of any ward changed.
    City,
    /// A sign-in ended (signed out, or its refresh token was stolen): its streams end.
    Session(Uuid),
    /// An account was disabled or its role or scope changed: its streams end.
    Account(Uuid),
    /// A ward's organisation changed (every ward's for `None`): what replicas hold of it is
    /// forgotten.
    Organisation(Option<Uuid>),
    /// The heads of a ward changed (an account, a phone, a preference): replicas forget
    /// the ward's directory.
    People(Uuid),
}

/// What replicas are told to forget of what they hold (see [`Topic::Organisation`] and
/// [`Topic::People`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forget {
    Organisation(Option<Uuid>),
    People(Uuid),
}

/// Live streams one account may keep open on a replica; opening another closes the oldest.
pub const STREAMS_PER_ACCOUNT: usize = 5;

/// The open streams of each account on this replica, oldest first: a number for each, and
/// what closes it.
type OpenStreams = HashMap<Uuid, Vec<(u64, watch::Sender<bool>)>>;

/// Wakes the readers of this replica.
#[derive(Clone)]
pub struct Hub {
    db: DatabaseConnection,
    /// Per topic with an open stream here: a counter bumped when it has news.
    wake: Arc<Mutex<HashMap<Topic, watch::Sender<u64>>>>,
    /// Set when the service stops: open streams end, so they do not hold up the shutdown.
    closing: watch::Sender<bool>,
    streams: Arc<Mutex<OpenStreams>>,
    /// What other replicas tell this one to forget (every ward's organisation when the
    /// listener lost its connection and may have missed some).
    forget: tokio::sync::broadcast::Sender<Forget>,
    /// This replica, first in the payloads of its report news (`r:{id}`, which is no topic),
    /// so that its listener skips what it sent itself.
    origin: Arc<str>,
    /// Report news not yet sent to other replicas (PostgreSQL), and the sender's wake-up.
    news: Arc<Mutex<BTreeSet<Topic>>>,
    news_waiting: Arc<tokio::sync::Notify>,
    /// Whether other replicas listen (PostgreSQL).
    relayed: bool,
}

/// An open stream's place among its account's: dropping it gives the place back.
pub struct StreamSlot {
    hub: Hub,
    user: Uuid,
    id: u64,
    /// Set when a newer stream of the account took this one's place.
    pub replaced: watch::Receiver<bool>,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut streams = self.hub.streams.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(open) = streams.get_mut(&self.user) {
            open.retain(|(id, _)| *id != self.id);
            if open.is_empty() {
                streams.remove(&self.user);
            }
        }
    }
}

impl Hub {
    /// Starts the hub; on PostgreSQL also the listener that relays other replicas' news.
    pub async fn start(db: &DatabaseConnection) -> anyhow::Result<Hub> {
        let mut hub = Hub {
            db: db.clone(),
            wake: Arc::default(),
            closing: watch::Sender::new(false),
            streams: Arc::default(),
            forget: tokio::sync::broadcast::Sender::new(64),
            origin: format!("r:{}", Uuid::new_v4()).into(),
            news: Arc::default(),
            news_waiting: Arc::default(),
            relayed: false,
        };
        if let Some(mut listener) = Listener::start(db, CHANNEL).await? {
            hub.relayed = true;
            let relay = hub.clone();
            let own = hub.origin.clone();
            tokio::spawn(async move {
                loop {
                    match listener.recv().await {
                        // This replica's own news: its readers were woken when it was sent.
                        Heard::Payload(payload) if payload.split(',').next() == Some(&*own) => {}
                        Heard::Payload(payload) => {
                            relay.wake_local(payload.split(',').filter_map(parse_topic))
                        }
                        // The service is closing its database pool: let the connection go.
                        Heard::Closed => break,
                        Heard::Failed(error) => {
                            tracing::warn!(%error, "inbox listener failed; retrying");
                            let _ = relay.forget.send(Forget::Organisation(None));
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                }
            });
            tokio::spawn(hub.clone().send_news());
        }
        Ok(hub)
    }

    /// Sends other replicas the report news gathered since the last send, as long as the
    /// service runs: while one `NOTIFY` is on its way, the next gathers.
    async fn send_news(self) {
        let mut closing = self.closing();
        loop {
            tokio::select! {
                _ = self.news_waiting.notified() => {}
                _ = closing.wait_for(|closing| *closing) => return,
            }
            let news = std::mem::take(&mut *self.news.lock().unwrap_or_else(|p| p.into_inner()));
            if !news.is_empty() {
                self.notify(Some(&self.origin), news.into_iter().collect())
                    .await;
            }
        }
    }

    /// Ends every open stream of this replica (the phones reconnect to another one).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves when the service is stopping.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    fn wake_local(&self, topics: impl IntoIterator<Item = Topic>) {
        let wake = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        for topic in topics {
            match topic {
                Topic::Organisation(ward) => {
                    let _ = self.forget.send(Forget::Organisation(ward));
                    continue;
                }
                Topic::People(ward) => {
                    let _ = self.forget.send(Forget::People(ward));
                    continue;
                }
                _ => {}
            }
            if let Some(sender) = wake.get(&topic) {
                sender.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
    }

    /// The wake-ups of one topic.
    pub fn subscribe(&self, topic: Topic) -> watch::Receiver<u64> {
        let mut wake = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        wake.entry(topic)
            .or_insert_with(|| watch::Sender::new(0))
            .subscribe()
    }

    /// A reader of `topic` is going away: forget the topic if it was its last one here.
    pub fn leave(&self, topic: Topic) {
        let mut wake = self.wake.lock().unwrap_or_else(|p| p.into_inner());
        // The leaving reader still holds its receiver.
        if wake.get(&topic).is_some_and(|s| s.receiver_count() <= 1) {
            wake.remove(&topic);
        }
    }

    /// Takes a place for a new stream of `user`, closing their oldest beyond
    /// [`STREAMS_PER_ACCOUNT`].
    pub fn open_stream(&self, user: Uuid) -> StreamSlot {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (replace, replaced) = watch::channel(false);
        let mut streams = self.streams.lock().unwrap_or_else(|p| p.into_inner());
        let open = streams.entry(user).or_default();
        open.push((id, replace));
        while open.len() > STREAMS_PER_ACCOUNT {
            let (_, oldest) = open.remove(0);
            oldest.send_replace(true);
        }
        StreamSlot {
            hub: self.clone(),
            user,
            id,
            replaced,
        }
    }

    /// Ends the streams of these sign-ins, on every replica.
    pub async fn end_sessions(&self, sessions: impl IntoIterator<Item = Uuid>) {
        self.send(sessions.into_iter().map(Topic::Session).collect())
            .await;
    }

    /// Ends the streams of these accounts, on every replica (disabled, or given another role
    /// or scope: what they may hear changed).
    pub async fn end_accounts(&self, users: impl IntoIterator<Item = Uuid>) {
        self.send(users.into_iter().map(Topic::Account).collect())
            .await;
    }

    /// Tells every replica to forget what it holds of a ward (see [`Forget`]).
    pub async fn announce_forget(&self, forget: Forget) {
        let topic = match forget {
            Forget::Organisation(ward) => Topic::Organisation(ward),
            Forget::People(ward) => Topic::People(ward),
        };
        self.send(vec![topic]).await;
    }

    /// What other replicas tell this one to forget (see [`Forget`]).
    pub fn forget_requests(&self) -> tokio::sync::broadcast::Receiver<Forget> {
        self.forget.subscribe()
    }

    /// Announces, after a commit, the users who have new inbox entries and the wards whose
    /// reports have new events: this replica's readers wake now, other replicas' a moment
    /// later.
    pub fn announce(
        &self,
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
        self.wake_local(topics.iter().copied());
        if self.relayed {
            self.news
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend(topics);
            self.news_waiting.notify_one();
        }
    }

    /// Wakes the readers of `topics` here and, through PostgreSQL, on every replica.
    async fn send(&self, mut topics: Vec<Topic>) {
        topics.sort();
        topics.dedup();
        self.notify(None, topics).await;
    }

    /// Sends `topics` in `NOTIFY`s, each first naming the replica that sent it when it is
    /// `origin`'s news; on SQLite wakes this process's readers instead.
    async fn notify(&self, origin: Option<&str>, topics: Vec<Topic>) {
        for chunk in topics.chunks(TOPICS_PER_NOTIFY) {
            let payload = origin
                .map(str::to_owned)
                .into_iter()
                .chain(chunk.iter().map(|t| format_topic(*t)))
                .collect::<Vec<_>>()
                .join(",");
            match sos_store::notify::notify(&self.db, CHANNEL, &payload).await {
                // SQLite: this process is the only one.
                Ok(false) => self.wake_local(chunk.iter().copied()),
                Ok(true) => {}
                // Readers still catch up at their next wake-up or reconnection.
                Err(error) => tracing::warn!(%error, "could not announce new events"),
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
        Topic::Session(id) => format!("s:{id}"),
        Topic::Account(id) => format!("a:{id}"),
        Topic::Organisation(Some(ward)) => format!("o:{ward}"),
        Topic::Organisation(None) => "o:*".to_owned(),
        Topic::People(ward) => format!("p:{ward}"),
    }
}

fn parse_topic(text: &str) -> Option<Topic> {
    match text.split_once(':') {
        Some(("u", id)) => Some(Topic::Inbox(id.parse().ok()?)),
        Some(("w", id)) => Some(Topic::Ward(id.parse().ok()?)),
        Some(("s", id)) => Some(Topic::Session(id.parse().ok()?)),
        Some(("a", id)) => Some(Topic::Account(id.parse().ok()?)),
        Some(("o", "*")) => Some(Topic::Organisation(None)),
        Some(("o", id)) => Some(Topic::Organisation(Some(id.parse().ok()?))),
        Some(("p", id)) => Some(Topic::People(id.parse().ok()?)),
        None if text == "city" => Some(Topic::City),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_read_back_from_their_notify_form() {
        let id = Uuid::now_v7();
        for topic in [
            Topic::Inbox(id),
            Topic::Ward(id),
            Topic::City,
            Topic::Session(id),
            Topic::Account(id),
            Topic::Organisation(Some(id)),
            Topic::Organisation(None),
            Topic::People(id),
        ] {
            assert_eq!(parse_topic(&format_topic(topic)), Some(topic));
        }
        assert_eq!(parse_topic("x:1"), None);
    }
}
