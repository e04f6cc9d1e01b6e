//! Finding queues with SCAN and starting to tail their events streams.

use std::time::Instant;

use super::super::events::{parse_entries, StreamId, StreamState};
use super::super::keys::{discovery_pattern, queue_from_key, QueueId};
use super::{BullReader, QueueState};
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;
use crate::source::value::{as_array, as_string};

/// A discovery pass in progress: which prefix, where its SCAN is, what it found so far.
#[derive(Debug, Default)]
pub(super) struct ScanCycle {
    prefix: usize,
    /// Which node (SCAN is per node on a cluster).
    node: usize,
    cursor: u64,
    found: Vec<QueueId>,
}

/// Keys examined per SCAN call.
const SCAN_COUNT: u64 = 1000;

impl BullReader {
    /// Find every queue now (SCAN, never KEYS) and start tailing the new ones from their
    /// current end. Used at (re)connection; later passes run a step at a time.
    pub async fn discover(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        let mut cycle = ScanCycle::default();
        while !self.scan_step(conn, &mut cycle).await? {}
        self.finish_cycle(conn, cycle).await
    }

    /// Advance a periodic discovery pass by one SCAN call (called between polls), so a
    /// large keyspace is scanned at a steady, small cost instead of in bursts.
    pub async fn discovery_step(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        if self.cycle.is_none() {
            let due = self
                .last_discovery
                .is_none_or(|at| at.elapsed() >= self.config.discovery_every);
            if !due {
                return Ok(());
            }
            self.cycle = Some(ScanCycle::default());
        }
        let mut cycle = self.cycle.take().unwrap_or_default();
        if self.scan_step(conn, &mut cycle).await? {
            self.finish_cycle(conn, cycle).await
        } else {
            self.cycle = Some(cycle);
            Ok(())
        }
    }

    /// Start a discovery pass now (if none is under way), whatever the schedule.
    pub fn begin_pass(&mut self) {
        self.cycle.get_or_insert_with(ScanCycle::default);
    }

    /// Finish the pass under way, if any.
    pub async fn finish_pass(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        let Some(mut cycle) = self.cycle.take() else {
            return Ok(());
        };
        while !self.scan_step(conn, &mut cycle).await? {}
        self.finish_cycle(conn, cycle).await
    }

    /// One SCAN call; true when the pass is complete.
    async fn scan_step(
        &mut self,
        conn: &mut Conn,
        cycle: &mut ScanCycle,
    ) -> Result<bool, ConnectError> {
        if !self.config.queues.is_empty() {
            for prefix in &self.config.prefixes {
                for name in &self.config.queues {
                    cycle.found.push(QueueId::new(prefix.clone(), name.clone()));
                }
            }
            return Ok(true);
        }
        let Some(prefix) = self.config.prefixes.get(cycle.prefix).cloned() else {
            return Ok(true);
        };
        let nodes = conn.scan_nodes();
        let node = nodes.get(cycle.node).cloned().flatten();
        let mut scan = redis::cmd("SCAN");
        scan.arg(cycle.cursor)
            .arg("MATCH")
            .arg(discovery_pattern(&prefix))
            .arg("COUNT")
            .arg(SCAN_COUNT);
        let reply = conn.query_node(node.as_deref(), &scan).await?;
        let (next, keys) = parse_scan(&reply);
        for key in keys {
            if let Some(queue) = queue_from_key(&prefix, &key) {
                cycle.found.push(queue);
            }
        }
        cycle.cursor = next;
        if next == 0 {
            cycle.node += 1;
            if cycle.node >= nodes.len() {
                cycle.node = 0;
                cycle.prefix += 1;
            }
        }
        Ok(cycle.prefix >= self.config.prefixes.len())
    }

    async fn finish_cycle(
        &mut self,
        conn: &mut Conn,
        cycle: ScanCycle,
    ) -> Result<(), ConnectError> {
        let mut found = cycle.found;
        found.sort();
        found.dedup();
        let new: Vec<QueueId> = found
            .iter()
            .filter(|q| !self.queues.contains_key(q))
            .cloned()
            .collect();
        self.start_streams(conn, &new).await?;
        // Queues whose keys are all gone (obliterated) leave the list.
        if self.config.queues.is_empty() {
            self.queues.retain(|q, _| found.binary_search(q).is_ok());
        }
        self.last_discovery = Some(Instant::now());
        Ok(())
    }

    /// Learn each new queue's events position (its last entry) and whether it is a stream.
    pub(super) async fn start_streams(
        &mut self,
        conn: &mut Conn,
        new: &[QueueId],
    ) -> Result<(), ConnectError> {
        if new.is_empty() {
            return Ok(());
        }
        for chunk in new.chunks(1000) {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for queue in chunk {
                pipe.cmd("TYPE").arg(queue.events());
                pipe.cmd("XREVRANGE")
                    .arg(queue.events())
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1);
            }
            let replies = conn.run(&pipe).await?;
            for (queue, pair) in chunk.iter().zip(replies.chunks(2)) {
                let kind = pair.first().and_then(as_string).unwrap_or_default();
                let readable = kind == "stream" || kind == "none";
                let last_id = pair
                    .get(1)
                    .map(parse_entries)
                    .and_then(|entries| entries.first().map(|entry| entry.id))
                    .or(Some(StreamId::default()));
                let slot = self.next_slot;
                self.next_slot += 1;
                let state = QueueState {
                    stream: StreamState::new(last_id, readable),
                    slot,
                    ..QueueState::default()
                };
                self.queues.insert(queue.clone(), state);
            }
        }
        Ok(())
    }
}

/// `[cursor, [key, …]]`; anything else ends the scan of that node.
fn parse_scan(reply: &redis::Value) -> (u64, Vec<String>) {
    let Some([cursor, keys]) = as_array(reply) else {
        return (0, Vec::new());
    };
    // Cursors are unsigned 64-bit: they can exceed i64.
    let next = as_string(cursor)
        .and_then(|c| c.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let keys = as_array(keys)
        .unwrap_or_default()
        .iter()
        .filter_map(as_string)
        .collect();
    (next, keys)
}
