//! What qtop remembers about one queue across readings: counters for rates, latency
//! windows, and the latest gauges. Pure: time is passed in.

use std::sync::Arc;

use super::counts::QueueCounts;
use super::latency::{LatencySummary, LatencyWindow};
use super::rate::CounterSeries;
use super::reading::{QueueReading, RateSource};

/// How long counters are kept: the longest zoomable chart window.
const COUNTER_KEEP_MS: i64 = 3_600_000;

#[derive(Clone, Debug)]
pub struct QueueHistory {
    added: CounterSeries,
    completed: CounterSeries,
    failed: CounterSeries,
    /// Dropped adds (deduplicated, BullMQ ≤ 5's debounced, duplicated ids), kept only from
    /// the first one seen: most queues never have any, and thousands of them cost nothing.
    dropped: Option<Box<DroppedSeries>>,
    counter_keep_ms: i64,
    /// Time of the previous reading with totals, where a new dropped series starts at 0.
    last_totals_ms: Option<i64>,
    /// Wait and processing times, from the first timing on: most idle queues never have
    /// one (two empty windows were 96 bytes a queue).
    latency: Option<Box<Latency>>,
    /// The latency windows' bucket and span (see [`LatencyWindow`]).
    latency_bucket_ms: i64,
    latency_keep_ms: i64,
    /// Shared with whoever shows it (the dashboard's table rows), never copied.
    latest: Option<Arc<QueueReading>>,
    /// Most jobs seen active at once: a capacity estimate when workers do not say theirs.
    pub max_active_seen: u64,
    /// Readings so far, and those that found the rate limiter holding the queue back
    /// (cumulative, so the share over a window is a difference).
    readings: CounterSeries,
    limited: CounterSeries,
    readings_total: u64,
    limited_total: u64,
}

#[derive(Clone, Debug)]
struct Latency {
    wait: LatencyWindow,
    processing: LatencyWindow,
}

/// Counters of adds a queue dropped: deduplicated, debounced, duplicated.
#[derive(Clone, Debug)]
struct DroppedSeries {
    series: [CounterSeries; 3],
}

/// Golden signals of one queue over a window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct QueueStats {
    pub added_per_s: Option<f64>,
    pub completed_per_s: Option<f64>,
    pub failed_per_s: Option<f64>,
    /// Adds dropped as duplicates (not in `added_per_s`).
    pub deduplicated_per_s: Option<f64>,
    pub debounced_per_s: Option<f64>,
    pub duplicated_per_s: Option<f64>,
    /// failed / (completed + failed) in the window; `None` when nothing finished.
    pub error_rate: Option<f64>,
    pub wait: LatencySummary,
    pub processing: LatencySummary,
}

impl QueueHistory {
    /// `latency_bucket_ms` and `latency_keep_ms` size the latency window (see [`LatencyWindow`]).
    pub fn new(latency_bucket_ms: i64, latency_keep_ms: i64) -> Self {
        Self {
            added: CounterSeries::new(COUNTER_KEEP_MS),
            completed: CounterSeries::new(COUNTER_KEEP_MS),
            failed: CounterSeries::new(COUNTER_KEEP_MS),
            dropped: None,
            counter_keep_ms: COUNTER_KEEP_MS,
            last_totals_ms: None,
            latency: None,
            latency_bucket_ms,
            latency_keep_ms,
            latest: None,
            max_active_seen: 0,
            readings: CounterSeries::new(COUNTER_KEEP_MS),
            limited: CounterSeries::new(COUNTER_KEEP_MS),
            readings_total: 0,
            limited_total: 0,
        }
    }

    /// Keep counter samples for `keep_ms` instead of the hour: the dashboard charts from
    /// `model::series` and needs only its short table window here, which keeps the cost of
    /// thousands of idle queues (one sample per poll each) small.
    pub fn with_counter_keep(mut self, keep_ms: i64) -> Self {
        self.added = CounterSeries::new(keep_ms);
        self.completed = CounterSeries::new(keep_ms);
        self.failed = CounterSeries::new(keep_ms);
        self.counter_keep_ms = keep_ms;
        self.readings = CounterSeries::new(keep_ms);
        self.limited = CounterSeries::new(keep_ms);
        self
    }

    /// Record a reading, keeping a copy of it (without its timings) as the latest.
    pub fn record(&mut self, reading: &QueueReading, t_ms: i64) {
        self.observe(reading, t_ms);
        self.latest = Some(Arc::new(QueueReading {
            timings: Vec::new(),
            ..reading.clone()
        }));
    }

    /// Record a reading and keep it as the latest: no copy (thousands of queues a poll).
    /// Its timings are recorded, then dropped: nothing reads them from the latest.
    pub fn record_owned(&mut self, mut reading: QueueReading, t_ms: i64) {
        self.observe(&reading, t_ms);
        reading.timings = Vec::new();
        self.latest = Some(Arc::new(reading));
    }

