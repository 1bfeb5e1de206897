//! What a person asks of a report, as a typed command: each action with exactly what it
//! needs, read once from the request and checked, and the rules of what it changes beyond the
//! state (which [`crate::lifecycle::transition`] decides) and who may ask (which
//! [`crate::access`] decides).

use crate::access::RerouteKind;
use crate::code::Visibility;
use crate::taxonomy::{Action, Subcategory};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// The longest answer, comment or closing note.
pub const MAX_TEXT_CHARS: usize = 4000;
/// The longest reason (to reject, reroute, reopen, extend, mark a duplicate).
pub const MAX_REASON_CHARS: usize = 2000;
/// A deadline is extended by at most this many days from now.
pub const MAX_EXTENSION_DAYS: i64 = 366;

/// The fields of an action request as sent; which of them an action needs is this module's
/// business.
#[derive(Debug, Clone)]
pub struct Request {
    pub action: Action,
    pub response: Option<String>,
    pub reason: Option<String>,
    pub department: Option<String>,
    pub subcategory: Option<Subcategory>,
    pub to_triage: Option<bool>,
    pub duplicate_of: Option<Uuid>,
    pub text: Option<String>,
    pub visibility: Option<Visibility>,
    pub rating: Option<i32>,
    pub resolve_by: Option<DateTime<Utc>>,
}

impl Request {
    /// A request of `action` with no field.
    pub fn of(action: Action) -> Request {
        Request {
            action,
            response: None,
            reason: None,
            department: None,
            subcategory: None,
            to_triage: None,
            duplicate_of: None,
            text: None,
            visibility: None,
            rating: None,
            resolve_by: None,
        }
    }
}

/// Where a reroute sends a report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Back to the ward's triage desk.
    TriageDesk,
    /// To the department of the ward with this code.
    Department(String),
    /// To the department the ward routes this subcategory to, correcting the classification.
    Subcategory(Subcategory),
}

impl Destination {
    pub fn kind(&self) -> RerouteKind {
        match self {
            Destination::TriageDesk => RerouteKind::ToTriage,
            Destination::Department(_) => RerouteKind::ToDepartment,
            Destination::Subcategory(_) => RerouteKind::ToSubcategory,
        }
    }
}

/// An action with what it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Acknowledge,
    Start,
    Resolve {
        response: String,
    },
    Reject {
        reason: String,
    },
    Reroute {
        to: Destination,
        reason: Option<String>,
    },
    MarkDuplicate {
        original: Uuid,
        reason: Option<String>,
    },
    Comment {
        text: String,
        visibility: Visibility,
    },
    Reopen {
        reason: Option<String>,
    },
    Close {
        rating: Option<u8>,
        note: Option<String>,
    },
    Extend {
        resolve_by: DateTime<Utc>,
        reason: String,
    },
}

/// What a required text is, for the message that asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    Response,
    RejectReason,
    HandBackReason,
    ExtendReason,
    CommentText,
    NewDeadline,
    Original,
}

/// What is wrong with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issue {
    Missing(Needed),
    TooLong {
        max: usize,
    },
    /// A rating is from 1 to 5.
    Rating,
    /// A reroute names no destination, or several.
    OneDestination,
    /// Neighborhood heads post public comments only.
    PublicOnly,
    /// A control character other than a line break or a tab.
    ControlCharacter,
}

/// Why a request is not a command: the field at fault (a JSON pointer) and what is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid {
    pub field: &'static str,
    pub issue: Issue,
}

fn invalid(field: &'static str, issue: Issue) -> Invalid {
    Invalid { field, issue }
}

/// A text field trimmed, `None` when absent or blank.
fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

fn optional(
    field: &'static str,
    value: Option<String>,
    max: usize,
) -> Result<Option<String>, Invalid> {
    match given(value) {
        Some(v) if v.chars().count() > max => Err(invalid(field, Issue::TooLong { max })),
        Some(v) if !crate::text::is_clean_text(&v) => Err(invalid(field, Issue::ControlCharacter)),
        other => Ok(other),
    }
}

