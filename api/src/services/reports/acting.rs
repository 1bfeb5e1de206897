//! Working a report through its states: acknowledge, start, resolve, reject, reroute, mark as
//! a duplicate, comment, reopen, close, extend. The request becomes a typed
//! [`Command`](sos_domain::command::Command) once; the domain decides what it may do and what
//! it changes; this module loads what that needs and stores it in one unit of work, guarded by
//! the report's version (someone else's change in between makes it a conflict, nothing
//! written).

use crate::i18n::{Lang, Text};
use crate::problem::{Outcome, Problem, ProblemKind};
use crate::services::Services;
use crate::services::accounts::Caller;
use crate::services::record::{self, NewEvent, UnitOfWork};
use crate::services::reports::{Detail, detail, find_visible};
use crate::services::sla;
use serde_json::{Value, json};
use sos_domain::access::{self, ReportScope};
use sos_domain::command::{self, Command, Destination, Extension, Invalid, Issue, Needed, Request};
use sos_domain::lifecycle::{self, Milestones, Transition};
use sos_domain::sla::Deadline;
use sos_domain::taxonomy::{Action, EventType, Subcategory};
use sos_store::entities::{department, report};
use sos_store::reports::{self as store, Correction};
use sos_store::{Stored, wards};
use uuid::Uuid;

/// What a command changes on the report beyond its state, once what it names is found.
#[derive(Default)]
struct Changes {
    department: Option<department::Model>,
    subcategory: Option<Subcategory>,
    response: Option<String>,
    duplicate_of: Option<Uuid>,
    rating: Option<u8>,
    resolve_by: Option<chrono::DateTime<chrono::Utc>>,
    /// The event's data.
    data: Value,
}

/// Applies the action a person asked for to a report; answers with the report as they now
/// see it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn act(
    services: &Services,
    caller: &Caller,
    id: Uuid,
    request: Request,
) -> Outcome<Detail> {
    let actor = &caller.actor;
    let (report, scope) = find_visible(&services.db, actor, id).await?;
    let action = request.action;
    let permitted = access::permitted_actions(actor, &scope);
    if !permitted.contains(&action) {
        return Err(Problem::forbidden(
            format!(
                "Vai trò của bạn không được thực hiện thao tác «{}» với phản ánh này.",
                action.label(Lang::Vi)
            ),
            format!(
                "Your role may not “{}” (`{action}`) this report.",
                action.label(Lang::En)
            ),
        ));
    }
    let transition = lifecycle::transition(*report.status, action)
        .map_err(|refused| transition_refused(refused, &permitted))?;
    let command = Command::parse(request, access::sees_internal_notes(actor)).map_err(invalid)?;
    let changes = changes_of(services, caller, &report, &command).await?;
    let at = services.clock.now();
    let updated = apply(services, &report, &command, transition, &changes, at).await?;
    let change = Change {
        before: &report,
        after: &updated,
        command: &command,
        transition,
        at,
    };
    store_change(services, caller, change, changes).await?;
    tracing::info!(report = %report.id, %action, to = %transition.to, "report action");
    // The actor just wrote an event, so staff keep seeing a report they sent elsewhere.
    let scope: ReportScope = store::scope(&updated, true);
    detail(&services.db, actor, updated, &scope).await
}

