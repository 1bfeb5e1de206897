//! Who may see and do what. Every access decision of the service is made here, so that the
//! rules can be read, and tested, in one place.
//!
//! The rules:
//! - a neighborhood head sees the reports of their own neighborhood and those they filed
//!   (located elsewhere), may comment on them (publicly), and reopen or close them; of the
//!   other neighborhoods of their ward they read the public part (never who filed them) of
//!   reports about shared ground, infrastructure and sanitation, and may join those
//!   ([`can_join`]) and then comment; security reports (and `other`) stay with their
//!   neighborhood: another head never sees them, in a list, a map, a duplicate or a stream;
//! - department staff see the reports of their department plus those they acted on, and work
//!   the reports of their department; staff of the triage desk (the ward office) see and work
//!   every report of their ward;
//! - a ward leader sees the whole ward, comments, reroutes and grants more time to resolve;
//! - a city leader sees every ward and comments;
//! - an admin sees and configures one ward, or all of them when attached to none.
//!
//! A report outside someone's view does not exist for them: the API answers 404, not 403.

use crate::photos::PhotoKind;
use crate::taxonomy::{Action, Category, Role, Status};
use uuid::Uuid;

/// The signed-in person, as far as access decisions need to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Uuid,
    pub role: Role,
    pub ward_id: Option<Uuid>,
    pub neighborhood_id: Option<Uuid>,
    pub department_id: Option<Uuid>,
    /// The actor's department is the ward's triage desk.
    pub triage_desk: bool,
}

/// Where a report belongs, and whether the actor has already worked on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportScope {
    pub ward_id: Uuid,
    pub neighborhood_id: Uuid,
    pub department_id: Option<Uuid>,
    pub reporter_id: Uuid,
    pub category: Category,
    /// Staff: the actor wrote an event on this report (they keep seeing what they touched).
    /// Heads: the actor joined it as a supporter.
    pub actor_took_part: bool,
}

/// The categories of reports a head reads across the neighborhoods of their ward: problems of
/// shared ground. Security reports name people and places of one neighborhood.
pub const SHARED_CATEGORIES: [Category; 2] = [Category::Infrastructure, Category::Sanitation];

/// Which reports a list query may return for an actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// Reports of the neighborhood, those the head filed, and, with `shared_ground_of`, that
    /// ward's reports of the [`SHARED_CATEGORIES`].
    Neighborhood {
        neighborhood_id: Uuid,
        user_id: Uuid,
        shared_ground_of: Option<Uuid>,
    },
    /// Reports of the department, plus reports the user wrote an event on.
    Department {
        ward_id: Uuid,
        department_id: Uuid,
        user_id: Uuid,
    },
    Ward(Uuid),
    All,
    /// An account that is not attached where its role needs it sees nothing.
    Nothing,
}

/// How a reroute picks its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RerouteKind {
    /// Hand the report back to the ward's triage desk.
    ToTriage,
    /// Send it to a named department.
    ToDepartment,
    /// Correct its subcategory; the ward's routing table picks the department.
    ToSubcategory,
}

impl Actor {
    fn in_ward(&self, ward_id: Uuid) -> bool {
        self.ward_id == Some(ward_id)
    }

    /// The report is in the actor's own department's hands (or the actor is the triage desk).
    fn works_on(&self, scope: &ReportScope) -> bool {
        self.role == Role::DepartmentStaff
            && self.in_ward(scope.ward_id)
            && (self.triage_desk
                || (self.department_id.is_some() && self.department_id == scope.department_id))
    }
}

pub fn list_scope(actor: &Actor) -> ListScope {
    match (
        actor.role,
        actor.ward_id,
        actor.neighborhood_id,
        actor.department_id,
    ) {
        (Role::CityLeader, ..) | (Role::Admin, None, ..) => ListScope::All,
        (Role::NeighborhoodHead, Some(w), Some(n), _) => ListScope::Neighborhood {
            neighborhood_id: n,
            user_id: actor.user_id,
            shared_ground_of: Some(w),
        },
        (Role::DepartmentStaff, Some(w), _, Some(_)) if actor.triage_desk => ListScope::Ward(w),
        (Role::DepartmentStaff, Some(ward_id), _, Some(department_id)) => ListScope::Department {
            ward_id,
            department_id,
            user_id: actor.user_id,
        },
        (Role::WardLeader | Role::Admin, Some(w), ..) => ListScope::Ward(w),
        _ => ListScope::Nothing,
    }
}

