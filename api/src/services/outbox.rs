//! What the outbox queues when events are recorded: deliveries to every webhook of the report's
//! ward that wants the event, an e-mail to the outside company concerned when a report of its
//! kind is routed (internal notes stay inside the ward), and to each person an event puts in an
//! inbox what they chose: a push to every phone, a letter. The rows are written in the
//! transaction of their event (`record`), so a change that rolls back sends nothing and a
//! change that commits is never forgotten; `deliveries` sends them.

use crate::infra::push::PushMessage;
use crate::services::record::Concerned;
use crate::wording;
use crate::wording::mail::OutgoingMail;
use chrono::{DateTime, Utc};
use serde_json::json;
use sos_domain::code::Visibility;
use sos_domain::delivery::{self, Channel, DeliveryChannel, DeliveryStatus};
use sos_domain::routing;
use sos_store::entities::{notification, outbox, report_event, user};
use sos_store::{ConnectionTrait, DbErr, Stored, accounts, index, reports};
use std::collections::HashMap;
use uuid::Uuid;

/// The deliveries of these events and inbox entries (see the module's description). The
/// events are of the reports `concerned` holds.
pub async fn rows_for(
    txn: &impl ConnectionTrait,
    concerned: &Concerned<'_>,
    events: &[report_event::Model],
    inbox: &[notification::Model],
) -> Result<Vec<outbox::Model>, DbErr> {
    let public: Vec<&report_event::Model> = events
        .iter()
        .filter(|e| *e.visibility == Visibility::Public)
        .collect();
    let mut rows = personal_rows(txn, concerned, events, inbox).await?;
    rows.extend(webhook_rows(concerned, &public));
    rows.extend(agency_mail_rows(concerned, &public));
    Ok(rows)
}

/// A delivery due at once.
fn pending(
    id: Uuid,
    channel: DeliveryChannel,
    ward_id: Uuid,
    (event_id, report_id, event_type): (Uuid, Uuid, &str),
    payload: String,
    at: DateTime<Utc>,
) -> outbox::Model {
    outbox::Model {
        id,
        channel: Stored(channel),
        ward_id,
        subscription_id: None,
        recipient: None,
        event_id,
        report_id,
        event_type: event_type.to_owned(),
        payload,
        status: Stored(DeliveryStatus::Pending),
        attempts: 0,
        next_attempt_at: at,
        last_error: None,
        created_at: at,
        sent_at: None,
    }
}

fn of_event(event: &report_event::Model) -> (Uuid, Uuid, &'static str) {
    (event.id, event.report_id, event.event_type.as_str())
}

