//! HTTP tests of the service: the real server on a random port, against SQLite by default and
//! PostgreSQL when `SOS_TEST_DATABASE_URL` is set. Every response is checked against
//! `openapi.yaml` by the harness.

mod access;
mod administration;
mod auth;
mod classifier;
mod console;
mod contract;
mod dashboard;
mod deadlines;
mod errors;
mod geography;
mod hardening;
mod intake;
mod languages;
mod mail;
mod photos;
mod preferences;
mod push;
mod reliability;
mod replicas;
mod reports;
mod retries;
mod stats;
mod stream;
mod sync;
mod wards;
mod webhooks;
