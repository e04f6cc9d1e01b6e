//! Finding queues with SCAN and starting to tail their events streams.
//!
//! At (re)connection a full pass runs at once. Later passes run a step at a time between
//! polls, paced to the keyspace within a share of a Redis core (`pace.rs`); a queue a step
//! finds is added at once, a queue whose keys are gone leaves at the end of a pass. A queue
//! a worker connection names in `CLIENT LIST` is added by the poll itself (`extras.rs`).

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use super::super::events::{parse_entries, StreamId, StreamState};
use super::super::keys::{discovery_pattern, queue_from_key, QueueId};
use super::pace::MIN_PERIOD;
use super::{BullReader, QueueState};
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;
use crate::source::value::{as_array, as_i64, as_string};

/// A discovery pass in progress: which prefix, where its SCAN is, what it found so far.
#[derive(Debug)]
pub(super) struct ScanCycle {
    prefix: usize,
    /// Which node (SCAN is per node on a cluster).
    node: usize,
    cursor: u64,
    /// This pass's number: a known queue it finds is marked with it (`seen_in_pass`), so
    /// the pass holds no set of the queues it found (0.7 MB of ids at 10,000 queues, then
    /// a growing table of hashes).
    pass: u32,
    /// Queues found that the reader does not know yet, when they are started at the end
    /// of the pass (at connection) rather than at once. A set: a queue has several keys
    /// the pattern matches.
    new: BTreeSet<QueueId>,
    last_step: Option<Instant>,
}

impl ScanCycle {
    /// Pass `pass` (never 0: a queue no pass has found yet is marked 0).
    fn numbered(pass: u32) -> Self {
        Self {
            prefix: 0,
            node: 0,
            cursor: 0,
            pass,
            new: BTreeSet::new(),
            last_step: None,
        }
    }
}

/// Keys examined per SCAN call of an unpaced pass (at connection, `snapshot`'s pass).
const SCAN_COUNT: u64 = 1000;
/// A paced pass's first step counts as coming this long after the previous one.
const FIRST_STEP: Duration = Duration::from_millis(250);

impl BullReader {
    /// Find every queue now (SCAN, never KEYS) and start tailing the new ones from their
    /// current end. Used at (re)connection; later passes run a step at a time. After a
    /// reconnection to another server process (restarted, failed over), every queue starts
    /// again from the streams' current ends, keeping its cumulative totals: positions and
    /// counts from before cannot be compared with the new server's.
    pub async fn discover(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        let run_id = conn.run_id().map(str::to_string);
        if self.run_id.is_some() && run_id != self.run_id {
            tracing::info!("another Redis server process: queues start afresh");
            self.carried = std::mem::take(&mut self.queues)
                .into_iter()
                .map(|(queue, state)| (queue, state.totals))
                .collect();
        }
        self.run_id = run_id;
        let mut cycle = self.new_cycle();
        while !self.scan_step(conn, &mut cycle, SCAN_COUNT, false).await? {}
        self.finish_cycle(conn, cycle).await?;
        self.carried.clear();
        Ok(())
    }

    /// Advance a periodic discovery pass by one SCAN call (called between polls), paced so
    /// that discovery stays within its share of a Redis core (`pace.rs`). A new pass starts
    /// once the last one started a pass's time ago, measured with `DBSIZE` (O(1)).
    pub async fn discovery_step(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        // The next poll's full pass comes first (at start, after a reconnection).
        if self.needs_discovery() {
            return Ok(());
        }
        let floor = self.config.discovery_every.min(MIN_PERIOD);
        if self.cycle.is_none() {
            let due = self
                .pass_started
                .is_none_or(|at| at.elapsed() >= self.period);
            if !due {
                return Ok(());
            }
            let keys = keyspace_size(conn).await?;
            self.period = self.pace.period(keys, floor);
            self.pass_started = Some(Instant::now());
            self.cycle = Some(self.new_cycle());
        }
        let mut cycle = match self.cycle.take() {
            Some(cycle) => cycle,
            None => self.new_cycle(),
        };
        let now = Instant::now();
        let since = cycle.last_step.map_or(FIRST_STEP, |at| now - at);
        cycle.last_step = Some(now);
        // An unpaced configuration (tests) scans at the fixed count.
        let count = if floor.is_zero() {
            SCAN_COUNT
        } else {
            self.pace.step_count(since)
        };
        if self.pace.wants_reading() {
            let usec = scan_usec(conn).await;
            self.pace.read(usec);
        }
        self.pace.scanned(count);
        if self.scan_step(conn, &mut cycle, count, true).await? {
            self.finish_cycle(conn, cycle).await
        } else {
            self.cycle = Some(cycle);
            Ok(())
        }
    }

    /// Start a discovery pass now (if none is under way), whatever the schedule.
    pub fn begin_pass(&mut self) {
        if self.cycle.is_none() {
            self.cycle = Some(self.new_cycle());
        }
    }

    /// Finish the pass under way, if any.
    pub async fn finish_pass(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        let Some(mut cycle) = self.cycle.take() else {
            return Ok(());
        };
        while !self.scan_step(conn, &mut cycle, SCAN_COUNT, false).await? {}
        self.finish_cycle(conn, cycle).await
    }