/// For each inbox entry, what its user chose beyond the inbox: a push per phone, and a
/// letter. The push carries the entry's title and text in the phone's language (its user's
/// unless the phone chose one), and what the app needs to open the report (the delivery id
/// lets it drop a repeat); the letter is in its user's language.
async fn personal_rows(
    txn: &impl ConnectionTrait,
    concerned: &Concerned<'_>,
    events: &[report_event::Model],
    inbox: &[notification::Model],
) -> Result<Vec<outbox::Model>, DbErr> {
    let mut rows = Vec::new();
    if inbox.is_empty() {
        return Ok(rows);
    }
    let mut user_ids: Vec<Uuid> = inbox.iter().map(|entry| entry.user_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    // Only people with a phone registered or an address can hear more; most have neither.
    // Of the heads read with the report it is known; the others are read.
    let (known, unknown): (Vec<Uuid>, Vec<Uuid>) = user_ids
        .into_iter()
        .partition(|id| concerned.heads.contains_key(id));
    let mut users: Vec<user::Model> = known
        .iter()
        .filter_map(|id| concerned.heads.get(id))
        .filter(|(_, reachable)| *reachable)
        .map(|(head, _)| (*head).clone())
        .collect();
    if !unknown.is_empty() {
        users.extend(accounts::reachable(txn, unknown).await?);
    }
    if users.is_empty() {
        return Ok(rows);
    }
    let devices = accounts::devices_of(txn, users.iter().map(|u| u.id)).await?;
    let preferences = accounts::preferences_of(txn, &users).await?;
    let users = index(users, |u| u.id);
    // Entries of reports not in hand (the heads of merged reports hear of the answer).
    let elsewhere: Vec<Uuid> = inbox
        .iter()
        .map(|entry| entry.report_id)
        .filter(|id| !concerned.reports.contains_key(id))
        .collect();
    let mut wards = if elsewhere.is_empty() {
        HashMap::new()
    } else {
        reports::wards_of(txn, elsewhere).await?
    };
    wards.extend(concerned.reports.values().map(|r| (r.id, r.ward_id)));
    let events = index(events.to_vec(), |e| e.id);
    for entry in inbox {
        let (Some(event), Some(&ward_id), Some(user), Some(chosen)) = (
            events.get(&entry.event_id),
            wards.get(&entry.report_id),
            users.get(&entry.user_id),
            preferences.get(&entry.user_id),
        ) else {
            continue;
        };
        let event_type = *entry.event_type;
        let mut row = |channel, payload: String, recipient: &str, id: Uuid| {
            let mut row = pending(
                id,
                channel,
                ward_id,
                of_event(event),
                payload,
                event.created_at,
            );
            row.report_id = entry.report_id;
            row.recipient = Some(recipient.to_owned());
            rows.push(row);
        };
        if chosen.wants(Channel::Push, event_type) {
            for phone in devices.iter().filter(|d| d.user_id == entry.user_id) {
                let id = Uuid::now_v7();
                let lang = phone.language.as_deref().copied().unwrap_or(*user.language);
                let message = PushMessage {
                    title: entry.title_in(lang).to_owned(),
                    body: entry.body_in(lang).to_owned(),
                    data: [
                        ("delivery_id", id.to_string()),
                        ("notification_id", entry.id.to_string()),
                        ("report_id", entry.report_id.to_string()),
                        ("type", entry.event_type.as_str().to_owned()),
                    ]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                };
                let payload = serde_json::to_string(&message).unwrap_or_default();
                row(DeliveryChannel::Push, payload, &phone.token, id);
            }
        }
        if let Some(address) = user.email.as_deref()
            && chosen.wants(Channel::Email, event_type)
        {
            let lang = *user.language;
            let mail = wording::mail::inbox_notice(
                lang,
                &user.display_name,
                address,
                entry.title_in(lang),
                entry.body_in(lang),
                entry.report_id,
            );
            let payload = serde_json::to_string(&mail).unwrap_or_default();
            row(DeliveryChannel::Email, payload, address, Uuid::now_v7());
        }
    }
    Ok(rows)
}

/// A letter that belongs to no report (the morning digest): its event and report ids are nil.
pub fn letter(
    id: Uuid,
    ward_id: Uuid,
    event_type: &str,
    mail: &OutgoingMail,
    at: DateTime<Utc>,
) -> outbox::Model {
    let mut row = pending(
        id,
        DeliveryChannel::Email,
        ward_id,
        (Uuid::nil(), Uuid::nil(), event_type),
        serde_json::to_string(mail).unwrap_or_default(),
        at,
    );
    row.recipient = Some(mail.to.clone());
    row
}

fn webhook_rows(concerned: &Concerned<'_>, public: &[&report_event::Model]) -> Vec<outbox::Model> {
    let mut rows = Vec::new();
    for event in public {
        let Some(report) = concerned.reports.get(&event.report_id) else {
            continue;
        };
        let Some(directory) = concerned.directories.get(&report.ward_id) else {
            continue;
        };
        let (ward_id, neighborhood_id) = (report.ward_id, report.neighborhood_id);
        for subscription in directory
            .subscriptions
            .iter()
            .filter(|s| delivery::subscribes(&s.event_types, *event.event_type))
        {
            let id = Uuid::now_v7();
            let payload = json!({
                "id": id,
                "type": event.event_type,
                "occurred_at": crate::clock::rfc3339(event.created_at),
                "report_id": event.report_id,
                "ward_id": ward_id,
                "neighborhood_id": neighborhood_id,
                "from_status": event.from_status,
                "to_status": event.to_status,
                "text": event.text,
                "data": event.data,
            });
            let mut row = pending(
                id,
                DeliveryChannel::Webhook,
                ward_id,
                of_event(event),
                payload.to_string(),
                event.created_at,
            );
            row.subscription_id = Some(subscription.id);
            rows.push(row);
        }
    }
    rows
}

/// E-mails to the outside companies of the reports routed in these events.
fn agency_mail_rows(
    concerned: &Concerned<'_>,
    public: &[&report_event::Model],
) -> Vec<outbox::Model> {
    let mut rows = Vec::new();
    let assigned = public
        .iter()
        .filter(|e| *e.event_type == sos_domain::taxonomy::EventType::Assigned);
    for event in assigned {
        let Some(report) = concerned.reports.get(&event.report_id) else {
            continue;
        };
        let Some(code) = routing::external_agency(*report.subcategory) else {
            continue;
        };
        let Some(directory) = concerned.directories.get(&report.ward_id) else {
            continue;
        };
        let Some(agency) = directory.agency_with_address(code) else {
            continue;
        };
        let mail = wording::mail::agency_notice(
            report,
            agency,
            &directory.ward,
            directory.neighborhoods.get(&report.neighborhood_id),
            report.address.as_deref().unwrap_or("không ghi"),
        );
        let mut row = pending(
            Uuid::now_v7(),
            DeliveryChannel::Email,
            report.ward_id,
            of_event(event),
            serde_json::to_string(&mail).unwrap_or_default(),
            event.created_at,
        );
        row.recipient = Some(mail.to.clone());
        rows.push(row);
    }
    rows
}
