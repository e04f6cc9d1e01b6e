//! Chart history of one queue in bounded memory.
//!
//! Two tiers of fixed-step buckets: a fine one for the recent minutes and a coarse one for
//! the hour. Each tier is a ring of *runs* (a point repeated over consecutive buckets), so
//! an idle queue, whose every bucket is the same, costs one run per tier however long it is
//! watched. Missing buckets (an outage, a queue that vanished) are simply absent: a query
//! returns `None` for them, never a zero.
//!
//! Pure: time is passed in. How a chart shows these buckets (smoothing, one point per
//! column) is the view's business: `app::chart_data`.

mod bucket;
#[cfg(test)]
mod tests;
mod tier;

use super::reading::{EventTotals, JobTiming};
use bucket::Delta;
use tier::Tier;

/// Bucket sizes and lengths of the two tiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeriesConfig {
    pub fine_step_ms: i64,
    pub fine_len: usize,
    pub coarse_step_ms: i64,
    pub coarse_len: usize,
    /// Up to this many empty buckets between two readings are filled with the earlier
    /// point (poll jitter); a longer hole is a gap.
    pub max_fill: i64,
}

/// The recent minutes at fine resolution.
const FINE_SPAN_MS: i64 = 5 * 60_000;
/// The longest zoomable window.
pub const COARSE_SPAN_MS: i64 = 60 * 60_000;

impl SeriesConfig {
    /// Fine buckets as long as the poll interval (at least 1 s) over five minutes, coarse
    /// buckets of at least 10 s over the hour.
    pub fn for_interval(interval_ms: i64) -> Self {
        let fine_step_ms = interval_ms.max(1000);
        let coarse_step_ms = (fine_step_ms * 4).max(10_000);
        Self {
            fine_step_ms,
            fine_len: (FINE_SPAN_MS / fine_step_ms).max(60) as usize,
            coarse_step_ms,
            coarse_len: (COARSE_SPAN_MS / coarse_step_ms).max(60) as usize,
            max_fill: 2,
        }
    }

    /// The longest window the fine tier covers.
    pub fn fine_span_ms(&self) -> i64 {
        self.fine_step_ms * self.fine_len as i64
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    pub p50: f32,
    pub p90: f32,
    pub p99: f32,
}

/// What one bucket says about a queue. Gauges are the highest seen in the bucket, so a
/// zoomed-out chart still shows short spikes; rates are means over the bucket.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Point {
    pub backlog: f32,
    pub active: f32,
    /// `None` when no rate is known (first reading, after a gap, a counter reset).
    pub added_per_s: Option<f32>,
    pub completed_per_s: Option<f32>,
    pub failed_per_s: Option<f32>,
    /// failed / (completed + failed); `None` when nothing finished.
    pub error_rate: Option<f32>,
    pub wait_ms: Option<Percentiles>,
    pub processing_ms: Option<Percentiles>,
}

/// One reading of a queue (or of all queues summed), as the series needs it.
#[derive(Clone, Copy, Debug)]
pub struct Sample<'a> {
    pub t_ms: i64,
    pub backlog: u64,
    pub active: u64,
    /// Cumulative totals: the series takes differences itself. `None`: the system keeps no
    /// counters for this queue (no rates, never zeros).
    pub totals: Option<EventTotals>,
    pub timings: &'a [JobTiming],
}

/// A window of buckets for a chart: `points[i]` covers `start_ms + i * step_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub start_ms: i64,
    pub step_ms: i64,
    pub points: Vec<Option<Point>>,
}

#[derive(Clone, Debug)]
pub struct Series {
    fine: Tier,
    coarse: Tier,
    fine_span_ms: i64,
    last: Option<(i64, EventTotals)>,
}

impl Series {
    pub fn new(config: &SeriesConfig) -> Self {
        Self {
            fine: Tier::new(config.fine_step_ms, config.fine_len, config.max_fill),
            coarse: Tier::new(config.coarse_step_ms, config.coarse_len, config.max_fill),
            fine_span_ms: config.fine_span_ms(),
            last: None,
        }
    }

    pub fn record(&mut self, sample: Sample) {
        let delta = match (self.last, sample.totals) {
            (Some((t, prev)), Some(now)) if sample.t_ms > t => {
                // A counter that went down was reset: no rate across it.
                let reset = now.added < prev.added
                    || now.completed < prev.completed
                    || now.failed < prev.failed;
                (!reset).then(|| Delta {
                    dt_ms: sample.t_ms - t,
                    added: now.added - prev.added,
                    completed: now.completed - prev.completed,
                    failed: now.failed - prev.failed,
                })
            }
            _ => None,
        };
        if let Some(totals) = sample.totals {
            if self.last.is_none_or(|(t, _)| sample.t_ms >= t) {
                self.last = Some((sample.t_ms, totals));
            }
        }
        self.fine.push(&sample, delta);
        self.coarse.push(&sample, delta);
    }

    /// An outage: the next sample starts a new segment (no fill, no rate across the hole).
    pub fn mark_gap(&mut self) {
        self.last = None;
        self.fine.broken = true;
        self.coarse.broken = true;
    }

    /// The buckets of the `window_ms` ending at `now_ms`, from the finest tier that covers it.
    pub fn window(&self, now_ms: i64, window_ms: i64) -> Window {
        let tier = if window_ms <= self.fine_span_ms {
            &self.fine
        } else {
            &self.coarse
        };
        let last = now_ms.div_euclid(tier.step_ms);
        let first = last - (window_ms / tier.step_ms).max(1) + 1;
        Window {
            start_ms: first * tier.step_ms,
            step_ms: tier.step_ms,
            points: tier.points(first, last),
        }
    }

    /// This series with every bucket's gauges set to `backlog` and `active`, and its rates
    /// unknown where `totals` is `None`: what recording, at the same times, a queue whose
    /// reading never changed would have left, when this series recorded a neutral one
    /// (gauges 0, totals 0, no timings). Quiet queues share one series so (`app::tracked`).
    pub fn with_gauges(&self, backlog: u64, active: u64, totals: Option<EventTotals>) -> Series {
        let rates_known = totals.is_some();
        Series {
            fine: self.fine.with_gauges(backlog, active, rates_known),
            coarse: self.coarse.with_gauges(backlog, active, rates_known),
            fine_span_ms: self.fine_span_ms,
            last: self.last.zip(totals).map(|((t, _), totals)| (t, totals)),
        }
    }

    /// Roughly the heap and inline bytes this series holds (for memory budgets and tests).
    pub fn approx_bytes(&self) -> usize {
        self.fine.approx_bytes() + self.coarse.approx_bytes()
    }
}
