//! How fast discovery scans: within a fixed share of a Redis core at any keyspace size.
//!
//! SCAN costs Redis about 0.55 µs per key examined (a pass over 1M keys ≈ 0.55 s of CPU;
//! measured while running, see [`Pace`]). Discovery may use [`BUDGET`] of a core, so it
//! examines at most `0.9 × BUDGET / cost` keys a second (about 8,200 at 0.55 µs): a pass
//! over `DBSIZE` keys takes about 1.2 s at 10k keys, 6 s at 50k, 2 min at 1M, and passes
//! run back to back, no more often than once per [`MIN_PERIOD`] on a small keyspace. A
//! queue is added as soon as a step finds it, so one created while qtop runs is on screen
//! within about one pass.

use std::time::Duration;

/// Redis CPU per key a SCAN examines, until measured (issue 18's figure).
pub(super) const KEY_COST_S: f64 = 0.55e-6;
/// The share of one Redis core discovery may use.
pub(super) const BUDGET: f64 = 0.005;
/// Keys examined per second at [`KEY_COST_S`] (about 8,200).
#[cfg(test)]
const KEYS_PER_S: f64 = AIM * BUDGET / KEY_COST_S;
/// The shortest time between the starts of two passes (a small keyspace).
pub(super) const MIN_PERIOD: Duration = Duration::from_secs(3);
/// SCAN COUNT bounds of one paced step.
const MIN_COUNT: u64 = 100;
const MAX_COUNT: u64 = 10_000;
/// A step after a long pause scans at most this much time's worth of keys.
const MAX_CATCH_UP: Duration = Duration::from_secs(1);

/// What one key costs varies (a big keyspace misses caches; a busy machine is slower), so
/// it is measured as discovery goes: Redis's own time in SCAN (`INFO commandstats`) over
/// every [`MEASURE_EVERY`] keys examined. Without INFO (an ACL), [`KEY_COST_S`] stands.
#[derive(Debug)]
pub(super) struct Pace {
    key_cost_s: f64,
    /// Redis's SCAN time (µs) when the keys below started to be counted.
    mark: Option<u64>,
    /// Keys examined (SCAN COUNTs) since the mark.
    examined: u64,
    /// INFO could not be read: not asked again.
    blind: bool,
}

/// Keys examined between two measurements (about every 5 s at the default pace).
pub(super) const MEASURE_EVERY: u64 = 50_000;
/// Measured costs are kept within these bounds (a stray figure never stops discovery).
const COST_BOUNDS: (f64, f64) = (0.2e-6, 10e-6);
/// The pace aims a little under the budget: the cost is known only after the fact.
const AIM: f64 = 0.9;

impl Default for Pace {
    fn default() -> Self {
        Self {
            key_cost_s: KEY_COST_S,
            mark: None,
            examined: 0,
            blind: false,
        }
    }
}

impl Pace {
    /// Keys examined per second within the budget.
    pub(super) fn keys_per_s(&self) -> f64 {
        AIM * BUDGET / self.key_cost_s
    }

    /// A step examined about `count` keys.
    pub(super) fn scanned(&mut self, count: u64) {
        self.examined += count;
    }

    /// Whether Redis's SCAN time should be read now (to start counting, or to measure).
    pub(super) fn wants_reading(&self) -> bool {
        !self.blind && (self.mark.is_none() || self.examined >= MEASURE_EVERY)
    }

    /// Redis's SCAN time so far (`None`: unreadable); sets the cost per key from the keys
    /// examined since the last reading.
    pub(super) fn read(&mut self, scan_usec: Option<u64>) {
        let Some(now) = scan_usec else {
            self.blind = true;
            return;
        };
        if let Some(before) = self.mark {
            if self.examined > 0 && now >= before {
                let cost = (now - before) as f64 / 1e6 / self.examined as f64;
                self.key_cost_s = cost.clamp(COST_BOUNDS.0, COST_BOUNDS.1);
            }
        }
        self.mark = Some(now);
        self.examined = 0;
    }

    /// After a reconnection: the server's counters may have restarted.
    pub(super) fn forget_mark(&mut self) {
        self.mark = None;
        self.examined = 0;
        self.blind = false;
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
        // keys → seconds between passes (at the default cost, aiming at 90 % of the budget)
        let cases = [(0, 3.0), (10_000, 3.0), (50_000, 6.1), (1_000_000, 122.2)];
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
    fn the_cost_per_key_is_measured_as_discovery_goes() {
        let mut pace = Pace::default();
        let default = pace.keys_per_s();
        assert!(pace.wants_reading(), "a first reading starts the count");
        pace.read(Some(5_000_000));
        pace.scanned(MEASURE_EVERY - 1);
        assert!(!pace.wants_reading());
        pace.scanned(1);
        assert!(pace.wants_reading());
        // 55 ms of SCAN for 50,000 keys: 1.1 µs a key, half the default pace.
        pace.read(Some(5_055_000));
        assert!((pace.keys_per_s() - default / 2.0).abs() < 1.0);
        // A counter gone back (restarted): kept as it was.
        pace.scanned(MEASURE_EVERY);
        pace.read(Some(10));
        assert!((pace.keys_per_s() - default / 2.0).abs() < 1.0);
        // A stray figure stays within bounds.
        pace.scanned(1);
        pace.read(Some(u64::MAX / 2));
        assert_eq!(pace.keys_per_s(), AIM * BUDGET / COST_BOUNDS.1);
        // No INFO (an ACL): not asked again, the last cost stands.
        pace.read(None);
        pace.scanned(10 * MEASURE_EVERY);
        assert!(!pace.wants_reading());
    }
}
