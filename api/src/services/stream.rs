//! The live stream: to a neighborhood head, their new inbox entries; to department staff,
//! leaders and admins, every event of the reports they may read (their department's, their
//! ward's, the city's: the same rules as reading), the moment they are committed on whichever
//! replica (see `infra::hub`). A woken reader reads from the database after the last item it
//! sent, so a wake-up is only a hint, and a reconnecting phone's `Last-Event-ID` replays what
//! it did not get.
//!
//! Ids are UUIDv7, ordered by creation, not by commit: a transaction that commits after a
//! later-created one would slip behind a reader that already passed its id. Scope readers,
//! which see many writers' events, therefore read again from a little before their last id
//! ([`LOOKBACK`]) and skip what they already sent.

use crate::infra::hub::{Hub, StreamSlot, Topic};
use crate::problem::{Outcome, Problem, ProblemKind};
use crate::services::Services;
use crate::services::accounts::Caller;
use sos_domain::access::{Actor, ListScope, list_scope};
use sos_store::entities::{notification, report_event, user};
use sos_store::{DatabaseConnection, DbErr, accounts, inbox, reports};
use std::collections::{HashSet, VecDeque};
use std::time::Duration;
use tokio::sync::watch;
use uuid::Uuid;

const ENTRIES_PER_READ: u64 = 100;
/// How far before its last event a scope reader reads again: longer than any transaction
/// between creating an event and committing it.
const LOOKBACK: Duration = Duration::from_secs(5);
/// A scope reader's events per read: a busy city's lookback fits.
const EVENTS_PER_READ: u64 = 1000;

/// What a stream carries.
pub enum News {
    /// A new entry of a head's inbox.
    Inbox(notification::Model),
    /// An event of a report the reader may read, with its ward and who wrote it.
    Report {
        event: report_event::Model,
        ward_id: Uuid,
        /// Boxed: an account is far larger than an inbox entry.
        actor: Option<Box<user::Model>>,
    },
}

impl News {
    pub fn id(&self) -> Uuid {
        match self {
            News::Inbox(entry) => entry.id,
            News::Report { event, .. } => event.id,
        }
    }
}

/// What one connection follows.
enum Source {
    /// A head's inbox.
    Inbox(Uuid),
    /// The events of the reports an actor may read.
    Scope(Actor),
}

/// The reader of one connection: where it is and what it has yet to send.
pub struct Reader {
    db: DatabaseConnection,
    hub: Hub,
    source: Source,
    topic: Topic,
    after: Option<Uuid>,
    wake: watch::Receiver<u64>,
    closing: watch::Receiver<bool>,
    pending: VecDeque<News>,
    /// Scope readers: what they sent within the lookback, oldest first, to skip when read
    /// again.
    sent: HashSet<Uuid>,
    sent_order: VecDeque<Uuid>,
    /// The last read stopped at a full page: there is more to read at once.
    behind: bool,
    /// The stream's end: when its token expires (the phone reconnects with a fresh one and
    /// resumes with `Last-Event-ID`), or at once when its sign-in ends, its account changes,
    /// or a newer stream of the account takes its place.
    ends_at: tokio::time::Instant,
    ended: Vec<(Topic, watch::Receiver<u64>)>,
    slot: StreamSlot,
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
        for (topic, _) in &self.ended {
            self.hub.leave(*topic);
        }
    }
}

/// Opens the caller's stream; with `last_seen` (a reconnection), first what came after it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open(
    services: &Services,
    caller: &Caller,
    last_seen: Option<Uuid>,
) -> Outcome<Reader> {
    let actor = caller.actor.clone();
    let (source, topic) = match list_scope(&actor) {
        ListScope::Neighborhood { .. } | ListScope::Nothing => {
            (Source::Inbox(caller.user.id), Topic::Inbox(caller.user.id))
        }
        ListScope::All => (Source::Scope(actor), Topic::City),
        ListScope::Ward(ward) | ListScope::Department { ward_id: ward, .. } => {
            (Source::Scope(actor), Topic::Ward(ward))
        }
    };
    let closing = services.hub.closing();
    if *closing.borrow() {
        return Err(Problem::of(
            ProblemKind::Unavailable,
            "Máy chủ đang dừng, hãy kết nối lại.",
            "The server is stopping; reconnect.",
        ));
    }
    let lasts = (caller.session.expires_at - services.clock.now())
        .to_std()
        .unwrap_or_default();
    let ended = caller
        .session
        .id
        .map(Topic::Session)
        .into_iter()
        .chain([Topic::Account(caller.user.id)])
        .map(|topic| (topic, services.hub.subscribe(topic)))
        .collect();
    let mut reader = Reader {
        db: services.db.clone(),
        hub: services.hub.clone(),
        wake: services.hub.subscribe(topic),
        source,
        topic,
        after: last_seen,
        closing,
        pending: VecDeque::new(),
        sent: HashSet::new(),
        sent_order: VecDeque::new(),
        behind: false,
        ends_at: tokio::time::Instant::now() + lasts,
        ended,
        slot: services.hub.open_stream(caller.user.id),
    };
    match (last_seen, &reader.source) {
        // A reconnection: replay what was missed.
        (Some(_), _) => reader.read_new().await?,
        // A first connection: only what comes from now on.
        (None, Source::Inbox(user)) => reader.after = inbox::newest(&services.db, *user).await?,
        // Events from now on (and none of the lookback before it).
        (None, Source::Scope(_)) => {
            let now = Uuid::now_v7();
            reader.after = Some(now);
            reader.read_new().await?;
            reader.pending.clear();
            reader.after = Some(reader.after.map_or(now, |a| a.max(now)));
        }
    }
    Ok(reader)
}

