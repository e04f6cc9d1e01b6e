//! The `qtop snapshot --json` document. Field names are a contract that users' scripts
//! depend on: add fields freely, never rename one.

use std::collections::BTreeMap;

use serde::Serialize;

use super::counts::QueueCounts;
use super::history::QueueHistory;
use super::latency::LatencySummary;
use super::reading::{ClusterReading, PollReport, QueueKey, RateSource, WorkersReading};
use super::workers::WorkerInfo;

#[derive(Debug, Serialize)]
pub struct SnapshotDoc {
    pub taken_at: String,
    pub redis: RedisDoc,
    pub poll: PollDoc,
    pub window_s: f64,
    pub queues: Vec<QueueDoc>,
    pub workers: Vec<WorkerInfo>,
    /// `listed`, `not_permitted` (the ACL forbids CLIENT LIST) or `unavailable`.
    pub workers_status: &'static str,
}

#[derive(Debug, Serialize)]
pub struct RedisDoc {
    pub version: String,
    /// Present when Redis is a cluster: its nodes, which are up, what each serves.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterReading>,
}

#[derive(Debug, Serialize)]
pub struct PollDoc {
    pub round_trips: u32,
    pub duration_ms: f64,
    pub commands: u64,
}

#[derive(Debug, Serialize)]
pub struct QueueDoc {
    pub prefix: String,
    pub name: String,
    pub paused: bool,
    pub counts: QueueCounts,
    pub oldest_waiting_age_s: f64,
    pub unlocked_active: u64,
    pub rates: RatesDoc,
    pub latency_ms: LatencyDoc,
    pub workers: usize,
    pub library: Option<String>,
    pub problems: Vec<String>,
    /// On a cluster: the master (`host:port`) holding this queue; `null` on one Redis.
    pub node: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct RatesDoc {
    pub added_per_s: f64,
    pub completed_per_s: f64,
    pub failed_per_s: f64,
    pub error_rate: f64,
    /// `events` (exact, from the events stream) or `count_deltas` (the stream was trimmed).
    pub source: RateSource,
}

#[derive(Debug, Serialize)]
pub struct LatencyDoc {
    pub wait: LatencySummary,
    pub processing: LatencySummary,
}

/// Build the document from the last report and the histories, over `window_ms`.
pub fn snapshot_doc(
    report: &PollReport,
    histories: &BTreeMap<QueueKey, QueueHistory>,
    window_ms: i64,
) -> SnapshotDoc {
    let now = report.taken_at_ms;
    let workers = report.workers.listed().to_vec();
    let queues = report
        .queues
        .iter()
        .map(|reading| {
            let history = histories.get(&reading.key);
            let stats = history.map(|h| h.stats(now, window_ms)).unwrap_or_default();
            QueueDoc {
                prefix: reading.key.prefix.clone(),
                name: reading.key.name.clone(),
                paused: reading.paused,
                counts: reading.counts.unwrap_or_default(),
                oldest_waiting_age_s: history
                    .and_then(|h| h.oldest_waiting_age_s(now))
                    .unwrap_or(0.0),
                unlocked_active: reading.unlocked_active,
                rates: RatesDoc {
                    added_per_s: stats.added_per_s.unwrap_or(0.0),
                    completed_per_s: stats.completed_per_s.unwrap_or(0.0),
                    failed_per_s: stats.failed_per_s.unwrap_or(0.0),
                    error_rate: stats.error_rate.unwrap_or(0.0),
                    source: reading.rate_source,
                },
                latency_ms: LatencyDoc {
                    wait: stats.wait,
                    processing: stats.processing,
                },
                workers: workers
                    .iter()
                    .filter(|w| w.prefix == reading.key.prefix && w.queue == reading.key.name)
                    .count(),
                library: reading.library.clone(),
                problems: reading.problems.clone(),
                node: reading.node.clone(),
            }
        })
        .collect();
    let taken_at = chrono::DateTime::from_timestamp_millis(now)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    SnapshotDoc {
        taken_at,
        redis: RedisDoc {
            version: report.redis_version.clone(),
            cluster: report.cluster.clone(),
        },
        poll: PollDoc {
            round_trips: report.poll.round_trips,
            duration_ms: (report.poll.duration_ms * 100.0).round() / 100.0,
            commands: report.poll.commands,
        },
        window_s: window_ms as f64 / 1000.0,
        queues,
        workers,
        workers_status: match report.workers {
            WorkersReading::Listed(_) => "listed",
            WorkersReading::NotPermitted => "not_permitted",
            WorkersReading::Unavailable(_) => "unavailable",
        },
    }
}
