//! Database access, grouped by aggregate: the entities, and the queries handlers share.

pub mod entities;
pub mod preferences;
pub mod reports;
pub mod stats;
