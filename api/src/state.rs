//! What every handler shares: the database pool, the settings, the signing keys, the login
//! limiter and the classifier.

use crate::auth::{JwtKeys, LoginLimiter};
use crate::classifier::ActiveClassifier;
use crate::config::Settings;
use crate::db::{WriteTxn, Writer};
use crate::geography::Boundaries;
use crate::intake::Intake;
use crate::photos::{FileStore, Processor};
use crate::sla::Clocks;
use crate::stream::Hub;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    pub login_limiter: Arc<LoginLimiter>,
    pub classifier: Arc<ActiveClassifier>,
    /// Each ward's calendar and deadline policies.
    pub clocks: Arc<Clocks>,
    /// The boundaries in force, to place reports by their position.
    pub boundaries: Arc<Boundaries>,
    /// Where photo files are kept, and the workers that make them.
    pub photo_files: Arc<dyn FileStore>,
    /// Where the outbox's e-mail goes: an SMTP server, or a folder.
    pub mailer: Arc<crate::mail::Mailer>,
    /// Where the outbox's push messages go: FCM, or a folder.
    pub push: Arc<dyn crate::push::PushProvider>,
    pub photo_processor: Processor,
    pub writer: Writer,
    pub intake: Intake,
    pub hub: Hub,
}

impl AppState {
    /// Starts a write transaction (see [`Writer`]).
    pub async fn begin_write(&self) -> Result<WriteTxn, sea_orm::DbErr> {
        self.writer.begin(&self.db).await
    }
}
