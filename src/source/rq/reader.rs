//! RQ's reader: finds queues in `rq:queues` and workers in `rq:workers`, and reads each
//! queue's figures as RQ's API gives them, in at most three pipelined round trips per poll
//! however many queues there are. Never writes (RQ's own `count` and `Worker.all()` clean
//! up as they read: qtop filters instead).
//!
//! One poll:
//! 1. the workers' set and every known worker's hash, whether `rq suspend` is on, the
//!    queues' set size (the set itself when it changed or is due), and per queue either a
//!    full read (never read, due by an expiry, its reconciliation turn, or marked by the
//!    previous poll) or a one-command probe (LLEN);
//! 2. only when needed: full reads of the queues that moved (their LLEN changed, a worker
//!    serving them started or finished a job, appeared or vanished) and new workers' hashes;
//! 3. only when needed: `enqueued_at` of new head jobs and the timing fields of a sample of
//!    the jobs that finished since the last read.
//!
//! A quiet queue therefore costs one LLEN a poll. RQ absent (no queue listed, no worker)
//! costs nothing a poll: between polls, its two sets are looked at every five seconds.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use redis::{Pipeline, Value};

use super::keys;
use super::queue::{parse_full_read, push_full_read, FULL_READ_COMMANDS};
use super::state::QueueState;
use super::workers::{parse_members, parse_worker, stale_info, RqWorker, WorkerRead};
use crate::model::{PollReport, WorkerInfo};
use crate::source::config::PollerConfig;
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;
use crate::source::value::{as_array, as_i64, as_string};

/// How often an absent RQ is looked for again (as for an absent Sidekiq).
const ABSENT_RECHECK: Duration = Duration::from_secs(5);

pub struct RqReader {
    config: PollerConfig,
    /// RQ has a queue or a worker here: polls read it. Otherwise they skip it.
    present: bool,
    pub(super) queues: BTreeMap<String, QueueState>,
    /// Size of `rq:queues` when it was last listed.
    listed: Option<u64>,
    last_listing: Option<Instant>,
    /// `rq:queues` changed size: list it again.
    relist: bool,
    /// Workers seen alive at the last poll.
    workers: BTreeMap<String, RqWorker>,
    /// Listed workers whose hash is gone (their TTL lapsed), as last seen.
    gone: BTreeMap<String, Option<RqWorker>>,
    suspended: bool,
    poll_index: u64,
    next_slot: u64,
}

fn now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

impl RqReader {
    pub fn new(config: PollerConfig) -> Self {
        Self {
            config,
            present: false,
            queues: BTreeMap::new(),
            listed: None,
            last_listing: None,
            relist: false,
            workers: BTreeMap::new(),
            gone: BTreeMap::new(),
            suspended: false,
            poll_index: 0,
            next_slot: 0,
        }
    }

    /// The RQ queues found so far.
    pub fn queue_names(&self) -> impl Iterator<Item = &String> {
        self.queues.keys()
    }

    /// After a (re)connection: list the queues again at once.
    pub fn reconnected(&mut self) {
        self.last_listing = None;
    }

    pub fn needs_discovery(&self) -> bool {
        self.last_listing.is_none()
    }

    /// List `rq:queues` (one SMEMBERS): RQ registers every queue there on enqueue; and
    /// count `rq:workers`, so that workers without a listed queue make RQ present too.
    pub async fn discover(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        pipe.cmd("SMEMBERS").arg(keys::QUEUES);
        pipe.cmd("SCARD").arg(keys::WORKERS);
        let replies = conn.run(&pipe).await?;
        if let Some(reply) = replies.first() {
            self.take_listing(reply);
        }
        let workers = replies.get(1).and_then(as_i64).unwrap_or(0);
        self.present = self.listed.unwrap_or(0) > 0
            || workers > 0
            || !self.workers.is_empty()
            || !self.gone.is_empty();
        Ok(())
    }

    /// Between polls: list the queues again when their set changed size or the periodic
    /// pass is due.
    pub async fn discovery_step(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        let every = if self.present {
            self.config.discovery_every
        } else {
            ABSENT_RECHECK.min(self.config.discovery_every)
        };
        let due = self.last_listing.is_none_or(|at| at.elapsed() >= every);
        if self.relist || due {
            self.discover(conn).await?;
        }
        Ok(())
    }

