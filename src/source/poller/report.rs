//! The report of a poll: what the poller knows of each queue, and of the cluster.

use super::Poller;
use crate::model::{ClusterNodeReading, ClusterReading, QueueKey, QueueReading};
use crate::source::link::Link;

impl Poller {
    /// What the poller knows of each queue now. The interval's timings move into the
    /// report (the next poll starts them afresh).
    pub(super) fn readings(&mut self) -> Vec<QueueReading> {
        // Only a cluster has nodes (a single Redis spares building a key per queue).
        let link = self
            .link
            .as_ref()
            .filter(|link| matches!(link, Link::Cluster(_)));
        self.queues
            .iter_mut()
            .map(|(queue, state)| {
                let refresh = state.refresh.as_ref();
                QueueReading {
                    key: QueueKey {
                        prefix: queue.prefix.clone(),
                        name: queue.name.clone(),
                    },
                    counts: refresh.map(|r| r.counts),
                    paused: refresh.is_some_and(|r| r.paused),
                    oldest_waiting_ts_ms: state.created_ms.values().min().copied(),
                    unlocked_active: state.unlocked_active,
                    totals: state.totals,
                    rate_source: state.rate_source,
                    timings: std::mem::take(&mut state.timings),
                    finished_in_interval: state.finished_in_interval,
                    library: refresh.and_then(|r| r.library.clone()),
                    problems: refresh.map(|r| r.problems.clone()).unwrap_or_default(),
                    node: link
                        .and_then(|link| link.node_of(&queue.meta()))
                        .map(str::to_string),
                }
            })
            .collect()
    }

    /// The cluster's nodes as last read (`None` for a single Redis).
    pub(super) fn cluster_reading(&self) -> Option<ClusterReading> {
        let topology = self.link.as_ref()?.topology()?;
        let addr_of = |id: &str| {
            topology
                .nodes
                .iter()
                .find(|n| n.id == id)
                .map(|n| n.addr.clone())
        };
        Some(ClusterReading {
            nodes: topology
                .nodes
                .iter()
                .map(|node| ClusterNodeReading {
                    addr: node.addr.clone(),
                    role: if node.master { "master" } else { "replica" }.to_string(),
                    up: node.up,
                    slots: node.slot_count(),
                    replica_of: node.master_id.as_deref().and_then(addr_of),
                })
                .collect(),
            uncovered_slots: topology.uncovered_slots(),
        })
    }
}
