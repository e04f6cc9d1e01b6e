//! What one poll of Redis found: the data side's output, consumed by `qtop snapshot`,
//! the dashboard and the advisor. Totals are cumulative so that a late or slow consumer
//! never distorts a rate.

use serde::Serialize;

use super::counts::QueueCounts;
use super::heartbeat::Heartbeat;
use super::workers::WorkerInfo;

/// Identity of a queue in a reading (prefix + name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct QueueKey {
    pub prefix: String,
    pub name: String,
}

/// Cumulative event totals since monitoring started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EventTotals {
    pub added: u64,
    pub completed: u64,
    /// Final failures only: jobs that entered the failed (dead-letter) set.
    pub failed: u64,
}

/// Where the rate totals of the last interval came from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RateSource {
    /// Counted exactly from the queue's events stream.
    #[default]
    Events,
    /// The stream was trimmed past qtop's last read: estimated from the job-id counter
    /// and count deltas for that interval.
    CountDeltas,
}

/// Timing of one finished job, in milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JobTiming {
    /// processedOn − timestamp.
    pub wait_ms: Option<u64>,
    /// finishedOn − processedOn.
    pub processing_ms: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueReading {
    pub key: QueueKey,
    /// `None` until the queue's keys could be read at least once.
    pub counts: Option<QueueCounts>,
    pub paused: bool,
    /// Creation time (ms since epoch) of the oldest job waiting to run.
    pub oldest_waiting_ts_ms: Option<i64>,
    /// Active jobs whose lock key is gone: a crashed worker's jobs.
    pub unlocked_active: u64,
    pub totals: EventTotals,
    pub rate_source: RateSource,
    /// Timings of jobs that finished since the previous reading (possibly a sample).
    pub timings: Vec<JobTiming>,
    /// Jobs that finished since the previous reading (≥ `timings.len()` when sampled).
    pub finished_in_interval: u64,
    /// The library that writes this queue, from its meta hash (`bullmq:6.7.0`, …).
    pub library: Option<String>,
    /// Unreadable data found under this queue's keys, in words.
    pub problems: Vec<String>,
    /// On a Redis Cluster: the master (`host:port`) that holds this queue.
    pub node: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PollStats {
    pub round_trips: u32,
    pub duration_ms: f64,
    /// Commands sent in this poll (events reads between polls included).
    pub commands: u64,
}

/// Worker connections as `CLIENT LIST` shows them, or why they could not be listed.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkersReading {
    Listed(Vec<WorkerInfo>),
    /// The ACL forbids `CLIENT LIST`.
    NotPermitted,
    Unavailable(String),
}

impl Default for WorkersReading {
    fn default() -> Self {
        Self::Listed(Vec::new())
    }
}

impl WorkersReading {
    pub fn listed(&self) -> &[WorkerInfo] {
        match self {
            Self::Listed(workers) => workers,
            _ => &[],
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
    pub workers: WorkersReading,
    /// Heartbeats of qtop's own workers, per queue (alive or recently stale).
    pub heartbeats: Vec<(QueueKey, Heartbeat)>,
    /// The cluster's nodes, when Redis is a cluster.
    pub cluster: Option<ClusterReading>,
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
