//! The `qtop snapshot --json` document. Field names are a contract that users' scripts
//! depend on: add fields freely, never rename one.

use std::collections::BTreeMap;

use serde::Serialize;

use super::counts::QueueCounts;
use super::history::QueueHistory;
use super::latency::LatencySummary;
use super::reading::{ClusterReading, PollReport, QueueKey, RateSource};
use super::system::System;
use super::workers::WorkerInfo;

#[derive(Debug, Serialize)]
pub struct SnapshotDoc {
    pub taken_at: String,
    pub redis: RedisDoc,
    pub poll: PollDoc,
    pub window_s: f64,
    pub queues: Vec<QueueDoc>,
    pub workers: Vec<WorkerInfo>,
    /// `listed`, `not_permitted` (the ACL forbids CLIENT LIST) or `unavailable`: whether
    /// BullMQ's workers (its connections) could be listed.
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
    /// `bullmq`, `sidekiq`, `rq` or `celery`.
    pub system: System,
    pub prefix: String,
    pub name: String,
    /// Absent for a system without pausing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paused: Option<bool>,
    /// The states the system keeps; a state it lacks is absent.
    pub counts: QueueCounts,
    /// Age of the job at the head of the queue; `null` when it cannot be known.
    pub oldest_waiting_age_s: Option<f64>,
    /// `oldest_waiting_age_s` is a lower bound (the system stores no enqueue time).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub oldest_is_lower_bound: bool,
    pub unlocked_active: u64,
    pub rates: RatesDoc,
    pub latency_ms: LatencyDoc,
    /// Workers serving the queue; `null` when they cannot be listed (an ACL forbids
    /// CLIENT LIST, which BullMQ's workers are known from).
    pub workers: Option<usize>,
    pub library: Option<String>,
    pub problems: Vec<String>,
    /// On a cluster: the master (`host:port`) holding this queue; `null` on one Redis.
    pub node: Option<String>,
    /// The queue's limits (`rate_limited_ms`, `global_rate_limit`, `global_concurrency`),
    /// for a system that has them.
    #[serde(flatten)]
    pub limits: Option<LimitsDoc>,
    /// Job schedulers / repeatable jobs, for a system that has them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedulers: Option<u64>,
}

#[derive(Debug, Serialize)]
pub struct LimitsDoc {
    /// Time left on the rate limiter, ms (0 when not limited): BullMQ's `getRateLimitTtl()`.
    pub rate_limited_ms: u64,
    /// `{max, duration_ms}` (`setGlobalRateLimit`), or `null`.
    pub global_rate_limit: Option<super::reading::RateLimit>,
    /// `setGlobalConcurrency`, or `null` when unset.
    pub global_concurrency: Option<u64>,
}

/// Rates over the window; `null` where the system keeps nothing to derive them from.
#[derive(Debug, Serialize)]
pub struct RatesDoc {
    pub added_per_s: Option<f64>,
    pub completed_per_s: Option<f64>,
    pub failed_per_s: Option<f64>,
    pub error_rate: Option<f64>,
    /// Adds the system dropped as duplicates of a job it keeps (BullMQ's deduplication and
    /// debounce); `added_per_s` leaves them out, so it stays the jobs that will run.
    pub deduplicated_per_s: Option<f64>,
    /// BullMQ ≤ 5 producers' `debounced` events: the same adds as `deduplicated_per_s`.
    pub debounced_per_s: Option<f64>,
    /// Adds of a job id that already existed (BullMQ's `duplicated`), also left out.
    pub duplicated_per_s: Option<f64>,
    /// `events` (exact, from the events stream), `count_deltas` (the stream was trimmed:
    /// estimated), `counters` (exact, the system's counters), `estimated`, `unavailable`.
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
    let workers = report.workers.clone();
    let queues = report
        .queues
        .iter()
        .map(|reading| {
            let key = &reading.key;
            let history = histories.get(key);
            let stats = history.map(|h| h.stats(now, window_ms)).unwrap_or_default();
            // Where the system keeps totals, a window without change is a rate of 0.
            let counted = reading.totals.is_some();
            let rate = |r: Option<f64>| if counted { Some(r.unwrap_or(0.0)) } else { r };
            // Failures the system does not tell apart stay absent.
            let failed_rate = |r: Option<f64>| {
                if reading.failed_uncounted {
                    None
                } else {
                    rate(r)
                }
            };
            // Workers whose queues their system does not say (Celery's heartbeats carry
            // none) cannot be counted per queue: the count is unknown, not 0.
            let queues_unknown = !key.system.workers_from_client_list()
                && workers.iter().any(|w| {
                    w.system == key.system && !w.stale && w.queue.is_empty() && w.queues.is_empty()
                });
            let workers_known = (!key.system.workers_from_client_list()
                || report.client_list == super::reading::ClientList::Listed)
                && !queues_unknown;
            QueueDoc {
                system: key.system,
                prefix: key.prefix.to_string(),
                name: key.name.to_string(),
                paused: reading.paused,
                counts: reading.counts.unwrap_or_default(),
                oldest_waiting_age_s: history.and_then(|h| h.oldest_waiting_age_s(now)),
                oldest_is_lower_bound: reading.oldest_is_lower_bound,
                unlocked_active: reading.unlocked_active,
                rates: RatesDoc {
                    added_per_s: rate(stats.added_per_s),
                    completed_per_s: rate(stats.completed_per_s),
                    failed_per_s: failed_rate(stats.failed_per_s),
                    error_rate: failed_rate(stats.error_rate),
                    deduplicated_per_s: rate(stats.deduplicated_per_s),
                    debounced_per_s: rate(stats.debounced_per_s),
                    duplicated_per_s: rate(stats.duplicated_per_s),
                    source: reading.rate_source,
                },
                latency_ms: LatencyDoc {
                    wait: stats.wait,
                    processing: stats.processing,
                },
                workers: workers_known.then(|| {
                    workers
                        .iter()
                        .filter(|w| w.serves(key.system, &key.prefix, &key.name))
                        .count()
                }),
                library: reading.library.as_ref().map(ToString::to_string),
                problems: reading.problems.clone(),
                node: reading.node.clone(),
                limits: reading
                    .limits
                    .rate_limited_ms
                    .map(|rate_limited_ms| LimitsDoc {
                        rate_limited_ms,
                        global_rate_limit: reading.limits.global_rate_limit,
                        global_concurrency: reading.limits.global_concurrency,
                    }),
                schedulers: reading.schedulers,
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
        workers_status: report.client_list.name(),
    }
}