impl Reader {
    async fn read_new(&mut self) -> Result<(), DbErr> {
        match &self.source {
            Source::Inbox(user) => self.read_inbox(*user).await,
            Source::Scope(actor) => {
                let actor = actor.clone();
                self.read_scope(&actor).await
            }
        }
    }

    async fn read_inbox(&mut self, user: Uuid) -> Result<(), DbErr> {
        let rows = inbox::after(&self.db, user, self.after, ENTRIES_PER_READ).await?;
        self.behind = rows.len() as u64 == ENTRIES_PER_READ;
        if let Some(last) = rows.last() {
            self.after = Some(last.id);
        }
        self.pending.extend(rows.into_iter().map(News::Inbox));
        Ok(())
    }

    async fn read_scope(&mut self, actor: &Actor) -> Result<(), DbErr> {
        // Page through the lookback: a busy city may fill a page with what was already sent.
        let mut from = self.after.map(lookback_floor);
        let mut rows: Vec<report_event::Model> = Vec::new();
        loop {
            let page = inbox::events_after(&self.db, actor, from, EVENTS_PER_READ).await?;
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
        let wards = reports::wards_of(&self.db, rows.iter().map(|e| e.report_id)).await?;
        let actors =
            accounts::users_by_id(&self.db, rows.iter().filter_map(|e| e.actor_id)).await?;
        for row in rows {
            self.after = Some(self.after.map_or(row.id, |a| a.max(row.id)));
            self.sent.insert(row.id);
            self.sent_order.push_back(row.id);
            self.pending.push_back(News::Report {
                ward_id: wards.get(&row.report_id).copied().unwrap_or_default(),
                actor: row
                    .actor_id
                    .and_then(|a| actors.get(&a).cloned().map(Box::new)),
                event: row,
            });
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

    /// Whether the stream must end now (see [`Reader::ends_at`]).
    fn over(&self) -> bool {
        tokio::time::Instant::now() >= self.ends_at
            || *self.slot.replaced.borrow()
            || self
                .ended
                .iter()
                .any(|(_, receiver)| receiver.has_changed().unwrap_or(true))
    }

    /// The next item to send, waiting for one as long as it takes; `None` when the stream
    /// ends (its token expires, its sign-in or account ends, a newer stream replaces it, or the
    /// service stops).
    pub async fn next(mut self) -> Option<(News, Reader)> {
        loop {
            if self.over() {
                return None;
            }
            if let Some(news) = self.pending.pop_front() {
                return Some((news, self));
            }
            if !std::mem::take(&mut self.behind) {
                let (wake, closing) = (&mut self.wake, &mut self.closing);
                let end = {
                    // Never empty: the account's own topic is always among them.
                    let ended = self.ended.iter_mut().map(|(_, r)| Box::pin(r.changed()));
                    let replaced = &mut self.slot.replaced;
                    let ends_at = self.ends_at;
                    async move {
                        tokio::select! {
                            _ = tokio::time::sleep_until(ends_at) => {}
                            _ = replaced.wait_for(|replaced| *replaced) => {}
                            _ = futures_util::future::select_all(ended) => {}
                        }
                    }
                };
                tokio::select! {
                    woken = wake.changed() => if woken.is_err() { return None },
                    _ = closing.wait_for(|closing| *closing) => return None,
                    () = end => return None,
                };
            }
            if let Err(error) = self.read_new().await {
                tracing::warn!(%error, "stream read failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
