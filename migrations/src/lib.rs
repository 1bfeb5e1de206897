//! Database schema of SOS Khu Phố. One module per change, each with `up` and `down`; the same
//! migrations run on SQLite (the embedded default) and PostgreSQL (production).

pub use sea_orm_migration::prelude::*;

mod m20251124_000001_foundation;
mod m20261124_000002_classifier_models;
mod m20261124_000003_deadlines;
mod m20261124_000004_geography;
mod m20261124_000005_photos;
mod m20261124_000006_outbox;
mod m20261124_000007_report_day_facts;
mod m20261124_000008_devices;
mod m20261124_000009_preferences;
mod m20261205_000010_administration;
mod m20261205_000011_rate_windows;
mod m20261205_000012_idempotency_keys;
mod m20261205_000013_languages;
mod m20261205_000014_fact_changes;
mod m20261206_000015_fact_parts;
mod m20261206_000016_fact_segments;
mod m20261206_000017_next_alerts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20251124_000001_foundation::Migration),
            Box::new(m20261124_000002_classifier_models::Migration),
            Box::new(m20261124_000003_deadlines::Migration),
            Box::new(m20261124_000004_geography::Migration),
            Box::new(m20261124_000005_photos::Migration),
            Box::new(m20261124_000006_outbox::Migration),
            Box::new(m20261124_000007_report_day_facts::Migration),
            Box::new(m20261124_000008_devices::Migration),
            Box::new(m20261124_000009_preferences::Migration),
            Box::new(m20261205_000010_administration::Migration),
            Box::new(m20261205_000011_rate_windows::Migration),
            Box::new(m20261205_000012_idempotency_keys::Migration),
            Box::new(m20261205_000013_languages::Migration),
            Box::new(m20261205_000014_fact_changes::Migration),
            Box::new(m20261206_000015_fact_parts::Migration),
            Box::new(m20261206_000016_fact_segments::Migration),
            Box::new(m20261206_000017_next_alerts::Migration),
        ]
    }
}
