//! What one poll of Redis found: the data side's output, consumed by `qtop snapshot`,
//! the dashboard and the advisor. Totals are cumulative so that a late or slow consumer
//! never distorts a rate.

use compact_str::CompactString;
use serde::Serialize;

use super::counts::QueueCounts;
use super::heartbeat::Heartbeat;
use super::system::System;
use super::workers::WorkerInfo;

/// Identity of a queue in a reading: its system, the prefix (or namespace) its keys live
/// under, and its name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct QueueKey {
    pub system: System,
    pub prefix: CompactString,
    pub name: CompactString,
}

/// `bull:emails` for BullMQ (its prefix and name, as BullMQ's keys spell them); other
/// systems lead with their name: `sidekiq:default`, `sidekiq:myapp:default`.
impl std::fmt::Display for QueueKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.system, self.prefix.is_empty()) {
            (System::Bullmq, _) => write!(f, "{}:{}", self.prefix, self.name),
            (system, true) => write!(f, "{system}:{}", self.name),
            (system, false) => write!(f, "{system}:{}:{}", self.prefix, self.name),
        }
    }
}

impl QueueKey {
    pub fn new(
        system: System,
        prefix: impl Into<CompactString>,
        name: impl Into<CompactString>,
    ) -> Self {
        Self {
            system,
            prefix: prefix.into(),
            name: name.into(),
        }
    }

    /// A BullMQ queue.
    pub fn bullmq(prefix: impl Into<CompactString>, name: impl Into<CompactString>) -> Self {
        Self::new(System::Bullmq, prefix, name)
    }
}

/// Cumulative job totals since monitoring started (from events, or a system's counters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct EventTotals {
    pub added: u64,
    pub completed: u64,
    /// Final failures only: jobs that entered the failed (dead-letter) set.
    pub failed: u64,
    /// Adds the system dropped as duplicates of a job it keeps (BullMQ's deduplication
    /// and debounce: `deduplicated` events); not in `added`.
    pub deduplicated: u64,
    /// BullMQ ≤ 5's `debounced` events: the same adds as `deduplicated`, named again.
    pub debounced: u64,
    /// Adds of a job id that existed (BullMQ's `duplicated` events); not in `added`.
    pub duplicated: u64,
}

/// Where the rate totals of the last interval came from (`rates.source` in JSON).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateSource {
    /// Counted exactly from the queue's events stream (BullMQ).
    #[default]
    Events,
    /// The stream was trimmed past qtop's last read: estimated from the job-id counter
    /// and count deltas for that interval.
    CountDeltas,
    /// Exact, from counters the system keeps for this queue.
    Counters,
    /// Estimated from what the system shows (state changes between polls, workers'
    /// counters): close, not exact.
    Estimated,
    /// The system keeps no per-queue counters: rates are absent.
    Unavailable,
}

impl RateSource {
    /// Whether rates from this source are estimates (the screens say so).
    pub fn is_estimate(self) -> bool {
        matches!(self, RateSource::CountDeltas | RateSource::Estimated)
    }
}

/// A queue's own limits, where its system has them (BullMQ: `setGlobalConcurrency`,
/// `setGlobalRateLimit`, the limiter key). JSON: `global_concurrency`, `global_rate_limit`,
/// `rate_limited_ms`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct QueueLimits {
    /// At most this many jobs of the queue run at once, across all workers.
    pub global_concurrency: Option<u64>,
    /// At most `max` jobs start per `duration_ms`, across all workers.
    pub global_rate_limit: Option<RateLimit>,
    /// Time left on the rate limiter (0 when not limited); `None` where the system has none.
    pub rate_limited_ms: Option<u64>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct RateLimit {
    pub max: u64,
    pub duration_ms: u64,
}

impl RateLimit {
    pub fn per_s(&self) -> f64 {
        if self.duration_ms == 0 {
            return f64::INFINITY;
        }
        self.max as f64 * 1000.0 / self.duration_ms as f64
    }
}

/// Timing of one finished job, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JobTiming {
    /// processedOn − timestamp.
    pub wait_ms: Option<u64>,
    /// finishedOn − processedOn.
    pub processing_ms: Option<u64>,
}

