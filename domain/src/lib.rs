//! Pure decision logic of SOS Khu Phố.
//!
//! Nothing here does IO, awaits, or knows about the database or HTTP: the `api` crate loads
//! what a decision needs, calls in here, and stores what was decided.

pub mod access;
pub mod accounts;
pub mod boundaries;
pub mod classify;
pub mod code;
pub mod command;
pub mod delivery;
pub mod evaluate;
pub mod idempotency;
pub mod language;
pub mod lifecycle;
pub mod network;
pub mod photos;
pub mod picture;
pub mod place;
pub mod rate;
pub mod rollup;
pub mod roster;
pub mod routing;
pub mod sla;
pub mod spatial;
pub mod stats;
pub mod sync;
pub mod taxonomy;
pub mod text;
