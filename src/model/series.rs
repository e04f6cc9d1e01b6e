//! Chart history of one queue in bounded memory.
//!
//! Two tiers of fixed-step buckets: a fine one for the recent minutes and a coarse one for
//! the hour. Each tier is a ring of *runs* (a point repeated over consecutive buckets), so
//! an idle queue, whose every bucket is the same, costs one run per tier however long it is
//! watched. Missing buckets (an outage, a queue that vanished) are simply absent: a query
//! returns `None` for them, never a zero.
//!
//! Pure: time is passed in.

use std::collections::VecDeque;

use hdrhistogram::Histogram;

use super::reading::{EventTotals, JobTiming};

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

/// Counter increases since the previous sample.
#[derive(Clone, Copy, Debug, Default)]
struct Delta {
    dt_ms: i64,
    added: u64,
    completed: u64,
    failed: u64,
}

#[derive(Debug, Default)]
struct Acc {
    backlog: u64,
    active: u64,
    rates: Option<Delta>,
    wait: Option<Histogram<u32>>,
    processing: Option<Histogram<u32>>,
}

fn record_into(slot: &mut Option<Histogram<u32>>, value_ms: u64) {
    if slot.is_none() {
        *slot = Histogram::new(2).ok().map(|mut h| {
            h.auto(true);
            h
        });
    }
    if let Some(histogram) = slot {
        histogram.saturating_record(value_ms.clamp(1, 86_400_000));
    }
}

fn percentiles(histogram: &Option<Histogram<u32>>) -> Option<Percentiles> {
    let h = histogram.as_ref().filter(|h| !h.is_empty())?;
    Some(Percentiles {
        p50: h.value_at_quantile(0.50) as f32,
        p90: h.value_at_quantile(0.90) as f32,
        p99: h.value_at_quantile(0.99) as f32,
    })
}