/// The reports the actor's statistics count: those they see, except that a head's figures are
/// those of their own neighborhood (and what they filed), not of the ward's shared ground they
/// also read.
pub fn counted_scope(actor: &Actor) -> ListScope {
    match list_scope(actor) {
        ListScope::Neighborhood {
            neighborhood_id,
            user_id,
            ..
        } => ListScope::Neighborhood {
            neighborhood_id,
            user_id,
            shared_ground_of: None,
        },
        scope => scope,
    }
}

pub fn can_view(actor: &Actor, scope: &ReportScope) -> bool {
    match list_scope(actor) {
        ListScope::All => true,
        ListScope::Neighborhood {
            neighborhood_id,
            user_id,
            shared_ground_of,
        } => {
            scope.neighborhood_id == neighborhood_id
                || scope.reporter_id == user_id
                || (shared_ground_of == Some(scope.ward_id)
                    && SHARED_CATEGORIES.contains(&scope.category))
        }
        ListScope::Ward(w) => scope.ward_id == w,
        ListScope::Department {
            ward_id,
            department_id,
            ..
        } => {
            scope.ward_id == ward_id
                && (scope.department_id == Some(department_id) || scope.actor_took_part)
        }
        ListScope::Nothing => false,
    }
}

/// Whether the actor reads the whole of a report they may see, or its public part only (heads
/// reading another neighborhood's report: not who filed it, nor which heads did what).
pub fn reads_whole(actor: &Actor, scope: &ReportScope) -> bool {
    actor.role != Role::NeighborhoodHead
        || actor.neighborhood_id == Some(scope.neighborhood_id)
        || scope.reporter_id == actor.user_id
}

/// Whether the actor, reading a report, learns who a person on it is (who filed it, commented,
/// acted or added a photo). Reading the public part of another neighborhood's report a head
/// learns which departments did what, never which heads; they still recognise themselves.
pub fn sees_person(actor: &Actor, scope: &ReportScope, person_id: Uuid, person_role: Role) -> bool {
    reads_whole(actor, scope) || person_role != Role::NeighborhoodHead || person_id == actor.user_id
}

/// Whether a head may join a report (and hear its answer) instead of filing the same problem:
/// an open report they may read, filed by someone else.
pub fn can_join(actor: &Actor, scope: &ReportScope, status: Status) -> bool {
    actor.role == Role::NeighborhoodHead
        && can_view(actor, scope)
        && status.is_open()
        && scope.reporter_id != actor.user_id
}

/// What the department holding a report (or the triage desk) may do with it.
pub const HANDLING: &[Action] = &[
    Action::Acknowledge,
    Action::Start,
    Action::Resolve,
    Action::Reject,
    Action::Reroute,
    Action::MarkDuplicate,
    Action::Comment,
];

/// The actions the actor's role permits on this report, whatever its state. The state machine
/// ([`crate::lifecycle`]) narrows this further.
pub fn permitted_actions(actor: &Actor, scope: &ReportScope) -> Vec<Action> {
    use Action::*;
    if !can_view(actor, scope) {
        return Vec::new();
    }
    match actor.role {
        Role::NeighborhoodHead
            if actor.neighborhood_id == Some(scope.neighborhood_id)
                || scope.reporter_id == actor.user_id =>
        {
            vec![Comment, Reopen, Close]
        }
        // A head who joined another neighborhood's report follows it and may comment.
        Role::NeighborhoodHead if scope.actor_took_part => vec![Comment],
        Role::NeighborhoodHead => Vec::new(),
        Role::DepartmentStaff if actor.works_on(scope) => HANDLING.to_vec(),
        // Staff who acted on a report that has since moved on may still add notes to it.
        Role::DepartmentStaff => vec![Comment],
        Role::WardLeader => vec![Reroute, Comment, Extend],
        Role::CityLeader => vec![Comment],
        Role::Admin => Vec::new(),
    }
}

