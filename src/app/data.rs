//! Poller events: `update`'s half for data. Statistics are computed here once per report,
//! never per frame.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::rows::{self, QueueRow, RATE_WINDOW_MS};
use super::tracked::Tracked;
use super::workers::WorkersView;
use super::{App, Connection, Effect, View};
use crate::model::series::Sample;
use crate::model::{EventTotals, JobTiming, PollReport, QueueKey, QueueReading, System};
use crate::source::SourceEvent;

/// Readings taken from a report between two returns of its emptied room.
const GIVE_BACK_EVERY: usize = 1024;

impl App {
    pub(super) fn on_source(&mut self, event: SourceEvent) -> Vec<Effect> {
        match event {
            SourceEvent::Connecting { attempt } => {
                // Keep the disconnected banner (with its error) while retrying.
                if !matches!(self.connection, Connection::Disconnected { .. }) {
                    self.connection = Connection::Connecting { attempt };
                }
            }
            SourceEvent::Connected { redis_version } => {
                self.connection = Connection::Connected;
                self.redis_version = Some(redis_version);
            }
            SourceEvent::Report(report) => {
                let taken_at_ms = report.taken_at_ms;
                self.on_report(*report);
                return self.autoscale(taken_at_ms);
            }
            SourceEvent::Disconnected { error, retry_in } => {
                self.connection = Connection::Disconnected {
                    error,
                    retry_at_ms: self.now_ms + retry_in.as_millis() as i64,
                };
                for tracked in self.tracked.values_mut() {
                    tracked.mark_gap();
                }
                self.quiet.mark_gap();
                self.total.mark_gap();
            }
        }
        Vec::new()
    }

    /// Takes the report: its readings become the queues' latest without a copy. A BullMQ
    /// queue the report leaves out as unchanged is recorded again from its latest reading.
    fn on_report(&mut self, mut report: PollReport) {
        let t = report.taken_at_ms;
        self.connection = Connection::Connected;
        if !report.redis_version.is_empty() {
            self.redis_version = Some(report.redis_version.clone());
        }
        self.last_poll = Some(report.poll.clone());
        self.cluster = report.cluster.clone();
        self.has_data = true;
        self.forget_gone(&report);
        let mut all = AllQueues::default();
        // New queues join the map together, built from a sorted list: inserted one by one
        // in order (as reports list them), 10,000 keys left every node half empty (1.5 MB
        // where full nodes are 0.9 MB).
        let mut new = Vec::with_capacity(report.queues.len().saturating_sub(self.tracked.len()));
        // Taken from the end, the report's room is given back as it empties: a first
        // report of 10,000 readings is 4.6 MB, beside the records they become.
        let mut readings = std::mem::take(&mut report.queues);
        while let Some(reading) = readings.pop() {
            if readings.len().is_multiple_of(GIVE_BACK_EVERY) {
                readings.shrink_to_fit();
            }
            all.add(&reading);
            match self.tracked.get_mut(&reading.key) {
                Some(tracked) => tracked.record(reading, t, &mut self.quiet),
                None => {
                    let key = reading.key.clone();
                    new.push((key, self.quiet.track(reading, t)));
                }
            }
        }
        if !new.is_empty() {
            let mut new: BTreeMap<QueueKey, Tracked> = new.into_iter().collect();
            self.tracked.append(&mut new);
        }
        if report.unchanged_omitted {
            for tracked in self.tracked.values_mut() {
                if tracked.recorded_at() != t {
                    tracked.record_again(t);
                    if let Some(reading) = tracked.latest() {
                        all.add(reading);
                    }
                }
            }
        }
        self.quiet.record(t);
        self.total.record(Sample {
            t_ms: t,
            backlog: all.backlog,
            active: all.active,
            totals: all.totals,
            timings: &all.timings,
        });
        // Whether a worker is moving reads its queue's latest reading (a queue left out as
        // unchanged is as it was).
        let latest: Vec<&QueueReading> = self.tracked.values().filter_map(|t| t.latest()).collect();
        self.latest_workers = WorkersView::next_with(&self.latest_workers, &report, &latest);
        self.heartbeats.clone_from(&report.heartbeats);
        self.latest_taken_at_ms = t;
        if self.frozen_at_ms.is_none() {
            self.rebuild_view();
        }
    }