    fn take_listing(&mut self, reply: &Value) {
        let Some(members) = as_array(reply) else {
            // Not a set (a foreign key): no RQ queues to read.
            self.listed = Some(0);
            self.last_listing = Some(Instant::now());
            self.relist = false;
            return;
        };
        self.listed = Some(members.len() as u64);
        let names: BTreeSet<String> = members
            .iter()
            .filter_map(as_string)
            .filter_map(|key| keys::queue_name(&key).map(str::to_string))
            .filter(|name| self.config.queues.is_empty() || self.config.queues.contains(name))
            .collect();
        self.queues.retain(|name, _| names.contains(name));
        for name in names {
            if !self.queues.contains_key(&name) {
                self.queues.insert(name, QueueState::new(self.next_slot));
                self.next_slot += 1;
            }
        }
        self.last_listing = Some(Instant::now());
        self.relist = false;
    }

    /// One poll of every RQ queue and worker, into `report`.
    pub async fn poll(
        &mut self,
        conn: &mut Conn,
        report: &mut PollReport,
    ) -> Result<(), ConnectError> {
        if !self.present {
            return Ok(());
        }
        self.poll_index += 1;
        let every = self.config.reconcile_every.max(1);
        let sample = self.config.latency_sample;
        let now = now_s();
        let now_i = now.floor() as i64;

        // Round trip 1.
        let mut pipe = Pipeline::new();
        pipe.ignore_errors();
        pipe.cmd("SMEMBERS").arg(keys::WORKERS);
        pipe.cmd("EXISTS").arg(keys::SUSPENDED);
        let relist = self.relist;
        if relist {
            pipe.cmd("SMEMBERS").arg(keys::QUEUES);
        } else {
            pipe.cmd("SCARD").arg(keys::QUEUES);
        }
        let known: BTreeSet<String> = self
            .workers
            .keys()
            .chain(self.gone.keys())
            .cloned()
            .collect();
        for name in &known {
            pipe.cmd("HGETALL").arg(keys::worker(name));
        }
        // In the queues' order; the replies are read back in the same order.
        let mut full_first: BTreeSet<String> = BTreeSet::new();
        let mut order: Vec<(String, bool)> = Vec::with_capacity(self.queues.len());
        for (name, state) in &self.queues {
            if state.due(now, self.poll_index, every) {
                push_full_read(
                    &mut pipe,
                    name,
                    now_i,
                    state.finished_cursor.as_ref(),
                    state.failed_cursor.as_ref(),
                    sample,
                );
                full_first.insert(name.clone());
                order.push((name.clone(), true));
            } else {
                pipe.cmd("LLEN").arg(keys::queue(name));
                order.push((name.clone(), false));
            }
        }
        let replies = conn.run(&pipe).await?;
        let nil = Value::Nil;
        let at = |i: usize| replies.get(i).unwrap_or(&nil);
        let members = parse_members(at(0));
        self.suspended = as_i64(at(1)).is_some_and(|n| n > 0);
        if relist {
            self.take_listing(at(2));
        } else if let Some(size) = as_i64(at(2)) {
            // A queue came or went: list the set before the next poll.
            self.relist = self.listed != Some(size.max(0) as u64);
        }
        let mut i = 3;
        let mut reads: Vec<(String, WorkerRead)> = Vec::with_capacity(known.len());
        for name in &known {
            reads.push((name.clone(), parse_worker(name, at(i))));
            i += 1;
        }
        for (name, full) in &order {
            if *full {
                let chunk = replies.get(i..i + FULL_READ_COMMANDS).unwrap_or_default();
                i += FULL_READ_COMMANDS;
                self.apply_full_read(name, chunk, sample);
                continue;
            }
            let waiting = as_i64(at(i)).map(|n| n.max(0) as u64);
            i += 1;
            if let Some(state) = self.queues.get_mut(name) {
                if waiting != state.waiting_seen {
                    state.dirty = true;
                }
            }
        }

        // Round trip 2: new workers, queues that moved.
        let new_workers: Vec<String> = members
            .iter()
            .filter(|name| !known.contains(*name))
            .cloned()
            .collect();
        self.take_worker_reads(&members, reads);
        let moved: Vec<String> = self
            .queues
            .iter()
            .filter(|(name, state)| {
                (state.dirty || state.figures.is_none()) && !full_first.contains(*name)
            })
            .map(|(name, _)| name.clone())
            .collect();
        if !new_workers.is_empty() || !moved.is_empty() {
            let now_i = now_s().floor() as i64;
            let mut pipe = Pipeline::new();
            pipe.ignore_errors();
            for name in &new_workers {
                pipe.cmd("HGETALL").arg(keys::worker(name));
            }
            for name in &moved {
                let state = self.queues.get(name);
                push_full_read(
                    &mut pipe,
                    name,
                    now_i,
                    state.and_then(|s| s.finished_cursor.as_ref()),
                    state.and_then(|s| s.failed_cursor.as_ref()),
                    sample,
                );
            }
            let replies = conn.run(&pipe).await?;
            let mut i = 0;
            let mut reads = Vec::with_capacity(new_workers.len());
            for name in &new_workers {
                reads.push((
                    name.clone(),
                    parse_worker(name, replies.get(i).unwrap_or(&nil)),
                ));
                i += 1;
            }
            self.take_worker_reads(&members, reads);
            for name in &moved {
                let chunk = replies.get(i..i + FULL_READ_COMMANDS).unwrap_or_default();
                i += FULL_READ_COMMANDS;
                self.apply_full_read(name, chunk, sample);
            }
            // A new worker's queues moved too; they are read in full next poll.
            for name in &new_workers {
                if let Some(worker) = self.workers.get(name) {
                    mark_dirty(&mut self.queues, &worker.queues);
                }
            }
        }

        // Round trip 3: date new heads, time the jobs that finished.
        self.date_and_time(conn).await?;

        let now_ms = (now_s() * 1000.0) as i64;
        let suspended = self.suspended;
        for (name, state) in self.queues.iter_mut() {
            let library = self
                .workers
                .values()
                .find(|w| w.queues.iter().any(|q| q == name))
                .and_then(|w| w.version.as_ref())
                .map_or_else(|| "rq".to_string(), |v| format!("rq:{v}"));
            let mut reading = state.reading(name, suspended, Some(library));
            if conn.is_cluster() {
                reading.node = conn.node_of(&keys::queue(name)).map(str::to_string);
            }
            report.queues.push(reading);
        }
        report.workers.extend(self.worker_infos(now_ms));
        // Everything RQ had is gone: stop polling it, look for it between polls again.
        self.present = !self.queues.is_empty() || !self.workers.is_empty() || !self.gone.is_empty();
        Ok(())
    }