fn transition_refused(refused: lifecycle::Refused, permitted: &[Action]) -> Problem {
    let (status, action) = (refused.status, refused.action);
    let allowed: Vec<Action> = refused
        .allowed
        .into_iter()
        .filter(|a| permitted.contains(a))
        .collect();
    let names = allowed
        .iter()
        .map(|a| a.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let mut problem = Problem::of(
        ProblemKind::TransitionRefused,
        format!(
            "Phản ánh đang ở trạng thái «{}», không thể «{}». Thao tác được phép: {}.",
            status.label(Lang::Vi),
            action.label(Lang::Vi),
            if names.is_empty() {
                "không có"
            } else {
                &names
            }
        ),
        format!(
            "The report is “{}” (`{status}`): “{}” (`{action}`) is not possible. Allowed now: {}.",
            status.label(Lang::En),
            action.label(Lang::En),
            if names.is_empty() { "none" } else { &names }
        ),
    );
    problem.allowed_actions = Some(allowed);
    problem
}

/// The message of a request that is not a command.
fn invalid(invalid: Invalid) -> Problem {
    let message = match invalid.issue {
        Issue::Missing(needed) => {
            let (vi, en) = match needed {
                Needed::Response => ("câu trả lời cho khu phố", "response for the neighborhood"),
                Needed::RejectReason => ("lý do từ chối", "reason"),
                Needed::HandBackReason => ("lý do trả về", "reason"),
                Needed::ExtendReason => ("lý do gia hạn", "reason"),
                Needed::CommentText => ("nội dung ý kiến", "comment text"),
                Needed::NewDeadline => {
                    return Problem::field(
                        invalid.field,
                        "Cần thời hạn mới (RFC 3339).",
                        "The new deadline is required (RFC 3339).",
                    );
                }
                Needed::Original => {
                    return Problem::field(
                        invalid.field,
                        "Cần mã phản ánh gốc.",
                        "The id of the original report is required.",
                    );
                }
            };
            Text::new(format!("Cần {vi}."), format!("A {en} is required."))
        }
        Issue::TooLong { max } => Text::new(
            format!("Tối đa {max} ký tự."),
            format!("At most {max} characters."),
        ),
        Issue::Rating => Text::new("Đánh giá từ 1 đến 5.", "The rating is from 1 to 5."),
        Issue::OneDestination => Text::new(
            "Chuyển xử lý cần đúng một đích: to_triage, department hoặc subcategory.",
            "A reroute needs exactly one destination: to_triage, department or subcategory.",
        ),
        Issue::ControlCharacter => Text::new(
            "Không được chứa ký tự điều khiển.",
            "Must not contain control characters.",
        ),
        Issue::PublicOnly => Text::new(
            "Trưởng khu phố chỉ gửi ý kiến công khai.",
            "Neighborhood heads can only post public comments.",
        ),
    };
    Problem::field(invalid.field, message.vi, message.en)
}

/// Finds what the command names (a department, an original report) and checks what the
/// domain leaves to the report's data (a deadline to extend).
async fn changes_of(
    services: &Services,
    caller: &Caller,
    report: &report::Model,
    command: &Command,
) -> Outcome<Changes> {
    let mut changes = Changes {
        data: json!({}),
        ..Changes::default()
    };
    match command {
        Command::Resolve { response } => changes.response = Some(response.clone()),
        Command::Reroute { to, .. } => {
            if !access::may_reroute(&caller.actor, to.kind()) {
                return Err(Problem::forbidden(
                    "Đơn vị chỉ được trả phản ánh về bộ phận tiếp nhận (to_triage), kèm lý do.",
                    "A department may only hand a report back to the triage desk (to_triage), with a reason.",
                ));
            }
            let target = destination(services, report, to, &mut changes).await?;
            let from = match report.department_id {
                Some(id) => wards::department(&services.db, id).await?.map(|d| d.code),
                None => None,
            };
            changes.data = json!({
                "from_department": from,
                "to_department": target.code,
                "subcategory": changes.subcategory,
            });
            changes.department = Some(target);
        }
        Command::MarkDuplicate { original, .. } => {
            let original = original_of(services, caller, report, *original).await?;
            changes.data = json!({"duplicate_of": original});
            changes.duplicate_of = Some(original);
        }
        Command::Close { rating, .. } => {
            if let Some(rating) = rating {
                changes.data = json!({"rating": rating});
            }
            changes.rating = *rating;
        }
        Command::Extend { resolve_by, .. } => {
            command::check_extension(report.resolve_due_at, *resolve_by, services.clock.now())
                .map_err(extension_refused)?;
            changes.data = json!({
                "from": report.resolve_due_at.map(crate::clock::rfc3339),
                "to": crate::clock::rfc3339(*resolve_by),
            });
            changes.resolve_by = Some(*resolve_by);
        }
        Command::Acknowledge
        | Command::Start
        | Command::Reject { .. }
        | Command::Comment { .. }
        | Command::Reopen { .. } => {}
    }
    Ok(changes)
}

fn extension_refused(refused: Extension) -> Problem {
    match refused {
        Extension::NoDeadline => Problem::conflict(
            "Phản ánh chưa có hạn xử lý để gia hạn.",
            "The report has no deadline to extend.",
        ),
        Extension::NotLater => Problem::field(
            "/resolve_by",
            "Thời hạn mới phải sau thời hạn hiện tại và sau lúc này.",
            "The new deadline must be later than the current one and than now.",
        ),
        Extension::TooFar => Problem::field(
            "/resolve_by",
            format!(
                "Chỉ gia hạn tối đa {} ngày kể từ nay.",
                command::MAX_EXTENSION_DAYS
            ),
            format!(
                "A deadline is extended by at most {} days from now.",
                command::MAX_EXTENSION_DAYS
            ),
        ),
    }
}

/// The department a reroute sends the report to.
async fn destination(
    services: &Services,
    report: &report::Model,
    to: &Destination,
    changes: &mut Changes,
) -> Outcome<department::Model> {
    let db = &services.db;
    let target = match to {
        Destination::TriageDesk => services
            .ward_directory(report.ward_id)
            .await?
            .triage_desk()
            .cloned(),
        Destination::Department(code) => Some(
            crate::services::wards::receiving_department(db, report.ward_id, code, "/department")
                .await?,
        ),
        Destination::Subcategory(subcategory) => {
            changes.subcategory = Some(*subcategory);
            let directory = services.ward_directory(report.ward_id).await?;
            // As at filing: what no rule routes goes to the triage desk.
            directory
                .routed_department(*subcategory)
                .or_else(|| directory.triage_desk())
                .cloned()
        }
    };
    target.ok_or_else(|| {
        Problem::conflict(
            "Phường chưa có bộ phận tiếp nhận.",
            "The ward has no triage desk.",
        )
    })
}

/// The report another is marked a duplicate of: another one, of the same ward, that the
/// caller can see.
async fn original_of(
    services: &Services,
    caller: &Caller,
    report: &report::Model,
    original: Uuid,
) -> Outcome<Uuid> {
    let not_original = || {
        Problem::field(
            "/duplicate_of",
            "Phản ánh gốc phải là một phản ánh khác, cùng phường, mà bạn xem được.",
            "The original must be another report of the same ward that you can see.",
        )
    };
    if original == report.id {
        return Err(not_original());
    }
    let (original, _) = find_visible(&services.db, &caller.actor, original)
        .await
        .map_err(|_| not_original())?;
    if original.ward_id != report.ward_id {
        return Err(not_original());
    }
    Ok(original.id)
}

/// The report as the command leaves it.
async fn apply(
    services: &Services,
    report: &report::Model,
    command: &Command,
    transition: Transition,
    changes: &Changes,
    at: chrono::DateTime<chrono::Utc>,
) -> Outcome<report::Model> {
    let mut updated = report.clone();
    updated.status = Stored(transition.to);
    updated.updated_at = at;
    updated.version = report.version + 1;
    let milestones = lifecycle::milestones_after(
        command.action(),
        transition.to,
        Milestones {
            acknowledged_at: report.acknowledged_at,
            resolved_at: report.resolved_at,
            closed_at: report.closed_at,
        },
        at,
    );
    updated.acknowledged_at = milestones.acknowledged_at;
    updated.resolved_at = milestones.resolved_at;
    updated.closed_at = milestones.closed_at;
    if let Some(department) = &changes.department {
        updated.department_id = Some(department.id);
    }
    if let Some(subcategory) = changes.subcategory {
        updated.subcategory = Stored(subcategory);
        updated.category = Stored(subcategory.category());
    }
    if let Some(response) = &changes.response {
        updated.response = Some(response.clone());
    }
    if let Some(original) = changes.duplicate_of {
        updated.duplicate_of = Some(original);
    }
    if let Some(rating) = changes.rating {
        updated.rating = Some(i32::from(rating));
    }
    let clock = services
        .ward_clocks
        .ward(&services.db, report.ward_id)
        .await?;
    if command.restarts_department_clock() {
        clock.start_department_clock(&mut updated, at);
    }
    if let (Some(resolve_by), Some(assigned_at)) = (changes.resolve_by, updated.assigned_at) {
        let extended = Deadline::between(assigned_at, resolve_by);
        updated.resolve_due_at = Some(extended.due_at);
        updated.resolve_warn_at = Some(extended.warn_at);
    }
    clock.record_response_times(&mut updated);
    sla::schedule_alerts(&mut updated);
    Ok(updated)
}

/// A report before and after a command.
struct Change<'a> {
    before: &'a report::Model,
    after: &'a report::Model,
    command: &'a Command,
    transition: Transition,
    at: chrono::DateTime<chrono::Utc>,
}

