//! One bucket of a series being filled: the highest gauges, the counter increases (for
//! rates) and the latency histograms of the jobs that finished in it.
//!
//! The histograms are here alone so that changing how chart latencies are recorded is a
//! change to this file only.

use hdrhistogram::Histogram;

use super::{Percentiles, Point, Sample};
use crate::model::latency;

/// Counter increases since the previous sample.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Delta {
    pub dt_ms: i64,
    pub added: u64,
    pub completed: u64,
    pub failed: u64,
}

#[derive(Clone, Debug, Default)]
pub(super) struct Acc {
    backlog: u64,
    active: u64,
    rates: Option<Delta>,
    /// Boxed: most buckets of most queues record no timing, and a histogram is 96 bytes.
    pub wait: Option<Box<Histogram<u32>>>,
    pub processing: Option<Box<Histogram<u32>>>,
}

/// Chart histograms are made and filled as the table's are (`model::latency`), so a chart
/// and the table read the same percentiles.
fn record_into(slot: &mut Option<Box<Histogram<u32>>>, value_ms: u64) {
    if slot.is_none() {
        *slot = latency::new_histogram().map(Box::new);
    }
    if let Some(histogram) = slot {
        latency::record_ms(histogram, value_ms);
    }
}

fn percentiles(histogram: &Option<Box<Histogram<u32>>>) -> Option<Percentiles> {
    let h = histogram.as_ref().filter(|h| !h.is_empty())?;
    Some(Percentiles {
        p50: h.value_at_quantile(0.50) as f32,
        p90: h.value_at_quantile(0.90) as f32,
        p99: h.value_at_quantile(0.99) as f32,
    })
}

impl Acc {
    pub fn add(&mut self, sample: &Sample, delta: Option<Delta>) {
        self.backlog = self.backlog.max(sample.backlog);
        self.active = self.active.max(sample.active);
        if let Some(d) = delta {
            let r = self.rates.get_or_insert_with(Delta::default);
            r.dt_ms += d.dt_ms;
            r.added += d.added;
            r.completed += d.completed;
            r.failed += d.failed;
        }
        for timing in sample.timings {
            if let Some(ms) = timing.wait_ms {
                record_into(&mut self.wait, ms);
            }
            if let Some(ms) = timing.processing_ms {
                record_into(&mut self.processing, ms);
            }
        }
    }

    /// Gauges as if every sample had these, and no rates unless `rates_known`.
    pub fn set_gauges(&mut self, backlog: u64, active: u64, rates_known: bool) {
        self.backlog = backlog;
        self.active = active;
        if !rates_known {
            self.rates = None;
        }
    }

    pub fn point(&self) -> Point {
        let rate = |n: u64, d: &Delta| (d.dt_ms > 0).then(|| n as f32 * 1000.0 / d.dt_ms as f32);
        let finished = self.rates.map(|d| d.completed + d.failed).unwrap_or(0);
        Point {
            backlog: self.backlog as f32,
            active: self.active as f32,
            added_per_s: self.rates.as_ref().and_then(|d| rate(d.added, d)),
            completed_per_s: self.rates.as_ref().and_then(|d| rate(d.completed, d)),
            failed_per_s: self.rates.as_ref().and_then(|d| rate(d.failed, d)),
            error_rate: self
                .rates
                .filter(|_| finished > 0)
                .map(|d| d.failed as f32 / finished as f32),
            wait_ms: percentiles(&self.wait),
            processing_ms: percentiles(&self.processing),
        }
    }
}
