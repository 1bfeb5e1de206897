//! The deadline scheduler: warns a department when 80 % of its time to acknowledge or to
//! resolve a report has gone, and escalates to the ward's leaders when the deadline passes.
//! Each alert is sent exactly once, however many replicas scan at the same moment: it is a
//! row of `deadline_alerts`, unique per report, deadline, stage and due time, inserted in the
//! same transaction as its event and inbox entries.

use crate::state::AppState;
use crate::store::entities::{deadline_alert, notification, report, report_event, user};
use crate::store::reports::record_events;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TryInsertResult,
};
use serde_json::json;
use sos_domain::sla::TIME_ZONE;
use sos_domain::taxonomy::{EventType, Role, Status};
use std::collections::{HashMap, HashSet};
use std::time::Duration;
use uuid::Uuid;

/// Reports handled per transaction.
const BATCH: u64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Acknowledge,
    Resolve,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// To the department, at 80 % of the allowed time.
    Warning,
    /// To the ward's leaders, once the deadline has passed.
    Escalation,
}

impl Which {
    fn code(self) -> &'static str {
        match self {
            Which::Acknowledge => "acknowledge",
            Which::Resolve => "resolve",
        }
    }

    /// The states in which the deadline is still to be met.
    fn open_states(self) -> &'static [Status] {
        match self {
            Which::Acknowledge => &[Status::Assigned],
            Which::Resolve => &[Status::Assigned, Status::Acknowledged, Status::InProgress],
        }
    }

    fn due_column(self) -> report::Column {
        match self {
            Which::Acknowledge => report::Column::AcknowledgeDueAt,
            Which::Resolve => report::Column::ResolveDueAt,
        }
    }

    fn warn_column(self) -> report::Column {
        match self {
            Which::Acknowledge => report::Column::AcknowledgeWarnAt,
            Which::Resolve => report::Column::ResolveWarnAt,
        }
    }

    fn due_at(self, report: &report::Model) -> Option<DateTime<Utc>> {
        match self {
            Which::Acknowledge => report.acknowledge_due_at,
            Which::Resolve => report.resolve_due_at,
        }
    }

    /// "tiếp nhận trước 16:00 ngày 09/03/2026"
    fn describe(self, due: DateTime<Utc>) -> String {
        let verb = match self {
            Which::Acknowledge => "tiếp nhận",
            Which::Resolve => "xử lý",
        };
        let local = due.with_timezone(&TIME_ZONE);
        format!("({verb} trước {})", local.format("%H:%M ngày %d/%m/%Y"))
    }
}

impl Stage {
    fn code(self) -> &'static str {
        match self {
            Stage::Warning => "warning",
            Stage::Escalation => "escalation",
        }
    }

    fn event(self) -> EventType {
        match self {
            Stage::Warning => EventType::DeadlineWarning,
            Stage::Escalation => EventType::Escalated,
        }
    }
}

/// What one scan sent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub warnings: usize,
    pub escalations: usize,
}

/// Sends every warning and escalation due at `now` that was not sent yet.
pub async fn scan(state: &AppState, now: DateTime<Utc>) -> Result<Sent, DbErr> {
    let mut sent = Sent::default();
    for which in [Which::Acknowledge, Which::Resolve] {
        for stage in [Stage::Escalation, Stage::Warning] {
            loop {
                let (count, more) = scan_batch(state, which, stage, now).await?;
                match stage {
                    Stage::Warning => sent.warnings += count,
                    Stage::Escalation => sent.escalations += count,
                }
                if !more {
                    break;
                }
            }
        }
    }
    Ok(sent)
}

/// Runs [`scan`] every `interval`, the first one interval after start (replicas starting
/// together do not all scan at once), until the task is dropped.
pub fn keep_watch(state: AppState, interval: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match scan(&state, Utc::now()).await {
                Ok(sent) if sent != Sent::default() => {
                    tracing::info!(
                        warnings = sent.warnings,
                        escalations = sent.escalations,
                        "deadline alerts sent"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "deadline scan failed"),
            }
        }
    })
}

