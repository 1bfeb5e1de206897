//! Filing reports in batches. Reports arriving together are written in one transaction with
//! one multi-row insert per table: a commit (and its fsync) and the round trips to the
//! database are shared by the batch instead of paid by each report. A report waits at most
//! for the batch in progress.

use crate::clock::Clock;
use crate::infra::hub::Hub;
use crate::services::directory::Directory;
use crate::services::record::{Audience, UnitOfWork};
use sos_store::entities::{notification, report, report_event};
use sos_store::{DatabaseConnection, DbErr, Writer};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Reports in one transaction at most.
const MAX_BATCH: usize = 64;

/// A report ready to be stored with its first events and inbox entries.
pub struct NewReport {
    pub report: report::Model,
    pub events: Vec<report_event::Model>,
    pub inbox: Vec<notification::Model>,
    /// The heads who hear of it.
    pub audience: Audience,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filed {
    Stored,
    /// A report with this id exists already (a retry, or a race between two copies of one).
    IdTaken,
}

struct Job {
    new: NewReport,
    reply: oneshot::Sender<Result<Filed, String>>,
}

/// What the batching task writes with.
struct Writing {
    db: DatabaseConnection,
    writer: Writer,
    clock: Clock,
    hub: Hub,
    directory: Arc<Directory>,
}

/// The handle use cases file with; the batching task runs as long as a handle exists.
#[derive(Clone)]
pub struct Intake {
    jobs: mpsc::Sender<Job>,
}

impl Intake {
    pub fn start(
        db: DatabaseConnection,
        writer: Writer,
        clock: Clock,
        hub: Hub,
        directory: Arc<Directory>,
    ) -> Intake {
        let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
        let writing = Writing {
            db,
            writer,
            clock,
            hub,
            directory,
        };
        tokio::spawn(run(writing, queue));
        Intake { jobs }
    }

    /// Stores a report, or says its id is taken. Errors carry the database's message.
    pub async fn file(&self, new: NewReport) -> anyhow::Result<Filed> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { new, reply })
            .await
            .map_err(|_| anyhow::anyhow!("the intake writer has stopped"))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the intake writer dropped a report"))?
            .map_err(|e| anyhow::anyhow!("storing the report failed: {e}"))
    }
}

async fn run(writing: Writing, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let news: Vec<&NewReport> = batch.iter().map(|job| &job.new).collect();
        match store(&writing, &news).await {
            Ok(outcomes) => {
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            // One bad report must not sink the others: retry each on its own.
            Err(_) if batch.len() > 1 => {
                for job in batch {
                    let outcome = store(&writing, &[&job.new]).await;
                    let _ = job
                        .reply
                        .send(outcome.map(|o| o[0]).map_err(|e| e.to_string()));
                }
            }
            Err(error) => {
                for job in batch {
                    let _ = job.reply.send(Err(error.to_string()));
                }
            }
        }
    }
}

/// Writes a batch in one transaction and announces it; returns, for each report in order,
/// whether it was stored.
async fn store(writing: &Writing, batch: &[&NewReport]) -> Result<Vec<Filed>, DbErr> {
    let txn = writing.writer.begin(&writing.db).await?;
    let mut unit = UnitOfWork::new(txn, writing.clock.now(), writing.directory.clone());
    // Reports whose id is already in the database are skipped by ON CONFLICT; two copies of
    // one id in the same batch are told apart here, the first one wins.
    let mut seen = HashSet::new();
    let first_of_id: Vec<bool> = batch.iter().map(|new| seen.insert(new.report.id)).collect();
    let candidates: Vec<report::Model> = batch
        .iter()
        .zip(&first_of_id)
        .filter(|(_, first)| **first)
        .map(|(new, _)| new.report.clone())
        .collect();
    let stored = sos_store::reports::insert_new(unit.txn(), &candidates).await?;
    let outcomes: Vec<Filed> = batch
        .iter()
        .zip(&first_of_id)
        .map(|(new, first)| {
            if *first && stored.contains(&new.report.id) {
                Filed::Stored
            } else {
                Filed::IdTaken
            }
        })
        .collect();
    let written: Vec<&NewReport> = batch
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| **o == Filed::Stored)
        .map(|(new, _)| *new)
        .collect();
    let events: Vec<report_event::Model> = written
        .iter()
        .flat_map(|new| new.events.iter().cloned())
        .collect();
    let inbox: Vec<notification::Model> = written
        .iter()
        .flat_map(|new| new.inbox.iter().cloned())
        .collect();
    let reports: Vec<&report::Model> = written.iter().map(|new| &new.report).collect();
    let audiences: Vec<&Audience> = written.iter().map(|new| &new.audience).collect();
    unit.record(&reports, &audiences, &events, &inbox).await?;
    unit.commit(&writing.hub).await?;
    Ok(outcomes)
}
