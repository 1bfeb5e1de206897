//! Use cases: filing a report, acting on it, reading reports and figures, photos, geography,
//! accounts, a ward's organisation… Each takes the [`Services`] context and the caller, checks
//! what the access rules and the domain decide, reads and writes through `sos_store`, and
//! returns rows or a [`Problem`](crate::problem::Problem), never an HTTP answer: the `http`
//! layer renders what they return, the `workers` call them on a timer.

pub mod accounts;
pub mod administration;
pub mod audit;
pub mod classifier;
pub mod deliveries;
pub mod digest;
pub mod directory;
pub mod escalation;
pub mod geography;
pub mod idempotency;
pub mod inbox;
pub mod input;
pub mod intake;
pub mod limits;
pub mod organisation;
pub mod outbox;
pub mod photos;
pub mod record;
pub mod reports;
pub mod roster;
pub mod seed;
pub mod sla;
pub mod stats;
pub mod stream;
pub mod synthetic;
pub mod wards;
pub mod working_time;

use crate::clock::Clock;
use crate::config::Settings;
use crate::infra::files::FileStore;
use crate::infra::hub::{Forget, Hub};
use crate::infra::images::Processor;
use crate::infra::mail::Mailer;
use crate::infra::push::PushProvider;
use crate::infra::webhooks::WebhookClients;
use accounts::JwtKeys;
use classifier::ActiveClassifier;
use directory::Directory;
use geography::Boundaries;
use intake::Intake;
use sla::WardClocks;
use sos_store::db::StatementCount;
use sos_store::{DatabaseConnection, DbErr, WriteTxn, Writer, db};
use std::sync::Arc;

/// What every use case may need; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    /// SQLite's queue of writers (see `sos_store::db::Writer`).
    pub writer: Writer,
    pub clock: Clock,
    pub settings: Arc<Settings>,
    pub jwt: Arc<JwtKeys>,
    pub classifier: Arc<ActiveClassifier>,
    /// Each ward's calendar and deadline policies.
    pub ward_clocks: Arc<WardClocks>,
    /// Each ward's organisation as filings read it.
    pub directory: Arc<Directory>,
    /// The boundaries in force, to place reports by their position.
    pub boundaries: Arc<Boundaries>,
    /// Where photo files are kept, and the workers that make them.
    pub photo_files: Arc<dyn FileStore>,
    pub photo_processor: Processor,
    /// Where the outbox's e-mail goes: an SMTP server, or a folder.
    pub mailer: Arc<Mailer>,
    /// Where the outbox's push messages go: FCM, or a folder.
    pub push: Arc<dyn PushProvider>,
    /// How webhooks are sent: only where the operator's policy allows.
    pub webhooks: WebhookClients,
    pub intake: Intake,
    pub hub: Hub,
    /// Writes per account counted in memory (see `limits`).
    pub write_counts: Arc<limits::WriteCounts>,
    /// The SQL statements this replica has run.
    pub statements: StatementCount,
}

impl Services {
    /// Connects to the database, brings it up to date (migrations, the national list of
    /// wards) and prepares what the use cases share.
    pub async fn start(settings: Settings, clock: Clock) -> anyhow::Result<Services> {
        if settings.is_sqlite() {
            crate::config::create_private_dir(&settings.data_dir).map_err(|e| {
                anyhow::anyhow!(
                    "cannot create data directory {}: {e}",
                    settings.data_dir.display()
                )
            })?;
        }
        let mut db = db::connect(&settings.database_url, settings.max_db_connections).await?;
        let statements = db::count_statements(&mut db);
        // The database holds everyone's accounts and reports: the service's user alone reads it.
        for file in db::sqlite_files(&settings.database_url) {
            if file.exists() {
                crate::config::make_private(&file, 0o600)?;
            }
        }
        let writer = Writer::for_database(&db);
        let lock = db::startup_lock(&db).await?;
        db::migrate(&db).await?;
        seed::seed_reference(&db, &writer, &clock).await?;
        if let Some(lock) = lock {
            lock.commit().await?;
        }
        let classifier = Arc::new(ActiveClassifier::builtin());
        classifier.refresh(&db).await?;
        let hub = Hub::start(&db).await?;
        let directory = Arc::new(Directory::default());
        let services = Services {
            intake: Intake::start(
                db.clone(),
                writer.clone(),
                clock.clone(),
                hub.clone(),
                directory.clone(),
            ),
            hub,
            jwt: Arc::new(JwtKeys::new(
                &settings.jwt_secret,
                settings.access_token_ttl,
            )),
            classifier,
            photo_files: crate::infra::files::open_store(
                &settings.photo_store,
                &settings.photo_bucket_options,
            )?,
            photo_processor: Processor::new(settings.photo_workers),
            mailer: Arc::new(Mailer::from_settings(&settings)?),
            webhooks: WebhookClients::new(&settings.webhook_targets)?,
            push: crate::infra::push::from_settings(&settings, clock.clone())?,
            ward_clocks: Arc::new(WardClocks::default()),
            boundaries: Arc::new(Boundaries::default()),
            settings: Arc::new(settings),
            writer,
            db,
            clock,
            statements,
            write_counts: Arc::default(),
            directory,
        };
        services.forget_what_other_replicas_change();
        Ok(services)
    }

    /// Forgets, as other replicas announce changes to wards' organisation, what this one
    /// holds of them (see `directory`).
    fn forget_what_other_replicas_change(&self) {
        let mut changes = self.hub.forget_requests();
        // Not the services themselves: the task would keep alive the hub whose end ends it.
        let held = self.organisation_held();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match changes.recv().await {
                    Ok(Forget::Organisation(ward)) => held.forget(ward),
                    Ok(Forget::People(ward)) => held.directory.forget(Some(ward)),
                    Err(RecvError::Lagged(_)) => held.forget(None),
                    Err(RecvError::Closed) => return,
                }
            }
        });
    }

    /// Starts a write transaction (see [`Writer`]).
    pub async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        self.writer.begin(&self.db).await
    }
}
