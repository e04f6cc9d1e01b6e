//! Workers from CLIENT LIST, and the third round trip: creation times of the oldest
//! waiting jobs, locks of active jobs, heartbeats of qtop workers.

use std::hash::BuildHasher;
use std::ops::Bound;
use std::time::{Duration, Instant};

use compact_str::CompactString;
use redis::Value;
use smallvec::SmallVec;

use super::super::keys::QueueId;
use super::super::workers::{busiest_node_per_queue, workers_from_clients};
use super::refresh::MAX_PIPELINE;
use super::BullReader;
use crate::model::{ClientList, Heartbeat, QueueKey, WorkerInfo, WorkerLibrary};
use crate::source::client_list::parse_client_list;
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;
use crate::source::value::{as_i64, as_string, server_error};

impl BullReader {
    /// Worker entries from the CLIENT LIST reply, or why there are none. On a cluster the
    /// reply holds one list per master; a worker's connections are spread over them, so
    /// per queue the master listing the most workers is taken (as BullMQ's `getWorkers`
    /// does), never the sum.
    pub(super) fn parse_workers(&self, reply: Option<&Value>) -> (Vec<WorkerInfo>, ClientList) {
        let Some(reply) = reply else {
            return (Vec::new(), ClientList::Unavailable("no reply".into()));
        };
        let per_node: Vec<&Value> = match reply {
            Value::Array(items) => items.iter().collect(),
            single => vec![single],
        };
        if let Some(error) = per_node.iter().find_map(|r| server_error(r)) {
            if error.starts_with("NOPERM") {
                return (Vec::new(), ClientList::NotPermitted);
            }
            return (Vec::new(), ClientList::Unavailable(error));
        }
        let known = |prefix: &str, name: &str| {
            self.queues
                .contains_key(&QueueId::new(prefix.to_string(), name.to_string()))
        };
        let lists: Vec<Vec<WorkerInfo>> = per_node
            .iter()
            .map(|reply| {
                let clients = parse_client_list(&as_string(reply).unwrap_or_default());
                workers_from_clients(&clients, &self.config.prefixes, known)
            })
            .collect();
        (busiest_node_per_queue(lists), ClientList::Listed)
    }

    /// Remember the queues worker connections name, and return those discovery has not
    /// found (a worker started on a new queue: no need to wait for SCAN to reach its keys,
    /// however large the keyspace). Not with an explicit queue list.
    pub(super) fn note_named_queues(&mut self, workers: &[WorkerInfo]) -> Vec<QueueId> {
        self.named_by_workers = workers
            .iter()
            .map(|w| QueueId::new(w.prefix.clone(), w.queue.clone()))
            .collect();
        if !self.config.queues.is_empty() {
            return Vec::new();
        }
        self.named_by_workers
            .iter()
            .filter(|q| !self.queues.contains_key(q))
            .cloned()
            .collect()
    }

    /// qtop workers seen in CLIENT LIST are remembered for a minute, so a killed one still
    /// shows (stale) while its heartbeat key lives, then vanishes.
    pub(super) fn remember_qtop_workers(&mut self, workers: &[WorkerInfo]) {
        let now = Instant::now();
        for worker in workers {
            if worker.library == WorkerLibrary::Qtop {
                let queue = QueueId::new(worker.prefix.clone(), worker.queue.clone());
                self.qtop_workers.insert((queue, worker.name.clone()), now);
            }
        }
        self.qtop_workers
            .retain(|_, seen| now.duration_since(*seen) < QTOP_WORKER_MEMORY);
    }

    /// Round trip 3, only when needed: creation times of newly seen oldest-waiting jobs,
    /// locks of active jobs, and heartbeats of qtop workers. In pipelines of at most
    /// [`MAX_PIPELINE`] commands: a first poll of 10,000 queues with jobs waiting asks
    /// 30,000 creation times, and one pipeline of them was the poll's peak (7.6 MB of
    /// commands, 2.6 MB of what each asked, then every reply at once).
    pub(super) async fn third_round_trip(
        &mut self,
        conn: &mut Conn,
    ) -> Result<Vec<(QueueKey, Heartbeat)>, ConnectError> {
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        let mut asks: Vec<(QueueId, Ask)> = Vec::new();
        for (queue, worker) in self.qtop_workers.keys() {
            pipe.cmd("GET").arg(queue.heartbeat(worker));
            asks.push((queue.clone(), Ask::Heartbeat));
        }
        let mut heartbeats = Vec::new();
        let mut after: Option<QueueId> = None;
        loop {
            let last = self.push_asks(&mut pipe, &mut asks, after.as_ref());
            if !asks.is_empty() {
                let replies = conn.run(&pipe).await?;
                self.apply_answers(std::mem::take(&mut asks), &replies, &mut heartbeats);
            }
            match last {
                Some(last) => after = Some(last),
                None => break,
            }
            pipe = redis::pipe();
            pipe.ignore_errors();
        }
        Ok(heartbeats)
    }

