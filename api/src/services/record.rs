//! Recording what happens to reports: one unit of work writes, in one transaction, the events
//! (the timeline), the inbox entries they give people, the outbox deliveries they give
//! outside systems, phones and mailboxes, and the marks that their statistics changed; then
//! commits, and only then tells live streams (a stream never hears of a change that rolled
//! back, and a crash after the commit loses nothing: streams read from the database).

use crate::i18n::Text;
use crate::infra::hub::Hub;
use crate::services::Services;
use crate::services::directory::{Directory, WardDirectory};
use crate::services::outbox;
use crate::wording;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sos_domain::code::Visibility;
use sos_domain::lifecycle;
use sos_domain::taxonomy::{EventType, Role, Status};
use sos_store::entities::{notification, report, report_event, user};
use sos_store::{DbErr, Stored, WriteTxn};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use uuid::Uuid;

/// An event to append to a report's history.
pub struct NewEvent {
    pub event_type: EventType,
    pub actor: Option<(Uuid, Role)>,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub visibility: Visibility,
    pub text: Option<String>,
    pub data: Value,
}

impl NewEvent {
    /// A public event with no text and no data.
    pub fn public(event_type: EventType) -> NewEvent {
        NewEvent {
            event_type,
            actor: None,
            from_status: None,
            to_status: None,
            visibility: Visibility::Public,
            text: None,
            data: Value::Object(Default::default()),
        }
    }
}

/// The rows that record `events` on a report: the events, and an inbox entry for each head
/// the events concern. Pure: nothing is written.
pub fn prepare(
    report: &report::Model,
    heads: &[user::Model],
    events: Vec<NewEvent>,
    at: DateTime<Utc>,
    department_name: Option<&str>,
) -> (Vec<report_event::Model>, Vec<notification::Model>) {
    let mut rows = Vec::with_capacity(events.len());
    let mut inbox = Vec::new();
    // The facts worker reads which reports changed, not which events: one pending event per
    // report and transaction is enough, and each flag it clears is a row it writes again.
    let marked = events
        .iter()
        .rposition(|event| sos_domain::rollup::changes_facts(event.event_type));
    for (index, event) in events.into_iter().enumerate() {
        let by_a_head = matches!(event.actor, Some((_, Role::NeighborhoodHead)));
        let public = event.visibility == Visibility::Public;
        let row = report_event::Model {
            id: Uuid::now_v7(),
            report_id: report.id,
            event_type: Stored(event.event_type),
            actor_id: event.actor.map(|(id, _)| id),
            from_status: event.from_status.map(Stored),
            to_status: event.to_status.map(Stored),
            visibility: Stored(event.visibility),
            text: event.text,
            data: event.data,
            created_at: at,
            facts_pending: marked == Some(index),
        };
        if lifecycle::notifies_heads(event.event_type, public, by_a_head) {
            let wording = wording::inbox::entry(
                event.event_type,
                &report.description,
                row.text.as_deref().map(Text::same).as_ref(),
                department_name,
            );
            inbox.extend(
                heads
                    .iter()
                    .map(|head| inbox_entry(head.id, report.id, &row, &wording)),
            );
        }
        rows.push(row);
    }
    (rows, inbox)
}

/// Inbox entries telling the heads of merged reports the answer given to the primary one.
/// Each entry points to the head's own report, the one they can open.
pub fn followers_inbox(
    resolved: &report_event::Model,
    followers: &[(report::Model, Vec<user::Model>)],
) -> Vec<notification::Model> {
    let mut heads_seen = HashSet::new();
    followers
        .iter()
        .flat_map(|(duplicate, heads)| heads.iter().map(move |head| (duplicate, head)))
        .filter(|(_, head)| heads_seen.insert(head.id))
        .map(|(duplicate, head)| {
            let wording =
                wording::inbox::merged_answer(&duplicate.description, resolved.text.as_deref());
            inbox_entry(head.id, duplicate.id, resolved, &wording)
        })
        .collect()
}