fn required(
    field: &'static str,
    value: Option<String>,
    max: usize,
    needed: Needed,
) -> Result<String, Invalid> {
    optional(field, value, max)?.ok_or(invalid(field, Issue::Missing(needed)))
}

/// The destination a reroute request names: exactly one of `to_triage`, `department`,
/// `subcategory`.
fn destination(request: &mut Request) -> Result<Destination, Invalid> {
    match (
        request.to_triage == Some(true),
        request.department.take(),
        request.subcategory.take(),
    ) {
        (true, None, None) => Ok(Destination::TriageDesk),
        (false, Some(code), None) => Ok(Destination::Department(code.trim().to_owned())),
        (false, None, Some(subcategory)) => Ok(Destination::Subcategory(subcategory)),
        _ => Err(invalid("", Issue::OneDestination)),
    }
}

impl Command {
    /// Reads a request. `sees_internal_notes` says whether the asker may write internal
    /// notes (staff) or only public comments (heads), and is their default.
    pub fn parse(mut request: Request, sees_internal_notes: bool) -> Result<Command, Invalid> {
        Ok(match request.action {
            Action::Acknowledge => Command::Acknowledge,
            Action::Start => Command::Start,
            Action::Resolve => Command::Resolve {
                response: required(
                    "/response",
                    request.response,
                    MAX_TEXT_CHARS,
                    Needed::Response,
                )?,
            },
            Action::Reject => Command::Reject {
                reason: required(
                    "/reason",
                    request.reason,
                    MAX_REASON_CHARS,
                    Needed::RejectReason,
                )?,
            },
            Action::Reroute => {
                let to = destination(&mut request)?;
                // Handing a report back must say why; choosing its department need not.
                let reason = if to == Destination::TriageDesk {
                    Some(required(
                        "/reason",
                        request.reason,
                        MAX_REASON_CHARS,
                        Needed::HandBackReason,
                    )?)
                } else {
                    optional("/reason", request.reason, MAX_REASON_CHARS)?
                };
                Command::Reroute { to, reason }
            }
            Action::MarkDuplicate => Command::MarkDuplicate {
                original: request
                    .duplicate_of
                    .ok_or(invalid("/duplicate_of", Issue::Missing(Needed::Original)))?,
                reason: optional("/reason", request.reason, MAX_REASON_CHARS)?,
            },
            Action::Comment => {
                let text = required("/text", request.text, MAX_TEXT_CHARS, Needed::CommentText)?;
                let default = if sees_internal_notes {
                    Visibility::Internal
                } else {
                    Visibility::Public
                };
                let visibility = request.visibility.unwrap_or(default);
                if visibility == Visibility::Internal && !sees_internal_notes {
                    return Err(invalid("/visibility", Issue::PublicOnly));
                }
                Command::Comment { text, visibility }
            }
            Action::Close => Command::Close {
                rating: match request.rating {
                    None => None,
                    Some(r) => Some(
                        u8::try_from(r)
                            .ok()
                            .filter(|r| (1..=5).contains(r))
                            .ok_or(invalid("/rating", Issue::Rating))?,
                    ),
                },
                note: optional("/text", request.text, MAX_TEXT_CHARS)?,
            },
            Action::Reopen => Command::Reopen {
                reason: optional("/reason", request.reason, MAX_REASON_CHARS)?,
            },
            Action::Extend => Command::Extend {
                resolve_by: request
                    .resolve_by
                    .ok_or(invalid("/resolve_by", Issue::Missing(Needed::NewDeadline)))?,
                reason: required(
                    "/reason",
                    request.reason,
                    MAX_REASON_CHARS,
                    Needed::ExtendReason,
                )?,
            },
        })
    }

    pub fn action(&self) -> Action {
        match self {
            Command::Acknowledge => Action::Acknowledge,
            Command::Start => Action::Start,
            Command::Resolve { .. } => Action::Resolve,
            Command::Reject { .. } => Action::Reject,
            Command::Reroute { .. } => Action::Reroute,
            Command::MarkDuplicate { .. } => Action::MarkDuplicate,
            Command::Comment { .. } => Action::Comment,
            Command::Reopen { .. } => Action::Reopen,
            Command::Close { .. } => Action::Close,
            Command::Extend { .. } => Action::Extend,
        }
    }

