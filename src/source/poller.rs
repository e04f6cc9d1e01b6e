//! The poller: discovers queues, tails their events and refreshes their counts, in a small
//! constant number of pipelined round trips however many queues there are.
//!
//! One poll:
//! 1. `XREAD` over every queue's events stream (one command; idle streams answer nothing),
//!    atomically with a trim check on streams that were busy;
//! 2. one pipeline: `CLIENT LIST`, the refresh commands of the queues that changed (events
//!    say which) plus a rotating slice of all queues (reconciliation), and the timing fields
//!    of a bounded sample of jobs that finished;
//! 3. only when needed, one pipeline for the creation times of newly seen oldest jobs and
//!    the locks of active jobs.
//!
//! Idle queues therefore cost next to nothing, and every queue is still re-read at least
//! every `reconcile_every` polls.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use redis::aio::MultiplexedConnection;
use redis::{Pipeline, Value};

use super::bullmq::keys::{discovery_pattern, queue_from_key, QueueId};
use super::bullmq::read::{
    count_markers, parse_job_timing, parse_refresh, push_job_timing, push_marker_scan,
    push_refresh, Refresh,
};
use super::client_list::parse_client_list;
use super::connect::{ConnectError, RedisTarget};
use super::events::{parse_entries, parse_xread, Interval, StreamId, StreamState};
use super::value::{as_i64, as_string, server_error};
use super::workers::workers_from_clients;
use crate::model::{
    EventTotals, Heartbeat, JobTiming, PollReport, PollStats, QueueCounts, QueueKey, QueueReading,
    RateSource, WorkerLibrary, WorkersReading,
};

/// What to watch and how hard.
#[derive(Clone, Debug)]
pub struct PollerConfig {
    pub prefixes: Vec<String>,
    /// Explicit queue names: no discovery when given.
    pub queues: Vec<String>,
    pub discovery_every: Duration,
    /// Every queue is fully re-read at least once per this many polls.
    pub reconcile_every: u64,
    /// Finished jobs timed per queue per poll.
    pub latency_sample: usize,
    /// Entries read per stream per XREAD.
    pub xread_count: usize,
    pub timeout: Duration,
}

impl Default for PollerConfig {
    fn default() -> Self {
        Self {
            prefixes: vec!["bull".to_string()],
            queues: Vec::new(),
            discovery_every: Duration::from_secs(30),
            reconcile_every: 10,
            latency_sample: 256,
            xread_count: 2000,
            timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Default)]
struct QueueState {
    stream: StreamState,
    refresh: Option<Refresh>,
    totals: EventTotals,
    rate_source: RateSource,
    /// Creation times of the current oldest-waiting candidates.
    created_ms: HashMap<String, i64>,
    unlocked_active: u64,
    legacy_markers: bool,
    /// Re-read on the next poll whatever the events say (a marker scan is now due).
    force_refresh: bool,
    slot: u64,
    timings: Vec<JobTiming>,
    finished_in_interval: u64,
}

/// Round trips and commands since the last report.
#[derive(Debug, Default)]
struct Cost {
    round_trips: u32,
    commands: u64,
}

pub struct Poller {
    target: RedisTarget,
    config: PollerConfig,
    conn: Option<MultiplexedConnection>,
    queues: BTreeMap<QueueId, QueueState>,
    redis_version: String,
    last_discovery: Option<Instant>,
    poll_index: u64,
    cost: Cost,
    next_slot: u64,
    qtop_workers: HashMap<(QueueId, String), Instant>,
}

impl Poller {
    pub fn new(target: RedisTarget, config: PollerConfig) -> Self {
        Self {
            target,
            config,
            conn: None,
            queues: BTreeMap::new(),
            redis_version: String::new(),
            last_discovery: None,
            poll_index: 0,
            cost: Cost::default(),
            next_slot: 0,
            qtop_workers: HashMap::new(),
        }
    }

    pub fn target(&self) -> &RedisTarget {
        &self.target
    }

    pub fn redis_version(&self) -> &str {
        &self.redis_version
    }