/// An unread inbox entry of `user_id` about `event`, opening `report_id`, in both languages.
pub fn inbox_entry(
    user_id: Uuid,
    report_id: Uuid,
    event: &report_event::Model,
    wording: &wording::inbox::Entry,
) -> notification::Model {
    notification::Model {
        id: Uuid::now_v7(),
        user_id,
        report_id,
        event_id: event.id,
        event_type: event.event_type,
        title: wording.title.vi.clone(),
        body: wording.body.vi.clone(),
        title_en: Some(wording.title.en.clone()),
        body_en: Some(wording.body.en.clone()),
        created_at: event.created_at,
        read_at: None,
    }
}

/// The heads who hear of a report (`reports::audience`), read with whether each has a phone
/// registered: what reaches them beyond the inbox is known without reading them again.
#[derive(Debug, Default)]
pub struct Audience {
    pub heads: Vec<user::Model>,
    with_phone: HashSet<Uuid>,
}

impl Audience {
    pub fn new(hearers: Vec<sos_store::reports::Hearer>) -> Audience {
        let with_phone = hearers
            .iter()
            .filter(|h| h.has_phone)
            .map(|h| h.user.id)
            .collect();
        Audience {
            heads: hearers.into_iter().map(|h| h.user).collect(),
            with_phone,
        }
    }
}

/// What events being recorded concern, in hand: their reports, those reports' wards, and the
/// heads known to hear of them.
pub struct Concerned<'a> {
    pub reports: HashMap<Uuid, &'a report::Model>,
    pub directories: HashMap<Uuid, Arc<WardDirectory>>,
    /// Each known head, and whether anything beyond the inbox can reach them (a phone or an
    /// address).
    pub heads: HashMap<Uuid, (&'a user::Model, bool)>,
}

/// A write transaction that records events, and announces them to live streams once it has
/// committed.
pub struct UnitOfWork {
    txn: WriteTxn,
    at: DateTime<Utc>,
    directory: Arc<Directory>,
    users: Vec<Uuid>,
    wards: Vec<Uuid>,
}

impl UnitOfWork {
    pub async fn begin(services: &Services) -> Result<UnitOfWork, DbErr> {
        Ok(UnitOfWork::new(
            services.begin_write().await?,
            services.clock.now(),
            services.directory.clone(),
        ))
    }

    /// A unit of work in a write transaction begun by the caller, its changes made at `at`;
    /// the wards' organisation is read from `directory`.
    pub fn new(txn: WriteTxn, at: DateTime<Utc>, directory: Arc<Directory>) -> UnitOfWork {
        UnitOfWork {
            txn,
            at,
            directory,
            users: Vec::new(),
            wards: Vec::new(),
        }
    }

    /// The transaction, for the writes of the use case itself.
    pub fn txn(&self) -> &sos_store::db::Transaction {
        &self.txn
    }

    /// The time the unit's changes are made at.
    pub fn at(&self) -> DateTime<Utc> {
        self.at
    }

    /// Writes events of `reports` as they happen: the events (those that can change their
    /// report's statistics are written pending, see `sos_store::facts`), their inbox entries
    /// and their deliveries (outbox).
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn record(
        &mut self,
        reports: &[&report::Model],
        audiences: &[&Audience],
        events: &[report_event::Model],
        inbox: &[notification::Model],
    ) -> Result<(), DbErr> {
        let txn = &*self.txn;
        let ward_ids: Vec<Uuid> = reports.iter().map(|r| r.ward_id).collect();
        let directories = self.directory.wards(txn, ward_ids).await?;
        let heads = audiences
            .iter()
            .flat_map(|audience| {
                audience.heads.iter().map(|head| {
                    let reachable = head.email.is_some() || audience.with_phone.contains(&head.id);
                    (head.id, (head, reachable))
                })
            })
            .collect();
        let concerned = Concerned {
            reports: reports.iter().map(|r| (r.id, *r)).collect(),
            directories,
            heads,
        };
        let deliveries = outbox::rows_for(txn, &concerned, events, inbox).await?;
        sos_store::reports::insert_records(txn, events, inbox, &deliveries).await?;
        self.users.extend(inbox.iter().map(|entry| entry.user_id));
        self.wards.extend(reports.iter().map(|r| r.ward_id));
        Ok(())
    }

    /// Commits, then wakes the streams of the people and wards concerned.
    pub async fn commit(self, hub: &Hub) -> Result<(), DbErr> {
        self.txn.commit().await?;
        hub.announce(self.users, self.wards);
        Ok(())
    }
}
