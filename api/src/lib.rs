//! SOS Khu Phố: the HTTP service and its command line. The decisions live in `sos_domain`;
//! this crate loads what they need, calls them, and stores what they decided.

pub mod app;
pub mod auth;
pub mod classifier;
pub mod config;
pub mod db;
pub mod digest;
pub mod error;
pub mod escalation;
pub mod export;
pub mod extract;
pub mod geography;
pub mod intake;
pub mod mail;
pub mod notify;
pub mod outbox;
pub mod photos;
pub mod push;
pub mod rollup;
pub mod routes;
pub mod seed;
pub mod sla;
pub mod state;
pub mod store;
pub mod stream;
pub mod synthetic;