    pub fn is_connected(&self) -> bool {
        self.conn.is_some()
    }

    pub fn queue_ids(&self) -> impl Iterator<Item = &QueueId> {
        self.queues.keys()
    }

    /// Connect (or reconnect), read the server version and name the connection.
    pub async fn connect(&mut self) -> Result<(), ConnectError> {
        let mut conn = self.target.connect(self.config.timeout).await?;
        let info: String = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut conn)
            .await
            .map_err(|e| self.target.classify(&e))?;
        self.redis_version = info
            .lines()
            .find_map(|line| line.strip_prefix("redis_version:"))
            .unwrap_or("unknown")
            .trim()
            .to_string();
        // Lets operators see qtop in CLIENT LIST; an ACL that forbids it is no problem.
        let _: Result<Value, _> = redis::cmd("CLIENT")
            .arg("SETNAME")
            .arg("qtop:monitor")
            .query_async(&mut conn)
            .await;
        self.conn = Some(conn);
        self.last_discovery = None;
        Ok(())
    }

    /// Drop the connection after an error so the next call reconnects.
    pub fn disconnect(&mut self) {
        self.conn = None;
    }

    fn conn(&mut self) -> Result<MultiplexedConnection, ConnectError> {
        self.conn.clone().ok_or_else(|| {
            ConnectError::Other(self.target.display().to_string(), "not connected".into())
        })
    }

    async fn run(&mut self, pipe: &Pipeline) -> Result<Vec<Value>, ConnectError> {
        let mut conn = self.conn()?;
        self.cost.round_trips += 1;
        self.cost.commands += pipe.len() as u64;
        match pipe.query_async::<Vec<Value>>(&mut conn).await {
            Ok(values) => Ok(values),
            Err(e) => {
                let error = self.target.classify(&e);
                if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() {
                    self.disconnect();
                }
                Err(error)
            }
        }
    }

    /// Find queues (SCAN, never KEYS) and start tailing the new ones from their current end.
    pub async fn discover(&mut self) -> Result<(), ConnectError> {
        let mut found: Vec<QueueId> = Vec::new();
        if self.config.queues.is_empty() {
            for prefix in self.config.prefixes.clone() {
                let pattern = discovery_pattern(&prefix);
                let mut cursor: u64 = 0;
                loop {
                    let mut conn = self.conn()?;
                    let scanned: Result<(u64, Vec<Vec<u8>>), _> = redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(1000)
                        .query_async(&mut conn)
                        .await;
                    let (next, keys) = scanned.map_err(|e| self.target.classify(&e))?;
                    for key in keys {
                        let key = String::from_utf8_lossy(&key);
                        if let Some(queue) = queue_from_key(&prefix, &key) {
                            found.push(queue);
                        }
                    }
                    cursor = next;
                    if cursor == 0 {
                        break;
                    }
                }
            }
        } else {
            for prefix in &self.config.prefixes {
                for name in &self.config.queues {
                    found.push(QueueId::new(prefix.clone(), name.clone()));
                }
            }
        }
        found.sort();
        found.dedup();
        let new: Vec<QueueId> = found
            .iter()
            .filter(|q| !self.queues.contains_key(q))
            .cloned()
            .collect();
        self.start_streams(&new).await?;
        // Queues whose keys are all gone (obliterated) leave the list.
        if self.config.queues.is_empty() {
            self.queues.retain(|q, _| found.binary_search(q).is_ok());
        }
        self.last_discovery = Some(Instant::now());
        Ok(())
    }

