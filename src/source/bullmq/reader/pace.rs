//! How fast discovery scans: within a fixed share of a Redis core at any keyspace size.
//!
//! SCAN costs Redis about 0.55 µs per key examined here (a pass over 1M keys ≈ 0.55 s of
//! CPU). Discovery may use [`BUDGET`] of a core, so it examines at most [`KEYS_PER_S`] keys
//! a second: a pass over `DBSIZE` keys takes `DBSIZE / KEYS_PER_S` (about 1 s at 10k keys,
//! 5.5 s at 50k, 110 s at 1M) and passes run back to back, no more often than once per
//! [`MIN_PERIOD`] on a small keyspace. A queue is added as soon as a step finds it, so one
//! created while qtop runs is on screen within about one pass.

use std::time::Duration;

/// Redis CPU per key a SCAN examines (measured: benches/RESULTS.md, round 4).
pub(super) const KEY_COST_S: f64 = 0.55e-6;
/// The share of one Redis core discovery may use.
pub(super) const BUDGET: f64 = 0.005;
/// Keys examined per second within the budget (about 9,100).
pub(super) const KEYS_PER_S: f64 = BUDGET / KEY_COST_S;
/// The shortest time between the starts of two passes (a small keyspace).
pub(super) const MIN_PERIOD: Duration = Duration::from_secs(3);
/// SCAN COUNT bounds of one paced step.
const MIN_COUNT: u64 = 100;
const MAX_COUNT: u64 = 10_000;
/// A step after a long pause scans at most this much time's worth of keys.
const MAX_CATCH_UP: Duration = Duration::from_secs(1);

/// The time between the starts of two passes over `keys` keys; `floor` is the shortest.
pub(super) fn pass_period(keys: u64, floor: Duration) -> Duration {
    Duration::from_secs_f64(keys as f64 / KEYS_PER_S).max(floor)
}

/// SCAN COUNT for a step taken `since` after the previous one, so that steps examine
/// [`KEYS_PER_S`] keys a second however often they are called.
pub(super) fn step_count(since: Duration) -> u64 {
    let keys = KEYS_PER_S * since.min(MAX_CATCH_UP).as_secs_f64();
    (keys as u64).clamp(MIN_COUNT, MAX_COUNT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_takes_what_the_budget_allows_and_no_less_than_the_floor() {
        // keys → seconds between passes
        let cases = [(0, 3.0), (10_000, 3.0), (50_000, 5.5), (1_000_000, 110.0)];
        for (keys, seconds) in cases {
            let period = pass_period(keys, MIN_PERIOD).as_secs_f64();
            assert!((period - seconds).abs() < 0.1, "{keys} keys: {period} s");
        }
        assert_eq!(
            pass_period(10, Duration::ZERO),
            Duration::from_secs_f64(10.0 / KEYS_PER_S)
        );
    }

    #[test]
    fn steps_examine_the_budgets_keys_per_second_however_often_they_run() {
        // step interval → keys per second examined
        for ms in [50u64, 100, 250, 500, 1000] {
            let per_s = step_count(Duration::from_millis(ms)) as f64 * 1000.0 / ms as f64;
            assert!(per_s <= KEYS_PER_S * 1.01, "every {ms} ms: {per_s} keys/s");
            assert!(per_s >= KEYS_PER_S * 0.99, "every {ms} ms: {per_s} keys/s");
        }
        // A long pause is not caught up in one burst; a tight loop still moves.
        assert_eq!(step_count(Duration::from_secs(60)), KEYS_PER_S as u64);
        assert_eq!(step_count(Duration::ZERO), MIN_COUNT);
        // Within the budget: (count × cost) / interval ≤ BUDGET for intervals ≥ 11 ms.
        let worst = MIN_COUNT as f64 * KEY_COST_S / 0.011;
        assert!(worst <= BUDGET, "{worst}");
    }
}
