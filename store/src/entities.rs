//! sea-orm entities, one module per table. Codes of the domain are stored as their strings
//! and read as the domain's enums ([`Stored`](crate::code::Stored)); department codes stay
//! strings, as a ward may add its own.
#![allow(clippy::derive_partial_eq_without_eq)]

pub mod province {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "provinces")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: i32,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ward {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "wards")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The official code of the national list of administrative units.
        pub code: i32,
        pub province_code: i32,
        pub name: String,
        pub division_type: String,
        pub created_at: DateTimeUtc,
        /// `sla::WeekHours` as JSON; none for the default office hours.
        pub office_hours: Option<Json>,
        /// When the ward came into service; none for a ward of the national list not yet using
        /// the service.
        pub activated_at: Option<DateTimeUtc>,
        /// When it stopped taking new reports (its reports are kept).
        pub deactivated_at: Option<DateTimeUtc>,
        pub contact_phone: Option<String>,
        pub contact_email: Option<String>,
        pub contact_address: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod neighborhood {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "neighborhoods")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub ward_id: Uuid,
        pub code: String,
        pub name: String,
        pub created_at: DateTimeUtc,
        /// False once closed or merged: it takes no new reports or heads.
        pub active: bool,
        /// The neighborhood that took this one over, and the day it did.
        pub merged_into: Option<Uuid>,
        pub merged_from: Option<Date>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {
        #[sea_orm(
            belongs_to = "super::ward::Entity",
            from = "Column::WardId",
            to = "super::ward::Column::Id"
        )]
        Ward,
    }

    impl Related<super::ward::Entity> for Entity {
        fn to() -> RelationDef {
            Relation::Ward.def()
        }
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod department {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "departments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub ward_id: Uuid,
        pub code: String,
        pub name: String,
        /// An outside agency (power, water, public works): reached by e-mail, no staff accounts.
        pub external: bool,
        pub email: Option<String>,
        pub triage_desk: bool,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod routing_rule {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::taxonomy::Subcategory;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "routing_rules")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub ward_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub subcategory: Stored<Subcategory>,
        pub department_id: Uuid,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod user {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::language::Lang;
    use sos_domain::taxonomy::Role;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "users")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub username: String,
        pub password_hash: String,
        pub display_name: String,
        pub role: Stored<Role>,
        pub ward_id: Option<Uuid>,
        pub neighborhood_id: Option<Uuid>,
        pub department_id: Option<Uuid>,
        pub email: Option<String>,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub phone: Option<String>,
        /// Set for a password an administrator chose (a new account, a reset): the person
        /// must choose their own before doing anything else.
        pub must_change_password: bool,
        /// What a search matches: see `sos_domain::accounts::search_text`.
        pub search_text: String,
        /// The language of the letters the person gets, and of pushes to phones that did
        /// not choose one.
        pub language: Stored<Lang>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod refresh_token {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "refresh_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        /// Every token issued by rotation from one login shares the family of that login.
        pub family_id: Uuid,
        /// SHA-256 of the token: a leaked table does not give working tokens.
        pub token_hash: String,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
        pub revoked_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod report {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::taxonomy::{Category, Priority, Status, Subcategory};

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "reports")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub ward_id: Uuid,
        pub neighborhood_id: Uuid,
        pub reporter_id: Uuid,
        pub description: String,
        pub address: Option<String>,
        pub lat: Option<f64>,
        pub lon: Option<f64>,
        pub accuracy_m: Option<f64>,
        pub category: Stored<Category>,
        pub subcategory: Stored<Subcategory>,
        pub chosen_subcategory: Option<Stored<Subcategory>>,
        pub priority: Stored<Priority>,
        pub status: Stored<Status>,
        pub department_id: Option<Uuid>,
        pub classification: Json,
        pub duplicate_of: Option<Uuid>,
        pub rating: Option<i32>,
        pub response: Option<String>,
        pub request_hash: String,
        pub search_text: String,
        pub version: i32,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub acknowledged_at: Option<DateTimeUtc>,
        pub resolved_at: Option<DateTimeUtc>,
        pub closed_at: Option<DateTimeUtc>,
        /// Start of the clock of the department holding the report.
        pub assigned_at: Option<DateTimeUtc>,
        pub acknowledge_due_at: Option<DateTimeUtc>,
        pub acknowledge_warn_at: Option<DateTimeUtc>,
        pub resolve_due_at: Option<DateTimeUtc>,
        pub resolve_warn_at: Option<DateTimeUtc>,
        /// The ward's promise to the neighborhood, from filing.
        pub ward_acknowledge_due_at: Option<DateTimeUtc>,
        pub ward_resolve_due_at: Option<DateTimeUtc>,
        /// Working time from filing to the milestone, for statistics.
        pub acknowledge_working_seconds: Option<i64>,
        pub resolve_working_seconds: Option<i64>,
        /// When the deadline scanner should next look at the report: its earliest deadline
        /// alert not yet reached (`sos_domain::sla::alerts::next_look`).
        pub next_alert_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod report_event {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::code::Visibility;
    use sos_domain::taxonomy::{EventType, Status};

    /// Events are the report's history, written once; only the statistics worker's flag
    /// changes after (`facts_pending`).
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub report_id: Uuid,
        #[sea_orm(column_name = "type")]
        pub event_type: Stored<EventType>,
        pub actor_id: Option<Uuid>,
        pub from_status: Option<Stored<Status>>,
        pub to_status: Option<Stored<Status>>,
        pub visibility: Stored<Visibility>,
        pub text: Option<String>,
        pub data: Json,
        pub created_at: DateTimeUtc,
        /// Its report's statistics facts are still to be brought up to date with it
        /// (`sos_store::facts`): set on events that can change them, cleared by the worker.
        pub facts_pending: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod notification {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::language::Lang;
    use sos_domain::taxonomy::EventType;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub report_id: Uuid,
        pub event_id: Uuid,
        #[sea_orm(column_name = "type")]
        pub event_type: Stored<EventType>,
        /// In Vietnamese.
        pub title: String,
        pub body: String,
        /// In English; none for entries made before the service wrote English.
        pub title_en: Option<String>,
        pub body_en: Option<String>,
        pub created_at: DateTimeUtc,
        pub read_at: Option<DateTimeUtc>,
    }

    impl Model {
        /// The title for people who read `lang`; Vietnamese when it was not written in theirs.
        pub fn title_in(&self, lang: Lang) -> &str {
            match (lang, &self.title_en) {
                (Lang::En, Some(title)) => title,
                _ => &self.title,
            }
        }

        /// The body for people who read `lang`; Vietnamese when it was not written in theirs.
        pub fn body_in(&self, lang: Lang) -> &str {
            match (lang, &self.body_en) {
                (Lang::En, Some(body)) => body,
                _ => &self.body,
            }
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod subcategory_correction {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::taxonomy::Subcategory;

    /// A report's text with the subcategory staff corrected it to: training data for the
    /// classifier.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "subcategory_corrections")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub report_id: Uuid,
        pub text: String,
        pub from_subcategory: Stored<Subcategory>,
        pub to_subcategory: Stored<Subcategory>,
        pub actor_id: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod classifier_model {
    use sea_orm::entity::prelude::*;

    /// A trained classifier as activated by an operator; the newest one is in use.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "classifier_models")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub activated_at: DateTimeUtc,
        pub trained_examples: i32,
        /// How many of the examples were staff corrections.
        pub corrections: i32,
        /// The model's JSON document (`sos_domain::classify::Model::to_json`).
        pub model: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod calendar_day {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::sla::DayKind;

    /// A national day off, or a compensatory working day (`sla::DayKind`).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_days")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub date: Date,
        pub kind: Stored<DayKind>,
        pub name: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod deadline_policy {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::sla::deadlines::Clock;
    use sos_domain::taxonomy::Priority;

    /// A ward's deadlines for a priority, or for one subcategory at it (`subcategory` empty
    /// for the whole priority).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deadline_policies")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub ward_id: Uuid,
        pub priority: Stored<Priority>,
        pub subcategory: String,
        pub acknowledge_minutes: i32,
        pub acknowledge_clock: Stored<Clock>,
        pub resolve_minutes: i32,
        pub resolve_clock: Stored<Clock>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod deadline_alert {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::sla::deadlines::{AlertStage, DeadlineKind};

    /// A warning or an escalation already sent for a deadline: each is sent once.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deadline_alerts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub report_id: Uuid,
        pub deadline: Stored<DeadlineKind>,
        pub stage: Stored<AlertStage>,
        pub due_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod boundary {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::boundaries::Level;

    /// One version of a ward's or a neighborhood's boundary.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "boundaries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub level: Stored<Level>,
        pub ward_id: Uuid,
        pub neighborhood_id: Option<Uuid>,
        pub valid_from: Date,
        pub geometry: String,
        pub approximate: bool,
        pub source: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod report_supporter {
    use sea_orm::entity::prelude::*;

    /// A head who joined a report instead of filing the same problem again.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_supporters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub report_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod report_photo {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::photos::{PhotoFormat, PhotoKind};

    /// A photo of a report; its files are in the photo store.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_photos")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub report_id: Uuid,
        pub kind: Stored<PhotoKind>,
        pub added_by: Uuid,
        pub created_at: DateTimeUtc,
        pub format: Stored<PhotoFormat>,
        pub width: i32,
        pub height: i32,
        pub original_bytes: i64,
        pub upload_sha256: String,
        pub original_sha256: String,
        pub screen_sha256: String,
        pub thumb_sha256: String,
        pub suggested_lat: Option<f64>,
        pub suggested_lon: Option<f64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod webhook_subscription {
    use sea_orm::entity::prelude::*;

    /// An outside system (the city's 1022 portal, a Zalo bot) following a ward's reports.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_subscriptions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub ward_id: Uuid,
        pub url: String,
        pub secret: String,
        pub event_types: String,
        pub active: bool,
        pub created_by: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod outbox {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::delivery::{DeliveryChannel, DeliveryStatus};

    /// One delivery to an outside system, waiting, sent or given up.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub channel: Stored<DeliveryChannel>,
        pub ward_id: Uuid,
        pub subscription_id: Option<Uuid>,
        pub recipient: Option<String>,
        pub event_id: Uuid,
        pub report_id: Uuid,
        pub event_type: String,
        pub payload: String,
        pub status: Stored<DeliveryStatus>,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod report_day_fact_part {
    use sea_orm::entity::prelude::*;

    /// One part of the packed statistics facts (`sos_domain::rollup`) of a ward's reports
    /// filed on one local day. Parts 0, -1, -2, … are the base's segments in filing order,
    /// each holding the facts filed from its `filed_from` to the next one's; each part from 1
    /// up holds the facts of reports that changed since, and hides their facts below it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_day_fact_parts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub ward_id: Uuid,
        /// `YYYY-MM-DD`, Asia/Ho_Chi_Minh.
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub part: i32,
        pub facts: Vec<u8>,
        pub report_count: i32,
        pub built_at: DateTimeUtc,
        /// A segment after the first: the earliest filing time it holds. A part over the
        /// base: the earliest filing among its facts (none: unknown, the whole day).
        pub filed_from: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod report_day_change {
    use sea_orm::entity::prelude::*;

    /// A ward's day whose reports changed since its facts were built.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_day_changes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub ward_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        pub changed_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod device {
    use crate::code::Stored;
    use sea_orm::entity::prelude::*;
    use sos_domain::language::Lang;

    /// A phone (or browser) that receives push notifications for its user.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "devices")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub user_id: Uuid,
        pub token: String,
        pub platform: String,
        pub created_at: DateTimeUtc,
        pub last_seen_at: DateTimeUtc,
        /// The language of its pushes; none: its user's.
        pub language: Option<Stored<Lang>>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod notification_preference {
    use sea_orm::entity::prelude::*;

    /// A person's choices (`sos_domain::delivery::Preferences`); none: their role's defaults.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notification_preferences")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        pub push: bool,
        pub email: bool,
        pub daily_digest: bool,
        pub event_types: String,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod daily_digest {
    use sea_orm::entity::prelude::*;

    /// A morning digest queued for a leader: at most one per local day.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "daily_digests")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub day: String,
        pub delivery_id: Uuid,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod audit_entry {
    use sea_orm::entity::prelude::*;

    /// One administrative change or sign-in; rows are only ever inserted.
    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub at: DateTimeUtc,
        pub actor_id: Option<Uuid>,
        pub actor_username: Option<String>,
        pub ward_id: Option<Uuid>,
        pub action: String,
        pub target_kind: String,
        pub target_id: Option<String>,
        pub address: Option<String>,
        pub request_id: Option<String>,
        pub before: Option<Json>,
        pub after: Option<Json>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
