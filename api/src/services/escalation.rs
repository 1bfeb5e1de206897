//! The deadline scheduler: warns a department when 80 % of its time to acknowledge or to
//! resolve a report has gone, and escalates to the ward's leaders when the deadline passes.
//! Each alert is sent exactly once, however many replicas scan at the same moment: it is a
//! row of `deadline_alerts`, unique per report, deadline, stage and due time, inserted in the
//! same transaction as its event and inbox entries.

use crate::services::Services;
use crate::services::record::{self, UnitOfWork};
use crate::wording;
use chrono::{DateTime, Utc};
use serde_json::json;
use sos_domain::code::Visibility;
use sos_domain::sla::deadlines::{AlertStage, DeadlineKind};
use sos_domain::taxonomy::{EventType, Role, Status};
use sos_store::accounts::{self, AttachedTo};
use sos_store::entities::{notification, report, report_event};
use sos_store::{DbErr, Stored, alerts};
use std::collections::HashMap;
use uuid::Uuid;

/// Reports handled per transaction.
const BATCH: u64 = 500;

/// The states in which a deadline is still to be met.
fn open_states(deadline: DeadlineKind) -> &'static [Status] {
    match deadline {
        DeadlineKind::Acknowledge => &[Status::Assigned],
        DeadlineKind::Resolve => &[Status::Assigned, Status::Acknowledged, Status::InProgress],
    }
}

fn event_of(stage: AlertStage) -> EventType {
    match stage {
        AlertStage::Warning => EventType::DeadlineWarning,
        AlertStage::Escalation => EventType::Escalated,
    }
}

/// What one scan sent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub warnings: usize,
    pub escalations: usize,
}

/// Sends every warning and escalation due at `now` that was not sent yet.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn scan(services: &Services, now: DateTime<Utc>) -> Result<Sent, DbErr> {
    let mut sent = Sent::default();
    for deadline in [DeadlineKind::Acknowledge, DeadlineKind::Resolve] {
        for stage in [AlertStage::Escalation, AlertStage::Warning] {
            loop {
                let (count, more) = scan_batch(services, deadline, stage, now).await?;
                match stage {
                    AlertStage::Warning => sent.warnings += count,
                    AlertStage::Escalation => sent.escalations += count,
                }
                if !more {
                    break;
                }
            }
        }
    }
    Ok(sent)
}

/// One batch of reports due for this alert; returns how many alerts this replica sent and
/// whether more reports may be waiting.
async fn scan_batch(
    services: &Services,
    deadline: DeadlineKind,
    stage: AlertStage,
    now: DateTime<Utc>,
) -> Result<(usize, bool), DbErr> {
    let due = alerts::due(
        &services.db,
        deadline,
        stage,
        open_states(deadline),
        now,
        BATCH,
    )
    .await?;
    if due.is_empty() {
        return Ok((0, false));
    }
    let recipients = recipients(services, stage, &due).await?;
    let mut unit = UnitOfWork::new(
        services.begin_write().await?,
        now,
        services.directory.clone(),
    );
    // Another replica may have sent some of these a moment ago: only the alerts this
    // transaction recorded get an event.
    let recorded = alerts::record(unit.txn(), &due, deadline, stage, now).await?;
    let mine: Vec<&report::Model> = due.iter().filter(|r| recorded.contains(&r.id)).collect();
    let (events, inbox) = alert_events(&mine, deadline, stage, &recipients, now);
    // An alert is news on its report for those who sync. Filing and actions need no such
    // mark: they store the report itself, stamped with the same time.
    let alerted: Vec<Uuid> = mine.iter().map(|r| r.id).collect();
    sos_store::reports::mark_updated(unit.txn(), &alerted, now).await?;
    // The people alerted are staff and leaders, not a report's audience.
    unit.record(&mine, &[], &events, &inbox).await?;
    unit.commit(&services.hub).await?;
    Ok((mine.len(), due.len() as u64 == BATCH))
}

/// The internal event of each alert, and an inbox entry for each person who hears of it.
fn alert_events(
    reports: &[&report::Model],
    deadline: DeadlineKind,
    stage: AlertStage,
    recipients: &HashMap<Uuid, Vec<Uuid>>,
    now: DateTime<Utc>,
) -> (Vec<report_event::Model>, Vec<notification::Model>) {
    let mut events = Vec::with_capacity(reports.len());
    let mut inbox = Vec::new();
    for report in reports {
        let due_at = alerts::due_at(report, deadline).unwrap_or(now);
        let due = wording::deadlines::describe(deadline, due_at);
        let event = report_event::Model {
            id: Uuid::now_v7(),
            report_id: report.id,
            event_type: Stored(event_of(stage)),
            actor_id: None,
            from_status: None,
            to_status: None,
            visibility: Stored(Visibility::Internal),
            // The Vietnamese words; a reader in another language gets them from `data`
            // (`views::Event`).
            text: Some(due.vi.clone()),
            data: json!({"deadline": deadline, "due_at": crate::clock::rfc3339(due_at)}),
            created_at: now,
            facts_pending: sos_domain::rollup::changes_facts(event_of(stage)),
        };
        let wording = wording::inbox::entry(event_of(stage), &report.description, Some(&due), None);
        let key = match stage {
            AlertStage::Warning => report.department_id,
            AlertStage::Escalation => Some(report.ward_id),
        };
        for user_id in key.and_then(|k| recipients.get(&k)).into_iter().flatten() {
            inbox.push(record::inbox_entry(*user_id, report.id, &event, &wording));
        }
        events.push(event);
    }
    (events, inbox)
}

/// Who hears of an alert: the staff of the department holding the report (warnings), the
/// ward's leaders (escalations); by department or ward id.
async fn recipients(
    services: &Services,
    stage: AlertStage,
    reports: &[report::Model],
) -> Result<HashMap<Uuid, Vec<Uuid>>, DbErr> {
    let (role, by, keys): (Role, AttachedTo, Vec<Uuid>) = match stage {
        AlertStage::Warning => (
            Role::DepartmentStaff,
            AttachedTo::Department,
            reports.iter().filter_map(|r| r.department_id).collect(),
        ),
        AlertStage::Escalation => (
            Role::WardLeader,
            AttachedTo::Ward,
            reports.iter().map(|r| r.ward_id).collect(),
        ),
    };
    let users = accounts::active_of_role_in(&services.db, role, by, keys).await?;
    let mut by_key: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for user in users {
        let key = match by {
            AttachedTo::Department => user.department_id,
            AttachedTo::Ward => user.ward_id,
        };
        if let Some(key) = key {
            by_key.entry(key).or_default().push(user.id);
        }
    }
    Ok(by_key)
}
