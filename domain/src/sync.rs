//! Fetching what changed: a phone back online asks for the reports and inbox entries changed
//! since the mark the service gave it last time, and gets a new mark with the first page.

use chrono::{DateTime, Duration, DurationRound, Utc};

/// How far the mark lags the time it is given at. A change is stamped when its transaction
/// runs and becomes visible when it commits, a few milliseconds later, longer under load:
/// a mark taken at the instant of reading would skip a change stamped before it but
/// committed after. Changes inside the lag come twice, which a client keeping items by id
/// does not notice.
pub const SETTLE: Duration = Duration::seconds(5);

/// The mark to give with an answer read at `now`: pass it back as `updated_since`. It moves
/// by whole minutes, so that the answer stays the same, and its `ETag` with it, while nothing
/// changes; an older mark only brings a few items twice.
pub fn mark(now: DateTime<Utc>) -> DateTime<Utc> {
    let settled = now - SETTLE;
    settled
        .duration_trunc(Duration::minutes(1))
        .unwrap_or(settled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_lags_the_reading_so_late_commits_are_not_skipped() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let stamped_before_commit = now - Duration::milliseconds(300);
        assert!(mark(now) <= stamped_before_commit);
        assert!(mark(now) > now - Duration::minutes(2));
    }

    #[test]
    fn the_mark_stays_put_within_a_minute() {
        // 1,800,000,000 seconds is a whole number of minutes.
        let minute = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let early = minute + SETTLE + Duration::seconds(1);
        let late = minute + Duration::seconds(59);
        assert_eq!(mark(early), minute);
        assert_eq!(mark(late), minute);
        assert_eq!(
            mark(minute + Duration::seconds(2)),
            minute - Duration::minutes(1)
        );
    }
}