    /// Whether the command leaves the report's state and fields as they are, so that it
    /// needs no guard against a change made since the report was read: comments sent in
    /// parallel all land, where a state change would be refused as stale.
    pub fn commutes(&self) -> bool {
        matches!(self, Command::Comment { .. })
    }

    /// Who reads the event that records the command: internal notes and extensions stay
    /// with the ward's staff.
    pub fn visibility(&self) -> Visibility {
        match self {
            Command::Comment { visibility, .. } => *visibility,
            Command::Extend { .. } => Visibility::Internal,
            _ => Visibility::Public,
        }
    }

    /// The text the event carries: the answer, the reason, the comment, the closing note.
    pub fn text(&self) -> Option<&str> {
        match self {
            Command::Acknowledge | Command::Start => None,
            Command::Resolve { response } => Some(response),
            Command::Reject { reason } | Command::Extend { reason, .. } => Some(reason),
            Command::Comment { text, .. } => Some(text),
            Command::Close { note, .. } => note.as_deref(),
            Command::Reroute { reason, .. }
            | Command::MarkDuplicate { reason, .. }
            | Command::Reopen { reason } => reason.as_deref(),
        }
    }

    /// Whether the department holding the report starts its clock again: a rerouted report is
    /// new to its department, a reopened one is work to take up again.
    pub fn restarts_department_clock(&self) -> bool {
        matches!(self, Command::Reroute { .. } | Command::Reopen { .. })
    }
}

/// Why a deadline cannot be moved to a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Extension {
    /// The report has no deadline to resolve to extend.
    NoDeadline,
    /// Not later than the current deadline and than now.
    NotLater,
    /// More than [`MAX_EXTENSION_DAYS`] from now.
    TooFar,
}