    /// Queues the poller no longer reports are gone (obliterated): forget them. When it
    /// leaves unchanged BullMQ readings out, a BullMQ queue not in the report is unchanged,
    /// and those gone are listed.
    fn forget_gone(&mut self, report: &PollReport) {
        let omitted = report.unchanged_omitted;
        if !omitted && self.tracked.len() == report.queues.len() {
            return;
        }
        let present: BTreeSet<&QueueKey> = report.queues.iter().map(|r| &r.key).collect();
        let gone: BTreeSet<&QueueKey> = report.gone.iter().collect();
        let quiet = &mut self.quiet;
        self.tracked.retain(|k, tracked| {
            let kept =
                present.contains(k) || (omitted && k.system == System::Bullmq && !gone.contains(k));
            if !kept {
                tracked.forget(quiet);
            }
            kept
        });
    }

    pub(super) fn rate_window_ms(&self) -> i64 {
        rate_window_ms(self.interval)
    }

    /// Recompute the table and workers from the latest data (once per report, not per frame).
    pub(super) fn rebuild_view(&mut self) {
        let now = self.latest_taken_at_ms;
        let window = self.rate_window_ms();
        // The previous rows' room is reused, sized once: 10,000 rows are 4 MB, and a
        // collected Vec grows by doubling beside the view it replaces.
        let mut rows = std::mem::take(&mut self.view.rows);
        rows.clear();
        rows.reserve_exact(self.tracked.len());
        // Quiet queues alike share their statistics: one replay per shape, not per queue.
        let mut shared = HashMap::new();
        rows.extend(self.tracked.iter().filter_map(|(key, t)| {
            let reading = t.latest_shared()?;
            let rates = t.rates(&self.quiet, now, window, &mut shared);
            let workers = self.latest_workers.count_for(key);
            let mut row = QueueRow::build(reading, rates, now, workers);
            row.resting_workers = self.latest_workers.resting_for(key);
            Some(row)
        }));
        rows.shrink_to(self.tracked.len() + self.tracked.len() / 8);
        self.view = View {
            rows,
            workers: self.latest_workers.clone(),
            taken_at_ms: now,
        };
        self.refilter();
    }

    /// Re-apply filter and sort; keep the selection on the same queue when it is still
    /// shown, else move it to the first row.
    pub(super) fn refilter(&mut self) {
        self.visible = rows::visible(&self.view.rows, &self.filter, self.sort);
        let preferred_shown = self.preferred.as_ref().is_some_and(|p| {
            self.visible
                .iter()
                .any(|&i| self.view.rows.get(i).is_some_and(|r| r.key() == p))
        });
        if preferred_shown {
            // Once: from now on the user's selection is kept.
            self.selected = self.preferred.take();
        }
        if self.selected_index().is_none() {
            self.selected = self
                .visible
                .first()
                .and_then(|&i| self.view.rows.get(i))
                .map(|r| r.key().clone());
        }
        self.keep_selection_visible();
    }
}

/// The table's window for rates and p99 at a poll `interval`.
pub(super) fn rate_window_ms(interval: std::time::Duration) -> i64 {
    RATE_WINDOW_MS.max(3 * interval.as_millis() as i64)
}

/// The all-queues sample, summed over the queues' readings.
#[derive(Default)]
struct AllQueues {
    backlog: u64,
    active: u64,
    /// The all-queues rates sum the queues that keep totals.
    totals: Option<EventTotals>,
    timings: Vec<JobTiming>,
}

impl AllQueues {
    fn add(&mut self, reading: &QueueReading) {
        let counts = reading.counts.unwrap_or_default();
        self.backlog += counts.backlog();
        self.active += counts.active_or_zero();
        if let Some(totals) = reading.totals {
            let sum = self.totals.get_or_insert_with(Default::default);
            sum.added += totals.added;
            sum.completed += totals.completed;
            sum.failed += totals.failed;
        }
        self.timings.extend_from_slice(&reading.timings);
    }
}
