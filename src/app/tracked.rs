//! One queue as the app remembers it, and what its quiet queues share.
//!
//! A queue whose reading has not changed since it was first seen (most of 10,000 idle
//! queues) keeps only that reading and when it was first seen: its chart is the quiet
//! book's series for that time with the queue's gauges, and its table history is replayed
//! from the recent report times. Both equal what recording it at every report would have
//! left (`app::tests_quiet` compares them with that). Its first changed reading gives it a
//! history and a series of its own, made from those. Each queue so costs its reading
//! instead of a kilobyte of history, and an idle report records no queue at all.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;

use super::rows::RowRates;
use crate::model::series::{Sample, Series, SeriesConfig, COARSE_SPAN_MS};
use crate::model::{EventTotals, JobTiming, QueueHistory, QueueReading};

pub(super) enum Tracked {
    Quiet(Quiet),
    Moving(Box<Moving>),
}

/// A queue whose reading has not changed since the report at `since`.
pub(super) struct Quiet {
    /// Shared with the table's row (not copied into it).
    latest: Arc<QueueReading>,
    since: i64,
    recorded_at: i64,
}

/// A queue with a history and a chart series of its own.
pub(super) struct Moving {
    history: QueueHistory,
    series: Series,
    recorded_at: i64,
}

impl Tracked {
    pub fn latest(&self) -> Option<&QueueReading> {
        self.latest_shared().map(|reading| &**reading)
    }

    /// The latest reading, to share (a table row holds it).
    pub fn latest_shared(&self) -> Option<&Arc<QueueReading>> {
        match self {
            Tracked::Quiet(quiet) => Some(&quiet.latest),
            Tracked::Moving(moving) => moving.history.latest_shared(),
        }
    }

    /// When its last reading was recorded (a report time).
    pub fn recorded_at(&self) -> i64 {
        match self {
            Tracked::Quiet(quiet) => quiet.recorded_at,
            Tracked::Moving(moving) => moving.recorded_at,
        }
    }

    pub fn history<'a>(&'a self, book: &QuietBook) -> Cow<'a, QueueHistory> {
        match self {
            Tracked::Quiet(quiet) => Cow::Owned(book.history(quiet)),
            Tracked::Moving(moving) => Cow::Borrowed(&moving.history),
        }
    }

    pub fn series<'a>(&'a self, book: &QuietBook) -> Cow<'a, Series> {
        match self {
            Tracked::Quiet(quiet) => Cow::Owned(book.series(quiet)),
            Tracked::Moving(moving) => Cow::Borrowed(&moving.series),
        }
    }

    /// The table's golden signals over `window_ms`; quiet queues of one shape share theirs
    /// through `shared` (one replay per shape and report, not per queue, and one copy).
    pub fn rates(
        &self,
        book: &QuietBook,
        now_ms: i64,
        window_ms: i64,
        shared: &mut HashMap<Shape, Arc<RowRates>>,
    ) -> Arc<RowRates> {
        match self {
            Tracked::Quiet(quiet) => {
                Arc::clone(shared.entry(book.shape(quiet)).or_insert_with(|| {
                    Arc::new(RowRates::of(&book.history(quiet).stats(now_ms, window_ms)))
                }))
            }
            Tracked::Moving(moving) => {
                Arc::new(RowRates::of(&moving.history.stats(now_ms, window_ms)))
            }
        }
    }

    pub fn mark_gap(&mut self) {
        // A quiet queue's gap is its book's.
        if let Tracked::Moving(moving) = self {
            moving.series.mark_gap();
        }
    }

    /// Record the queue's reading at report `t`: a quiet queue whose reading is unchanged
    /// only notes the time.
    pub fn record(&mut self, reading: QueueReading, t: i64, book: &mut QuietBook) {
        if let Tracked::Quiet(quiet) = self {
            if unchanged(&quiet.latest, &reading) {
                quiet.recorded_at = t;
                return;
            }
            let moving = Moving {
                history: book.history(quiet),
                series: book.series(quiet),
                recorded_at: quiet.recorded_at,
            };
            // Only now: its series may be the last to use the shared one.
            book.leave(quiet.since);
            *self = Tracked::Moving(Box::new(moving));
        }
        if let Tracked::Moving(moving) = self {
            moving.record(reading, t);
        }
    }

    /// Record the latest reading again at `t` (a report that left it out as unchanged).
    pub fn record_again(&mut self, t: i64) {
        match self {
            Tracked::Quiet(quiet) => quiet.recorded_at = t,
            Tracked::Moving(moving) => moving.record_again(t),
        }
    }

    /// It is forgotten: a quiet queue leaves its book.
    pub fn forget(&self, book: &mut QuietBook) {
        if let Tracked::Quiet(quiet) = self {
            book.leave(quiet.since);
        }
    }
}

impl Moving {
    fn record(&mut self, reading: QueueReading, t: i64) {
        self.series.record(sample(&reading, t));
        self.history.record_owned(reading, t);
        self.recorded_at = t;
    }

    /// The latest reading again (its timings were recorded with it, and dropped).
    fn record_again(&mut self, t: i64) {
        if let Some(latest) = self.history.latest() {
            self.series.record(sample(latest, t));
            self.history.record_latest_again(t);
            self.recorded_at = t;
        }
    }
}

fn sample(reading: &QueueReading, t: i64) -> Sample<'_> {
    let counts = reading.counts.unwrap_or_default();
    Sample {
        t_ms: t,
        backlog: counts.backlog(),
        active: counts.active_or_zero(),
        totals: reading.totals,
        timings: &reading.timings,
    }
}

/// A reading equal to the last, with no job finished since.
fn unchanged(latest: &QueueReading, reading: &QueueReading) -> bool {
    reading.timings.is_empty() && reading.finished_in_interval == 0 && reading == latest
}

