//! The deadline scheduler: warns a department when 80 % of its time to acknowledge or to
//! resolve a report has gone, and escalates to the ward's leaders when the deadline passes.
//! Each alert is sent exactly once, however many replicas scan at the same moment: it is a
//! row of `deadline_alerts`, unique per report, deadline, stage and due time, inserted in the
//! same transaction as its event and inbox entries.
//!
//! A scan reads only the reports with an alert due: each report keeps when to look at it next
//! (`next_alert_at`, set by whoever sets its deadlines or state, see `sla::schedule_alerts`),
//! and a look moves it on to the report's next alert. An overdue report is read once per
//! alert, not at every scan for as long as it stays open.

use crate::services::Services;
use crate::services::record::{self, UnitOfWork};
use crate::services::sla;
use crate::wording;
use chrono::{DateTime, Utc};
use serde_json::json;
use sos_domain::code::Visibility;
use sos_domain::sla::alerts::{Running, next_look, reached};
use sos_domain::sla::deadlines::{AlertStage, DeadlineKind};
use sos_domain::taxonomy::{EventType, Role};
use sos_store::accounts::{self, AttachedTo};
use sos_store::entities::{notification, report, report_event};
use sos_store::{DbErr, Stored, alerts};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Reports looked at per transaction.
const BATCH: u64 = 500;

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

impl Sent {
    fn add(&mut self, stage: AlertStage, count: usize) {
        match stage {
            AlertStage::Warning => self.warnings += count,
            AlertStage::Escalation => self.escalations += count,
        }
    }
}

/// Sends every warning and escalation due at `now` that was not sent yet.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn scan(services: &Services, now: DateTime<Utc>) -> Result<Sent, DbErr> {
    let mut sent = Sent::default();
    loop {
        let more = scan_batch(services, now, &mut sent).await?;
        if !more {
            return Ok(sent);
        }
    }
}

/// Looks at one batch of the reports due a look: sends the alerts they have reached, and
/// sets when to look at each next. Returns whether more reports may be waiting.
async fn scan_batch(
    services: &Services,
    now: DateTime<Utc>,
    sent: &mut Sent,
) -> Result<bool, DbErr> {
    let due = alerts::due(&services.db, now, BATCH).await?;
    if due.is_empty() {
        return Ok(false);
    }
    let running: Vec<Vec<Running>> = due.iter().map(sla::running_deadlines).collect();
    let reached_alerts: Vec<Vec<(DeadlineKind, AlertStage)>> = running
        .iter()
        .map(|deadlines| reached(deadlines, now))
        .collect();
    // The reports that reached an alert `wanted` picks.
    let reaching = |wanted: &dyn Fn(&(DeadlineKind, AlertStage)) -> bool| -> Vec<report::Model> {
        due.iter()
            .zip(&reached_alerts)
            .filter(|(_, alerts)| alerts.iter().any(wanted))
            .map(|(report, _)| report.clone())
            .collect()
    };
    // Read before the write starts, which SQLite's one writer would wait on.
    let escalated_to = recipients_of(
        services,
        AlertStage::Escalation,
        &reaching(&|(_, stage)| *stage == AlertStage::Escalation),
    )
    .await?;
    let warned = recipients_of(
        services,
        AlertStage::Warning,
        &reaching(&|(_, stage)| *stage == AlertStage::Warning),
    )
    .await?;
    let mut unit = UnitOfWork::new(
        services.begin_write().await?,
        now,
        services.directory.clone(),
    );
    let (mut events, mut inbox, mut alerted) = (Vec::new(), Vec::new(), HashSet::new());
    for (stage, hearers) in [
        (AlertStage::Escalation, &escalated_to),
        (AlertStage::Warning, &warned),
    ] {
        for deadline in [DeadlineKind::Acknowledge, DeadlineKind::Resolve] {
            let reports = reaching(&|alert| *alert == (deadline, stage));
            // An earlier look, or another replica a moment ago, may have sent some of these:
            // only the alerts this transaction recorded get an event.
            let recorded = alerts::record(unit.txn(), &reports, deadline, stage, now).await?;
            let mine: Vec<&report::Model> = reports
                .iter()
                .filter(|r| recorded.contains(&r.id))
                .collect();
            let (new_events, new_inbox) = alert_events(&mine, deadline, stage, hearers, now);
            sent.add(stage, mine.len());
            events.extend(new_events);
            inbox.extend(new_inbox);
            alerted.extend(recorded);
        }
    }
    // By id, as the alerts are recorded: replicas moving overlapping batches on lock their
    // reports in one order, whatever order each read them in.
    let mut looked: Vec<(&report::Model, &Vec<Running>)> = due.iter().zip(&running).collect();
    looked.sort_by_key(|(report, _)| report.id);
    for (report, deadlines) in looked {
        let next = next_look(deadlines, Some(now));
        alerts::reschedule(unit.txn(), report.id, report.version, next).await?;
    }
    // An alert is news on its report for those who sync. Filing and actions need no such
    // mark: they store the report itself, stamped with the same time.
    let alerted: Vec<&report::Model> = due.iter().filter(|r| alerted.contains(&r.id)).collect();
    let alerted_ids: Vec<Uuid> = alerted.iter().map(|r| r.id).collect();
    sos_store::reports::mark_updated(unit.txn(), &alerted_ids, now).await?;
    // The people alerted are staff and leaders, not a report's audience.
    unit.record(&alerted, &[], &events, &inbox).await?;
    unit.commit(&services.hub).await?;
    Ok(due.len() as u64 == BATCH)
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
async fn recipients_of(
    services: &Services,
    stage: AlertStage,
    reports: &[report::Model],
) -> Result<HashMap<Uuid, Vec<Uuid>>, DbErr> {
    if reports.is_empty() {
        return Ok(HashMap::new());
    }
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
