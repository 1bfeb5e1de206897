//! Retried writes (`sos_domain::idempotency`): the first request under an account's key runs
//! and its answer is kept for a day; the same request again gets that answer; another request
//! under the key is refused. The key's row in the shared database decides which of two
//! replicas runs a write both received.

use crate::services::Services;
use sos_domain::idempotency::{self, Verdict};
use sos_store::DbErr;
use sos_store::idempotency::{self as store, Answer};
use std::time::Duration;
use uuid::Uuid;

/// What becomes of a write sent with a key.
#[derive(Debug)]
pub enum Start {
    /// This request holds the key: run it, then [`finish`].
    Run,
    /// The first answer under the key, to send again.
    Replay(Answer),
    /// The key names another request.
    KeyReused,
    /// The same request is still running, here or on another replica.
    InProgress,
}

/// How long a request waits for its twin's answer before it is told to retry; an action or
/// a comment is answered well within it, an upload over a slow network may not be.
const PATIENCE: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);

/// Starts a write with `fingerprint` under `key` of `account`.
pub async fn start(
    services: &Services,
    account: Uuid,
    key: &str,
    fingerprint: &str,
) -> Result<Start, DbErr> {
    // A key released or taken over between our reads is looked at again, a few times.
    for _ in 0..3 {
        let now = services.clock.now();
        let txn = services.begin_write().await?;
        let claimed = store::claim(&*txn, account, key, fingerprint, now).await?;
        txn.commit().await?;
        if claimed {
            return Ok(Start::Run);
        }
        let Some(kept) = store::find(&services.db, account, key).await? else {
            continue;
        };
        match idempotency::judge(&kept.remembered, fingerprint, now) {
            Verdict::Replay => {
                if let Some(answer) = kept.answer {
                    return Ok(Start::Replay(answer));
                }
            }
            Verdict::KeyReused => return Ok(Start::KeyReused),
            Verdict::InProgress => return Ok(Start::InProgress),
            Verdict::Free => {
                let txn = services.begin_write().await?;
                let taken = store::take_over(
                    &*txn,
                    account,
                    key,
                    kept.remembered.started_at,
                    fingerprint,
                    now,
                )
                .await?;
                txn.commit().await?;
                if taken {
                    return Ok(Start::Run);
                }
            }
        }
    }
    Ok(Start::InProgress)
}

/// Waits a little for the twin of a request in progress to be answered, then starts again:
/// the answer to replay, or still in progress (the caller says retry), or the key freed.
pub async fn wait_for_twin(
    services: &Services,
    account: Uuid,
    key: &str,
    fingerprint: &str,
) -> Result<Start, DbErr> {
    let mut waited = Duration::ZERO;
    while waited < PATIENCE {
        tokio::time::sleep(POLL).await;
        waited += POLL;
        match start(services, account, key, fingerprint).await? {
            Start::InProgress => continue,
            decided => return Ok(decided),
        }
    }
    Ok(Start::InProgress)
}

/// Ends the write that held `key`: its answer is kept if a retry should get it, otherwise the
/// key is released so that the retry runs.
pub async fn finish(
    services: &Services,
    account: Uuid,
    key: &str,
    answer: Option<Answer>,
) -> Result<(), DbErr> {
    let txn = services.begin_write().await?;
    match answer.filter(|a| idempotency::keeps_answer(a.status)) {
        Some(answer) => store::answer(&*txn, account, key, &answer).await?,
        None => store::release(&*txn, account, key).await?,
    }
    txn.commit().await
}

/// Forgets the keys older than they are kept.
pub async fn forget_old(services: &Services) -> Result<u64, DbErr> {
    let cutoff = services.clock.now() - idempotency::KEPT_FOR;
    let txn = services.begin_write().await?;
    let forgotten = store::forget_before(&*txn, cutoff).await?;
    txn.commit().await?;
    Ok(forgotten)
}