    /// Record the latest reading again at `t_ms` (it did not change).
    pub fn record_latest_again(&mut self, t_ms: i64) {
        if let Some(latest) = self.latest.clone() {
            self.observe(&latest, t_ms);
        }
    }

    /// Record the same reading at each of `times` (ascending), keeping it as the latest:
    /// the history of a queue whose reading did not change, rebuilt from when it was read.
    /// Its timings, if any, are recorded at each time.
    pub fn record_at_each(
        &mut self,
        reading: Arc<QueueReading>,
        times: impl IntoIterator<Item = i64>,
    ) {
        for t_ms in times {
            self.observe(&reading, t_ms);
        }
        self.latest = Some(reading);
    }

    fn observe(&mut self, reading: &QueueReading, t_ms: i64) {
        // No totals (a system without per-queue counters): no samples, so no rates.
        if let Some(totals) = reading.totals {
            self.added.push(t_ms, totals.added);
            self.completed.push(t_ms, totals.completed);
            if !reading.failed_uncounted {
                self.failed.push(t_ms, totals.failed);
            }
            let dropped = [totals.deduplicated, totals.debounced, totals.duplicated];
            if self.dropped.is_none() && dropped.iter().any(|n| *n > 0) {
                let mut series = Box::new(DroppedSeries {
                    series: std::array::from_fn(|_| CounterSeries::new(self.counter_keep_ms)),
                });
                // None were dropped before this reading (or monitoring just began).
                if let Some(before) = self.last_totals_ms {
                    series.series.iter_mut().for_each(|s| s.push(before, 0));
                }
                self.dropped = Some(series);
            }
            if let Some(series) = &mut self.dropped {
                for (s, total) in series.series.iter_mut().zip(dropped) {
                    s.push(t_ms, total);
                }
            }
            self.last_totals_ms = Some(t_ms);
        }
        if !reading.timings.is_empty() {
            let (bucket, keep) = (self.latency_bucket_ms, self.latency_keep_ms);
            let latency = self.latency.get_or_insert_with(|| {
                Box::new(Latency {
                    wait: LatencyWindow::new(bucket, keep),
                    processing: LatencyWindow::new(bucket, keep),
                })
            });
            for timing in &reading.timings {
                if let Some(wait_ms) = timing.wait_ms {
                    latency.wait.record(t_ms, wait_ms);
                }
                if let Some(processing_ms) = timing.processing_ms {
                    latency.processing.record(t_ms, processing_ms);
                }
            }
        }
        if let Some(active) = reading.counts.and_then(|c| c.active) {
            self.max_active_seen = self.max_active_seen.max(active);
        }
        self.readings_total += 1;
        if reading.limits.rate_limited_ms.unwrap_or(0) > 0 {
            self.limited_total += 1;
        }
        self.readings.push(t_ms, self.readings_total);
        self.limited.push(t_ms, self.limited_total);
    }

    pub fn latest(&self) -> Option<&QueueReading> {
        self.latest.as_deref()
    }

    /// The latest reading, to share.
    pub fn latest_shared(&self) -> Option<&Arc<QueueReading>> {
        self.latest.as_ref()
    }

    pub fn counts(&self) -> Option<QueueCounts> {
        self.latest.as_ref().and_then(|r| r.counts)
    }

    pub fn rate_source(&self) -> RateSource {
        self.latest
            .as_ref()
            .map(|r| r.rate_source)
            .unwrap_or_default()
    }

    /// Age in seconds of the oldest waiting job at `now_ms`; 0 when nothing waits; `None`
    /// when it cannot be known.
    pub fn oldest_waiting_age_s(&self, now_ms: i64) -> Option<f64> {
        self.latest.as_ref()?.oldest_waiting_age_s(now_ms)
    }

    /// A dropped-adds rate: 0 wherever arrivals have a rate and none was ever dropped.
    fn dropped_rate(&self, which: usize, window_ms: i64) -> Option<f64> {
        match &self.dropped {
            Some(dropped) => dropped.series[which].rate_per_s(window_ms),
            None => self.added.rate_per_s(window_ms).map(|_| 0.0),
        }
    }

    /// Share of the readings over `window_ms` that found the rate limiter holding the queue
    /// back; `None` before two readings.
    pub fn limited_share(&self, window_ms: i64) -> Option<f64> {
        let readings = self.readings.increase(window_ms)?;
        let limited = self.limited.increase(window_ms)?;
        (readings > 0).then(|| limited as f64 / readings as f64)
    }

