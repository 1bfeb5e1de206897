//! The morning digest: at 07:00 in Ho Chi Minh City, each ward leader who wants it (and has an
//! address) gets the day before in their ward by e-mail: received, resolved, on-time rates,
//! the open backlog and the reports most past the ward's promise.
//!
//! Every replica looks each minute ([`keep_sending`]); a `daily_digests` row per leader and
//! day, inserted `ON CONFLICT DO NOTHING` in the transaction that queues the letter in the
//! outbox, makes it one letter whichever replica gets there first.

use crate::auth::actor_of;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::entities::{daily_digest, report, user};
use crate::store::preferences;
use crate::store::stats::{self, Clock, Filters};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sea_orm::TryInsertResult;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use sos_domain::rollup;
use sos_domain::sla::TIME_ZONE;
use sos_domain::stats::on_time_rate;
use sos_domain::taxonomy::Role;
use std::collections::HashSet;
use uuid::Uuid;

/// When the digest of the day before goes out, local time.
pub const SEND_AT: NaiveTime = NaiveTime::from_hms_opt(7, 0, 0).expect("a time");
/// Reports most past the ward's promise, listed in the digest.
const LATE_LISTED: u64 = 5;
/// The outbox's event type for a digest: it belongs to no report.
pub const EVENT_TYPE: &str = "digest.daily";

/// The figures of a ward's day, as a digest shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct DayFigures {
    pub day: NaiveDate,
    pub received: u64,
    pub resolved: u64,
    pub acknowledge_on_time_rate: Option<f64>,
    pub resolve_on_time_rate: Option<f64>,
    /// Open now, and of those past the ward's deadline to resolve.
    pub open: i64,
    pub overdue: i64,
    /// The descriptions (cut short) of the reports most past the promise.
    pub late: Vec<String>,
}

async fn figures(
    state: &AppState,
    leader: &user::Model,
    day: NaiveDate,
    now: DateTime<Utc>,
) -> Result<DayFigures, ApiError> {
    let actor = actor_of(&state.db, leader).await?;
    let next = day.succ_opt().expect("a next day");
    let filters = Filters {
        from: rollup::day_start(day),
        to: rollup::day_start(next),
        ward: leader.ward_id,
        department: None,
        category: None,
    };
    let tally = stats::tally(&state.db, &actor, &filters, Clock::Ward, now)
        .await?
        .unwrap_or_default();
    let backlog = stats::backlog(&state.db, &actor, &Filters { to: now, ..filters }, now).await?;
    let late: Vec<String> = report::Entity::find()
        .select_only()
        .column(report::Column::Description)
        .filter(report::Column::WardId.eq(leader.ward_id))
        .filter(stats::open())
        .filter(report::Column::WardResolveDueAt.lt(now))
        .order_by_asc(report::Column::WardResolveDueAt)
        .limit(LATE_LISTED)
        .into_tuple::<String>()
        .all(&state.db)
        .await?;
    Ok(DayFigures {
        day,
        received: tally.received,
        resolved: tally.resolved,
        acknowledge_on_time_rate: on_time_rate(tally.acknowledge_on_time, tally.acknowledge_late),
        resolve_on_time_rate: on_time_rate(tally.resolve_on_time, tally.resolve_late),
        open: backlog.buckets.iter().map(|(_, n)| n).sum(),
        overdue: backlog.overdue,
        late: late.iter().map(|d| crate::notify::excerpt(d)).collect(),
    })
}

/// Queues the digests due at `now` that no replica queued yet; returns how many it queued.
pub async fn send_due(state: &AppState, now: DateTime<Utc>) -> Result<usize, ApiError> {
    let local = now.with_timezone(&TIME_ZONE);
    if local.time() < SEND_AT {
        return Ok(0);
    }
    let today = local.date_naive();
    let key = crate::rollup::day_key(today);
    let leaders = user::Entity::find()
        .filter(user::Column::Role.eq(Role::WardLeader.as_str()))
        .filter(user::Column::Active.eq(true))
        .filter(user::Column::Email.is_not_null())
        .filter(user::Column::WardId.is_not_null())
        .all(&state.db)
        .await?;
    if leaders.is_empty() {
        return Ok(0);
    }
    let queued: HashSet<Uuid> = daily_digest::Entity::find()
        .filter(daily_digest::Column::Day.eq(key.as_str()))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|row| row.user_id)
        .collect();
    let chosen = preferences::of(&state.db, &leaders).await?;
    let mut sent = 0;
    for leader in leaders
        .iter()
        .filter(|l| !queued.contains(&l.id) && chosen.get(&l.id).is_some_and(|p| p.daily_digest))
    {
        let (Some(ward_id), Some(address)) = (leader.ward_id, leader.email.as_deref()) else {
            continue;
        };
        let yesterday = today.pred_opt().expect("a day before");
        let figures = figures(state, leader, yesterday, now).await?;
        let mail = crate::mail::daily_digest(&leader.display_name, address, &figures);
        let id = Uuid::now_v7();
        // `now` decides the day and the figures; the letter is queued at the real time.
        let queued_at = crate::store::reports::now();
        let txn = state.begin_write().await?;
        let claimed = daily_digest::Entity::insert(daily_digest::ActiveModel {
            user_id: Set(leader.id),
            day: Set(key.clone()),
            delivery_id: Set(id),
            created_at: Set(queued_at),
        })
        .on_conflict_do_nothing_on([daily_digest::Column::UserId, daily_digest::Column::Day])
        .exec_without_returning(&*txn)
        .await?;
        if matches!(claimed, TryInsertResult::Inserted(n) if n > 0) {
            crate::outbox::enqueue_letter(&*txn, id, ward_id, EVENT_TYPE, &mail, queued_at).await?;
            sent += 1;
        }
        txn.commit().await?;
    }
    Ok(sent)
}

/// Runs this replica's digest clock until aborted.
pub fn keep_sending(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Err(error) = send_due(&state, Utc::now()).await {
                tracing::warn!("daily digests: {error:?}");
            }
        }
    })
}

/// The first instant the digest of `day` may go.
pub fn due_at(day: NaiveDate) -> DateTime<Utc> {
    rollup::day_start(day) + (SEND_AT - NaiveTime::MIN)
}
