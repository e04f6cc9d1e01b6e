//! What the exporter counts per queue: event totals that only go up, and latency histograms.
//!
//! The poller's totals are cumulative from when it started watching a queue, and it starts
//! them again from zero when it forgets a queue and finds it again (discovery drops a queue
//! whose keys are gone, say after a Redis restart that lost its data). The exporter adds each
//! poll's increase to its own totals instead of copying the poller's, so what it exports
//! never goes back, whatever the poller does.

use crate::model::{EventTotals, JobTiming};

/// Upper bounds of the latency buckets, in seconds: 1 ms to 1 h, roughly 1-2.5-5 per
/// decade up to 10 s, then the minutes that queue waits are counted in.
pub const BUCKETS_S: [f64; 20] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
    120.0, 300.0, 600.0, 1800.0, 3600.0,
];

/// A classic Prometheus histogram: observations per bucket (the last one is `+Inf`), their
/// count and their sum.
#[derive(Clone, Debug, PartialEq)]
pub struct Buckets {
    /// Observations in each bucket, not cumulative; index `BUCKETS_S.len()` is `+Inf`.
    pub per_bucket: [u64; BUCKETS_S.len() + 1],
    pub count: u64,
    pub sum_s: f64,
}

impl Default for Buckets {
    fn default() -> Self {
        Self {
            per_bucket: [0; BUCKETS_S.len() + 1],
            count: 0,
            sum_s: 0.0,
        }
    }
}

impl Buckets {
    pub fn observe_ms(&mut self, ms: u64) {
        let seconds = ms as f64 / 1000.0;
        // `le` is inclusive: 1 ms falls in the 0.001 bucket.
        let index = BUCKETS_S.partition_point(|&bound| bound < seconds);
        if let Some(slot) = self.per_bucket.get_mut(index) {
            *slot += 1;
        }
        self.count += 1;
        self.sum_s += seconds;
    }

    /// `(upper bound, observations in that bucket)` pairs, `+Inf` last, as
    /// prometheus-client's `encode_histogram` takes them (it makes them cumulative).
    pub fn pairs(&self) -> Vec<(f64, u64)> {
        BUCKETS_S
            .iter()
            .copied()
            .chain(std::iter::once(f64::INFINITY))
            .zip(self.per_bucket.iter().copied())
            .collect()
    }
}

/// One queue's exported counters and histograms.
#[derive(Clone, Debug, PartialEq)]
pub struct QueueCounters {
    /// When the exporter started counting this queue, seconds since the epoch (`_created`).
    pub created_s: f64,
    /// The poller's totals at the last poll; `None` when the poller starts from zero next.
    seen: Option<EventTotals>,
    /// What is exported: the sum of every poll's increase.
    pub exported: EventTotals,
    /// The queue's system keeps per-queue totals: without them no counter is exported
    /// (absent, never a fake 0).
    pub counted: bool,
    pub wait: Buckets,
    pub processing: Buckets,
}

impl QueueCounters {
    pub fn new(created_s: f64) -> Self {
        Self {
            created_s,
            seen: None,
            exported: EventTotals::default(),
            counted: false,
            wait: Buckets::default(),
            processing: Buckets::default(),
        }
    }

    /// Add what happened since the last poll: the increase of the poller's totals (all of
    /// them when it started counting afresh) and the jobs timed in this poll.
    pub fn absorb(&mut self, totals: Option<EventTotals>, timings: &[JobTiming]) {
        if let Some(totals) = totals {
            let before = self.seen.unwrap_or_default();
            let increase = |now: u64, before: u64| now.checked_sub(before).unwrap_or(now);
            self.exported.added += increase(totals.added, before.added);
            self.exported.completed += increase(totals.completed, before.completed);
            self.exported.failed += increase(totals.failed, before.failed);
            self.exported.deduplicated += increase(totals.deduplicated, before.deduplicated);
            self.exported.debounced += increase(totals.debounced, before.debounced);
            self.exported.duplicated += increase(totals.duplicated, before.duplicated);
            self.seen = Some(totals);
            self.counted = true;
        }
        for timing in timings {
            if let Some(ms) = timing.wait_ms {
                self.wait.observe_ms(ms);
            }
            if let Some(ms) = timing.processing_ms {
                self.processing.observe_ms(ms);
            }
        }
    }

    /// The poller no longer reports the queue, so it forgot its totals: if the queue comes
    /// back, its totals start from zero.
    pub fn forget_poller_totals(&mut self) {
        self.seen = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn totals(added: u64, completed: u64, failed: u64) -> EventTotals {
        EventTotals {
            added,
            completed,
            failed,
            ..EventTotals::default()
        }
    }

    #[test]
    fn counters_add_increases_and_never_go_back() {
        // (poller totals, forgotten before this poll, exported after it)
        let cases = [
            (totals(5, 3, 1), false, totals(5, 3, 1)),
            (totals(9, 7, 1), false, totals(9, 7, 1)),
            // The poller started again from zero (a new Poller, or a rediscovered queue).
            (totals(2, 1, 0), false, totals(11, 8, 1)),
            (totals(4, 4, 2), false, totals(13, 11, 3)),
            // Forgotten, then found again already past the old figures: all of it is new.
            (totals(20, 10, 5), true, totals(33, 21, 8)),
            (totals(20, 10, 5), false, totals(33, 21, 8)),
        ];
        let mut counters = QueueCounters::new(1.0);
        for (i, (poller, forgotten, want)) in cases.into_iter().enumerate() {
            if forgotten {
                counters.forget_poller_totals();
            }
            counters.absorb(Some(poller), &[]);
            assert_eq!(counters.exported, want, "poll {i}");
        }
    }

    #[test]
    fn timings_fill_the_buckets_they_belong_to() {
        let mut counters = QueueCounters::new(0.0);
        let timing = |wait_ms, processing_ms| JobTiming {
            wait_ms,
            processing_ms,
        };
        counters.absorb(
            Some(EventTotals::default()),
            &[
                timing(Some(0), Some(1)),
                timing(Some(2), Some(3_600_000)),
                timing(None, Some(7_200_000)),
                timing(Some(1_000), None),
            ],
        );
        assert_eq!(counters.wait.count, 3);
        assert_eq!(counters.processing.count, 3);
        let wait = counters.wait.pairs();
        assert_eq!(wait[0], (0.001, 1), "0 ms is at most 1 ms");
        assert_eq!(wait[2], (0.005, 0));
        assert_eq!(wait[1], (0.0025, 1), "2 ms");
        assert_eq!(wait[9], (1.0, 1), "1 s is in le=1");
        let processing = counters.processing.pairs();
        assert_eq!(processing[0], (0.001, 1), "1 ms is in le=0.001");
        assert_eq!(processing[19], (3600.0, 1), "an hour is in le=3600");
        assert_eq!(processing[20], (f64::INFINITY, 1), "two hours only in +Inf");
        assert!((counters.processing.sum_s - 10_800.001).abs() < 1e-6);
        let in_buckets: u64 = processing.iter().map(|(_, n)| n).sum();
        assert_eq!(in_buckets, counters.processing.count);
    }
}