    fn apply_full_read(&mut self, name: &str, chunk: &[Value], sample: usize) {
        if let Some(state) = self.queues.get_mut(name) {
            let read = parse_full_read(
                name,
                chunk,
                state.finished_cursor.as_ref(),
                state.failed_cursor.as_ref(),
            );
            state.apply(read, sample);
        }
    }

    /// Take worker hashes in; a worker that started or finished a job, appeared or vanished
    /// marks its queues to be read in full.
    fn take_worker_reads(&mut self, members: &[String], reads: Vec<(String, WorkerRead)>) {
        for (name, read) in reads {
            let listed = members.contains(&name);
            match read {
                WorkerRead::Alive(worker) if listed => {
                    let moved = self
                        .workers
                        .get(&name)
                        .is_none_or(|b| worker.moved_since(b));
                    if moved {
                        mark_dirty(&mut self.queues, &worker.queues);
                    }
                    self.gone.remove(&name);
                    self.workers.insert(name, *worker);
                }
                read => {
                    if let WorkerRead::Unreadable(why) = &read {
                        tracing::warn!(worker = %name, %why, "unreadable RQ worker");
                    }
                    let last = self.workers.remove(&name);
                    if let Some(last) = &last {
                        mark_dirty(&mut self.queues, &last.queues);
                    }
                    if listed && matches!(read, WorkerRead::Gone) {
                        let seen = last.or_else(|| self.gone.remove(&name).flatten());
                        self.gone.insert(name, seen);
                    } else {
                        self.gone.remove(&name);
                    }
                }
            }
        }
        // Workers no longer listed (a clean exit SREMs them) are forgotten.
        let dropped: Vec<String> = self
            .workers
            .keys()
            .filter(|name| !members.contains(name))
            .cloned()
            .collect();
        for name in dropped {
            if let Some(worker) = self.workers.remove(&name) {
                mark_dirty(&mut self.queues, &worker.queues);
            }
        }
        self.gone.retain(|name, _| members.contains(name));
    }

    /// The alive workers (what `Worker.all()` returns) and the stale ones.
    fn worker_infos(&self, now_ms: i64) -> Vec<WorkerInfo> {
        let mut infos: Vec<WorkerInfo> = self.workers.values().map(|w| w.info(now_ms)).collect();
        infos.extend(
            self.gone
                .iter()
                .map(|(name, seen)| stale_info(name, seen.as_ref(), now_ms)),
        );
        infos
    }
}

fn mark_dirty(queues: &mut BTreeMap<String, QueueState>, names: &[String]) {
    for name in names {
        if let Some(state) = queues.get_mut(name) {
            state.dirty = true;
        }
    }
}