/// Department staff outside the triage desk may only hand a report back to the desk; the
/// desk and the ward leader may send it anywhere.
pub fn may_reroute(actor: &Actor, kind: RerouteKind) -> bool {
    match actor.role {
        Role::WardLeader => true,
        Role::DepartmentStaff => actor.triage_desk || kind == RerouteKind::ToTriage,
        _ => false,
    }
}

/// Internal notes are for the ward's people; heads see public entries only.
pub fn sees_internal_notes(actor: &Actor) -> bool {
    actor.role != Role::NeighborhoodHead
}

/// Only neighborhood heads attached to a neighborhood file reports.
pub fn can_file_report(actor: &Actor) -> bool {
    actor.role == Role::NeighborhoodHead && actor.neighborhood_id.is_some()
}

/// Seeing a ward's organisation (neighborhoods, departments, routing table).
pub fn can_view_ward(actor: &Actor, ward_id: Uuid) -> bool {
    match actor.role {
        Role::CityLeader => true,
        Role::Admin => actor.ward_id.is_none() || actor.in_ward(ward_id),
        _ => actor.in_ward(ward_id),
    }
}

/// Changing the national calendar of days off: city-wide administrators only.
pub fn can_configure_calendar(actor: &Actor) -> bool {
    actor.role == Role::Admin && actor.ward_id.is_none()
}

/// Whether the actor administers something: a ward or every ward. What exactly is decided with
/// the ward in hand ([`can_configure_ward`]); this is what can be known before a request's body
/// is read.
pub fn is_administrator(actor: &Actor) -> bool {
    actor.role == Role::Admin
}

/// The wards whose people (accounts) or log an actor may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WardScope {
    All,
    Ward(Uuid),
    Nothing,
}

/// Whose accounts an actor administers: a city administrator every ward's (and the city-wide
/// accounts), a ward's administrator their ward's.
pub fn administered(actor: &Actor) -> WardScope {
    match (actor.role, actor.ward_id) {
        (Role::Admin, None) => WardScope::All,
        (Role::Admin, Some(ward)) => WardScope::Ward(ward),
        _ => WardScope::Nothing,
    }
}

/// Creating, changing, resetting the password of, or deactivating an account attached to
/// `ward_id` (a change is checked for the account as it is and as it will be): a ward's
/// administrator never reaches another ward nor makes a city-wide account (no ward), so never
/// a city leader nor a city administrator (`accounts::check_attachment`).
pub fn can_manage_account(actor: &Actor, ward_id: Option<Uuid>) -> bool {
    match administered(actor) {
        WardScope::All => true,
        WardScope::Ward(own) => ward_id == Some(own),
        WardScope::Nothing => false,
    }
}

/// Whose administrative log an actor reads: administrators what they administer, ward leaders
/// their ward's.
pub fn audit_scope(actor: &Actor) -> WardScope {
    match (actor.role, actor.ward_id) {
        (Role::WardLeader, Some(ward)) => WardScope::Ward(ward),
        _ => administered(actor),
    }
}

/// Putting wards of the national list in service, renaming or closing them: the city's
/// administrators. A ward's own administrator keeps its contact details.
pub fn can_activate_wards(actor: &Actor) -> bool {
    administered(actor) == WardScope::All
}

/// Changing a ward's departments and routing table.
pub fn can_configure_ward(actor: &Actor, ward_id: Uuid) -> bool {
    actor.role == Role::Admin && (actor.ward_id.is_none() || actor.in_ward(ward_id))
}

/// The kinds of photo the actor may add to a report in its present state. Heads who may act
/// on a report show the problem while it is open; the department working it shows the problem
/// and its fix, until the report is closed.
pub fn photo_kinds(actor: &Actor, scope: &ReportScope, status: Status) -> Vec<PhotoKind> {
    if !can_view(actor, scope) {
        return Vec::new();
    }
    match actor.role {
        Role::NeighborhoodHead
            if status.is_open()
                && (actor.neighborhood_id == Some(scope.neighborhood_id)
                    || scope.reporter_id == actor.user_id
                    || scope.actor_took_part) =>
        {
            vec![PhotoKind::Before]
        }
        Role::DepartmentStaff
            if actor.works_on(scope) && (status.is_open() || status == Status::Resolved) =>
        {
            vec![PhotoKind::Before, PhotoKind::After]
        }
        _ => Vec::new(),
    }
}

