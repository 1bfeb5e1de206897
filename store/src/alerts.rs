//! Deadline alerts: warnings and escalations already sent, each once per report, deadline,
//! stage and due time.

use crate::code::Stored;
use crate::entities::{deadline_alert, report};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use sos_domain::sla::deadlines::{AlertStage, DeadlineKind};
use sos_domain::taxonomy::Status;
use std::collections::HashSet;
use uuid::Uuid;

fn due_column(deadline: DeadlineKind) -> report::Column {
    match deadline {
        DeadlineKind::Acknowledge => report::Column::AcknowledgeDueAt,
        DeadlineKind::Resolve => report::Column::ResolveDueAt,
    }
}

fn warn_column(deadline: DeadlineKind) -> report::Column {
    match deadline {
        DeadlineKind::Acknowledge => report::Column::AcknowledgeWarnAt,
        DeadlineKind::Resolve => report::Column::ResolveWarnAt,
    }
}

/// The due time of one of a report's deadlines.
pub fn due_at(report: &report::Model, deadline: DeadlineKind) -> Option<DateTime<Utc>> {
    match deadline {
        DeadlineKind::Acknowledge => report.acknowledge_due_at,
        DeadlineKind::Resolve => report.resolve_due_at,
    }
}

/// Up to `limit` reports in `open_states` whose `deadline` reached `stage` by `now` and that
/// have no such alert for their current due time yet, most overdue first.
pub async fn due(
    db: &impl ConnectionTrait,
    deadline: DeadlineKind,
    stage: AlertStage,
    open_states: &[Status],
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<report::Model>, DbErr> {
    let reached = match stage {
        AlertStage::Warning => warn_column(deadline).lte(now),
        AlertStage::Escalation => due_column(deadline).lt(now),
    };
    let already_sent = Query::select()
        .expr(Expr::val(1))
        .from(deadline_alert::Entity)
        .and_where(
            Expr::col((deadline_alert::Entity, deadline_alert::Column::ReportId))
                .equals((report::Entity, report::Column::Id)),
        )
        .and_where(deadline_alert::Column::Deadline.eq(deadline.as_str()))
        .and_where(deadline_alert::Column::Stage.eq(stage.as_str()))
        .and_where(
            Expr::col((deadline_alert::Entity, deadline_alert::Column::DueAt))
                .equals((report::Entity, due_column(deadline))),
        )
        .to_owned();
    report::Entity::find()
        .filter(report::Column::Status.is_in(open_states.iter().map(|s| s.as_str())))
        .filter(reached)
        .filter(Expr::exists(already_sent).not())
        .order_by_asc(due_column(deadline))
        // Deadlines tie (working-hour ones end at closing time): the id makes the batch the
        // same for every replica that scans at once.
        .order_by_asc(report::Column::Id)
        .limit(limit)
        .all(db)
        .await
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
