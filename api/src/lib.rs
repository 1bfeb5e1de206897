//! SOS Khu Phố: the HTTP service and its command line. The decisions live in `sos_domain`,
//! the SQL in `sos_store`; this crate is the rest, in layers that only use those below them:
//!
//! ```text
//! http      axum: router, extractors, problems as HTTP answers, views, handlers, SSE
//!   ↓
//! services  use cases: file a report, act on it, read, photos, geography, accounts, …
//! workers   the background runs of each replica (outbox, deadlines, digest, facts, …)
//!   ↓
//! sos-store entities and queries (its own crate: it cannot name anything above)
//! infra     mail and push transports, photo files and images, stream wake-ups
//! ```
//!
//! `config`, `clock`, `i18n`, `problem`, `wording` and `sos_domain` may be used from any
//! layer. `tests/layers.rs` fails when a module imports a layer above its own.

pub mod clock;
pub mod config;
pub mod http;
pub mod i18n;
pub mod infra;
pub mod problem;
pub mod services;
pub mod wording;
pub mod workers;

#[cfg(test)]
mod layers;