/// `Hash` tells a reading that changed from one that did not (see
/// [`PollReport::unchanged_omitted`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueueReading {
    pub key: QueueKey,
    /// `None` until the queue's keys could be read at least once.
    pub counts: Option<QueueCounts>,
    /// `None` for a system without pausing.
    pub paused: Option<bool>,
    /// When (ms since epoch) the oldest job waiting to run became runnable.
    pub oldest_waiting_ts_ms: Option<i64>,
    /// `oldest_waiting_ts_ms` is only a lower bound of the age (the system stores no enqueue
    /// time; qtop dates the head from when it first saw it).
    pub oldest_is_lower_bound: bool,
    /// Active jobs whose lock key is gone: a crashed worker's jobs.
    pub unlocked_active: u64,
    /// `None`: the system keeps no per-queue totals (rates are absent, not zero).
    pub totals: Option<EventTotals>,
    pub rate_source: RateSource,
    /// `totals.failed` is not counted (Celery without task events: its workers' `processed`
    /// counters include failures): failure rates are absent, not 0.
    pub failed_uncounted: bool,
    /// Timings of jobs that finished since the previous reading (possibly a sample).
    pub timings: Vec<JobTiming>,
    /// Jobs that finished since the previous reading (≥ `timings.len()` when sampled).
    pub finished_in_interval: u64,
    /// The library that writes this queue, from its meta hash (`bullmq:6.7.0`, …).
    pub library: Option<CompactString>,
    /// Unreadable data found under this queue's keys, in words.
    pub problems: Vec<String>,
    /// On a Redis Cluster: the master (`host:port`) that holds this queue.
    pub node: Option<String>,
    pub limits: QueueLimits,
    /// Job schedulers / repeatable jobs, where the system has them.
    pub schedulers: Option<u64>,
}

impl QueueReading {
    /// Age in seconds of the oldest waiting job at `now_ms`; 0 when nothing waits; `None`
    /// when it cannot be known.
    pub fn oldest_waiting_age_s(&self, now_ms: i64) -> Option<f64> {
        let counts = self.counts?;
        if counts.ready() == 0 {
            return Some(0.0);
        }
        let ts = self.oldest_waiting_ts_ms?;
        Some(now_ms.saturating_sub(ts).max(0) as f64 / 1000.0)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PollStats {
    pub round_trips: u32,
    pub duration_ms: f64,
    /// Commands sent in this poll (events reads between polls included).
    pub commands: u64,
    /// Commands in its largest round trip (pipelines are bounded).
    pub largest_pipeline: u64,
}

/// Whether `CLIENT LIST` could be read (BullMQ's workers are its connections; systems with
/// heartbeats list theirs without it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ClientList {
    #[default]
    Listed,
    /// The ACL forbids `CLIENT LIST`.
    NotPermitted,
    Unavailable(String),
}

impl ClientList {
    /// `listed`, `not_permitted` or `unavailable` (the snapshot's `workers_status`).
    pub fn name(&self) -> &'static str {
        match self {
            ClientList::Listed => "listed",
            ClientList::NotPermitted => "not_permitted",
            ClientList::Unavailable(_) => "unavailable",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct PollReport {
    /// Wall-clock time of the reading, ms since the epoch.
    pub taken_at_ms: i64,
    pub redis_version: String,
    pub poll: PollStats,
    pub queues: Vec<QueueReading>,
    /// Every system's workers.
    pub workers: Vec<WorkerInfo>,
    /// Whether CLIENT LIST was read: when not, BullMQ's workers are unknown.
    pub client_list: ClientList,
    /// Heartbeats of qtop's own workers, per queue (alive or recently stale).
    pub heartbeats: Vec<(QueueKey, Heartbeat)>,
    /// The cluster's nodes, when Redis is a cluster.
    pub cluster: Option<ClusterReading>,
    /// The BullMQ reader left out of `queues` every reading equal to the one it sent in the
    /// previous report, as asked ([`crate::source::PollerConfig::omit_unchanged`]: the
    /// dashboard, where 10,000 idle queues were 4.6 MB of identical readings a poll). A
    /// BullMQ queue missing from `queues` is then unchanged, not gone: the queues it
    /// dropped since the previous report are in `gone`.
    pub unchanged_omitted: bool,
    /// BullMQ queues dropped since the previous report (their keys are gone), when
    /// `unchanged_omitted`.
    pub gone: Vec<QueueKey>,
}

/// A Redis Cluster as qtop last saw it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClusterReading {
    pub nodes: Vec<ClusterNodeReading>,
    /// Slots no reachable master serves (0 on a healthy cluster).
    pub uncovered_slots: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClusterNodeReading {
    /// `host:port`.
    pub addr: String,
    /// `master` or `replica`.
    pub role: String,
    pub up: bool,
    /// Slots served (masters).
    pub slots: usize,
    /// For a replica: its master's address, when known.
    pub replica_of: Option<String>,
}

impl ClusterReading {
    pub fn masters(&self) -> impl Iterator<Item = &ClusterNodeReading> {
        self.nodes.iter().filter(|n| n.role == "master")
    }
}