    /// Learn each new queue's events position (its last entry) and whether it is a stream.
    async fn start_streams(&mut self, new: &[QueueId]) -> Result<(), ConnectError> {
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
            let replies = self.run(&pipe).await?;
            for (queue, pair) in chunk.iter().zip(replies.chunks(2)) {
                let kind = pair.first().and_then(as_string).unwrap_or_default();
                let readable = kind == "stream" || kind == "none";
                let last_id = pair
                    .get(1)
                    .map(parse_entries)
                    .and_then(|entries| entries.first().map(|(id, _)| *id))
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

    /// Read new events from every readable stream. Cheap enough to run several times per
    /// poll interval, which keeps busy queues ahead of BullMQ's stream trimming.
    pub async fn read_events(&mut self) -> Result<(), ConnectError> {
        let count = self.config.xread_count;
        let sample = self.config.latency_sample;
        let mut pending: Vec<QueueId> = self
            .queues
            .iter()
            .filter(|(_, s)| s.stream.readable)
            .map(|(q, _)| q.clone())
            .collect();
        // A stream that returned a full batch has more: read it again, a bounded number of times.
        for _ in 0..20 {
            if pending.is_empty() {
                break;
            }
            let hot: Vec<QueueId> = pending
                .iter()
                .filter(|q| self.queues.get(*q).is_some_and(|s| s.stream.hot))
                .cloned()
                .collect();
            let mut pipe = redis::pipe();
            pipe.atomic();
            let mut xread = redis::cmd("XREAD");
            xread.arg("COUNT").arg(count).arg("STREAMS");
            for queue in &pending {
                xread.arg(queue.events());
            }
            for queue in &pending {
                let last = self
                    .queues
                    .get(queue)
                    .and_then(|s| s.stream.last_id)
                    .unwrap_or_default();
                xread.arg(last.to_arg());
            }
            pipe.add_command(xread);
            // Atomic with the read: a busy stream's first entry newer than our last read
            // means BullMQ trimmed entries we never saw.
            for queue in &hot {
                pipe.cmd("XRANGE")
                    .arg(queue.events())
                    .arg("-")
                    .arg("+")
                    .arg("COUNT")
                    .arg(1);
            }
            let replies = match self.run(&pipe).await {
                Ok(replies) => replies,
                Err(error) => {
                    if error.to_string().contains("WRONGTYPE") {
                        self.recheck_stream_types().await?;
                        return Ok(());
                    }
                    return Err(error);
                }
            };
            let Some(xread_reply) = replies.first() else {
                break;
            };
            if let Some(error) = server_error(xread_reply) {
                if error.contains("WRONGTYPE") {
                    self.recheck_stream_types().await?;
                }
                return Ok(());
            }
            for (queue, first) in hot.iter().zip(replies.iter().skip(1)) {
                let first_id = parse_entries(first).first().map(|(id, _)| *id);
                if let Some(state) = self.queues.get_mut(queue) {
                    let last = state.stream.last_id.unwrap_or_default();
                    if first_id.is_some_and(|first| first > last) && last != StreamId::default() {
                        state.stream.gap = true;
                    }
                }
            }
            let mut by_key: HashMap<String, QueueId> =
                pending.iter().map(|q| (q.events(), q.clone())).collect();
            let mut again = Vec::new();
            for (key, entries) in parse_xread(xread_reply) {
                let Some(queue) = by_key.remove(&key) else {
                    continue;
                };
                let Some(state) = self.queues.get_mut(&queue) else {
                    continue;
                };
                state.stream.hot = !entries.is_empty();
                let full = entries.len() >= count;
                for (id, fields) in &entries {
                    state.stream.apply(*id, fields, sample);
                }
                if full {
                    again.push(queue);
                }
            }
            // Pending streams that answered nothing are quiet now.
            for queue in by_key.values() {
                if let Some(state) = self.queues.get_mut(queue) {
                    state.stream.hot = false;
                }
            }
            pending = again;
        }
        Ok(())
    }

    /// XREAD failed with WRONGTYPE: find the foreign `events` keys and leave them out.
    async fn recheck_stream_types(&mut self) -> Result<(), ConnectError> {
        let ids: Vec<QueueId> = self.queues.keys().cloned().collect();
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for queue in &ids {
            pipe.cmd("TYPE").arg(queue.events());
        }
        let replies = self.run(&pipe).await?;
        for (queue, reply) in ids.iter().zip(replies.iter()) {
            let kind = as_string(reply).unwrap_or_default();
            if let Some(state) = self.queues.get_mut(queue) {
                state.stream.readable = kind == "stream" || kind == "none";
            }
        }
        Ok(())
    }

    /// One full poll. Reconnects and rediscovers as needed.
    pub async fn poll(&mut self) -> Result<PollReport, ConnectError> {
        if self.conn.is_none() {
            self.connect().await?;
        }
        let discovery_due = self
            .last_discovery
            .is_none_or(|at| at.elapsed() >= self.config.discovery_every);
        if discovery_due {
            self.discover().await?;
        }
        // Discovery is periodic background work: its cost is not part of the poll's.
        self.cost = Cost::default();
        let poll_started = Instant::now();
        self.read_events().await?;
        self.poll_index += 1;

        let mut intervals: HashMap<QueueId, Interval> = self
            .queues
            .iter_mut()
            .map(|(q, s)| (q.clone(), s.stream.take_interval()))
            .collect();
        let to_refresh: Vec<QueueId> = self
            .queues
            .iter()
            .filter(|(q, s)| {
                s.refresh.is_none()
                    || s.force_refresh
                    || intervals.get(*q).is_some_and(|i| i.entries > 0)
                    || s.slot % self.config.reconcile_every.max(1)
                        == self.poll_index % self.config.reconcile_every.max(1)
            })
            .map(|(q, _)| q.clone())
            .collect();

        // Round trip 2: workers, refreshes, timing sample.
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        pipe.cmd("CLIENT").arg("LIST");
        let mut layout: Vec<(QueueId, usize, bool)> = Vec::new();
        for queue in &to_refresh {
            let n = push_refresh(&mut pipe, queue);
            let legacy = self.queues.get(queue).is_some_and(|s| s.legacy_markers);
            if legacy {
                push_marker_scan(&mut pipe, queue);
            }
            layout.push((queue.clone(), n, legacy));
        }
        let mut sampled: Vec<(QueueId, usize)> = Vec::new();
        for (queue, interval) in &intervals {
            for (index, job) in interval.sample.iter().enumerate() {
                push_job_timing(&mut pipe, queue, &job.job_id);
                sampled.push((queue.clone(), index));
            }
        }
        let replies = self.run(&pipe).await?;
        let mut cursor = replies.iter();
        let workers = self.parse_workers(cursor.next());
        self.remember_qtop_workers(&workers);
        for (queue, n, legacy) in layout {
            let chunk: Vec<Value> = cursor.by_ref().take(n).cloned().collect();
            let mut refresh = parse_refresh(&queue, &chunk);
            if legacy {
                let markers = cursor.next().map(count_markers).unwrap_or(0);
                refresh.counts.waiting = refresh.counts.waiting.saturating_sub(markers);
            }
            let interval = intervals.entry(queue.clone()).or_default();
            if let Some(state) = self.queues.get_mut(&queue) {
                state.force_refresh = refresh.saw_markers && !state.legacy_markers;
                state.legacy_markers |= refresh.saw_markers;
                apply_rates(state, interval, Some(&refresh));
                state.refresh = Some(refresh);
            }
        }
        for (queue, interval) in intervals.iter_mut() {
            if let Some(state) = self.queues.get_mut(queue) {
                if !to_refresh.contains(queue) {
                    apply_rates(state, interval, None);
                }
                state.timings.clear();
                state.finished_in_interval = interval.finished_seen;
            }
        }
        for ((queue, index), reply) in sampled.into_iter().zip(cursor) {
            let Some(job) = intervals.get(&queue).and_then(|i| i.sample.get(index)) else {
                continue;
            };
            let timing = match parse_job_timing(reply) {
                Some((wait_ms, processing_ms)) => JobTiming {
                    wait_ms,
                    processing_ms,
                },
                None => JobTiming {
                    wait_ms: job.event_wait_ms,
                    processing_ms: job.event_processing_ms,
                },
            };
            if let Some(state) = self.queues.get_mut(&queue) {
                state.timings.push(timing);
            }
        }

        // Round trip 3 (only when needed): creation times of new oldest candidates, locks.
        let heartbeats = self.third_round_trip(&to_refresh).await?;

        let report = PollReport {
            taken_at_ms: chrono::Utc::now().timestamp_millis(),
            redis_version: self.redis_version.clone(),
            poll: PollStats {
                round_trips: self.cost.round_trips,
                duration_ms: poll_started.elapsed().as_secs_f64() * 1000.0,
                commands: self.cost.commands,
            },
            queues: self.readings(),
            workers,
            heartbeats,
        };
        Ok(report)
    }

    fn parse_workers(&self, reply: Option<&Value>) -> WorkersReading {
        let Some(reply) = reply else {
            return WorkersReading::Unavailable("no reply".into());
        };
        if let Some(error) = server_error(reply) {
            if error.starts_with("NOPERM") {
                return WorkersReading::NotPermitted;
            }
            return WorkersReading::Unavailable(error);
        }
        let text = as_string(reply).unwrap_or_default();
        let clients = parse_client_list(&text);
        let known = |prefix: &str, name: &str| {
            self.queues
                .contains_key(&QueueId::new(prefix.to_string(), name.to_string()))
        };
        WorkersReading::Listed(workers_from_clients(&clients, &self.config.prefixes, known))
    }

    /// qtop workers seen in CLIENT LIST are remembered for a minute, so a killed one still
    /// shows (stale) while its heartbeat key lives, then vanishes.
    fn remember_qtop_workers(&mut self, workers: &WorkersReading) {
        let now = Instant::now();
        for worker in workers.listed() {
            if worker.library == WorkerLibrary::Qtop {
                let queue = QueueId::new(worker.prefix.clone(), worker.queue.clone());
                self.qtop_workers.insert((queue, worker.name.clone()), now);
            }
        }
        self.qtop_workers
            .retain(|_, seen| now.duration_since(*seen) < QTOP_WORKER_MEMORY);
    }

    /// Round trip 3, only when needed: creation times of newly seen oldest-waiting jobs,
    /// locks of active jobs, and heartbeats of qtop workers.
    async fn third_round_trip(
        &mut self,
        refreshed: &[QueueId],
    ) -> Result<Vec<(QueueKey, Heartbeat)>, ConnectError> {
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        let mut asks: Vec<(QueueId, Ask)> = Vec::new();
        for (queue, worker) in self.qtop_workers.keys() {
            pipe.cmd("GET").arg(queue.heartbeat(worker));
            asks.push((queue.clone(), Ask::Heartbeat));
        }
        for queue in refreshed {
            let Some(state) = self.queues.get_mut(queue) else {
                continue;
            };
            let Some(refresh) = &state.refresh else {
                continue;
            };
            state
                .created_ms
                .retain(|id, _| refresh.oldest_candidates.contains(id));
            for id in &refresh.oldest_candidates {
                if !state.created_ms.contains_key(id) {
                    pipe.cmd("HGET").arg(queue.job(id)).arg("timestamp");
                    asks.push((queue.clone(), Ask::Created(id.clone())));
                }
            }
            state.unlocked_active = 0;
            for id in &refresh.active_ids {
                pipe.cmd("EXISTS").arg(queue.lock(id));
                asks.push((queue.clone(), Ask::Lock));
            }
        }
        let mut heartbeats = Vec::new();
        if asks.is_empty() {
            return Ok(heartbeats);
        }
        let replies = self.run(&pipe).await?;
        for ((queue, ask), reply) in asks.into_iter().zip(replies.iter()) {
            if let Ask::Heartbeat = ask {
                // An expired key is a vanished worker; a foreign value is skipped.
                if let Some(beat) = as_string(reply).and_then(|text| Heartbeat::parse(&text)) {
                    let key = QueueKey {
                        prefix: queue.prefix.clone(),
                        name: queue.name.clone(),
                    };
                    heartbeats.push((key, beat));
                }
                continue;
            }
            let Some(state) = self.queues.get_mut(&queue) else {
                continue;
            };
            match ask {
                Ask::Created(id) => {
                    // A job without a readable timestamp cannot be dated; it is skipped.
                    if let Some(ts) = as_i64(reply) {
                        state.created_ms.insert(id, ts);
                    }
                }
                Ask::Lock => {
                    if as_i64(reply) == Some(0) {
                        state.unlocked_active += 1;
                    }
                }
                Ask::Heartbeat => {}
            }
        }
        Ok(heartbeats)
    }

    fn readings(&self) -> Vec<QueueReading> {
        self.queues
            .iter()
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
                    timings: state.timings.clone(),
                    finished_in_interval: state.finished_in_interval,
                    library: refresh.and_then(|r| r.library.clone()),
                    problems: refresh.map(|r| r.problems.clone()).unwrap_or_default(),
                }
            })
            .collect()
    }
}