impl Acc {
    fn add(&mut self, sample: &Sample, delta: Option<Delta>) {
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

    fn point(&self) -> Point {
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

#[derive(Clone, Copy, Debug, PartialEq)]
struct Run {
    /// Bucket index (t / step) of the first bucket.
    start: i64,
    len: i64,
    point: Point,
}

#[derive(Debug)]
struct Tier {
    step_ms: i64,
    len: i64,
    max_fill: i64,
    runs: VecDeque<Run>,
    open: Option<(i64, Acc)>,
    /// Set by an outage: the next close must not fill across it.
    broken: bool,
}

impl Tier {
    fn new(step_ms: i64, len: usize, max_fill: i64) -> Self {
        Self {
            step_ms: step_ms.max(1),
            len: len.max(1) as i64,
            max_fill,
            runs: VecDeque::new(),
            open: None,
            broken: false,
        }
    }

    fn push(&mut self, sample: &Sample, delta: Option<Delta>) {
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
        // Grow by doubling but never past the tier's length: a full ring stays exact.
        if self.runs.len() == self.runs.capacity() {
            let room = (self.len as usize).saturating_sub(self.runs.len()).max(1);
            self.runs.reserve_exact(self.runs.len().clamp(4, room));
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
    fn points(&self, first: i64, last: i64) -> Vec<Option<Point>> {
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

    fn approx_bytes(&self) -> usize {
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

/// A window of buckets for a chart: `points[i]` covers `start_ms + i * step_ms`.
#[derive(Clone, Debug, PartialEq)]
pub struct Window {
    pub start_ms: i64,
    pub step_ms: i64,
    pub points: Vec<Option<Point>>,
}

#[derive(Debug)]
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

    /// Roughly the heap and inline bytes this series holds (for memory budgets and tests).
    pub fn approx_bytes(&self) -> usize {
        self.fine.approx_bytes() + self.coarse.approx_bytes()
    }
}

/// Rates and error rate as trailing means over up to `k` buckets, never across a gap:
/// per-second counts jitter with poll timing, and a chart of raw buckets is mostly noise.
/// The error rate is Σfailed / Σfinished over those buckets, not a mean of ratios.
pub fn smoothed(points: &[Option<Point>], k: usize) -> Vec<Option<Point>> {
    let k = k.max(1);
    let mut out = Vec::with_capacity(points.len());
    for (i, point) in points.iter().enumerate() {
        let Some(point) = point else {
            out.push(None);
            continue;
        };
        let recent: Vec<&Point> = points[..=i]
            .iter()
            .rev()
            .take(k)
            .map_while(Option::as_ref)
            .collect();
        let mean = |read: fn(&Point) -> Option<f32>| {
            let values: Vec<f32> = recent.iter().filter_map(|p| read(p)).collect();
            (!values.is_empty()).then(|| values.iter().sum::<f32>() / values.len() as f32)
        };
        let (failed, finished) = recent.iter().fold((0.0f32, 0.0f32), |(f, n), p| {
            match (p.failed_per_s, p.completed_per_s) {
                (Some(failed), Some(done)) => (f + failed, n + failed + done),
                _ => (f, n),
            }
        });
        out.push(Some(Point {
            added_per_s: mean(|p| p.added_per_s),
            completed_per_s: mean(|p| p.completed_per_s),
            failed_per_s: mean(|p| p.failed_per_s),
            error_rate: (finished > 0.0).then(|| failed / finished),
            ..*point
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> SeriesConfig {
        SeriesConfig::for_interval(1000)
    }

    fn sample(t_ms: i64, backlog: u64, added: u64, completed: u64, failed: u64) -> Sample<'static> {
        Sample {
            t_ms,
            backlog,
            active: 1,
            totals: Some(EventTotals {
                added,
                completed,
                failed,
                ..EventTotals::default()
            }),
            timings: &[],
        }
    }

    #[test]
    fn config_scales_with_the_interval() {
        let c = SeriesConfig::for_interval(1000);
        assert_eq!((c.fine_step_ms, c.fine_len), (1000, 300));
        assert_eq!((c.coarse_step_ms, c.coarse_len), (10_000, 360));
        let c = SeriesConfig::for_interval(200);
        assert_eq!(c.fine_step_ms, 1000);
        let c = SeriesConfig::for_interval(5000);
        assert_eq!((c.fine_step_ms, c.fine_len), (5000, 60));
        assert_eq!(c.coarse_step_ms, 20_000);
    }

    #[test]
    fn rates_come_from_counter_differences() {
        let mut s = Series::new(&config());
        s.record(sample(0, 5, 0, 0, 0));
        s.record(sample(1000, 6, 10, 8, 2));
        s.record(sample(2000, 7, 20, 16, 2));
        let w = s.window(2000, 3000);
        assert_eq!(w.step_ms, 1000);
        assert_eq!(w.start_ms, 0);
        let p: Vec<_> = w.points.iter().map(|p| p.map(|p| p.added_per_s)).collect();
        // The first reading has no rate: unknown, not zero.
        assert_eq!(p, vec![Some(None), Some(Some(10.0)), Some(Some(10.0))]);
        assert_eq!(w.points[1].and_then(|p| p.error_rate), Some(0.2));
        assert_eq!(w.points[2].and_then(|p| p.error_rate), Some(0.0));
    }

    #[test]
    fn outages_are_gaps_not_zeros() {
        let mut s = Series::new(&config());
        s.record(sample(0, 5, 0, 0, 0));
        s.record(sample(1000, 5, 1, 1, 0));
        s.mark_gap();
        s.record(sample(5000, 9, 50, 40, 0));
        s.record(sample(6000, 9, 52, 41, 0));
        let w = s.window(6000, 7000);
        let present: Vec<bool> = w.points.iter().map(Option::is_some).collect();
        assert_eq!(present, vec![true, true, false, false, false, true, true]);
        // No rate across the outage.
        assert_eq!(w.points[5].and_then(|p| p.added_per_s), None);
        assert_eq!(w.points[6].and_then(|p| p.added_per_s), Some(2.0));
    }

    #[test]
    fn a_long_silence_is_a_gap_and_jitter_is_filled() {
        let mut s = Series::new(&config());
        s.record(sample(0, 1, 0, 0, 0));
        // One bucket skipped by jitter: filled.
        s.record(sample(2100, 1, 0, 0, 0));
        // Ten seconds without a reading: a gap.
        s.record(sample(12_000, 1, 0, 0, 0));
        let w = s.window(12_000, 13_000);
        let present: Vec<bool> = w.points.iter().map(Option::is_some).collect();
        assert_eq!(&present[..4], &[true, true, true, false]);
        assert!(present[12]);
    }

    #[test]
    fn counter_resets_give_no_rate() {
        let mut s = Series::new(&config());
        s.record(sample(0, 0, 100, 100, 0));
        s.record(sample(1000, 0, 3, 3, 0));
        s.record(sample(2000, 0, 5, 5, 0));
        let w = s.window(2000, 3000);
        assert_eq!(w.points[1].and_then(|p| p.added_per_s), None);
        assert_eq!(w.points[2].and_then(|p| p.added_per_s), Some(2.0));
    }

    #[test]
    fn coarse_tier_serves_long_windows_with_max_gauges() {
        let mut s = Series::new(&config());
        for t in 0..120 {
            let backlog = if t == 33 { 500 } else { 10 };
            s.record(sample(t * 1000, backlog, t as u64 * 4, t as u64 * 4, 0));
        }
        let w = s.window(119_000, 3_600_000);
        assert_eq!(w.step_ms, 10_000);
        assert_eq!(w.points.len(), 360);
        let recent: Vec<Point> = w.points.iter().flatten().copied().collect();
        assert_eq!(recent.len(), 12);
        assert_eq!(recent[3].backlog, 500.0);
        assert_eq!(recent[5].added_per_s, Some(4.0));
    }

    #[test]
    fn latency_percentiles_per_bucket() {
        let timings: Vec<JobTiming> = (1..=100)
            .map(|ms| JobTiming {
                wait_ms: Some(ms),
                processing_ms: None,
            })
            .collect();
        let mut s = Series::new(&config());
        s.record(Sample {
            timings: &timings,
            ..sample(0, 0, 0, 0, 0)
        });
        let w = s.window(0, 1000);
        let p = w.points[0].and_then(|p| p.wait_ms).unwrap_or_default();
        assert!((49.0..=51.0).contains(&p.p50), "{p:?}");
        assert!((98.0..=100.0).contains(&p.p99), "{p:?}");
        assert_eq!(w.points[0].and_then(|p| p.processing_ms), None);
    }

    #[test]
    fn an_idle_queue_costs_one_run_per_tier() {
        let mut s = Series::new(&config());
        for t in 0..7200 {
            s.record(sample(t * 1000, 3, 7, 7, 0));
        }
        assert!(s.fine.runs.len() <= 2, "{}", s.fine.runs.len());
        assert!(s.coarse.runs.len() <= 2, "{}", s.coarse.runs.len());
        assert!(s.approx_bytes() < 2048, "{}", s.approx_bytes());
        // Evicted down to the tier's length.
        let kept: i64 = s.fine.runs.iter().map(|r| r.len).sum();
        assert!(kept <= 300, "{kept}");
    }

    #[test]
    fn a_busy_queue_stays_bounded() {
        let mut s = Series::new(&config());
        let timings = [JobTiming {
            wait_ms: Some(5),
            processing_ms: Some(40),
        }; 50];
        for t in 0..7200i64 {
            s.record(Sample {
                t_ms: t * 1000,
                backlog: (t % 97) as u64,
                active: (t % 7) as u64,
                totals: Some(EventTotals {
                    added: (t * t) as u64,
                    completed: (t * t) as u64,
                    failed: t as u64,
                    ..EventTotals::default()
                }),
                timings: &timings,
            });
        }
        assert!(s.fine.runs.len() <= 300);
        assert!(s.coarse.runs.len() <= 360);
        // 100 busy queues must fit comfortably in a 25 MB process.
        assert!(s.approx_bytes() < 80_000, "{}", s.approx_bytes());
    }

    #[test]
    fn smoothing_averages_within_segments_only() {
        let p = |added: f32, completed: f32, failed: f32| {
            Some(Point {
                added_per_s: Some(added),
                completed_per_s: Some(completed),
                failed_per_s: Some(failed),
                ..Point::default()
            })
        };
        let points = vec![p(10.0, 9.0, 1.0), p(20.0, 0.0, 0.0), None, p(4.0, 3.0, 1.0)];
        let s = smoothed(&points, 5);
        assert_eq!(s[0].and_then(|p| p.added_per_s), Some(10.0));
        assert_eq!(s[1].and_then(|p| p.added_per_s), Some(15.0));
        assert_eq!(s[1].and_then(|p| p.error_rate), Some(0.1));
        assert_eq!(s[2], None);
        // After the gap, nothing from before it.
        assert_eq!(s[3].and_then(|p| p.added_per_s), Some(4.0));
        assert_eq!(s[3].and_then(|p| p.error_rate), Some(0.25));
    }

    #[test]
    fn windows_before_any_data_are_all_gaps() {
        let s = Series::new(&config());
        let w = s.window(1_000_000, 60_000);
        assert_eq!(w.points.len(), 60);
        assert!(w.points.iter().all(Option::is_none));
    }
}
