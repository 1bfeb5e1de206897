//! Storage of SOS Khu Phố: the sea-orm entities, the queries of each aggregate, the database
//! connection and the writer queue of SQLite.
//!
//! This crate is the only one that speaks SQL. It returns rows (entities and the domain's
//! types) and `DbErr`, never an HTTP answer nor a message for people, and knows nothing of the
//! layers above it (`sos-api`'s services, workers and HTTP handlers): that rule is kept by the
//! compiler, since this crate cannot name them. It reads no clock either: every time it writes
//! comes from the caller, so one clock (`sos_api::clock`) decides what "now" is.
//!
//! Modules follow aggregates: [`reports`] (reports, their events and inbox entries), [`photos`],
//! [`accounts`] (users, sessions, phones, preferences), [`wards`] (organisation and routing),
//! [`working_time`] (calendar, office hours, deadline policies), [`alerts`] (deadline alerts),
//! [`geography`] (boundaries), [`inbox`] (inbox entries, what live streams read), [`outbox`] (deliveries and webhook subscriptions), [`facts`] and
//! [`stats`] (leaders' figures), [`classifier`] (models and corrections), [`seed`] (reference and
//! demo data), [`notify`] (PostgreSQL's LISTEN/NOTIFY).

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod classifier;
pub mod code;
pub mod db;
pub mod entities;
pub mod facts;
pub mod geography;
pub mod idempotency;
pub mod inbox;
pub mod notify;
pub mod outbox;
pub mod photos;
pub mod rate;
pub mod reports;
mod rows;
pub mod seed;
pub mod stats;
pub mod wards;
pub mod working_time;

pub use code::Stored;
pub use db::{WriteTxn, Writer};
pub use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};

use std::collections::HashMap;
use uuid::Uuid;

/// Rows by their id.
pub fn index<M>(rows: Vec<M>, id: impl Fn(&M) -> Uuid) -> HashMap<Uuid, M> {
    rows.into_iter().map(|row| (id(&row), row)).collect()
}

/// A LIKE pattern (escaped with `\\`) matching text that contains `needle`.
pub(crate) fn like_pattern(needle: &str) -> String {
    let escaped = needle
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Rows per multi-row insert: far under the bound-parameter limits of both engines.
pub(crate) const ROWS_PER_INSERT: usize = 500;
