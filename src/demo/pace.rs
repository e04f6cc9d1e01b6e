//! Drift-free pacing: how many jobs are due at a given instant, scheduled against a start
//! time (never "sleep 1/rate after each add", which drifts by every add's latency).

use std::time::{Duration, Instant};

/// Never wake more often than this: at high rates, jobs due within a tick go out together.
const MIN_TICK: Duration = Duration::from_millis(5);
/// Without a rate, wake this often anyway (callers also wake on setting changes).
const IDLE_TICK: Duration = Duration::from_millis(250);
/// Falling further behind than this (Redis was away) drops the backlog instead of flooding.
const MAX_LAG: Duration = Duration::from_secs(2);

#[derive(Clone, Debug)]
pub struct Pace {
    anchor: Instant,
    sent: u64,
    rate_per_s: f64,
    /// Stop after this many since the anchor (`--count` with `--duration`); `None` = forever.
    limit: Option<u64>,
    last_wake: Instant,
}

impl Pace {
    pub fn new(now: Instant, rate_per_s: f64, limit: Option<u64>) -> Self {
        Self {
            anchor: now,
            sent: 0,
            rate_per_s: sanitize(rate_per_s),
            limit,
            last_wake: now,
        }
    }

    pub fn rate(&self) -> f64 {
        self.rate_per_s
    }

    /// A new rate starts a new schedule from `now`, so a change never releases a burst.
    pub fn set_rate(&mut self, now: Instant, rate_per_s: f64) {
        self.anchor = now;
        self.sent = 0;
        self.limit = None;
        self.rate_per_s = sanitize(rate_per_s);
    }

    pub fn is_finished(&self) -> bool {
        self.limit.is_some_and(|limit| self.sent >= limit)
    }

    /// Jobs due at `now` that were not handed out yet; counts them as sent.
    pub fn take_due(&mut self, now: Instant) -> u64 {
        self.last_wake = now;
        if self.rate_per_s <= 0.0 {
            return 0;
        }
        let elapsed = now.saturating_duration_since(self.anchor).as_secs_f64();
        let mut due = (elapsed * self.rate_per_s).floor() as u64;
        if let Some(limit) = self.limit {
            due = due.min(limit);
        }
        let lag = due.saturating_sub(self.sent) as f64 / self.rate_per_s;
        if lag > MAX_LAG.as_secs_f64() && self.limit.is_none() {
            // Re-anchor: continue at the rate from now on, without the missed jobs.
            self.anchor = now;
            self.sent = 0;
            return 0;
        }
        let n = due.saturating_sub(self.sent);
        self.sent += n;
        n
    }

    /// When the next job is due (at least a tick after the last wake).
    pub fn next_wake(&self) -> Instant {
        if self.rate_per_s <= 0.0 || self.is_finished() {
            return self.last_wake + IDLE_TICK;
        }
        let next = self.anchor + Duration::from_secs_f64((self.sent + 1) as f64 / self.rate_per_s);
        next.max(self.last_wake + MIN_TICK)
    }
}

fn sanitize(rate: f64) -> f64 {
    if rate.is_finite() && rate > 0.0 {
        rate
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_due_against_the_start_time() {
        let t0 = Instant::now();
        let mut pace = Pace::new(t0, 10.0, None);
        assert_eq!(pace.take_due(t0), 0);
        assert_eq!(pace.next_wake(), t0 + Duration::from_millis(100));
        // A late wake-up catches up exactly; no drift accumulates.
        assert_eq!(pace.take_due(t0 + Duration::from_millis(350)), 3);
        assert_eq!(pace.take_due(t0 + Duration::from_millis(360)), 0);
        assert_eq!(pace.take_due(t0 + Duration::from_millis(1000)), 7);
        assert_eq!(
            pace.take_due(t0 + Duration::from_secs(10)),
            0,
            "backlog dropped"
        );
        assert_eq!(pace.take_due(t0 + Duration::from_millis(10_500)), 5);
    }

    #[test]
    fn limits_rate_changes_and_zero_rates() {
        let t0 = Instant::now();
        let mut pace = Pace::new(t0, 100.0, Some(50));
        assert_eq!(
            pace.take_due(t0 + Duration::from_secs(5)),
            50,
            "limit caps the catch-up"
        );
        assert!(pace.is_finished());
        pace.set_rate(t0 + Duration::from_secs(5), 0.0);
        assert_eq!(pace.take_due(t0 + Duration::from_secs(6)), 0);
        assert!(pace.next_wake() > t0 + Duration::from_secs(6));
        let t1 = t0 + Duration::from_secs(7);
        pace.set_rate(t1, 1000.0);
        assert_eq!(pace.take_due(t1 + Duration::from_millis(1)), 1);
        assert_eq!(pace.next_wake(), t1 + Duration::from_millis(6), "min tick");
        assert_eq!(pace.rate(), 1000.0);
        pace.set_rate(t1, f64::NAN);
        assert_eq!(pace.rate(), 0.0);
    }
}
