//! Rate limits that hold for the whole service, however many replicas serve it: login
//! attempts per username and per client address (so guessing passwords is slow), and writes
//! per account (so a runaway phone or a stolen token cannot flood a ward's queue). The hits
//! are counted in the shared database (`sos_store::rate`) and judged by `sos_domain::rate`.

use crate::i18n::Text;
use crate::problem::{Outcome, Problem, ProblemKind};
use crate::services::Services;
use sos_domain::rate;
use sos_store::DbErr;
use std::net::IpAddr;
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

/// Counts one hit of `counted`; on refusal, the seconds to wait.
async fn count(
    services: &Services,
    counted: Counted<'_>,
    limit: u32,
) -> Result<Result<(), u64>, DbErr> {
    let now = services.clock.now().timestamp();
    let window_start = now - now.rem_euclid(WINDOW_SECONDS);
    let txn = services.begin_write().await?;
    let hits = sos_store::rate::hit(&*txn, &counted.key(), window_start, WINDOW_SECONDS).await?;
    txn.commit().await?;
    let elapsed = u64::try_from(now - window_start).unwrap_or(0);
    Ok(rate::judge(limit, WINDOW_SECONDS as u64, elapsed, hits))
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
    count(services, Counted::WritesOf(account), limit)
        .await?
        .map_err(|wait| {
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
