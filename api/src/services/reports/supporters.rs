//! Joining a report: a head who finds the problem already reported nearby follows that
//! report instead of filing it again; the ward sees one problem with its supporters, and
//! every supporter hears the answer.

use crate::problem::{Outcome, Problem};
use crate::services::Services;
use crate::services::accounts::Caller;
use sos_domain::access;
use sos_domain::taxonomy::Role;
use sos_store::entities::report;
use sos_store::reports as store;
use uuid::Uuid;

/// The report joined, and whether this call joined it (false: the head had already).
pub struct Joined {
    pub report_id: Uuid,
    pub newly: bool,
    pub supporters: u64,
}

/// A report the head may join (`access::can_join`); one they may not read is not found.
async fn joinable(services: &Services, caller: &Caller, id: Uuid) -> Outcome<report::Model> {
    let actor = &caller.actor;
    if actor.role != Role::NeighborhoodHead {
        return Err(Problem::forbidden(
            "Chỉ trưởng khu phố tham gia phản ánh.",
            "Only neighborhood heads join reports.",
        ));
    }
    let (report, scope) = super::find_visible(&services.db, actor, id).await?;
    if !access::can_join(actor, &scope, *report.status) {
        return Err(Problem::conflict(
            "Chỉ tham gia được phản ánh đang xử lý do người khác gửi.",
            "Only an open report filed by someone else can be joined.",
        ));
    }
    Ok(report)
}

/// Joins the report (again: nothing changes).
pub async fn join(services: &Services, caller: &Caller, id: Uuid) -> Outcome<Joined> {
    let report = joinable(services, caller, id).await?;
    let user_id = caller.user.id;
    let newly = if store::supports(&services.db, report.id, user_id).await? {
        false
    } else {
        let txn = services.begin_write().await?;
        // A second request of the same head may get there first.
        let now = services.clock.now();
        let inserted = store::join(&*txn, report.id, user_id, now).await?;
        // Its count of supporters is part of the report: those who sync fetch it again.
        store::mark_updated(&*txn, &[report.id], now).await?;
        txn.commit().await?;
        inserted
    };
    tracing::info!(report = %report.id, "head joined a report");
    Ok(Joined {
        report_id: report.id,
        newly,
        supporters: store::supporter_count(&services.db, report.id).await?,
    })
}

/// Leaves a report joined earlier.
pub async fn leave(services: &Services, caller: &Caller, id: Uuid) -> Outcome<()> {
    let txn = services.begin_write().await?;
    let left = store::leave(&*txn, id, caller.user.id).await?;
    store::mark_updated(&*txn, &[id], services.clock.now()).await?;
    txn.commit().await?;
    if !left {
        return Err(Problem::not_found(
            "Bạn chưa tham gia phản ánh này.",
            "You have not joined this report.",
        ));
    }
    Ok(())
}
