//! Latency percentiles over a sliding time window, from hdrhistogram buckets.
//!
//! Each bucket holds the timings recorded during `bucket_ms`; a window query merges the
//! buckets it covers, so the cost depends on the window's length, never on the job count.

use std::collections::VecDeque;

use hdrhistogram::Histogram;
use serde::Serialize;

/// Highest value tracked: one day in ms. Larger values are clamped, not dropped.
const MAX_TRACKED_MS: u64 = 86_400_000;
/// Two significant figures (1 % precision) with auto-resizing u32 counts keep a bucket at
/// a few KiB, so a hundred busy queues cost megabytes, not hundreds of them.
const SIGFIG: u8 = 2;

/// Percentiles of one latency, in milliseconds. Field names are part of the JSON contract.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    /// Mean in ms (the advisor's service time).
    pub mean: f64,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
}

#[derive(Clone, Debug)]
pub struct LatencyWindow {
    buckets: VecDeque<(i64, Histogram<u32>)>,
    bucket_ms: i64,
    keep_ms: i64,
}

/// An empty latency histogram: 1 % precision, growing to fit whatever is recorded.
/// The one constructor for every latency histogram qtop keeps (table, snapshot, charts).
pub fn new_histogram() -> Option<Histogram<u32>> {
    let mut histogram = Histogram::new(SIGFIG).ok()?;
    histogram.auto(true);
    Some(histogram)
}

/// Record one timing in ms: 0 counts as 1 (hdrhistogram's floor), anything above a day as
/// a day. `record` grows the histogram to fit (`saturating_record` alone never grows it,
/// which clamped every value to the histogram's initial range); saturate only if growing
/// failed.
pub fn record_ms(histogram: &mut Histogram<u32>, value_ms: u64) {
    let value = value_ms.clamp(1, MAX_TRACKED_MS);
    if histogram.record(value).is_err() {
        histogram.saturating_record(value);
    }
}

impl LatencyWindow {
    pub fn new(bucket_ms: i64, keep_ms: i64) -> Self {
        Self {
            buckets: VecDeque::new(),
            bucket_ms: bucket_ms.max(1),
            keep_ms,
        }
    }

    /// Record one timing observed at `t_ms`.
    pub fn record(&mut self, t_ms: i64, value_ms: u64) {
        let start = t_ms - t_ms.rem_euclid(self.bucket_ms);
        let needs_bucket = self.buckets.back().is_none_or(|(s, _)| *s < start);
        if needs_bucket {
            let Some(histogram) = new_histogram() else {
                return;
            };
            self.buckets.push_back((start, histogram));
        }
        if let Some((_, histogram)) = self.buckets.back_mut() {
            // 0 ms is a real value (a job picked up at once); `record_ms` keeps it as 1.
            record_ms(histogram, value_ms);
        }
        while let Some((s, _)) = self.buckets.front() {
            if t_ms - s > self.keep_ms {
                self.buckets.pop_front();
            } else {
                break;
            }
        }
    }

    /// Percentiles over the buckets that started within `window_ms` before `now_ms`.
    pub fn summary(&self, now_ms: i64, window_ms: i64) -> LatencySummary {
        // Nothing timed: no histogram to build (thousands of idle queues, every report).
        if self.buckets.is_empty() {
            return LatencySummary::default();
        }
        let Some(mut merged) = new_histogram() else {
            return LatencySummary::default();
        };
        for (start, histogram) in &self.buckets {
            if now_ms - start < window_ms + self.bucket_ms {
                // Auto-resizing histograms grow to fit, so adding cannot fail.
                let _ = merged.add(histogram);
            }
        }
        summarize(&merged)
    }
}

fn summarize(histogram: &Histogram<u32>) -> LatencySummary {
    if histogram.is_empty() {
        return LatencySummary::default();
    }
    LatencySummary {
        count: histogram.len(),
        mean: (histogram.mean() * 10.0).round() / 10.0,
        p50: histogram.value_at_quantile(0.50),
        p90: histogram.value_at_quantile(0.90),
        p99: histogram.value_at_quantile(0.99),
        max: histogram.max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_of_a_known_distribution() {
        let mut window = LatencyWindow::new(1000, 3_600_000);
        for v in 1..=1000u64 {
            window.record(500, v);
        }
        let s = window.summary(900, 60_000);
        assert_eq!(s.count, 1000);
        // Within the histogram's 1 % precision.
        let close = |got: u64, want: u64| (got as f64 - want as f64).abs() <= want as f64 * 0.01;
        assert!(close(s.p50, 500), "p50 {}", s.p50);
        assert!(close(s.p90, 900), "p90 {}", s.p90);
        assert!(close(s.p99, 990), "p99 {}", s.p99);
        assert!(close(s.max, 1000), "max {}", s.max);
    }

    #[test]
    fn old_buckets_leave_the_window() {
        let mut window = LatencyWindow::new(1000, 3_600_000);
        window.record(0, 5000);
        window.record(120_000, 10);
        let recent = window.summary(120_500, 60_000);
        assert_eq!(recent.count, 1);
        assert_eq!(recent.max, 10);
        let all = window.summary(120_500, 3_600_000);
        assert_eq!(all.count, 2);
    }

    #[test]
    fn buckets_older_than_keep_are_dropped_on_rotation() {
        let mut window = LatencyWindow::new(1000, 10_000);
        for t in 0..100 {
            window.record(t * 1000, 1);
        }
        assert!(window.buckets.len() <= 12);
        assert_eq!(
            window.summary(99_000, 3_600_000).count,
            window.buckets.len() as u64
        );
    }

    #[test]
    fn empty_window_reports_zero_count() {
        let window = LatencyWindow::new(1000, 10_000);
        assert_eq!(window.summary(0, 1000), LatencySummary::default());
    }

    /// Every magnitude a wait or a job takes, from 1 ms to an hour, reads back within the
    /// histogram's 1 % precision: nothing is clamped to the first values recorded.
    #[test]
    fn timings_from_a_millisecond_to_an_hour_read_back() {
        let close = |got: u64, want: u64| (got as f64 - want as f64).abs() <= want as f64 * 0.01;
        for value in [1u64, 2, 255, 256, 800, 4_000, 60_000, 3_600_000] {
            let mut window = LatencyWindow::new(1000, 10_000);
            window.record(0, 1);
            for _ in 0..99 {
                window.record(0, value);
            }
            let s = window.summary(0, 1000);
            assert!(close(s.p50, value), "p50 {} for {value}", s.p50);
            assert!(close(s.p99, value), "p99 {} for {value}", s.p99);
            assert!(close(s.max, value), "max {} for {value}", s.max);
        }
        let mut histogram = new_histogram().expect("histogram");
        for value in [1u64, 1_000, 60_000, 3_600_000] {
            record_ms(&mut histogram, value);
        }
        assert!(close(histogram.max(), 3_600_000), "max {}", histogram.max());
        assert!(close(histogram.value_at_quantile(0.5), 1_000));
    }

    #[test]
    fn zero_and_huge_values_are_kept() {
        let mut window = LatencyWindow::new(1000, 10_000);
        window.record(0, 0);
        window.record(0, u64::MAX);
        let s = window.summary(0, 1000);
        assert_eq!(s.count, 2);
        assert!(s.max as f64 >= MAX_TRACKED_MS as f64 * 0.99);
    }
}
