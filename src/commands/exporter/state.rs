//! The exporter's state, fed by the poller's events: monotonic counters and histograms per
//! queue, the histories behind `/api/snapshot` and the advisor, and the health of the last
//! poll. Each event publishes a new [`Published`] for scrapes to encode.

use std::collections::BTreeMap;

use super::counters::QueueCounters;
use super::published::{JobState, Published, QueueGauges, QueueSeries, WorkerBusy};
use crate::commands::advise::{inputs_for, listed_for};
use crate::model::advisor::workers_for;
use crate::model::capacity::advise;
use crate::model::snapshot::{snapshot_doc, SnapshotDoc};
use crate::model::{ClientList, PollReport, QueueCounts, QueueHistory, QueueKey, State, System};
use crate::source::SourceEvent;

/// The queue system a queue belongs to, for the `system` label.
pub fn system_of(key: &QueueKey) -> &'static str {
    key.system.name()
}

/// The states `counts` has (those its system keeps), each under qtop's name and, for a
/// BullMQ queue, BullMQ's (`waiting-children` with a hyphen, as `exportPrometheusMetrics`).
pub fn job_states(system: System, counts: &QueueCounts) -> Vec<JobState> {
    system
        .states()
        .iter()
        .filter_map(|&state| {
            let count = counts.get(state)?;
            let bullmq_state = (system == System::Bullmq).then_some(match state {
                State::WaitingChildren => "waiting-children",
                other => other.name(),
            });
            Some(JobState {
                state: state.name(),
                bullmq_state,
                count,
            })
        })
        .collect()
}

/// Counters of a queue the poller stopped reporting are kept this long, so a queue that
/// comes back (its keys re-created after a Redis restart lost them) counts on from where
/// it was instead of starting again.
const RETIRED_KEEP_MS: i64 = 3_600_000;
/// Latency buckets of the histories (the advisor's and `/api/snapshot`'s window).
const LATENCY_BUCKET_MS: i64 = 5_000;

/// Whether the last poll succeeded, and if not, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Health {
    /// No poll yet.
    Starting(String),
    Up,
    Down(String),
}

pub struct ExporterState {
    window_ms: i64,
    target_wait_ms: f64,
    counters: BTreeMap<QueueKey, QueueCounters>,
    /// Counters of queues no longer reported, with when they left.
    retired: BTreeMap<QueueKey, (QueueCounters, i64)>,
    histories: BTreeMap<QueueKey, QueueHistory>,
    last_report: Option<PollReport>,
    first_report_ms: Option<i64>,
    pub health: Health,
    seq: u64,
}

impl ExporterState {
    pub fn new(window_ms: i64, target_wait_ms: f64) -> Self {
        Self {
            window_ms: window_ms.max(1),
            target_wait_ms,
            counters: BTreeMap::new(),
            retired: BTreeMap::new(),
            histories: BTreeMap::new(),
            last_report: None,
            first_report_ms: None,
            health: Health::Starting("no poll of Redis yet".to_string()),
            seq: 0,
        }
    }

    /// Take in one of the poller's events; true when what is published changed.
    pub fn apply(&mut self, event: SourceEvent) -> bool {
        match event {
            SourceEvent::Report(report) => self.on_report(*report),
            SourceEvent::Disconnected { error, retry_in } => {
                self.health = Health::Down(format!(
                    "{error} (next attempt in {:.1} s)",
                    retry_in.as_secs_f64()
                ));
            }
            SourceEvent::Connecting { .. } | SourceEvent::Connected { .. } => return false,
        }
        self.seq += 1;
        true
    }