    /// Ask what the queues after `after` (in map order) being refreshed need, until the
    /// pipeline is full. Returns the last queue asked when some are left.
    fn push_asks(
        &mut self,
        pipe: &mut redis::Pipeline,
        asks: &mut Vec<(QueueId, Ask)>,
        after: Option<&QueueId>,
    ) -> Option<QueueId> {
        let range = (
            after.map_or(Bound::Unbounded, Bound::Excluded),
            Bound::Unbounded,
        );
        let mut last: Option<&QueueId> = None;
        let hasher = &self.hasher;
        for (queue, state) in self.queues.range_mut::<QueueId, _>(range) {
            if !state.refreshing {
                continue;
            }
            if pipe.len() >= MAX_PIPELINE && last.is_some() {
                return last.cloned();
            }
            let Some(refresh) = &state.refresh else {
                continue;
            };
            let candidates = refresh.oldest_candidates();
            let hashes: SmallVec<[u64; 7]> =
                candidates.iter().map(|id| hasher.hash_one(*id)).collect();
            state.created_ms.retain(|(known, _)| hashes.contains(known));
            for (id, hash) in candidates.into_iter().zip(hashes) {
                if !state.created_ms.iter().any(|(known, _)| *known == hash) {
                    pipe.cmd("HGET").arg(queue.job(id)).arg("timestamp");
                    asks.push((queue.clone(), Ask::Created(id.into())));
                }
            }
            state.unlocked_active = 0;
            for id in &refresh.active_ids {
                pipe.cmd("EXISTS").arg(queue.lock(id));
                asks.push((queue.clone(), Ask::Lock));
            }
            last = Some(queue);
        }
        None
    }

    /// Apply one pipeline's replies to what was asked.
    fn apply_answers(
        &mut self,
        asks: Vec<(QueueId, Ask)>,
        replies: &[Value],
        heartbeats: &mut Vec<(QueueKey, Heartbeat)>,
    ) {
        for ((queue, ask), reply) in asks.into_iter().zip(replies.iter()) {
            if let Ask::Heartbeat = ask {
                // An expired key is a vanished worker; a foreign value is skipped.
                if let Some(beat) = as_string(reply).and_then(|text| Heartbeat::parse(&text)) {
                    let key = queue.queue_key();
                    heartbeats.push((key, beat));
                }
                continue;
            }
            let Some(state) = self.queues.get_mut(&queue) else {
                continue;
            };
            match ask {
                Ask::Created(id) => {
                    // A job without a readable timestamp cannot be dated; it is skipped. A
                    // delayed job waits from its due time (its events tell), not its birth.
                    if let Some(ts) = as_i64(reply) {
                        let due = state
                            .stream
                            .runnable_ms(&id)
                            .and_then(|d| i64::try_from(d).ok());
                        let at = due.map_or(ts, |due| due.max(ts));
                        let hash = self.hasher.hash_one(id.as_str());
                        match state
                            .created_ms
                            .iter_mut()
                            .find(|(known, _)| *known == hash)
                        {
                            Some(entry) => entry.1 = at,
                            None => state.created_ms.push((hash, at)),
                        }
                    }
                }
                Ask::Lock => {
                    if as_i64(reply) == Some(0) {
                        state.unlocked_active = state.unlocked_active.saturating_add(1);
                    }
                }
                Ask::Heartbeat => {}
            }
        }
    }
}

enum Ask {
    Created(CompactString),
    Lock,
    Heartbeat,
}

/// How long a qtop worker that left CLIENT LIST is still looked up.
const QTOP_WORKER_MEMORY: Duration = Duration::from_secs(60);
