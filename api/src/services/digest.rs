//! The morning digest: at 07:00 in Ho Chi Minh City, each ward leader who wants it (and has an
//! address) gets the day before in their ward by e-mail: received, resolved, on-time rates,
//! the open backlog and the reports most past the ward's promise.
//!
//! Every replica looks each minute (the digest worker); a `daily_digests` row per leader and
//! day, inserted `ON CONFLICT DO NOTHING` in the transaction that queues the letter in the
//! outbox, makes it one letter whichever replica gets there first.

use crate::problem::Outcome;
use crate::services::Services;
use crate::services::accounts::actor_of;
use crate::wording;
use crate::wording::mail::DayFigures;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sos_domain::rollup;
use sos_domain::sla::TIME_ZONE;
use sos_domain::stats::on_time_rate;
use sos_store::entities::user;
use sos_store::stats::{self, Clock, Filters};
use sos_store::{accounts, facts, outbox, reports};
use uuid::Uuid;

/// When the digest of the day before goes out, local time.
pub const SEND_AT: NaiveTime = NaiveTime::from_hms_opt(7, 0, 0).expect("a time");
/// Reports most past the ward's promise, listed in the digest.
const LATE_LISTED: u64 = 5;
/// The outbox's event type for a digest: it belongs to no report.
pub const EVENT_TYPE: &str = "digest.daily";

async fn figures(
    services: &Services,
    leader: &user::Model,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Outcome<DayFigures> {
    let db = &services.db;
    let actor = actor_of(db, leader).await?;
    let next = day.succ_opt().expect("a next day");
    let filters = Filters {
        from: rollup::day_start(day),
        to: rollup::day_start(next),
        ward: leader.ward_id,
        department: None,
        category: None,
    };
    let tally = stats::tally(db, &actor, &filters, Clock::Ward, now)
        .await?
        .unwrap_or_default();
    let backlog = stats::backlog(db, &actor, &Filters { to: now, ..filters }, now).await?;
    let late = match leader.ward_id {
        Some(ward) => reports::most_overdue(db, ward, now, LATE_LISTED).await?,
        None => Vec::new(),
    };
    Ok(DayFigures {
        day,
        received: tally.received,
        resolved: tally.resolved,
        acknowledge_on_time_rate: on_time_rate(tally.acknowledge_on_time, tally.acknowledge_late),
        resolve_on_time_rate: on_time_rate(tally.resolve_on_time, tally.resolve_late),
        open: backlog.buckets.iter().map(|(_, n)| n).sum(),
        overdue: backlog.overdue,
        late: late.iter().map(|d| wording::inbox::excerpt(d)).collect(),
    })
}

/// Queues the digests due at `now` that no replica queued yet; returns how many it queued.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn send_due(services: &Services, now: DateTime<Utc>) -> Outcome<usize> {
    let local = now.with_timezone(&TIME_ZONE);
    if local.time() < SEND_AT {
        return Ok(0);
    }
    let today = local.date_naive();
    let key = facts::day_key(today);
    let leaders = accounts::leaders_with_address(&services.db).await?;
    if leaders.is_empty() {
        return Ok(0);
    }
    let queued = outbox::digests_queued(&services.db, &key).await?;
    let chosen = accounts::preferences_of(&services.db, &leaders).await?;
    let mut sent = 0;
    for leader in leaders
        .iter()
        .filter(|l| !queued.contains(&l.id) && chosen.get(&l.id).is_some_and(|p| p.daily_digest))
    {
        let (Some(ward_id), Some(address)) = (leader.ward_id, leader.email.as_deref()) else {
            continue;
        };
        let yesterday = today.pred_opt().expect("a day before");
        let figures = figures(services, leader, yesterday, now).await?;
        let mail =
            wording::mail::daily_digest(*leader.language, &leader.display_name, address, &figures);
        let id = Uuid::now_v7();
        // `now` decides the day and the figures; the letter is queued at the clock's time.
        let queued_at = services.clock.now();
        let txn = services.begin_write().await?;
        if outbox::claim_digest(&*txn, leader.id, &key, id, queued_at).await? {
            let letter = crate::services::outbox::letter(id, ward_id, EVENT_TYPE, &mail, queued_at);
            outbox::insert(&*txn, &[letter]).await?;
            sent += 1;
        }
        txn.commit().await?;
    }
    Ok(sent)
}

/// The first instant the digest of `day` may go.
pub fn due_at(day: NaiveDate) -> DateTime<Utc> {
    rollup::day_start(day) + (SEND_AT - NaiveTime::MIN)
}
