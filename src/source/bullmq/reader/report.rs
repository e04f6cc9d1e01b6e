//! What the BullMQ reader knows of each queue, as readings for the poll's report.

use super::BullReader;
use crate::model::{QueueKey, QueueReading};
use crate::source::conn::Conn;

impl BullReader {
    /// What the poller knows of each queue now. The interval's timings move into the
    /// report (the next poll starts them afresh).
    pub(super) fn readings(&mut self, conn: &Conn) -> Vec<QueueReading> {
        self.queues
            .iter_mut()
            .map(|(queue, state)| {
                let refresh = state.refresh.as_ref();
                QueueReading {
                    key: QueueKey::bullmq(queue.prefix.clone(), queue.name.clone()),
                    counts: refresh.map(|r| r.counts.into()),
                    paused: Some(refresh.is_some_and(|r| r.paused)),
                    oldest_waiting_ts_ms: state.created_ms.values().min().copied(),
                    oldest_is_lower_bound: false,
                    unlocked_active: state.unlocked_active,
                    totals: Some(state.totals),
                    rate_source: state.rate_source,
                    failed_uncounted: false,
                    timings: std::mem::take(&mut state.timings),
                    finished_in_interval: state.finished_in_interval,
                    library: refresh.and_then(|r| r.library.clone()),
                    limits: refresh.map(|r| r.limits).unwrap_or_default(),
                    schedulers: refresh.and_then(|r| r.schedulers),
                    problems: refresh.map(|r| r.problems.clone()).unwrap_or_default(),
                    // Only a cluster has nodes (a single Redis spares building a key per queue).
                    node: conn
                        .is_cluster()
                        .then(|| conn.node_of(&queue.meta()).map(str::to_string))
                        .flatten(),
                }
            })
            .collect()
    }
}
