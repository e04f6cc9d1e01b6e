//! Celery's reader (kombu's Redis transport): finds queues in kombu's binding sets, reads
//! each queue's priority lists and the `unacked` hash, and takes workers and task events
//! from the events listener. Read-only, and never a kombu consumer: no BRPOP, no restore of
//! `unacked` (which every kombu client runs, pushing running late-ack tasks back).
//!
//! One poll, however many queues there are:
//! 1. `HLEN unacked`, `HKEYS unacked` (when it holds at most [`MAX_LISTED`] entries), per
//!    queue `LLEN` of its step-0 list and of each priority list not empty at the last poll,
//!    one `EXISTS` over the priority lists that were (most queues never use priorities),
//!    [`PROBE_KEYS`](super::probe::PROBE_KEYS) of them at a time, and `LINDEX -1` (the
//!    next message) of the lists that were not empty at the last poll;
//! 2. only when a probe finds a priority list again: `LLEN` of its lists;
//! 3. only when `unacked` has entries not seen before: `HMGET` of at most
//!    [`super::unacked::RESOLVE_PER_POLL`] of them (each parsed once, for its queue).
//!
//! Workers and task events cost no command: the listener's subscription brings them.
//! Celery absent costs nothing a poll; between polls, three `EXISTS` every 5 s.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use redis::{Pipeline, Value};

use super::keys;
use super::listener::Listener;
use super::message::{fingerprint, parse_envelope};
use super::probe::{none_exist, Probes};
use super::queue::{steps, ListReads, QueueState};
use super::unacked::{Unacked, MAX_LISTED};
use super::workers::Origins;
use crate::model::PollReport;
use crate::source::config::PollerConfig;
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;
use crate::source::value::as_i64;

/// How often an absent Celery is looked for again (as for Sidekiq and RQ).
pub(super) const ABSENT_RECHECK: Duration = Duration::from_secs(5);
/// Keys a SCAN step asks for.
pub(super) const SCAN_COUNT: u64 = 1000;
/// A first discovery stops scanning after this many steps (the periodic pass goes on).
pub(super) const FIRST_PASS_STEPS: usize = 1000;
/// After this long, the listener has heard every live worker's heartbeat at least once
/// (Celery's default `freq` is 2 s).
pub const SETTLE: Duration = Duration::from_millis(2_600);

#[derive(Debug, Default)]
pub(super) struct ScanPass {
    pub(super) cursor: u64,
    pub(super) found: BTreeSet<String>,
}

pub struct CeleryReader {
    pub(super) config: PollerConfig,
    pub(super) present: bool,
    pub(super) checked_at: Option<Instant>,
    /// (exchange, routing key) → queue, from the binding sets.
    pub(super) routes: BTreeMap<(String, String), String>,
    pub(super) queues: BTreeMap<String, QueueState>,
    pub(super) pass: Option<ScanPass>,
    pub(super) last_pass_at: Option<Instant>,
    pub(super) unacked: Unacked,
    /// Where tasks come from, as far as qtop saw their messages.
    pub(super) origins: Origins,
    pub(super) listener: Option<Listener>,
    pub(super) processed: HashMap<String, u64>,
    /// Workers last seen taking tasks without task events, and when.
    pub(super) silent: BTreeMap<String, Instant>,
    pub(super) unplaced: u64,
}

/// The queue a message routed by `(exchange, routing_key)` went to: by the binding sets, or
/// a queue of that name (kombu's default direct exchange per queue).
fn route(
    routes: &BTreeMap<(String, String), String>,
    queues: &BTreeMap<String, QueueState>,
    exchange: &str,
    routing_key: &str,
) -> Option<String> {
    routes
        .get(&(exchange.to_string(), routing_key.to_string()))
        .cloned()
        .or_else(|| {
            queues
                .contains_key(routing_key)
                .then(|| routing_key.to_string())
        })
}

