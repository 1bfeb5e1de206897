//! Deadline alerts: warnings and escalations already sent, each once per report, deadline,
//! stage and due time.

use crate::code::Stored;
use crate::entities::{deadline_alert, report};
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sos_domain::sla::deadlines::{AlertStage, DeadlineKind};
use std::collections::HashSet;
use uuid::Uuid;

/// The due time of one of a report's deadlines.
pub fn due_at(report: &report::Model, deadline: DeadlineKind) -> Option<DateTime<Utc>> {
    match deadline {
        DeadlineKind::Acknowledge => report.acknowledge_due_at,
        DeadlineKind::Resolve => report.resolve_due_at,
    }
}

/// Up to `limit` reports the deadline scanner should look at by `now` (`next_alert_at`
/// before it), longest waiting first. Strictly before: a look at `now` moves a report on to
/// an alert not reached at `now`, which may be an escalation due at `now` itself.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<report::Model>, DbErr> {
    report::Entity::find()
        .filter(report::Column::NextAlertAt.lt(now))
        .order_by_asc(report::Column::NextAlertAt)
        // Deadlines tie (working-hour ones end at closing time): the id makes the batch the
        // same for every replica that scans at once.
        .order_by_asc(report::Column::Id)
        .limit(limit)
        .all(db)
        .await
}

/// Sets when the scanner next looks at a report it has looked at, unless the report changed
/// since it was read (`version`): whoever changed it set the time from its new state.
pub async fn reschedule(
    txn: &impl ConnectionTrait,
    report_id: Uuid,
    version: i32,
    next_alert_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    report::Entity::update_many()
        .col_expr(report::Column::NextAlertAt, next_alert_at.into())
        .filter(report::Column::Id.eq(report_id))
        .filter(report::Column::Version.eq(version))
        .exec(txn)
        .await?;
    Ok(())
}

/// Records the alerts of these reports; returns the reports whose alert this call recorded
/// (another replica may have recorded some a moment ago).
pub async fn record(
    txn: &impl ConnectionTrait,
    reports: &[report::Model],
    deadline: DeadlineKind,
    stage: AlertStage,
    at: DateTime<Utc>,
) -> Result<HashSet<Uuid>, DbErr> {
    let mut alerts: Vec<deadline_alert::Model> = reports
        .iter()
        .filter_map(|r| {
            Some(deadline_alert::Model {
                id: Uuid::now_v7(),
                report_id: r.id,
                deadline: Stored(deadline),
                stage: Stored(stage),
                due_at: due_at(r, deadline)?,
                created_at: at,
            })
        })
        .collect();
    if alerts.is_empty() {
        return Ok(HashSet::new());
    }
    // Two replicas recording overlapping batches take the unique keys' locks in one order,
    // so the later waits for the earlier instead of each waiting for the other (a deadlock
    // that PostgreSQL breaks by failing one of them).
    alerts.sort_by_key(|a| a.report_id);
    let unique = [
        deadline_alert::Column::ReportId,
        deadline_alert::Column::Deadline,
        deadline_alert::Column::Stage,
        deadline_alert::Column::DueAt,
    ];
    let inserted =
        crate::rows::insert_new::<deadline_alert::ActiveModel>(txn, &alerts, &unique).await?;
    Ok(alerts
        .iter()
        .filter(|a| inserted.contains(&a.id))
        .map(|a| a.report_id)
        .collect())
}
