//! Rate limits that hold for the whole service, however many replicas serve it: login
//! attempts per username and per client address (so guessing passwords is slow), and writes
//! per account (so a runaway phone or a stolen token cannot flood a ward's queue). The hits
//! are counted in the shared database (`sos_store::rate`) and judged by `sos_domain::rate`.
//!
//! Sign-in attempts are counted in the database one by one. Writes are the hot path (every
//! filing is one), so an account far below its limit is counted in this replica's memory
//! ([`WriteCounts`]) and its hits are added to the shared counts about once a second; only an
//! account past half its limit, as far as this replica knows, is counted in the database at
//! each write, exactly. Spread over replicas, an account can get ahead of its limit by at most
//! what it writes in one flush interval.

use crate::i18n::Text;
use crate::problem::{Outcome, Problem, ProblemKind};
use crate::services::Services;
use sos_domain::rate::{self, Hits};
use sos_store::DbErr;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use uuid::Uuid;

/// The length of a counting window, in seconds: limits are "per minute".
const WINDOW_SECONDS: i64 = 60;

/// What a limit counts.
enum Counted<'a> {
    SignInsOf(&'a str),
    SignInsFrom(IpAddr),
    WritesOf(Uuid),
}

impl Counted<'_> {
    fn key(&self) -> String {
        match self {
            Counted::SignInsOf(username) => format!("sign-in:user:{}", username.to_lowercase()),
            Counted::SignInsFrom(address) => format!("sign-in:address:{address}"),
            Counted::WritesOf(account) => format!("write:{account}"),
        }
    }
}

/// The current window's start and how far into it `services`' clock is, in seconds.
fn window(services: &Services) -> (i64, u64) {
    let now = services.clock.now().timestamp();
    let window_start = now - now.rem_euclid(WINDOW_SECONDS);
    (window_start, u64::try_from(now - window_start).unwrap_or(0))
}

/// Adds `hits` hits of `key` to the shared count of the window starting at `window_start`,
/// and returns the shared hits of that window and of the one before.
async fn add_shared(
    services: &Services,
    key: &str,
    window_start: i64,
    hits: u64,
) -> Result<Hits, DbErr> {
    let txn = services.begin_write().await?;
    let shared = sos_store::rate::hit(&*txn, key, window_start, WINDOW_SECONDS, hits).await?;
    txn.commit().await?;
    Ok(shared)
}

/// Counts one hit of `counted` in the database; on refusal, the seconds to wait.
async fn count(
    services: &Services,
    counted: Counted<'_>,
    limit: u32,
) -> Result<Result<(), u64>, DbErr> {
    let (window_start, elapsed) = window(services);
    let hits = add_shared(services, &counted.key(), window_start, 1).await?;
    Ok(rate::judge(limit, WINDOW_SECONDS as u64, elapsed, hits))
}

/// What this replica knows of one account's writes.
#[derive(Debug, Default, Clone, Copy)]
struct Known {
    /// The window the figures are of.
    window_start: i64,
    /// The shared counts as last read, this replica's flushed hits included.
    shared: Hits,
    /// Hits of this replica in that window not yet added to the shared counts.
    unflushed: u64,
    /// Hits of this replica in the window before, not yet added to the shared counts.
    unflushed_previous: u64,
}

impl Known {
    /// The figures moved on to the window starting at `window_start` (the known ones older
    /// than the window before it say nothing any more).
    fn at(self, window_start: i64) -> Known {
        if self.window_start == window_start {
            return self;
        }
        let mut moved = Known {
            window_start,
            ..Known::default()
        };
        if self.window_start == window_start - WINDOW_SECONDS {
            moved.shared.previous = self.shared.current;
            moved.unflushed_previous = self.unflushed;
        }
        moved
    }

    fn hits(&self) -> Hits {
        Hits {
            previous: self.shared.previous + self.unflushed_previous,
            current: self.shared.current + self.unflushed,
        }
    }
}

/// Writes per account counted in this replica's memory, flushed to the shared counts.
#[derive(Default)]
pub struct WriteCounts {
    known: Mutex<HashMap<Uuid, Known>>,
}

impl WriteCounts {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Known>> {
        self.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Counts a write of `account` here when it is far below `limit`; otherwise it is to be
    /// counted in the database, with the unflushed hits handed over in the error.
    fn count_here(&self, account: Uuid, window_start: i64, limit: u32) -> Result<(), u64> {
        let mut known = self.lock();
        let entry = known.entry(account).or_default();
        *entry = entry.at(window_start);
        let mut with_this = entry.hits();
        with_this.current += 1;
        // Beyond half the limit, counts of other replicas a second old could matter.
        if (with_this.previous + with_this.current) * 2 <= u64::from(limit) {
            entry.unflushed += 1;
            Ok(())
        } else {
            Err(std::mem::take(&mut entry.unflushed))
        }
    }

    /// Takes in the shared counts of `account`'s window starting at `window_start`.
    fn learn(&self, account: Uuid, window_start: i64, shared: Hits) {
        let mut known = self.lock();
        let entry = known.entry(account).or_default();
        if entry.window_start < window_start {
            *entry = entry.at(window_start);
        }
        if entry.window_start == window_start {
            entry.shared = shared;
        } else if entry.window_start == window_start + WINDOW_SECONDS {
            // Hits of the window before, flushed after this replica moved on.
            entry.shared.previous = shared.current;
        }
    }

