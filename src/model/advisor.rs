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
    AdvisorInputs {
        arrival_per_s: stats.added_per_s.unwrap_or(0.0),
        service_time_ms: stats.processing.mean,
        capacity,
        capacity_estimated,
        backlog: history.counts().map(|c| c.backlog()).unwrap_or(0),
        samples: stats.processing.count,
        target_wait_ms,
    }
}

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
