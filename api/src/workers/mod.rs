//! The background work of each replica, on one runtime: every worker is a job run on a timer
//! by [`periodic`], with one tick policy (the first run one interval after start, so replicas
//! starting together do not all run at once; again at once while a run says more is waiting;
//! otherwise one interval after the run ends), one tracing span and one log format, and a
//! cooperative stop: a run in progress finishes, no new one starts.
//!
//! Workers get the [`Services`] context, never the HTTP state; several replicas run the same
//! workers, which the storage makes safe (claims with `SKIP LOCKED`, unique alert and digest
//! rows).

use crate::services::Services;
use crate::services::{classifier, deliveries, digest, escalation, idempotency, limits, stats};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// What a run of a job says.
pub enum Ran {
    /// Done for now: wait an interval.
    Idle,
    /// More is waiting: run again at once.
    More,
}

/// The workers of one replica, until [`Workers::stop`].
pub struct Workers {
    stop: watch::Sender<bool>,
    handles: Vec<(&'static str, JoinHandle<()>)>,
}

/// Runs `job` every `interval` until `stop` is set (see the module's description). A failed
/// run is logged and the worker carries on.
pub fn periodic<F, Fut>(
    name: &'static str,
    interval: Duration,
    mut stop: watch::Receiver<bool>,
    mut job: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = anyhow::Result<Ran>> + Send,
{
    let span = tracing::info_span!("worker", name);
    tokio::spawn(
        async move {
            let mut wait = interval;
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = stop.wait_for(|stopping| *stopping) => break,
                }
                // A run that panics is a failed run: the worker carries on.
                let ran = AssertUnwindSafe(job())
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("the run panicked")));
                wait = match ran {
                    Ok(Ran::More) => Duration::ZERO,
                    Ok(Ran::Idle) => interval,
                    Err(error) => {
                        tracing::warn!(error = format!("{error:#}"), "run failed");
                        interval
                    }
                };
                if *stop.borrow() {
                    break;
                }
            }
            tracing::debug!("stopped");
        }
        .instrument(span),
    )
}

/// A worker: its name, how often it runs, and a run.
struct Worker {
    name: &'static str,
    interval: Duration,
    run: fn(Services) -> BoxFuture<'static, anyhow::Result<Ran>>,
}

async fn refresh_classifier(services: Services) -> anyhow::Result<Ran> {
    classifier::refresh(&services).await?;
    Ok(Ran::Idle)
}

async fn watch_deadlines(services: Services) -> anyhow::Result<Ran> {
    let sent = escalation::scan(&services, services.clock.now()).await?;
    if sent != escalation::Sent::default() {
        tracing::info!(
            warnings = sent.warnings,
            escalations = sent.escalations,
            "deadline alerts sent"
        );
    }
    Ok(Ran::Idle)
}

async fn deliver(services: Services) -> anyhow::Result<Ran> {
    let claimed = deliveries::deliver_due(&services).await?;
    // A full claim: there may be more waiting.
    Ok(if claimed as u64 == deliveries::CLAIM {
        Ran::More
    } else {
        Ran::Idle
    })
}

async fn build_facts(services: Services) -> anyhow::Result<Ran> {
    let (_, more) = stats::build_facts(&services).await?;
    Ok(if more { Ran::More } else { Ran::Idle })
}

async fn send_digests(services: Services) -> anyhow::Result<Ran> {
    digest::send_due(&services, services.clock.now())
        .await
        .map_err(|problem| anyhow::anyhow!("{problem:?}"))?;
    Ok(Ran::Idle)
}

/// Adds the writes counted in memory to the shared counts.
async fn flush_write_counts(services: Services) -> anyhow::Result<Ran> {
    services.write_counts.flush(&services).await?;
    Ok(Ran::Idle)
}

/// Forgets what limits and retried writes no longer need: old rate windows, expired keys.
async fn forget_old_limits(services: Services) -> anyhow::Result<Ran> {
    limits::forget_old(&services).await?;
    idempotency::forget_old(&services).await?;
    Ok(Ran::Idle)
}

impl Workers {
    /// Starts every worker of this replica.
    pub fn start(services: &Services) -> anyhow::Result<Workers> {
        let settings = &services.settings;
        let minute = Duration::from_secs(60);
        let workers = [
            Worker {
                name: "classifier",
                interval: settings.classifier_refresh,
                run: |s| Box::pin(refresh_classifier(s)),
            },
            Worker {
                name: "escalation",
                interval: settings.escalation_interval,
                run: |s| Box::pin(watch_deadlines(s)),
            },
            Worker {
                name: "outbox",
                interval: settings.delivery_interval,
                run: |s| Box::pin(deliver(s)),
            },
            Worker {
                name: "facts",
                interval: settings.facts_interval,
                run: |s| Box::pin(build_facts(s)),
            },
            Worker {
                name: "digest",
                interval: minute,
                run: |s| Box::pin(send_digests(s)),
            },
            Worker {
                name: "write-counts",
                interval: settings.write_counts_flush,
                run: |s| Box::pin(flush_write_counts(s)),
            },
            Worker {
                name: "rate-limits",
                interval: minute,
                run: |s| Box::pin(forget_old_limits(s)),
            },
        ];
        let (stop, stopping) = watch::channel(false);
        let handles = workers
            .into_iter()
            .map(|worker| {
                let services = services.clone();
                let job = move || (worker.run)(services.clone());
                (
                    worker.name,
                    periodic(worker.name, worker.interval, stopping.clone(), job),
                )
            })
            .collect();
        Ok(Workers { stop, handles })
    }

    /// Asks every worker to stop, and waits for runs in progress to finish, at most `grace`
    /// in all; a run still going then is abandoned (what it had not committed is redone by the
    /// next replica to run, as after a crash).
    pub async fn stop(self, grace: Duration) {
        self.stop.send_replace(true);
        let deadline = tokio::time::Instant::now() + grace;
        for (name, mut handle) in self.handles {
            if tokio::time::timeout_at(deadline, &mut handle)
                .await
                .is_err()
            {
                tracing::warn!(worker = name, "still running after the grace; stopped");
                handle.abort();
            }
        }
    }
}
