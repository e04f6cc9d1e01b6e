//! How fast discovery scans: within a fixed share of a Redis core at any keyspace size.
//!
//! SCAN costs Redis about 0.55 µs per key examined (a pass over 1M keys ≈ 0.55 s of CPU;
//! measured while running, see [`Pace`]). Discovery may use [`BUDGET`] of a core, so it
//! examines at most `BUDGET / cost` keys a second (about 9,100): a pass over `DBSIZE` keys
//! takes about 1 s at 10k keys, 5.5 s at 50k, 110 s at 1M, and passes run back to back, no
//! more often than once per [`MIN_PERIOD`] on a small keyspace. A queue is added as soon as a step finds it, so one
//! created while qtop runs is on screen within about one pass.

use std::time::Duration;

/// Redis CPU per key a SCAN examines, until measured (issue 18's figure).
pub(super) const KEY_COST_S: f64 = 0.55e-6;
/// The share of one Redis core discovery may use.
pub(super) const BUDGET: f64 = 0.005;
/// Keys examined per second within the budget at [`KEY_COST_S`] (about 9,100).
#[cfg(test)]
const KEYS_PER_S: f64 = BUDGET / KEY_COST_S;
/// The shortest time between the starts of two passes (a small keyspace).
pub(super) const MIN_PERIOD: Duration = Duration::from_secs(3);
/// SCAN COUNT bounds of one paced step.
const MIN_COUNT: u64 = 100;
const MAX_COUNT: u64 = 10_000;
/// A step after a long pause scans at most this much time's worth of keys.
const MAX_CATCH_UP: Duration = Duration::from_secs(1);

/// What one key costs may vary (a big keyspace misses caches; the machine may be busy), so
/// it is measured: Redis's own time in SCAN (`INFO commandstats`) over a whole pass, divided
/// by the keys the pass examined. Without INFO (an ACL), [`KEY_COST_S`] stands.
#[derive(Debug)]
pub(super) struct Pace {
    key_cost_s: f64,
    /// At the start of the pass under way: Redis's SCAN time so far (µs) and `DBSIZE`.
    mark: Option<(u64, u64)>,
}

/// A pass shorter than this many keys is not measured (too little time to tell).
const MEASURED_FROM: u64 = 20_000;
/// Measured costs are kept within these bounds (a stray figure never stops discovery).
const COST_BOUNDS: (f64, f64) = (0.2e-6, 10e-6);

impl Default for Pace {
    fn default() -> Self {
        Self {
            key_cost_s: KEY_COST_S,
            mark: None,
        }
    }
}

impl Pace {
    /// Keys examined per second within the budget.
    pub(super) fn keys_per_s(&self) -> f64 {
        BUDGET / self.key_cost_s
    }

    /// A pass starts over `keys` keys; `scan_usec` is Redis's SCAN time so far, if known.
    /// The pass that just ended (from the last mark) sets the cost per key.
    pub(super) fn pass_starts(&mut self, scan_usec: Option<u64>, keys: u64) {
        if let (Some((before, examined)), Some(now)) = (self.mark, scan_usec) {
            if examined >= MEASURED_FROM && now >= before {
                let cost = (now - before) as f64 / 1e6 / examined as f64;
                self.key_cost_s = cost.clamp(COST_BOUNDS.0, COST_BOUNDS.1);
            }
        }
        self.mark = scan_usec.map(|usec| (usec, keys));
    }

    /// After a reconnection: the server's counters may have restarted.
    pub(super) fn forget_mark(&mut self) {
        self.mark = None;
    }

    /// The time between the starts of two passes over `keys` keys; `floor` is the shortest.
    pub(super) fn period(&self, keys: u64, floor: Duration) -> Duration {
        Duration::from_secs_f64(keys as f64 / self.keys_per_s()).max(floor)
    }

    /// SCAN COUNT for a step taken `since` after the previous one, so that steps examine
    /// [`Self::keys_per_s`] keys a second however often they are called.
    pub(super) fn step_count(&self, since: Duration) -> u64 {
        let keys = self.keys_per_s() * since.min(MAX_CATCH_UP).as_secs_f64();
        (keys as u64).clamp(MIN_COUNT, MAX_COUNT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_takes_what_the_budget_allows_and_no_less_than_the_floor() {
        // keys → seconds between passes
        let cases = [(0, 3.0), (10_000, 3.0), (50_000, 5.5), (1_000_000, 110.0)];
        for (keys, seconds) in cases {
            let period = Pace::default().period(keys, MIN_PERIOD).as_secs_f64();
            assert!((period - seconds).abs() < 0.1, "{keys} keys: {period} s");
        }
        assert_eq!(
            Pace::default().period(10, Duration::ZERO),
            Duration::from_secs_f64(10.0 / KEYS_PER_S)
        );
    }

    #[test]
    fn steps_examine_the_budgets_keys_per_second_however_often_they_run() {
        // step interval → keys per second examined
        for ms in [50u64, 100, 250, 500, 1000] {
            let count = Pace::default().step_count(Duration::from_millis(ms));
            let per_s = count as f64 * 1000.0 / ms as f64;
            assert!(per_s <= KEYS_PER_S * 1.01, "every {ms} ms: {per_s} keys/s");
            assert!(per_s >= KEYS_PER_S * 0.99, "every {ms} ms: {per_s} keys/s");
        }
        // A long pause is not caught up in one burst; a tight loop still moves.
        let pace = Pace::default();
        assert_eq!(pace.step_count(Duration::from_secs(60)), KEYS_PER_S as u64);
        assert_eq!(pace.step_count(Duration::ZERO), MIN_COUNT);
        // Within the budget: (count × cost) / interval ≤ BUDGET for intervals ≥ 11 ms.
        let worst = MIN_COUNT as f64 * KEY_COST_S / 0.011;
        assert!(worst <= BUDGET, "{worst}");
    }

    #[test]
    fn the_cost_per_key_is_measured_over_whole_passes() {
        let mut pace = Pace::default();
        // First pass over 1M keys: nothing measured yet.
        pace.pass_starts(Some(5_000_000), 1_000_000);
        assert_eq!(pace.keys_per_s(), KEYS_PER_S);
        // It cost Redis 1.1 s of SCAN: 1.1 µs a key, half the default pace.
        pace.pass_starts(Some(6_100_000), 1_000_000);
        assert!((pace.keys_per_s() - BUDGET / 1.1e-6).abs() < 1.0);
        assert!((pace.period(1_000_000, MIN_PERIOD).as_secs_f64() - 220.0).abs() < 0.5);
        // No INFO (an ACL), a small pass, a counter gone back (restart): kept as it was.
        let before = pace.keys_per_s();
        pace.pass_starts(None, 1_000_000);
        pace.pass_starts(Some(10), 1_000_000);
        assert_eq!(pace.keys_per_s(), before);
        pace.pass_starts(Some(5), 1_000);
        pace.pass_starts(Some(9_000_000), 1_000);
        assert_eq!(pace.keys_per_s(), before);
        // A stray figure stays within bounds.
        pace.pass_starts(Some(0), 1_000_000);
        pace.pass_starts(Some(u64::MAX / 2), 1_000_000);
        assert_eq!(pace.keys_per_s(), BUDGET / COST_BOUNDS.1);
    }
}