    pub fn stats(&self, now_ms: i64, window_ms: i64) -> QueueStats {
        let completed = self.completed.increase(window_ms);
        let failed = self.failed.increase(window_ms);
        let error_rate = match (completed, failed) {
            (Some(c), Some(f)) if c + f > 0 => Some(f as f64 / (c + f) as f64),
            _ => None,
        };
        QueueStats {
            added_per_s: self.added.rate_per_s(window_ms),
            completed_per_s: self.completed.rate_per_s(window_ms),
            failed_per_s: self.failed.rate_per_s(window_ms),
            deduplicated_per_s: self.dropped_rate(0, window_ms),
            debounced_per_s: self.dropped_rate(1, window_ms),
            duplicated_per_s: self.dropped_rate(2, window_ms),
            error_rate,
            wait: self
                .latency
                .as_ref()
                .map(|l| l.wait.summary(now_ms, window_ms))
                .unwrap_or_default(),
            processing: self
                .latency
                .as_ref()
                .map(|l| l.processing.summary(now_ms, window_ms))
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::reading::{EventTotals, JobTiming};

    fn reading(added: u64, completed: u64, failed: u64, timings: Vec<JobTiming>) -> QueueReading {
        QueueReading {
            totals: Some(EventTotals {
                added,
                completed,
                failed,
                ..EventTotals::default()
            }),
            timings,
            counts: Some(QueueCounts::default()),
            ..QueueReading::default()
        }
    }

    #[test]
    fn stats_over_a_window() {
        let mut history = QueueHistory::new(1000, 60_000);
        history.record(&reading(0, 0, 0, vec![]), 0);
        // Nothing timed yet: no latency window, and empty summaries.
        assert!(history.latency.is_none());
        assert_eq!(
            history.stats(0, 10_000).processing,
            LatencySummary::default()
        );
        let timing = JobTiming {
            wait_ms: Some(20),
            processing_ms: Some(100),
        };
        history.record(&reading(50, 36, 4, vec![timing; 40]), 2000);
        let stats = history.stats(2000, 10_000);
        assert_eq!(stats.added_per_s, Some(25.0));
        assert_eq!(stats.completed_per_s, Some(18.0));
        assert_eq!(stats.failed_per_s, Some(2.0));
        assert_eq!(stats.error_rate, Some(0.1));
        assert_eq!(stats.processing.count, 40);
        assert_eq!(stats.wait.p99, 20);
    }

    #[test]
    fn uncounted_failures_have_no_rate_and_no_error_rate() {
        let mut history = QueueHistory::new(1000, 60_000);
        for (t, completed) in [(0, 0), (2000, 36)] {
            let mut r = reading(completed, completed, 0, vec![]);
            r.failed_uncounted = true;
            history.record(&r, t);
        }
        let stats = history.stats(2000, 10_000);
        assert_eq!(stats.completed_per_s, Some(18.0));
        assert_eq!(stats.failed_per_s, None);
        assert_eq!(stats.error_rate, None);
    }

    #[test]
    fn dropped_adds_have_their_own_rates_from_the_first_one() {
        let mut history = QueueHistory::new(1000, 60_000);
        history.record(&reading(0, 0, 0, vec![]), 0);
        history.record(&reading(10, 0, 0, vec![]), 1000);
        assert_eq!(history.stats(1000, 10_000).deduplicated_per_s, Some(0.0));
        let mut dropped = reading(20, 0, 0, vec![]);
        if let Some(totals) = &mut dropped.totals {
            totals.deduplicated = 30;
            totals.duplicated = 3;
        }
        history.record(&dropped, 2000);
        let stats = history.stats(2000, 1000);
        assert_eq!(stats.added_per_s, Some(10.0));
        assert_eq!(stats.deduplicated_per_s, Some(30.0));
        assert_eq!(stats.duplicated_per_s, Some(3.0));
        assert_eq!(stats.debounced_per_s, Some(0.0));
        // A system without totals has no rates at all.
        let none = QueueHistory::new(1000, 60_000);
        assert_eq!(none.stats(0, 1000).deduplicated_per_s, None);
    }

    #[test]
    fn no_finished_jobs_means_no_error_rate() {
        let mut history = QueueHistory::new(1000, 60_000);
        history.record(&reading(0, 0, 0, vec![]), 0);
        history.record(&reading(5, 0, 0, vec![]), 1000);
        assert_eq!(history.stats(1000, 10_000).error_rate, None);
    }

    #[test]
    fn oldest_wait_age_is_zero_when_nothing_waits() {
        let mut history = QueueHistory::new(1000, 60_000);
        let mut r = reading(0, 0, 0, vec![]);
        r.oldest_waiting_ts_ms = Some(1_000);
        history.record(&r, 0);
        assert_eq!(history.oldest_waiting_age_s(5_000), Some(0.0));
        r.counts = Some(QueueCounts {
            waiting: Some(1),
            ..QueueCounts::default()
        });
        history.record(&r, 1);
        assert_eq!(history.oldest_waiting_age_s(5_000), Some(4.0));
    }
}
