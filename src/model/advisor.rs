//! The advisor's inputs for one queue from what the monitor measured: shared by
//! `qtop advise` and the dashboard's advisor panel.

use super::capacity::AdvisorInputs;
use super::{Heartbeat, QueueHistory, QueueKey};

/// The advisor's inputs for `key`: λ and S from `history` over `window_ms`, c from the
/// live qtop heartbeats (`heartbeats`) or estimated, with `listed` BullMQ connections.
pub fn inputs_from(
    heartbeats: &[(QueueKey, Heartbeat)],
    listed: u64,
    key: &QueueKey,
    history: &QueueHistory,
    now_ms: i64,
    window_ms: i64,
    target_wait_ms: f64,
) -> AdvisorInputs {
    let stats = history.stats(now_ms, window_ms);
    let (capacity, capacity_estimated) = capacity_of(heartbeats, listed, key, history, now_ms);
    let limits = history.latest().map(|r| r.limits).unwrap_or_default();
    // Held back by the limiter in a good part of the window: its global limit when Redis
    // holds it, else (a worker-side limiter) the throughput measured meanwhile.
    // Jobs must be ready too: a worker-side limiter's key lives while any job flows.
    let ready = history.counts().is_some_and(|c| c.ready() > 0);
    let limited = ready
        && history
            .limited_share(window_ms)
            .is_some_and(|share| share >= LIMITED_SHARE);
    let (rate_limit_per_s, rate_limit_estimated) = match limits.global_rate_limit {
        Some(limit) => (Some(limit.per_s()), false),
        None if limited => {
            let done = stats.completed_per_s.unwrap_or(0.0) + stats.failed_per_s.unwrap_or(0.0);
            (Some(done), true)
        }
        None => (None, false),
    };
    AdvisorInputs {
        arrival_per_s: stats.added_per_s.unwrap_or(0.0),
        service_time_ms: stats.processing.mean,
        capacity,
        capacity_estimated,
        backlog: history.counts().map(|c| c.backlog()).unwrap_or(0),
        samples: stats.processing.count,
        target_wait_ms,
        global_concurrency: limits.global_concurrency,
        rate_limit_per_s,
        rate_limit_estimated,
    }
}

/// A queue held back by its limiter in at least this share of the window's readings is
/// taken as rate limited.
pub const LIMITED_SHARE: f64 = 0.25;

/// Job slots: what live qtop workers declare in their heartbeats; otherwise (Node or
/// Python workers, whose concurrency Redis does not show) the most jobs seen active at
/// once, and at least one per connected worker, flagged as an estimate.
pub fn capacity_of(
    heartbeats: &[(QueueKey, Heartbeat)],
    listed: u64,
    key: &QueueKey,
    history: &QueueHistory,
    now_ms: i64,
) -> (u64, bool) {
    let declared: Vec<&Heartbeat> = heartbeats
        .iter()
        .filter(|(k, beat)| k == key && !beat.is_stale(now_ms))
        .map(|(_, beat)| beat)
        .collect();
    if !declared.is_empty() && declared.len() as u64 >= listed {
        return (
            declared
                .iter()
                .map(|b| u64::from(b.concurrency.max(1)))
                .sum(),
            false,
        );
    }
    (history.max_active_seen.max(listed), true)
}