    /// One SCAN call; true when the pass is complete.
    async fn scan_step(
        &mut self,
        conn: &mut Conn,
        cycle: &mut ScanCycle,
        count: u64,
        eager: bool,
    ) -> Result<bool, ConnectError> {
        if !self.config.queues.is_empty() {
            for prefix in &self.config.prefixes {
                for name in &self.config.queues {
                    let queue = QueueId::new(prefix.clone(), name.clone());
                    match self.queues.get_mut(&queue) {
                        Some(state) => state.seen_in_pass = cycle.pass,
                        None => {
                            cycle.new.insert(queue);
                        }
                    }
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
            .arg(count);
        let reply = conn.query_node(node.as_deref(), &scan).await?;
        let (next, keys) = parse_scan(&reply);
        let mut new = Vec::new();
        for key in keys {
            if let Some(queue) = queue_from_key(&prefix, &key) {
                if let Some(state) = self.queues.get_mut(&queue) {
                    state.seen_in_pass = cycle.pass;
                    continue;
                }
                if !eager {
                    cycle.new.insert(queue);
                } else if !new.contains(&queue) {
                    new.push(queue);
                }
            }
        }
        // A paced pass's finds are on screen from the next poll, not at its end.
        self.start_streams(conn, &new).await?;
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

    /// A new pass, numbered.
    fn new_cycle(&mut self) -> ScanCycle {
        self.passes = self.passes.checked_add(1).unwrap_or(1);
        ScanCycle::numbered(self.passes)
    }

    async fn finish_cycle(
        &mut self,
        conn: &mut Conn,
        mut cycle: ScanCycle,
    ) -> Result<(), ConnectError> {
        let found_new = std::mem::take(&mut cycle.new);
        // Borrowed: at connection every queue is new, and a copy of 10,000 ids was 1 MB.
        let new: Vec<&QueueId> = found_new
            .iter()
            .filter(|q| !self.queues.contains_key(*q))
            .collect();
        self.start_streams(conn, &new).await?;
        // Queues whose keys are all gone (obliterated) leave the list, unless a worker
        // connection names them or they were added while the pass ran (its SCAN may have
        // passed their keys before they existed; adding marks them with the pass).
        if self.config.queues.is_empty() {
            let named = &self.named_by_workers;
            let gone = &mut self.gone;
            self.queues.retain(|q, state| {
                let kept = state.seen_in_pass == cycle.pass || named.contains(q);
                if !kept {
                    gone.push(q.clone());
                }
                kept
            });
        }
        self.last_discovery = Some(Instant::now());
        Ok(())
    }

    /// Learn each new queue's events position (its last entry) and whether it is a stream.
    pub(super) async fn start_streams<Q: Borrow<QueueId>>(
        &mut self,
        conn: &mut Conn,
        new: &[Q],
    ) -> Result<(), ConnectError> {
        if new.is_empty() {
            return Ok(());
        }
        for chunk in new.chunks(1000) {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for queue in chunk {
                let queue = queue.borrow();
                pipe.cmd("TYPE").arg(queue.events());
                pipe.cmd("XREVRANGE")
                    .arg(queue.events())
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1);
            }
            let replies = conn.run(&pipe).await?;
            let mut states = Vec::with_capacity(chunk.len());
            for (queue, pair) in chunk.iter().map(Q::borrow).zip(replies.chunks(2)) {
                let kind = pair.first().and_then(as_string).unwrap_or_default();
                let readable = kind == "stream" || kind == "none";
                let last_id = pair
                    .get(1)
                    .map(parse_entries)
                    .and_then(|entries| entries.first().map(|entry| entry.id))
                    .or(Some(StreamId::default()));
                let slot = self.next_slot;
                self.next_slot = self.next_slot.wrapping_add(1);
                let state = QueueState {
                    stream: StreamState::new(last_id, readable),
                    slot,
                    totals: self.carried.remove(queue).unwrap_or_default(),
                    seen_in_pass: self.passes,
                    ..QueueState::default()
                };
                states.push((queue.clone(), Box::new(state)));
            }
            // Joined as a sorted whole: `append` builds full nodes, where inserting keys
            // one by one left nodes a third empty.
            let mut states: BTreeMap<QueueId, Box<QueueState>> = states.into_iter().collect();
            self.queues.append(&mut states);
        }
        Ok(())
    }
}

/// Keys in the database (every master's, on a cluster): `DBSIZE`, O(1).
async fn keyspace_size(conn: &mut Conn) -> Result<u64, ConnectError> {
    let mut keys = 0;
    for node in conn.scan_nodes() {
        let reply = conn
            .query_node(node.as_deref(), &redis::cmd("DBSIZE"))
            .await?;
        keys += as_i64(&reply)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
    }
    Ok(keys)
}

/// Redis's time in SCAN so far, in µs (every master's, on a cluster): `INFO
/// commandstats`. `None` when it cannot be read (an ACL): the default cost then stands.
async fn scan_usec(conn: &mut Conn) -> Option<u64> {
    let mut total = 0;
    for node in conn.scan_nodes() {
        let mut info = redis::cmd("INFO");
        info.arg("commandstats");
        let reply = conn.query_node(node.as_deref(), &info).await.ok()?;
        total += as_string(&reply)?
            .lines()
            .find_map(|line| line.strip_prefix("cmdstat_scan:"))
            .and_then(|rest| rest.split(',').find_map(|f| f.strip_prefix("usec=")))
            .and_then(|usec| usec.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(total)
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