/// Whether the deadline to resolve, `current` (if any), may become `resolve_by` at `now`.
pub fn check_extension(
    current: Option<DateTime<Utc>>,
    resolve_by: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), Extension> {
    let current = current.ok_or(Extension::NoDeadline)?;
    if resolve_by <= current.max(now) {
        return Err(Extension::NotLater);
    }
    if resolve_by > now + chrono::Duration::days(MAX_EXTENSION_DAYS) {
        return Err(Extension::TooFar);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(action: Action, fill: impl FnOnce(&mut Request)) -> Request {
        let mut request = Request::of(action);
        fill(&mut request);
        request
    }

    #[test]
    fn each_action_reads_what_it_needs() {
        let id = Uuid::now_v7();
        let at = Utc::now();
        let cases: Vec<(Request, bool, Result<Command, Invalid>)> = vec![
            (
                Request::of(Action::Acknowledge),
                true,
                Ok(Command::Acknowledge),
            ),
            (
                request(Action::Resolve, |r| r.response = Some("  Đã sửa  ".into())),
                true,
                Ok(Command::Resolve {
                    response: "Đã sửa".into(),
                }),
            ),
            (
                request(Action::Resolve, |r| r.response = Some("   ".into())),
                true,
                Err(invalid("/response", Issue::Missing(Needed::Response))),
            ),
            (
                Request::of(Action::Reject),
                true,
                Err(invalid("/reason", Issue::Missing(Needed::RejectReason))),
            ),
            (
                request(Action::Reroute, |r| r.to_triage = Some(true)),
                true,
                Err(invalid("/reason", Issue::Missing(Needed::HandBackReason))),
            ),
            (
                request(Action::Reroute, |r| {
                    r.to_triage = Some(true);
                    r.reason = Some("không thuộc phòng".into());
                }),
                true,
                Ok(Command::Reroute {
                    to: Destination::TriageDesk,
                    reason: Some("không thuộc phòng".into()),
                }),
            ),
            (
                request(Action::Reroute, |r| {
                    r.department = Some(" urban_order ".into())
                }),
                true,
                Ok(Command::Reroute {
                    to: Destination::Department("urban_order".into()),
                    reason: None,
                }),
            ),
            (
                request(Action::Reroute, |r| {
                    r.department = Some("urban_order".into());
                    r.subcategory = Some(Subcategory::Noise);
                }),
                true,
                Err(invalid("", Issue::OneDestination)),
            ),
            (
                Request::of(Action::Reroute),
                true,
                Err(invalid("", Issue::OneDestination)),
            ),
            (
                request(Action::MarkDuplicate, |r| r.duplicate_of = Some(id)),
                true,
                Ok(Command::MarkDuplicate {
                    original: id,
                    reason: None,
                }),
            ),
            (
                Request::of(Action::MarkDuplicate),
                true,
                Err(invalid("/duplicate_of", Issue::Missing(Needed::Original))),
            ),
            (
                request(Action::Comment, |r| r.text = Some("ghi chú".into())),
                true,
                Ok(Command::Comment {
                    text: "ghi chú".into(),
                    visibility: Visibility::Internal,
                }),
            ),
            (
                request(Action::Comment, |r| r.text = Some("cảm ơn".into())),
                false,
                Ok(Command::Comment {
                    text: "cảm ơn".into(),
                    visibility: Visibility::Public,
                }),
            ),
            (
                request(Action::Comment, |r| {
                    r.text = Some("bí mật".into());
                    r.visibility = Some(Visibility::Internal);
                }),
                false,
                Err(invalid("/visibility", Issue::PublicOnly)),
            ),
            (
                request(Action::Close, |r| r.rating = Some(6)),
                false,
                Err(invalid("/rating", Issue::Rating)),
            ),
            (
                request(Action::Close, |r| r.rating = Some(5)),
                false,
                Ok(Command::Close {
                    rating: Some(5),
                    note: None,
                }),
            ),
            (
                request(Action::Extend, |r| r.resolve_by = Some(at)),
                true,
                Err(invalid("/reason", Issue::Missing(Needed::ExtendReason))),
            ),
            (
                request(Action::Extend, |r| r.reason = Some("chờ vật tư".into())),
                true,
                Err(invalid("/resolve_by", Issue::Missing(Needed::NewDeadline))),
            ),
            (
                request(Action::Reopen, |r| r.reason = Some("x".repeat(2001))),
                false,
                Err(invalid("/reason", Issue::TooLong { max: 2000 })),
            ),
            (
                request(Action::Resolve, |r| {
                    r.response = Some("Đã sửa\u{1b}[2J".into())
                }),
                true,
                Err(invalid("/response", Issue::ControlCharacter)),
            ),
        ];
        for (request, staff, expected) in cases {
            let action = request.action;
            assert_eq!(Command::parse(request, staff), expected, "{action}");
        }
    }

    #[test]
    fn commands_say_their_action_visibility_text_and_clock() {
        let extend = Command::Extend {
            resolve_by: Utc::now(),
            reason: "chờ vật tư".into(),
        };
        assert_eq!(extend.action(), Action::Extend);
        assert_eq!(extend.visibility(), Visibility::Internal);
        assert_eq!(extend.text(), Some("chờ vật tư"));
        assert!(!extend.restarts_department_clock());
        let reopen = Command::Reopen { reason: None };
        assert!(reopen.restarts_department_clock());
        assert_eq!(reopen.visibility(), Visibility::Public);
        assert_eq!(reopen.text(), None);
    }

    #[test]
    fn extensions_go_forward_within_a_year() {
        let now = Utc::now();
        let hour = chrono::Duration::hours(1);
        assert_eq!(
            check_extension(None, now + hour, now),
            Err(Extension::NoDeadline)
        );
        assert_eq!(
            check_extension(Some(now + hour * 2), now + hour, now),
            Err(Extension::NotLater)
        );
        assert_eq!(
            check_extension(Some(now - hour), now - hour / 2, now),
            Err(Extension::NotLater)
        );
        assert_eq!(check_extension(Some(now - hour), now + hour, now), Ok(()));
        assert_eq!(
            check_extension(Some(now), now + chrono::Duration::days(400), now),
            Err(Extension::TooFar)
        );
    }
}
