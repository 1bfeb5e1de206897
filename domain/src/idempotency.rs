//! Retried writes: a client names each write with an `Idempotency-Key` of its choosing, and a
//! write sent again under the same key is answered with the first answer instead of being done
//! twice. What is remembered of a key, and what a request that finds it remembered gets.

use chrono::{DateTime, Duration, Utc};

/// How long a key is remembered: a phone that lost an answer retries within minutes, one that
/// was off overnight within a day.
pub const KEPT_FOR: Duration = Duration::hours(24);

/// A write still unanswered after this long was cut off (its replica stopped): the key is free
/// for a retry. Longer than any request may take, uploads included.
pub const ABANDONED_AFTER: Duration = Duration::minutes(10);

/// The longest key accepted; Stripe's limit, which clients already know.
pub const MAX_KEY_CHARS: usize = 255;

/// Whether `key` can name a write: 1 to [`MAX_KEY_CHARS`] visible ASCII characters (a UUID is
/// what clients usually send).
pub fn valid_key(key: &str) -> bool {
    (1..=MAX_KEY_CHARS).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic())
}

/// What is remembered of a key when another request arrives with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remembered {
    /// Stands for the request first sent with the key: its method, route and body.
    pub fingerprint: String,
    pub started_at: DateTime<Utc>,
    /// Whether that request has been answered (its answer is kept).
    pub answered: bool,
}

/// What becomes of a request whose key is already remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The same request again: it gets the first answer.
    Replay,
    /// Another request under a key already used: refused, nothing done.
    KeyReused,
    /// The same request, still being answered elsewhere: wait for that answer.
    InProgress,
    /// The key is forgotten (expired) or its request was cut off: this request takes it.
    Free,
}

/// Judges a request with `fingerprint`, arriving at `now`, against what its key remembers.
pub fn judge(remembered: &Remembered, fingerprint: &str, now: DateTime<Utc>) -> Verdict {
    let age = now - remembered.started_at;
    if age >= KEPT_FOR || (!remembered.answered && age >= ABANDONED_AFTER) {
        return Verdict::Free;
    }
    if remembered.fingerprint != fingerprint {
        return Verdict::KeyReused;
    }
    if remembered.answered {
        Verdict::Replay
    } else {
        Verdict::InProgress
    }
}

/// Whether an answer with `status` is kept for replay. A request that was refused before it
/// ran (not signed in, too many requests) or failed on the server's side did nothing that a
/// retry would repeat, so its key stays free for the retry, as Stripe does.
pub fn keeps_answer(status: u16) -> bool {
    !(status == 401 || status == 429 || status >= 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(minutes)
    }

    fn remembered(answered: bool) -> Remembered {
        Remembered {
            fingerprint: "a".into(),
            started_at: at(0),
            answered,
        }
    }

    #[test]
    fn the_same_request_gets_the_first_answer_for_a_day() {
        assert_eq!(judge(&remembered(true), "a", at(1)), Verdict::Replay);
        assert_eq!(
            judge(&remembered(true), "a", at(24 * 60 - 1)),
            Verdict::Replay
        );
        assert_eq!(judge(&remembered(true), "a", at(24 * 60)), Verdict::Free);
    }

    #[test]
    fn another_request_under_a_used_key_is_refused() {
        assert_eq!(judge(&remembered(true), "b", at(1)), Verdict::KeyReused);
        assert_eq!(judge(&remembered(false), "b", at(1)), Verdict::KeyReused);
        assert_eq!(judge(&remembered(true), "b", at(24 * 60)), Verdict::Free);
    }

    #[test]
    fn a_request_cut_off_frees_its_key() {
        assert_eq!(judge(&remembered(false), "a", at(9)), Verdict::InProgress);
        assert_eq!(judge(&remembered(false), "a", at(10)), Verdict::Free);
        assert_eq!(judge(&remembered(false), "b", at(10)), Verdict::Free);
    }

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(valid_key("5f0c2a9e-8d1b-4f6e-9a37-0d2c4b6e8f10"));
        assert!(valid_key(&"k".repeat(MAX_KEY_CHARS)));
        assert!(!valid_key(""));
        assert!(!valid_key(&"k".repeat(MAX_KEY_CHARS + 1)));
        assert!(!valid_key("two words"));
        assert!(!valid_key("khóa"));
    }

    #[test]
    fn refusals_before_running_and_server_failures_are_not_kept() {
        assert!(keeps_answer(200) && keeps_answer(201) && keeps_answer(204));
        assert!(keeps_answer(409) && keeps_answer(422) && keeps_answer(403));
        assert!(!keeps_answer(401) && !keeps_answer(429));
        assert!(!keeps_answer(500) && !keeps_answer(503));
    }
}