/// What decides a quiet queue's table statistics: from which report its history counts,
/// and which of its counters exist. Quiet queues alike in these have equal statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) struct Shape {
    from: i64,
    totals: bool,
    dropped: bool,
    failed_uncounted: bool,
    limited: bool,
}

/// What quiet queues share: for each report that first recorded some, a chart series
/// recorded with a neutral reading at every report since, and the report times the
/// table's history window needs.
pub(super) struct QuietBook {
    templates: BTreeMap<i64, Template>,
    /// The newest report time at or before the table window's start, and all after it.
    times: VecDeque<i64>,
    config: SeriesConfig,
    latency_bucket_ms: i64,
    keep_ms: i64,
    /// Off: every queue keeps a history of its own (what the tests compare with).
    pub enabled: bool,
}

struct Template {
    series: Series,
    /// Quiet queues it stands for.
    queues: usize,
}

impl QuietBook {
    /// Histories keep counters for `keep_ms`, latency in buckets of `latency_bucket_ms`.
    pub fn new(config: SeriesConfig, latency_bucket_ms: i64, keep_ms: i64) -> Self {
        Self {
            templates: BTreeMap::new(),
            times: VecDeque::new(),
            config,
            latency_bucket_ms,
            keep_ms,
            enabled: true,
        }
    }

    /// A new queue's entry, first read at report `t`.
    pub fn track(&mut self, reading: QueueReading, t: i64) -> Tracked {
        if self.enabled && reading.timings.is_empty() && reading.finished_in_interval == 0 {
            self.templates
                .entry(t)
                .or_insert_with(|| Template {
                    series: Series::new(&self.config),
                    queues: 0,
                })
                .queues += 1;
            return Tracked::Quiet(Quiet {
                latest: Arc::new(reading),
                since: t,
                recorded_at: t,
            });
        }
        let mut moving = Moving {
            history: self.empty_history(),
            series: Series::new(&self.config),
            recorded_at: t,
        };
        moving.record(reading, t);
        Tracked::Moving(Box::new(moving))
    }

    /// After a report's queues are recorded: its time, and a neutral reading into every
    /// quiet series.
    pub fn record(&mut self, t: i64) {
        self.times.push_back(t);
        while self.times.len() >= 2 && self.times[1] <= t - self.keep_ms {
            self.times.pop_front();
        }
        let neutral = Sample {
            t_ms: t,
            backlog: 0,
            active: 0,
            totals: Some(EventTotals::default()),
            timings: &[] as &[JobTiming],
        };
        for template in self.templates.values_mut() {
            template.series.record(neutral);
        }
        self.merge_old(t);
    }

    /// Quiet series first recorded more than a chart's longest window ago all show the same
    /// buckets from now on: the newest of them stands for the others.
    fn merge_old(&mut self, t: i64) {
        let coarse_span = self.config.coarse_step_ms * self.config.coarse_len as i64;
        let span = COARSE_SPAN_MS
            .max(coarse_span)
            .max(self.config.fine_span_ms());
        let horizon = t - span - 4 * self.config.coarse_step_ms;
        let old: Vec<i64> = self.templates.range(..horizon).map(|(k, _)| *k).collect();
        if let Some((&newest, older)) = old.split_last() {
            let merged: usize = older
                .iter()
                .filter_map(|k| self.templates.remove(k))
                .map(|t| t.queues)
                .sum();
            if let Some(template) = self.templates.get_mut(&newest) {
                template.queues += merged;
            }
        }
    }

    pub fn mark_gap(&mut self) {
        for template in self.templates.values_mut() {
            template.series.mark_gap();
        }
    }

    /// The template standing for queues quiet since `since` (an older one may have been
    /// merged into a newer one).
    fn template(&self, since: i64) -> Option<(i64, &Template)> {
        self.templates.range(since..).next().map(|(k, t)| (*k, t))
    }

    fn leave(&mut self, since: i64) {
        let Some((key, _)) = self.template(since) else {
            return;
        };
        if let Some(template) = self.templates.get_mut(&key) {
            template.queues = template.queues.saturating_sub(1);
            if template.queues == 0 {
                self.templates.remove(&key);
            }
        }
    }

    fn empty_history(&self) -> QueueHistory {
        QueueHistory::new(self.latency_bucket_ms, self.keep_ms).with_counter_keep(self.keep_ms)
    }

    fn history(&self, quiet: &Quiet) -> QueueHistory {
        let mut history = self.empty_history();
        let since = quiet.since;
        history.record_at_each(
            quiet.latest.clone(),
            self.times.iter().copied().filter(|t| *t >= since),
        );
        history
    }

    fn series(&self, quiet: &Quiet) -> Series {
        let counts = quiet.latest.counts.unwrap_or_default();
        match self.template(quiet.since) {
            Some((_, template)) => template.series.with_gauges(
                counts.backlog(),
                counts.active_or_zero(),
                quiet.latest.totals,
            ),
            None => Series::new(&self.config),
        }
    }

    fn shape(&self, quiet: &Quiet) -> Shape {
        let reading = &quiet.latest;
        Shape {
            from: self
                .times
                .front()
                .map_or(quiet.since, |t| quiet.since.max(*t)),
            totals: reading.totals.is_some(),
            dropped: reading
                .totals
                .is_some_and(|t| t.deduplicated + t.debounced + t.duplicated > 0),
            failed_uncounted: reading.failed_uncounted,
            limited: reading.limits.rate_limited_ms.unwrap_or(0) > 0,
        }
    }

    /// Quiet series kept, for tests.
    #[cfg(test)]
    pub fn templates(&self) -> usize {
        self.templates.len()
    }
}