/// Writes the change with its event, inbox entries and deliveries, if the report is still
/// as it was read.
async fn store_change(
    services: &Services,
    caller: &Caller,
    change: Change<'_>,
    changes: Changes,
) -> Outcome<()> {
    let Change {
        before: report,
        after: updated,
        command,
        transition,
        at,
    } = change;
    let db = &services.db;
    let audience = super::audience(db, updated).await?;
    // Those who filed a report merged into this one hear its answer too.
    let followers = if transition.event == EventType::Resolved {
        store::merged_from_elsewhere(db, report).await?
    } else {
        Vec::new()
    };
    let department_name = match &changes.department {
        Some(d) => Some(d.name.clone()),
        None => match updated.department_id {
            Some(id) => services
                .directory
                .ward(db, updated.ward_id)
                .await?
                .and_then(|ward| ward.departments.get(&id).map(|d| d.name.clone())),
            None => None,
        },
    };
    let mut unit = UnitOfWork::new(
        services.begin_write().await?,
        at,
        services.directory.clone(),
    );
    let stored = if command.commutes() {
        store::touch(unit.txn(), report.id, at).await?
    } else {
        store::update_versioned(unit.txn(), updated, report.version).await?
    };
    if !stored {
        return Err(Problem::of(
            ProblemKind::Stale,
            "Phản ánh vừa được người khác cập nhật; hãy tải lại và thử lại.",
            "Someone else changed the report meanwhile; reload it and try again.",
        ));
    }
    if let Some(subcategory) = changes.subcategory.filter(|s| *s != *report.subcategory) {
        let correction = Correction {
            report_id: report.id,
            text: report.description.clone(),
            from: *report.subcategory,
            to: subcategory,
            actor_id: caller.user.id,
            at: unit.at(),
        };
        store::insert_correction(unit.txn(), correction).await?;
    }
    let event = NewEvent {
        event_type: transition.event,
        actor: Some((caller.user.id, caller.actor.role)),
        from_status: Some(*report.status),
        to_status: Some(transition.to),
        visibility: command.visibility(),
        text: command.text().map(str::to_owned),
        data: changes.data,
    };
    let (events, mut inbox) = record::prepare(
        updated,
        &audience.heads,
        vec![event],
        unit.at(),
        department_name.as_deref(),
    );
    if let Some(resolved) = events.iter().find(|e| *e.event_type == EventType::Resolved) {
        inbox.extend(record::followers_inbox(resolved, &followers));
    }
    unit.record(&[updated], &[&audience], &events, &inbox)
        .await?;
    unit.commit(&services.hub).await?;
    Ok(())
}