/// One batch of reports due for this alert; returns how many alerts this replica sent and
/// whether more reports may be waiting.
async fn scan_batch(
    state: &AppState,
    which: Which,
    stage: Stage,
    now: DateTime<Utc>,
) -> Result<(usize, bool), DbErr> {
    let reached = match stage {
        Stage::Warning => which.warn_column().lte(now),
        Stage::Escalation => which.due_column().lt(now),
    };
    let already_sent = Query::select()
        .expr(Expr::val(1))
        .from(deadline_alert::Entity)
        .and_where(
            Expr::col((deadline_alert::Entity, deadline_alert::Column::ReportId))
                .equals((report::Entity, report::Column::Id)),
        )
        .and_where(deadline_alert::Column::Deadline.eq(which.code()))
        .and_where(deadline_alert::Column::Stage.eq(stage.code()))
        .and_where(
            Expr::col((deadline_alert::Entity, deadline_alert::Column::DueAt))
                .equals((report::Entity, which.due_column())),
        )
        .to_owned();
    let due: Vec<report::Model> = report::Entity::find()
        .filter(report::Column::Status.is_in(which.open_states().iter().map(|s| s.as_str())))
        .filter(reached)
        .filter(Expr::exists(already_sent).not())
        .order_by_asc(which.due_column())
        .limit(BATCH)
        .all(&state.db)
        .await?;
    if due.is_empty() {
        return Ok((0, false));
    }
    let recipients = recipients(state, stage, &due).await?;

    let txn = state.begin_write().await?;
    let alerts: Vec<deadline_alert::Model> = due
        .iter()
        .filter_map(|r| {
            Some(deadline_alert::Model {
                id: Uuid::now_v7(),
                report_id: r.id,
                deadline: which.code().to_owned(),
                stage: stage.code().to_owned(),
                due_at: which.due_at(r)?,
                created_at: now,
            })
        })
        .collect();
    let inserted: HashSet<Uuid> = match deadline_alert::Entity::insert_many(
        alerts
            .iter()
            .map(|a| deadline_alert::ActiveModel::from(a.clone())),
    )
    .on_conflict_do_nothing_on([
        deadline_alert::Column::ReportId,
        deadline_alert::Column::Deadline,
        deadline_alert::Column::Stage,
        deadline_alert::Column::DueAt,
    ])
    .exec_with_returning_keys(&*txn)
    .await?
    {
        TryInsertResult::Inserted(keys) => keys.into_iter().collect(),
        TryInsertResult::Conflicted | TryInsertResult::Empty => HashSet::new(),
    };
    // Another replica may have sent some of these a moment ago: only the alerts this
    // transaction inserted get an event.
    let mine: Vec<&report::Model> = alerts
        .iter()
        .filter(|a| inserted.contains(&a.id))
        .filter_map(|a| due.iter().find(|r| r.id == a.report_id))
        .collect();
    let mut events = Vec::with_capacity(mine.len());
    let mut inbox = Vec::new();
    for report in &mine {
        let due_at = which.due_at(report).unwrap_or(now);
        let event = report_event::Model {
            id: Uuid::now_v7(),
            report_id: report.id,
            event_type: stage.event().as_str().to_owned(),
            actor_id: None,
            from_status: None,
            to_status: None,
            visibility: "internal".to_owned(),
            text: Some(which.describe(due_at)),
            data: json!({"deadline": which.code(), "due_at": due_at}),
            created_at: now,
        };
        let (title, body) =
            crate::notify::inbox_text(stage.event(), report, event.text.as_deref(), None);
        let key = match stage {
            Stage::Warning => report.department_id,
            Stage::Escalation => Some(report.ward_id),
        };
        for user_id in key.and_then(|k| recipients.get(&k)).into_iter().flatten() {
            inbox.push(notification::Model {
                id: Uuid::now_v7(),
                user_id: *user_id,
                report_id: report.id,
                event_id: event.id,
                event_type: event.event_type.clone(),
                title: title.clone(),
                body: body.clone(),
                created_at: now,
                read_at: None,
            });
        }
        events.push(event);
    }
    record_events(&*txn, &events, &inbox).await?;
    txn.commit().await?;
    let users: Vec<Uuid> = inbox.iter().map(|n| n.user_id).collect();
    let wards = mine.iter().map(|r| r.ward_id);
    state.hub.announce(&state.db, users, wards).await;
    Ok((mine.len(), due.len() as u64 == BATCH))
}

/// Who hears of an alert: the staff of the department holding the report (warnings), the
/// ward's leaders (escalations); by department or ward id.
async fn recipients(
    state: &AppState,
    stage: Stage,
    reports: &[report::Model],
) -> Result<HashMap<Uuid, Vec<Uuid>>, DbErr> {
    let (role, column, keys): (Role, user::Column, Vec<Uuid>) = match stage {
        Stage::Warning => (
            Role::DepartmentStaff,
            user::Column::DepartmentId,
            reports.iter().filter_map(|r| r.department_id).collect(),
        ),
        Stage::Escalation => (
            Role::WardLeader,
            user::Column::WardId,
            reports.iter().map(|r| r.ward_id).collect(),
        ),
    };
    let users = user::Entity::find()
        .filter(user::Column::Role.eq(role.as_str()))
        .filter(user::Column::Active.eq(true))
        .filter(column.is_in(keys))
        .all(&state.db)
        .await?;
    let mut by_key: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for user in users {
        let key = match stage {
            Stage::Warning => user.department_id,
            Stage::Escalation => user.ward_id,
        };
        if let Some(key) = key {
            by_key.entry(key).or_default().push(user.id);
        }
    }
    Ok(by_key)
}
