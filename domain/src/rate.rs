//! Rate limits counted in windows of fixed length, judged by a sliding estimate: the hits of
//! the current window plus those of the previous one weighted by how much of it the sliding
//! window still covers. Two numbers per key suffice, so every replica can keep them in the
//! shared database, and a burst at a window's edge cannot double the limit as fixed windows
//! allow.

/// The hits a key made in the current window (this one included) and in the one before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hits {
    pub previous: u64,
    pub current: u64,
}

/// The estimate of the hits over the last `window` seconds, `elapsed` seconds into the
/// current window.
fn estimate(hits: Hits, window: u64, elapsed: u64) -> f64 {
    let remaining = window.saturating_sub(elapsed) as f64 / window as f64;
    hits.previous as f64 * remaining + hits.current as f64
}

/// Whether this hit is within `limit` per `window` seconds; if not, the whole seconds to wait
/// until one more would be (for `Retry-After`), supposing nothing more is tried meanwhile.
pub fn judge(limit: u32, window: u64, elapsed: u64, hits: Hits) -> Result<(), u64> {
    let window = window.max(1);
    let elapsed = elapsed.min(window - 1);
    let limit = f64::from(limit);
    if estimate(hits, window, elapsed) <= limit {
        return Ok(());
    }
    // One more hit must fit: the estimate must fall to `limit - 1`. Within the current
    // window only the previous window's weight falls; in the next, this window's turn.
    let room = limit - 1.0;
    let wait = (1..=2 * window)
        .find(|&wait| {
            let at = elapsed + wait;
            let later = if at < window {
                estimate(hits, window, at)
            } else {
                let next = Hits {
                    previous: hits.current,
                    current: 0,
                };
                estimate(next, window, at - window)
            };
            later <= room
        })
        .unwrap_or(2 * window);
    Err(wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(previous: u64, current: u64) -> Hits {
        Hits { previous, current }
    }

    #[test]
    fn hits_within_the_limit_pass() {
        assert_eq!(judge(5, 60, 0, hits(0, 5)), Ok(()));
        assert_eq!(
            judge(5, 60, 59, hits(30, 4)),
            Ok(()),
            "the old window weighs 1/60"
        );
    }

    #[test]
    fn the_previous_window_counts_for_what_the_sliding_window_still_covers() {
        // Half-way through, 6 of the previous window's 10 weigh 5; with 1 now, 6 > 5.
        assert!(judge(5, 60, 30, hits(10, 1)).is_err());
        assert_eq!(judge(5, 60, 30, hits(8, 1)), Ok(()));
    }

    #[test]
    fn the_wait_is_until_one_more_hit_fits() {
        // 6 hits in the first second of a window: one more fits when, in the next window,
        // 6 × (1 - t/60) <= 4, i.e. t = 20 s into it: 80 s from now.
        assert_eq!(judge(5, 60, 0, hits(0, 6)), Err(80));
        // A burst at the end of one window cannot be repeated at the start of the next.
        assert!(judge(5, 60, 1, hits(5, 1)).is_err());
    }

    #[test]
    fn a_limit_of_one_waits_for_the_window_to_empty() {
        let wait = judge(1, 60, 10, hits(0, 2)).unwrap_err();
        assert_eq!(
            wait, 110,
            "until the next window has fully covered this one"
        );
    }
}