    fn on_report(&mut self, mut report: PollReport) {
        let now = report.taken_at_ms;
        self.first_report_ms.get_or_insert(now);
        let keep = self.window_ms + LATENCY_BUCKET_MS;
        for reading in &mut report.queues {
            let counters = self.counters.entry(reading.key.clone()).or_insert_with(|| {
                match self.retired.remove(&reading.key) {
                    Some((counters, _)) => counters,
                    None => QueueCounters::new(now as f64 / 1000.0),
                }
            });
            counters.absorb(reading.totals, &reading.timings);
            self.histories
                .entry(reading.key.clone())
                .or_insert_with(|| {
                    QueueHistory::new(LATENCY_BUCKET_MS, keep).with_counter_keep(keep)
                })
                .record(reading, now);
            // Counted and recorded: the kept report does not need them.
            reading.timings = Vec::new();
        }
        // Queues the poller no longer reports: it forgot them (their keys are gone).
        if self.counters.len() != report.queues.len() {
            let reported: std::collections::BTreeSet<&QueueKey> =
                report.queues.iter().map(|r| &r.key).collect();
            let gone: Vec<QueueKey> = self
                .counters
                .keys()
                .filter(|k| !reported.contains(k))
                .cloned()
                .collect();
            for key in gone {
                if let Some(mut counters) = self.counters.remove(&key) {
                    counters.forget_poller_totals();
                    self.retired.insert(key.clone(), (counters, now));
                }
                self.histories.remove(&key);
            }
        }
        self.retired
            .retain(|_, (_, left_ms)| now.saturating_sub(*left_ms) <= RETIRED_KEEP_MS);
        self.health = Health::Up;
        self.last_report = Some(report);
    }

    /// The window rates and latencies are measured over: the configured one, or less while
    /// the exporter has not been running that long.
    fn effective_window_ms(&self, now_ms: i64) -> i64 {
        let running = self.first_report_ms.map_or(0, |first| now_ms - first);
        self.window_ms.min(running).max(1)
    }

    /// What a scrape serves now.
    pub fn publish(&self) -> Published {
        let redis_up = self.health == Health::Up;
        let report = self.last_report.as_ref().filter(|_| redis_up);
        let queues = self
            .counters
            .iter()
            .map(|(key, counters)| QueueSeries {
                system: system_of(key),
                prefix: key.prefix.to_string(),
                queue: key.name.to_string(),
                counters: counters.clone(),
                gauges: report.map(|report| self.gauges(report, key)),
            })
            .collect();
        Published {
            seq: self.seq,
            redis_up,
            poll_duration_s: report.map(|r| r.poll.duration_ms / 1000.0),
            queues,
            busy_workers: report.map(busy_workers).unwrap_or_default(),
        }
    }

    fn gauges(&self, report: &PollReport, key: &QueueKey) -> QueueGauges {
        let now = report.taken_at_ms;
        let Some(history) = self.histories.get(key) else {
            return QueueGauges::default();
        };
        let counts = history.counts();
        let known =
            !key.system.workers_from_client_list() || report.client_list == ClientList::Listed;
        let workers = known.then(|| listed_for(report, key));
        let window = self.effective_window_ms(now);
        let inputs = inputs_for(report, key, history, now, window, self.target_wait_ms);
        let advice = advise(&inputs);
        let listed = listed_for(report, key);
        QueueGauges {
            jobs: counts
                .as_ref()
                .map(|c| job_states(key.system, c))
                .unwrap_or_default(),
            oldest_waiting_age_s: history.oldest_waiting_age_s(now),
            workers,
            paused: counts.and(history.latest()).and_then(|r| r.paused),
            recommended_workers: advice
                .recommended_capacity
                .map(|slots| workers_for(slots, advice.capacity, listed)),
        }
    }

    /// `qtop snapshot --json`'s document of the last poll; `None` unless it succeeded.
    pub fn snapshot(&self) -> Option<SnapshotDoc> {
        let report = self
            .last_report
            .as_ref()
            .filter(|_| self.health == Health::Up)?;
        let window = self.effective_window_ms(report.taken_at_ms);
        Some(snapshot_doc(report, &self.histories, window))
    }
}

/// Jobs in progress per worker, from the live heartbeats of workers that write one.
fn busy_workers(report: &PollReport) -> Vec<WorkerBusy> {
    let now = report.taken_at_ms;
    // One series per (system, worker name): the freshest beat wins.
    let mut by_name: BTreeMap<(&'static str, &str), (i64, u64)> = BTreeMap::new();
    for (key, beat) in &report.heartbeats {
        if beat.is_stale(now) || beat.worker.is_empty() {
            continue;
        }
        let entry = by_name
            .entry((system_of(key), beat.worker.as_str()))
            .or_insert((i64::MIN, 0));
        if beat.last_beat_ms >= entry.0 {
            *entry = (beat.last_beat_ms, beat.current.len() as u64);
        }
    }
    by_name
        .into_iter()
        .map(|((system, name), (_, busy))| WorkerBusy {
            system,
            name: name.to_string(),
            busy,
        })
        .collect()
}