enum Ask {
    Created(String),
    Lock,
    Heartbeat,
}

/// How long a qtop worker that left CLIENT LIST is still looked up.
const QTOP_WORKER_MEMORY: Duration = Duration::from_secs(60);

/// Add an interval's events to the cumulative totals, or, when the stream was trimmed past
/// our last read, an estimate from the counts instead:
/// added = growth of the job-id counter; finished = added − growth of jobs in the system;
/// failed = growth of the failed set.
fn apply_rates(state: &mut QueueState, interval: &Interval, fresh: Option<&Refresh>) {
    let estimate = match (interval.gap, state.refresh.as_ref(), fresh) {
        (true, Some(before), Some(now)) => Some(estimate_from_counts(before, now, interval)),
        _ => None,
    };
    match estimate {
        Some(estimate) => {
            state.totals.added += estimate.added;
            state.totals.completed += estimate.completed;
            state.totals.failed += estimate.failed;
            state.rate_source = RateSource::CountDeltas;
        }
        None => {
            state.totals.added += interval.added;
            state.totals.completed += interval.completed;
            state.totals.failed += interval.failed;
            state.rate_source = RateSource::Events;
        }
    }
}

fn estimate_from_counts(before: &Refresh, now: &Refresh, interval: &Interval) -> EventTotals {
    let added = match (before.id_counter, now.id_counter) {
        (Some(a), Some(b)) if b >= a => (b - a) as u64,
        _ => interval.added,
    };
    let failed = now
        .counts
        .failed
        .saturating_sub(before.counts.failed)
        .max(interval.failed);
    let finished = finished_between(&before.counts, &now.counts, added);
    EventTotals {
        added,
        completed: finished.saturating_sub(failed).max(interval.completed),
        failed,
    }
}