/// Removing a photo: the ward's administrator (a photo that shows a face or a house number
/// has to go), or whoever added it while the report is still open.
pub fn can_remove_photo(
    actor: &Actor,
    scope: &ReportScope,
    added_by: Uuid,
    status: Status,
) -> bool {
    can_view(actor, scope)
        && ((actor.role == Role::Admin
            && (actor.ward_id.is_none() || actor.in_ward(scope.ward_id)))
            || (actor.user_id == added_by && status.is_open()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action::*;

    /// Fixed ids make the table below readable: one ward we look at, one neighbour ward.
    const WARD: Uuid = Uuid::from_u128(0x1000);
    const OTHER_WARD: Uuid = Uuid::from_u128(0x2000);
    const KP1: Uuid = Uuid::from_u128(0x1001);
    const KP2: Uuid = Uuid::from_u128(0x1002);
    const INFRA: Uuid = Uuid::from_u128(0x1101);
    const POLICE: Uuid = Uuid::from_u128(0x1102);
    const TRIAGE: Uuid = Uuid::from_u128(0x1100);

    fn actor(role: Role, ward: Option<Uuid>, kp: Option<Uuid>, dept: Option<Uuid>) -> Actor {
        Actor {
            user_id: Uuid::from_u128(0x9999),
            role,
            ward_id: ward,
            neighborhood_id: kp,
            department_id: dept,
            triage_desk: dept == Some(TRIAGE),
        }
    }

    /// The report under test: a security report in WARD, khu phố 1, assigned to the
    /// infrastructure department (the department does not matter to the rules).
    fn report(ward: Uuid, took_part: bool) -> ReportScope {
        let neighborhood_id = if ward == WARD {
            KP1
        } else {
            Uuid::from_u128(0x2001)
        };
        ReportScope {
            ward_id: ward,
            neighborhood_id,
            department_id: Some(INFRA),
            reporter_id: Uuid::from_u128(0x7777),
            category: Category::Security,
            actor_took_part: took_part,
        }
    }

    const HANDLE: &[Action] = HANDLING;

    #[test]
    fn every_role_and_scope_sees_and_does_what_the_rules_say() {
        use Role::*;
        // (who, report's ward, took part, can view, permitted actions)
        type Case<'a> = (&'a str, Actor, Uuid, bool, bool, &'a [Action]);
        let table: Vec<Case> = vec![
            (
                "head of kp1",
                actor(NeighborhoodHead, Some(WARD), Some(KP1), None),
                WARD,
                false,
                true,
                &[Comment, Reopen, Close],
            ),
            (
                "head of kp2",
                actor(NeighborhoodHead, Some(WARD), Some(KP2), None),
                WARD,
                false,
                false,
                &[],
            ),
            (
                "head, other ward",
                actor(NeighborhoodHead, Some(OTHER_WARD), Some(KP2), None),
                OTHER_WARD,
                false,
                false,
                &[],
            ),
            (
                "infra staff",
                actor(DepartmentStaff, Some(WARD), None, Some(INFRA)),
                WARD,
                false,
                true,
                HANDLE,
            ),
            (
                "police staff",
                actor(DepartmentStaff, Some(WARD), None, Some(POLICE)),
                WARD,
                false,
                false,
                &[],
            ),
            (
                "police staff who acted",
                actor(DepartmentStaff, Some(WARD), None, Some(POLICE)),
                WARD,
                true,
                true,
                &[Comment],
            ),
            (
                "triage desk",
                actor(DepartmentStaff, Some(WARD), None, Some(TRIAGE)),
                WARD,
                false,
                true,
                HANDLE,
            ),
            (
                "triage desk, other ward",
                actor(DepartmentStaff, Some(WARD), None, Some(TRIAGE)),
                OTHER_WARD,
                false,
                false,
                &[],
            ),
            (
                "infra staff, other ward",
                actor(DepartmentStaff, Some(OTHER_WARD), None, Some(INFRA)),
                WARD,
                false,
                false,
                &[],
            ),
            (
                "ward leader",
                actor(WardLeader, Some(WARD), None, None),
                WARD,
                false,
                true,
                &[Reroute, Comment, Extend],
            ),
            (
                "ward leader, other ward",
                actor(WardLeader, Some(OTHER_WARD), None, None),
                WARD,
                false,
                false,
                &[],
            ),
            (
                "city leader",
                actor(CityLeader, None, None, None),
                WARD,
                false,
                true,
                &[Comment],
            ),
            (
                "ward admin",
                actor(Admin, Some(WARD), None, None),
                WARD,
                false,
                true,
                &[],
            ),
            (
                "ward admin, other ward",
                actor(Admin, Some(OTHER_WARD), None, None),
                WARD,
                false,
                false,
                &[],
            ),
            (
                "city admin",
                actor(Admin, None, None, None),
                WARD,
                false,
                true,
                &[],
            ),
            (
                "head without neighborhood",
                actor(NeighborhoodHead, Some(WARD), None, None),
                WARD,
                false,
                false,
                &[],
            ),
            (
                "staff without department",
                actor(DepartmentStaff, Some(WARD), None, None),
                WARD,
                false,
                false,
                &[],
            ),
        ];
        for (who, actor, ward, took_part, view, actions) in table {
            let scope = report(ward, took_part);
            assert_eq!(can_view(&actor, &scope), view, "{who}: view");
            let permitted = permitted_actions(&actor, &scope);
            for action in Action::ALL {
                assert_eq!(
                    permitted.contains(action),
                    actions.contains(action),
                    "{who}: {action}"
                );
            }
        }
    }

    #[test]
    fn administrators_manage_the_accounts_of_what_they_administer() {
        use Role::*;
        let city_admin = actor(Admin, None, None, None);
        let ward_admin = actor(Admin, Some(WARD), None, None);
        let leader = actor(WardLeader, Some(WARD), None, None);
        let city = actor(CityLeader, None, None, None);
        assert_eq!(administered(&city_admin), WardScope::All);
        assert_eq!(administered(&ward_admin), WardScope::Ward(WARD));
        assert_eq!(administered(&leader), WardScope::Nothing);
        assert!(can_manage_account(&city_admin, Some(OTHER_WARD)));
        assert!(can_manage_account(&city_admin, None));
        assert!(can_manage_account(&ward_admin, Some(WARD)));
        assert!(!can_manage_account(&ward_admin, Some(OTHER_WARD)));
        assert!(!can_manage_account(&ward_admin, None), "city-wide");
        assert!(!can_manage_account(&leader, Some(WARD)));
        assert!(!can_manage_account(&city, None));
        assert_eq!(audit_scope(&leader), WardScope::Ward(WARD));
        assert_eq!(audit_scope(&ward_admin), WardScope::Ward(WARD));
        assert_eq!(audit_scope(&city_admin), WardScope::All);
        assert_eq!(audit_scope(&city), WardScope::Nothing);
        let head = actor(NeighborhoodHead, Some(WARD), Some(KP1), None);
        assert_eq!(audit_scope(&head), WardScope::Nothing);
        assert!(can_activate_wards(&city_admin) && !can_activate_wards(&ward_admin));
    }

    #[test]
    fn reroute_destinations_depend_on_the_desk() {
        let infra = actor(Role::DepartmentStaff, Some(WARD), None, Some(INFRA));
        let desk = actor(Role::DepartmentStaff, Some(WARD), None, Some(TRIAGE));
        let leader = actor(Role::WardLeader, Some(WARD), None, None);
        let head = actor(Role::NeighborhoodHead, Some(WARD), Some(KP1), None);
        for kind in [
            RerouteKind::ToTriage,
            RerouteKind::ToDepartment,
            RerouteKind::ToSubcategory,
        ] {
            assert_eq!(
                may_reroute(&infra, kind),
                kind == RerouteKind::ToTriage,
                "{kind:?}"
            );
            assert!(may_reroute(&desk, kind));
            assert!(may_reroute(&leader, kind));
            assert!(!may_reroute(&head, kind));
        }
    }

    #[test]
    fn ward_organisation_is_seen_by_its_people_and_configured_by_its_admins() {
        let ward_admin = actor(Role::Admin, Some(WARD), None, None);
        let city_admin = actor(Role::Admin, None, None, None);
        let leader = actor(Role::WardLeader, Some(WARD), None, None);
        let city = actor(Role::CityLeader, None, None, None);
        assert!(
            can_configure_ward(&ward_admin, WARD) && !can_configure_ward(&ward_admin, OTHER_WARD)
        );
        assert!(can_configure_ward(&city_admin, OTHER_WARD));
        assert!(!can_configure_ward(&leader, WARD) && !can_configure_ward(&city, WARD));
        assert!(can_view_ward(&leader, WARD) && !can_view_ward(&leader, OTHER_WARD));
        assert!(can_view_ward(&city, OTHER_WARD));
    }

    #[test]
    fn heads_follow_what_they_filed_elsewhere_and_read_the_shared_ground_of_their_ward() {
        let head = actor(Role::NeighborhoodHead, Some(WARD), Some(KP2), None);
        // A security report placed in KP1 by its position.
        let mut scope = report(WARD, false);
        assert!(
            !can_view(&head, &scope),
            "another neighborhood's security report"
        );
        scope.actor_took_part = true;
        assert!(
            !can_view(&head, &scope),
            "having joined it before it was reclassified as security"
        );
        scope.actor_took_part = false;
        scope.reporter_id = head.user_id;
        assert!(can_view(&head, &scope), "their own, placed elsewhere");
        assert!(reads_whole(&head, &scope));
        assert_eq!(permitted_actions(&head, &scope), [Comment, Reopen, Close]);
        assert!(!can_join(&head, &scope, Status::Assigned), "their own");

        // Shared ground of the ward: read in its public part, joined, then commented on.
        scope.reporter_id = Uuid::from_u128(0x7777);
        for category in SHARED_CATEGORIES {
            scope.category = category;
            assert!(can_view(&head, &scope), "{category}");
            assert!(!reads_whole(&head, &scope), "{category}");
            assert!(can_join(&head, &scope, Status::Assigned), "{category}");
            assert!(!can_join(&head, &scope, Status::Closed), "{category}");
            assert!(permitted_actions(&head, &scope).is_empty(), "{category}");
            let joined = ReportScope {
                actor_took_part: true,
                ..scope.clone()
            };
            assert_eq!(permitted_actions(&head, &joined), [Comment], "{category}");
        }
        // Who is named on it: departments' people and the head themselves, never other heads.
        let staff = Uuid::from_u128(0x5555);
        assert!(sees_person(&head, &scope, staff, Role::DepartmentStaff));
        assert!(sees_person(
            &head,
            &scope,
            head.user_id,
            Role::NeighborhoodHead
        ));
        assert!(!sees_person(
            &head,
            &scope,
            scope.reporter_id,
            Role::NeighborhoodHead
        ));
        let own = actor(Role::NeighborhoodHead, Some(WARD), Some(KP1), None);
        assert!(sees_person(
            &own,
            &scope,
            scope.reporter_id,
            Role::NeighborhoodHead
        ));

        // Neither another ward's shared ground, nor security and "other" reports.
        let elsewhere = actor(Role::NeighborhoodHead, Some(OTHER_WARD), Some(KP2), None);
        assert!(!can_view(&elsewhere, &scope) && !can_join(&elsewhere, &scope, Status::Assigned));
        for category in [Category::Security, Category::Other] {
            scope.category = category;
            assert!(!can_view(&head, &scope), "{category}");
            assert!(!can_join(&head, &scope, Status::Assigned), "{category}");
        }
        // Staff never join: they work reports.
        let staff = actor(Role::DepartmentStaff, Some(WARD), None, Some(TRIAGE));
        scope.category = Category::Infrastructure;
        assert!(!can_join(&staff, &scope, Status::Assigned));
    }

    #[test]
    fn list_scopes_follow_roles() {
        let staff = actor(Role::DepartmentStaff, Some(WARD), None, Some(INFRA));
        assert_eq!(
            list_scope(&staff),
            ListScope::Department {
                ward_id: WARD,
                department_id: INFRA,
                user_id: staff.user_id
            }
        );
        let desk = actor(Role::DepartmentStaff, Some(WARD), None, Some(TRIAGE));
        assert_eq!(list_scope(&desk), ListScope::Ward(WARD));
        let head = actor(Role::NeighborhoodHead, Some(WARD), Some(KP1), None);
        assert_eq!(
            list_scope(&head),
            ListScope::Neighborhood {
                neighborhood_id: KP1,
                user_id: head.user_id,
                shared_ground_of: Some(WARD),
            }
        );
        assert_eq!(
            counted_scope(&head),
            ListScope::Neighborhood {
                neighborhood_id: KP1,
                user_id: head.user_id,
                shared_ground_of: None,
            }
        );
        assert_eq!(counted_scope(&staff), list_scope(&staff));
        assert!(can_file_report(&head) && !can_file_report(&staff));
        assert!(!sees_internal_notes(&head) && sees_internal_notes(&staff));
    }

    #[test]
    fn heads_show_the_problem_and_the_department_shows_the_fix() {
        use PhotoKind::*;
        use Role::*;
        let open = report(WARD, false);
        let head = actor(NeighborhoodHead, Some(WARD), Some(KP1), None);
        let infra = actor(DepartmentStaff, Some(WARD), None, Some(INFRA));
        let desk = actor(DepartmentStaff, Some(WARD), None, Some(TRIAGE));
        let police = actor(DepartmentStaff, Some(WARD), None, Some(POLICE));
        let leader = actor(WardLeader, Some(WARD), None, None);
        assert_eq!(photo_kinds(&head, &open, Status::Assigned), [Before]);
        assert_eq!(
            photo_kinds(&infra, &open, Status::InProgress),
            [Before, After]
        );
        assert_eq!(
            photo_kinds(&desk, &open, Status::Submitted),
            [Before, After]
        );
        // The fix is shown as the report is resolved, not once it is closed.
        assert_eq!(
            photo_kinds(&infra, &open, Status::Resolved),
            [Before, After]
        );
        assert!(photo_kinds(&infra, &open, Status::Closed).is_empty());
        assert!(photo_kinds(&head, &open, Status::Resolved).is_empty());
        // Not theirs to work on, or not theirs to see.
        assert!(photo_kinds(&police, &open, Status::Assigned).is_empty());
        assert!(photo_kinds(&leader, &open, Status::Assigned).is_empty());
        let other_head = actor(NeighborhoodHead, Some(WARD), Some(KP2), None);
        assert!(photo_kinds(&other_head, &open, Status::Assigned).is_empty());
        // A head from another neighborhood who joined a report of shared ground adds what they
        // saw; before joining, they only read it.
        let mut shared = report(WARD, false);
        shared.category = Category::Sanitation;
        assert!(photo_kinds(&other_head, &shared, Status::Assigned).is_empty());
        shared.actor_took_part = true;
        assert_eq!(
            photo_kinds(&other_head, &shared, Status::Assigned),
            [Before]
        );
    }

    #[test]
    fn photos_are_removed_by_the_wards_admin_or_whoever_added_them() {
        use Role::*;
        let open = report(WARD, false);
        let head = actor(NeighborhoodHead, Some(WARD), Some(KP1), None);
        let someone_else = Uuid::from_u128(0x4242);
        assert!(can_remove_photo(
            &head,
            &open,
            head.user_id,
            Status::Assigned
        ));
        assert!(!can_remove_photo(
            &head,
            &open,
            head.user_id,
            Status::Closed
        ));
        assert!(!can_remove_photo(
            &head,
            &open,
            someone_else,
            Status::Assigned
        ));
        let admin = actor(Admin, Some(WARD), None, None);
        assert!(can_remove_photo(
            &admin,
            &open,
            someone_else,
            Status::Closed
        ));
        let city_admin = actor(Admin, None, None, None);
        assert!(can_remove_photo(
            &city_admin,
            &open,
            someone_else,
            Status::Closed
        ));
        let other_admin = actor(Admin, Some(OTHER_WARD), None, None);
        assert!(!can_remove_photo(
            &other_admin,
            &open,
            someone_else,
            Status::Assigned
        ));
        let leader = actor(WardLeader, Some(WARD), None, None);
        assert!(!can_remove_photo(
            &leader,
            &open,
            someone_else,
            Status::Assigned
        ));
    }
}
