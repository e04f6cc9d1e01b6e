//! One tier of a series: a ring of runs (a point repeated over consecutive buckets) of one
//! bucket size, evicted past the tier's length. Missing buckets are absent, never zeros.

use std::collections::VecDeque;

use super::bucket::{Acc, Delta};
use super::{Point, Sample};

#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Run {
    /// Bucket index (t / step) of the first bucket.
    start: i64,
    pub len: i64,
    point: Point,
}

#[derive(Clone, Debug)]
pub(super) struct Tier {
    pub step_ms: i64,
    len: i64,
    max_fill: i64,
    pub runs: VecDeque<Run>,
    open: Option<(i64, Acc)>,
    /// Set by an outage: the next close must not fill across it.
    pub broken: bool,
}

impl Tier {
    pub fn new(step_ms: i64, len: usize, max_fill: i64) -> Self {
        Self {
            step_ms: step_ms.max(1),
            len: len.max(1) as i64,
            max_fill,
            runs: VecDeque::new(),
            open: None,
            broken: false,
        }
    }

    pub fn push(&mut self, sample: &Sample, delta: Option<Delta>) {
        let bucket = sample.t_ms.div_euclid(self.step_ms);
        match &mut self.open {
            // Same bucket, or a clock step back: fold into the open bucket.
            Some((open, acc)) if bucket <= *open => acc.add(sample, delta),
            _ => {
                if let Some((open, acc)) = self.open.take() {
                    let missing = bucket - open - 1;
                    let fill = if self.broken || missing > self.max_fill {
                        0
                    } else {
                        missing
                    };
                    self.close(open, 1 + fill, acc.point());
                }
                self.broken = false;
                let mut acc = Acc::default();
                acc.add(sample, delta);
                self.open = Some((bucket, acc));
                self.evict(bucket);
            }
        }
    }

    fn close(&mut self, start: i64, len: i64, point: Point) {
        if let Some(last) = self.runs.back_mut() {
            if last.start + last.len == start && last.point == point {
                last.len += len;
                return;
            }
        }
        // Grow by doubling from one run (an idle queue has one or two) but never past the
        // tier's length: a full ring stays exact.
        if self.runs.len() == self.runs.capacity() {
            let room = (self.len as usize).saturating_sub(self.runs.len()).max(1);
            self.runs.reserve_exact(self.runs.len().clamp(1, room));
        }
        self.runs.push_back(Run { start, len, point });
    }

    fn evict(&mut self, newest: i64) {
        let oldest_kept = newest - self.len + 1;
        while let Some(first) = self.runs.front_mut() {
            if first.start + first.len <= oldest_kept {
                self.runs.pop_front();
            } else {
                if first.start < oldest_kept {
                    first.len -= oldest_kept - first.start;
                    first.start = oldest_kept;
                }
                break;
            }
        }
    }

    /// Buckets from `first` to `last` inclusive; `None` where nothing was recorded.
    pub fn points(&self, first: i64, last: i64) -> Vec<Option<Point>> {
        let count = (last - first + 1).clamp(0, 100_000) as usize;
        let mut out = vec![None; count];
        let mut put = |bucket: i64, point: Point| {
            if bucket >= first && bucket <= last {
                if let Some(slot) = out.get_mut((bucket - first) as usize) {
                    *slot = Some(point);
                }
            }
        };
        for run in &self.runs {
            if run.start + run.len <= first || run.start > last {
                continue;
            }
            for bucket in run.start.max(first)..(run.start + run.len).min(last + 1) {
                put(bucket, run.point);
            }
        }
        if let Some((bucket, acc)) = &self.open {
            put(*bucket, acc.point());
        }
        out
    }

    /// A copy with every bucket's gauges set, and its rates dropped unless `rates_known`
    /// (see `Series::with_gauges`).
    pub fn with_gauges(&self, backlog: u64, active: u64, rates_known: bool) -> Tier {
        let mut tier = self.clone();
        for run in &mut tier.runs {
            run.point.backlog = backlog as f32;
            run.point.active = active as f32;
            if !rates_known {
                run.point.added_per_s = None;
                run.point.completed_per_s = None;
                run.point.failed_per_s = None;
                run.point.error_rate = None;
            }
        }
        if let Some((_, acc)) = &mut tier.open {
            acc.set_gauges(backlog, active, rates_known);
        }
        tier
    }

    pub fn approx_bytes(&self) -> usize {
        let histograms = self.open.as_ref().map_or(0, |(_, acc)| {
            [&acc.wait, &acc.processing]
                .iter()
                .filter_map(|h| h.as_ref())
                .map(|h| h.distinct_values() * 4 + 128)
                .sum()
        });
        std::mem::size_of::<Self>() + self.runs.capacity() * std::mem::size_of::<Run>() + histograms
    }
}