/// Jobs that left the system: arrivals minus the growth of what is still in it.
fn finished_between(before: &QueueCounts, now: &QueueCounts, added: u64) -> u64 {
    (added + before.in_system()).saturating_sub(now.in_system())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_deltas_estimate_what_a_trimmed_stream_lost() {
        let before = Refresh {
            counts: QueueCounts {
                waiting: 100,
                active: 10,
                failed: 5,
                ..QueueCounts::default()
            },
            id_counter: Some(1000),
            ..Refresh::default()
        };
        let now = Refresh {
            counts: QueueCounts {
                waiting: 80,
                active: 10,
                failed: 15,
                ..QueueCounts::default()
            },
            id_counter: Some(1500),
            ..Refresh::default()
        };
        let interval = Interval {
            gap: true,
            added: 200,
            completed: 150,
            ..Interval::default()
        };
        let estimate = estimate_from_counts(&before, &now, &interval);
        // 500 arrived, the system shrank by 20: 520 finished, 10 of them failed.
        assert_eq!(estimate.added, 500);
        assert_eq!(estimate.failed, 10);
        assert_eq!(estimate.completed, 510);
    }

    #[test]
    fn without_a_gap_events_are_counted_exactly() {
        let mut state = QueueState::default();
        let interval = Interval {
            added: 3,
            completed: 2,
            failed: 1,
            ..Interval::default()
        };
        apply_rates(&mut state, &interval, None);
        assert_eq!(
            state.totals,
            EventTotals {
                added: 3,
                completed: 2,
                failed: 1
            }
        );
        assert_eq!(state.rate_source, RateSource::Events);
    }
}