    /// Takes the hits not yet added to the shared counts, by account and window, as of the
    /// window starting at `window_start`; forgets accounts quiet for two windows.
    fn take_unflushed(&self, window_start: i64) -> Vec<(Uuid, i64, u64)> {
        let mut known = self.lock();
        known.retain(|_, k| k.window_start >= window_start - WINDOW_SECONDS);
        let mut taken = Vec::new();
        for (account, k) in known.iter_mut() {
            *k = k.at(window_start);
            let previous = std::mem::take(&mut k.unflushed_previous);
            let current = std::mem::take(&mut k.unflushed);
            for (start, hits) in [
                (window_start - WINDOW_SECONDS, previous),
                (window_start, current),
            ] {
                if hits > 0 {
                    taken.push((*account, start, hits));
                }
            }
        }
        taken
    }

    /// Adds this replica's unflushed hits to the shared counts.
    pub async fn flush(&self, services: &Services) -> Result<(), DbErr> {
        let (window_start, _) = window(services);
        for (account, start, hits) in self.take_unflushed(window_start) {
            let shared =
                add_shared(services, &Counted::WritesOf(account).key(), start, hits).await?;
            self.learn(account, start, shared);
        }
        Ok(())
    }
}

fn too_many(wait: u64, text: Text) -> Problem {
    let mut problem = Problem::new(ProblemKind::RateLimited, text);
    problem.retry_after_seconds = Some(wait);
    problem
}

/// Counts a sign-in attempt with `username` from `address`: refused with 429 and
/// `Retry-After` past `SOS_LOGIN_ATTEMPTS_PER_MINUTE[_PER_IP]`.
pub async fn sign_in_attempt(services: &Services, username: &str, address: IpAddr) -> Outcome<()> {
    let settings = &services.settings;
    let from = count(
        services,
        Counted::SignInsFrom(address),
        settings.login_attempts_per_minute_per_ip,
    )
    .await?;
    let verdict = match from {
        Ok(()) => {
            count(
                services,
                Counted::SignInsOf(username),
                settings.login_attempts_per_minute,
            )
            .await?
        }
        refused => refused,
    };
    verdict.map_err(|wait| {
        too_many(
            wait,
            Text::new(
                format!("Đăng nhập sai quá nhiều lần, hãy thử lại sau {wait} giây."),
                format!("Too many sign-in attempts; try again in {wait} seconds."),
            ),
        )
    })
}

/// Counts a write (any request but a read) by `account`: refused with 429 and `Retry-After`
/// past `SOS_WRITES_PER_MINUTE`.
pub async fn write(services: &Services, account: Uuid) -> Outcome<()> {
    let limit = services.settings.writes_per_minute;
    let (window_start, elapsed) = window(services);
    let Err(unflushed) = services
        .write_counts
        .count_here(account, window_start, limit)
    else {
        return Ok(());
    };
    let key = Counted::WritesOf(account).key();
    let shared = add_shared(services, &key, window_start, unflushed + 1).await?;
    services.write_counts.learn(account, window_start, shared);
    rate::judge(limit, WINDOW_SECONDS as u64, elapsed, shared).map_err(|wait| {
        too_many(
            wait,
            Text::new(
                format!("Tài khoản gửi quá nhiều yêu cầu, hãy thử lại sau {wait} giây."),
                format!("Too many changes from this account; try again in {wait} seconds."),
            ),
        )
    })
}

/// Forgets the windows no limit looks at any more (older than the previous one).
pub async fn forget_old(services: &Services) -> Result<u64, DbErr> {
    let now = services.clock.now().timestamp();
    let txn = services.begin_write().await?;
    let forgotten = sos_store::rate::forget_before(&*txn, now - 2 * WINDOW_SECONDS).await?;
    txn.commit().await?;
    Ok(forgotten)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_far_below_the_limit_are_counted_here_and_near_it_in_the_database() {
        let counts = WriteCounts::default();
        let account = Uuid::now_v7();
        // Up to half of a limit of 10 stays in memory.
        for _ in 0..5 {
            assert_eq!(counts.count_here(account, 0, 10), Ok(()));
        }
        // The sixth write goes to the database, taking the five not yet flushed with it.
        assert_eq!(counts.count_here(account, 0, 10), Err(5));
        counts.learn(
            account,
            0,
            Hits {
                previous: 0,
                current: 6,
            },
        );
        assert_eq!(counts.count_here(account, 0, 10), Err(0));
        // In the next window the previous one still weighs.
        assert_eq!(counts.count_here(account, 60, 10), Err(0));
        // Two windows on, nothing known counts any more.
        assert_eq!(counts.count_here(account, 180, 10), Ok(()));
    }

    #[test]
    fn hits_flushed_late_count_for_the_window_they_were_made_in() {
        let counts = WriteCounts::default();
        let account = Uuid::now_v7();
        assert_eq!(counts.count_here(account, 0, 100), Ok(()));
        assert_eq!(counts.count_here(account, 0, 100), Ok(()));
        // The window ended before a flush: its hits are still sent, for the window they
        // were made in.
        assert_eq!(counts.count_here(account, 60, 100), Ok(()));
        let mut taken = counts.take_unflushed(60);
        taken.sort();
        assert_eq!(taken, vec![(account, 0, 2), (account, 60, 1)]);
        assert!(counts.take_unflushed(60).is_empty());
        // What the shared counts say of the window before, once flushed, is its previous.
        counts.learn(
            account,
            0,
            Hits {
                previous: 0,
                current: 40,
            },
        );
        counts.learn(
            account,
            60,
            Hits {
                previous: 40,
                current: 1,
            },
        );
        assert_eq!(
            counts.lock()[&account].hits(),
            Hits {
                previous: 40,
                current: 1
            }
        );
    }
}