/// The list of `queue` at priority-step index `i` (see [`steps`]).
fn list_key(queue: &str, i: usize) -> String {
    keys::queue_list(queue, keys::PRIORITY_STEPS.get(i).copied().unwrap_or(0))
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl CeleryReader {
    pub fn new(config: PollerConfig) -> Self {
        Self {
            config,
            present: false,
            checked_at: None,
            routes: BTreeMap::new(),
            queues: BTreeMap::new(),
            pass: None,
            last_pass_at: None,
            unacked: Unacked::default(),
            origins: Origins::default(),
            listener: None,
            processed: HashMap::new(),
            silent: BTreeMap::new(),
            unplaced: 0,
        }
    }

    /// The Celery queues found so far.
    pub fn queue_names(&self) -> impl Iterator<Item = &String> {
        self.queues.keys()
    }

    pub fn reconnected(&mut self) {
        self.checked_at = None;
    }

    pub fn needs_discovery(&self) -> bool {
        self.checked_at.is_none()
    }

    /// How long a one-shot reader should still wait for every worker's heartbeat.
    pub fn settle_left(&self) -> Option<Duration> {
        let listener = self.listener.as_ref()?;
        SETTLE.checked_sub(listener.age()).filter(|d| !d.is_zero())
    }

    /// One poll of every Celery queue, into `report`.
    pub async fn poll(
        &mut self,
        conn: &mut Conn,
        report: &mut PollReport,
    ) -> Result<(), ConnectError> {
        if !self.present {
            return Ok(());
        }
        if self.listener.is_none() {
            let db = conn
                .target()
                .client()
                .map(|c| c.get_connection_info().redis_settings().db())
                .unwrap_or(0);
            self.listener = Some(Listener::spawn(
                conn.target().clone(),
                db,
                self.config.timeout,
            ));
        }

        // Round trip 1.
        let mut pipe = Pipeline::new();
        pipe.ignore_errors();
        pipe.cmd("HLEN").arg(keys::UNACKED);
        let list_tags = self.unacked.wants_listing();
        if list_tags {
            pipe.cmd("HKEYS").arg(keys::UNACKED);
        }
        let mut heads: Vec<(String, usize)> = Vec::new();
        let mut plans: Vec<ListReads> = Vec::with_capacity(self.queues.len());
        let mut probes = Probes::default();
        for (name, state) in &self.queues {
            let reads = state.list_reads();
            for &i in &reads.lengths {
                pipe.cmd("LLEN").arg(list_key(name, i));
            }
            probes.add(name, &reads.probe);
            heads.extend(reads.heads.iter().map(|&i| (name.clone(), i)));
            plans.push(reads);
        }
        for group in probes.groups() {
            let exists = pipe.cmd("EXISTS");
            for (name, lists) in group {
                for &i in lists {
                    exists.arg(list_key(name, i));
                }
            }
        }
        for (name, i) in &heads {
            pipe.cmd("LINDEX").arg(list_key(name, *i)).arg(-1);
        }
        let replies = conn.run(&pipe).await?;
        let taken_at = now_ms();
        let nil = Value::Nil;
        let at = |i: usize| replies.get(i).unwrap_or(&nil);
        self.unacked.len = as_i64(at(0)).map(|n| n.max(0) as u64);
        let mut next = 1;
        let new_tags = if list_tags {
            next += 1;
            self.unacked.take_listing(at(1))
        } else {
            self.unacked.listed = false;
            Vec::new()
        };
        for (state, reads) in self.queues.values_mut().zip(&plans) {
            for &i in &reads.lengths {
                let length = as_i64(at(next)).map(|n| n.max(0) as u64);
                next += 1;
                state.lengths[i] = length;
                if length.is_none_or(|n| n == 0) {
                    state.forget_head(i);
                }
            }
        }
        // Priority lists of a probe that found one again: their LLEN in round trip 2.
        let mut found_again: Vec<(String, usize)> = Vec::new();
        for group in probes.groups() {
            let empty = none_exist(at(next));
            next += 1;
            for (name, lists) in group {
                if empty {
                    if let Some(state) = self.queues.get_mut(name) {
                        state.probed_empty(lists);
                    }
                } else {
                    found_again.extend(lists.iter().map(|&i| (name.clone(), i)));
                }
            }
        }
        let mut learned: Vec<(Option<String>, Option<String>, String)> = Vec::new();
        let read_heads: BTreeSet<(String, usize)> = heads.iter().cloned().collect();
        for (name, i) in &heads {
            let reply = at(next);
            next += 1;
            let Some(state) = self.queues.get_mut(name) else {
                continue;
            };
            let Value::BulkString(bytes) = reply else {
                state.forget_head(*i);
                continue;
            };
            let print = fingerprint(bytes);
            let new = state.heads[*i].is_none_or(|h| h.fingerprint != print);
            state.take_head(*i, Some(print), taken_at);
            if new {
                if let Some(envelope) = parse_envelope(bytes) {
                    learned.push((
                        envelope.task_id().map(str::to_string),
                        envelope.task_name().map(str::to_string),
                        name.clone(),
                    ));
                }
            }
        }
        // Lists not read this poll have no known head.
        for (name, state) in self.queues.iter_mut() {
            for (i, _) in steps() {
                if !read_heads.contains(&(name.clone(), i)) {
                    state.forget_head(i);
                }
            }
        }

        // Round trip 2: priority lists that exist again (their heads are read next poll).
        if !found_again.is_empty() {
            let mut pipe = Pipeline::new();
            pipe.ignore_errors();
            for (name, i) in &found_again {
                pipe.cmd("LLEN").arg(list_key(name, *i));
            }
            let replies = conn.run(&pipe).await?;
            for (k, (name, i)) in found_again.iter().enumerate() {
                if let Some(state) = self.queues.get_mut(name) {
                    state.lengths[*i] =
                        as_i64(replies.get(k).unwrap_or(&nil)).map(|n| n.max(0) as u64);
                    state.forget_head(*i);
                }
            }
        }

        // Round trip 3: entries of `unacked` not seen before.
        let mut resolved = Vec::new();
        if !new_tags.is_empty() {
            let mut pipe = Pipeline::new();
            pipe.ignore_errors();
            pipe.cmd("HMGET").arg(keys::UNACKED).arg(&new_tags);
            let replies = conn.run(&pipe).await?;
            let (routes, queues) = (&self.routes, &self.queues);
            let route =
                |exchange: &str, routing_key: &str| route(routes, queues, exchange, routing_key);
            resolved = self
                .unacked
                .take_values(&new_tags, replies.first().unwrap_or(&nil), route);
        }
        for origin in resolved {
            if let Some(queue) = &origin.queue {
                learned.push((origin.id.clone(), origin.task.clone(), queue.clone()));
            }
        }
        for (id, task, queue) in learned {
            self.origins.learn(id.as_deref(), task.as_deref(), &queue);
        }
        let per_queue = self.unacked.per_queue();
        let too_many = self.unacked.len.filter(|n| *n > MAX_LISTED);
        for (name, state) in self.queues.iter_mut() {
            state.reserved = per_queue
                .as_ref()
                .map(|counts| counts.get(name).copied().unwrap_or(0));
            state.problems.clear();
            if let Some(n) = too_many {
                state.problems.push(format!(
                    "unacked holds {n} messages (over {MAX_LISTED}): reserved per queue not read"
                ));
            }
        }

        self.take_events(report);
        let library = self
            .sw_ver()
            .map_or_else(|| "celery".to_string(), |v| format!("celery:{v}"));
        for (name, state) in self.queues.iter_mut() {
            report
                .queues
                .push(state.reading(name, Some(library.clone())));
        }
        Ok(())
    }

    fn sw_ver(&self) -> Option<String> {
        let listener = self.listener.as_ref()?;
        let state = listener.state();
        state.workers.values().find_map(|w| w.sw_ver.clone())
    }
}
