//! The poller: discovers queues, tails their events and refreshes their counts, in a small
//! constant number of pipelined round trips however many queues there are.
//!
//! One poll:
//! 1. `XREAD` over every queue's events stream (one command; idle streams answer nothing),
//!    atomically with a trim check on streams that were busy;
//! 2. one pipeline: `CLIENT LIST`, the refresh commands of the queues that changed (events
//!    say which) plus a rotating slice of all queues (reconciliation: every queue each
//!    `reconcile_every` polls, one with active jobs each 5), and the timing fields
//!    of a bounded sample of jobs that finished;
//! 3. only when needed, one pipeline for the creation times of newly seen oldest jobs and
//!    the locks of active jobs.
//!
//! Idle queues therefore cost next to nothing, and every queue is still re-read at least
//! every `reconcile_every` polls.

mod discovery;
mod extras;
mod rates;
mod report;
mod schedule;

use rates::apply_rates;
use schedule::{meta_due, ACTIVE_RECONCILE_EVERY};
mod tail;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use redis::{Pipeline, Value};

use super::bullmq::keys::QueueId;
use super::bullmq::read::{
    count_markers, parse_job_timing, parse_refresh, push_first_event, push_job_timing,
    push_marker_scan, push_refresh, Refresh, RefreshPlan,
};
use super::cluster::LinkError;
use super::connect::{ConnectError, RedisTarget};
use super::events::{parse_entries, Interval, StreamId, StreamState};
use super::lean::value::to_value;
use super::lean::{Batch, LeanConn};
use super::link::{info_field, Link};
use crate::model::{EventTotals, JobTiming, PollReport, PollStats, RateSource};

/// What to watch and how hard.
#[derive(Clone, Debug)]
pub struct PollerConfig {
    pub prefixes: Vec<String>,
    /// Explicit queue names: no discovery when given.
    pub queues: Vec<String>,
    pub discovery_every: Duration,
    /// Every queue is fully re-read at least once per this many polls (events say which
    /// queues changed; reconciliation catches what events cannot, like a lock expiring).
    pub reconcile_every: u64,
    /// Finished jobs timed per queue per poll (one `HMGET` each): every job of a queue
    /// finishing up to this many per poll, a uniform sample above.
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
            discovery_every: Duration::from_secs(60),
            reconcile_every: 60,
            latency_sample: 2048,
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
    /// Re-read on the next poll, in full, whatever the events say (a marker scan is now
    /// due, or the counts moved without events).
    force_refresh: bool,
    /// Poll index of the last read of the meta hash.
    meta_read_at: u64,
    slot: u64,
    /// What the events said since the last poll (taken at the start of each poll).
    interval: Interval,
    /// Re-read in the current poll.
    refreshing: bool,
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
    link: Option<Link>,
    /// The poller's reads go through this when it could be opened (a single Redis, no TLS).
    lean: Option<LeanConn>,
    /// Cluster nodes seen so far: reconnection tries them after the seeds.
    known_nodes: Vec<String>,
    queues: BTreeMap<QueueId, QueueState>,
    redis_version: String,
    last_discovery: Option<Instant>,
    poll_index: u64,
    cost: Cost,
    next_slot: u64,
    qtop_workers: HashMap<(QueueId, String), Instant>,
    /// A periodic discovery pass in progress (advanced between polls).
    cycle: Option<discovery::ScanCycle>,
}

impl Poller {
    pub fn new(target: RedisTarget, config: PollerConfig) -> Self {
        Self {
            target,
            config,
            link: None,
            lean: None,
            known_nodes: Vec::new(),
            queues: BTreeMap::new(),
            redis_version: String::new(),
            last_discovery: None,
            poll_index: 0,
            cost: Cost::default(),
            next_slot: 0,
            qtop_workers: HashMap::new(),
            cycle: None,
        }
    }

    pub fn target(&self) -> &RedisTarget {
        &self.target
    }

    pub fn redis_version(&self) -> &str {
        &self.redis_version
    }

    pub fn is_connected(&self) -> bool {
        self.link.is_some()
    }

    pub fn queue_ids(&self) -> impl Iterator<Item = &QueueId> {
        self.queues.keys()
    }

    /// Connect (or reconnect): one Redis, or every master of a cluster; read the server
    /// version and name the connection.
    pub async fn connect(&mut self) -> Result<(), ConnectError> {
        let target = self.target.with_known_nodes(&self.known_nodes);
        let (mut link, info) = Link::open(&target, self.config.timeout).await?;
        self.redis_version = info_field(&info, "redis_version").unwrap_or_else(|| "unknown".into());
        // Lets operators see qtop in CLIENT LIST; an ACL that forbids it is no problem.
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        pipe.cmd("CLIENT").arg("SETNAME").arg("qtop:monitor");
        let _ = link.query(&pipe).await;
        tracing::info!(redis = %self.target.display(), version = %self.redis_version, "connected");
        if let Link::Cluster(cluster) = &link {
            self.known_nodes = cluster.known_addrs();
        }
        // QTOP_LEAN=off: everything through redis-rs (an escape hatch, and a comparison).
        let lean_off = std::env::var("QTOP_LEAN").is_ok_and(|v| v == "off" || v == "0");
        self.lean = match &link {
            Link::Single { .. } if lean_off => None,
            Link::Single { .. } => match LeanConn::open(&target, self.config.timeout).await {
                Ok(lean) => lean,
                Err(error) => {
                    // A second connection refused (maxclients, an ACL): redis-rs reads everything.
                    tracing::warn!(%error, "no second connection: reading through the main one");
                    None
                }
            },
            Link::Cluster(_) => None,
        };
        self.link = Some(link);
        self.last_discovery = None;
        self.cycle = None;
        Ok(())
    }

    /// Drop the connection after an error so the next call reconnects.
    pub fn disconnect(&mut self) {
        self.link = None;
        self.lean = None;
    }

    fn link(&mut self) -> Result<&mut Link, ConnectError> {
        let at = self.target.display().to_string();
        self.link
            .as_mut()
            .ok_or_else(|| ConnectError::Other(at, "not connected".into()))
    }

    /// Send a pipeline: through the lean connection when there is one (its replies are read
    /// by hand, several times cheaper than redis-rs's decoder), else through the link.
    /// The lean path answers server errors in place, as an `ignore_errors()` pipeline does:
    /// every pipeline sent here sets it, except the redis-rs XREAD, which only runs without
    /// a lean connection.
    async fn run(&mut self, pipe: &Pipeline) -> Result<Vec<Value>, ConnectError> {
        self.cost.round_trips += 1;
        self.cost.commands += pipe.len() as u64;
        if let Some(lean) = self.lean.as_mut() {
            let batch = Batch::from_pipeline(pipe);
            return match lean.exchange(&batch).await {
                Ok(replies) => Ok((0..batch.len())
                    .map(|i| replies.get(i).map(to_value).unwrap_or(Value::Nil))
                    .collect()),
                Err(error) => {
                    // A half-read reply leaves the connection unusable: start over.
                    self.disconnect();
                    Err(error)
                }
            };
        }
        match self.link()?.query(pipe).await {
            Ok(values) => Ok(values),
            Err(LinkError { error, lost }) => {
                if lost {
                    self.disconnect();
                }
                Err(error)
            }
        }
    }

    /// One full poll. Reconnects and rediscovers as needed.
    pub async fn poll(&mut self) -> Result<PollReport, ConnectError> {
        if self.link.is_none() {
            self.connect().await?;
        }
        if self.last_discovery.is_none() {
            self.discover().await?;
        }
        // Discovery is periodic background work: its cost is not part of the poll's.
        self.cost = Cost::default();
        let poll_started = Instant::now();
        self.read_events_all().await?;
        self.poll_index += 1;

        // Which queues to re-read: never read, changed (their events say so), or due for
        // reconciliation (a rotating slice).
        let every = self.config.reconcile_every.max(1);
        let turn = self.poll_index % every;
        let active_turn = self.poll_index % ACTIVE_RECONCILE_EVERY;
        for state in self.queues.values_mut() {
            state.interval = state.stream.take_interval();
            // A quiet queue with active jobs can change without events (a worker dies and
            // its locks expire): it is re-read more often than one with nothing active.
            let has_active = state.refresh.as_ref().is_some_and(|r| r.counts.active > 0);
            state.refreshing = state.refresh.is_none()
                || state.force_refresh
                || state.interval.entries > 0
                || state.slot % every == turn
                || (has_active && state.slot % ACTIVE_RECONCILE_EVERY == active_turn);
        }

        // Round trip 2: workers, refreshes, timing sample.
        let refreshing = self.queues.values().filter(|s| s.refreshing).count();
        let sampled_jobs: usize = self.queues.values().map(|s| s.interval.sample.len()).sum();
        let mut pipe = Pipeline::with_capacity(1 + refreshing * 15 + sampled_jobs);
        pipe.ignore_errors();
        pipe.cmd("CLIENT").arg("LIST");
        // Plans in the queues' (map) order: the replies are read back walking the map in
        // the same order, without cloning or looking up queue ids.
        let mut refresh_replies = 0;
        let mut plans: Vec<(RefreshPlan, usize, bool)> = Vec::with_capacity(refreshing);
        let mut sampled: Vec<(QueueId, usize)> = Vec::new();
        for (queue, state) in &self.queues {
            if state.refreshing {
                let changed = state.interval.entries > 0 || state.force_refresh;
                let age = self.poll_index.saturating_sub(state.meta_read_at);
                let meta = changed || meta_due(age, state.slot, self.poll_index);
                let plan = RefreshPlan::after(state.refresh.as_ref(), changed, meta);
                let n = push_refresh(&mut pipe, queue, &plan);
                if state.legacy_markers {
                    push_marker_scan(&mut pipe, queue);
                }
                refresh_replies += n + usize::from(state.legacy_markers);
                plans.push((plan, n, state.legacy_markers));
            }
        }
        // A stream that woke up since its last read may have been trimmed past it: its
        // first entry tells (checked after the read, which can only err towards a gap).
        let mut trim_checks: Vec<(QueueId, StreamId)> = Vec::new();
        for (queue, state) in self.queues.iter_mut() {
            if let Some(after) = state.stream.check_trim_after.take() {
                push_first_event(&mut pipe, queue);
                trim_checks.push((queue.clone(), after));
            }
        }
        for (queue, state) in &self.queues {
            for (index, job) in state.interval.sample.iter().enumerate() {
                push_job_timing(&mut pipe, queue, &job.job_id);
                sampled.push((queue.clone(), index));
            }
        }
        let replies = self.run(&pipe).await?;
        let workers = self.parse_workers(replies.first());
        self.remember_qtop_workers(&workers);
        let mut at = 1;
        let checks_at = 1 + refresh_replies;
        for (i, (queue, after)) in trim_checks.iter().enumerate() {
            let first = replies
                .get(checks_at + i)
                .map(parse_entries)
                .and_then(|entries| entries.first().map(|entry| entry.id));
            if let Some(state) = self.queues.get_mut(queue) {
                if first.is_some_and(|first| first > *after) {
                    state.interval.gap = true;
                }
            }
        }
        let mut plans = plans.into_iter();
        for (queue, state) in self.queues.iter_mut() {
            if !state.refreshing {
                continue;
            }
            let Some((plan, n, legacy)) = plans.next() else {
                break;
            };
            let chunk = replies.get(at..at + n).unwrap_or_default();
            at += n;
            let mut refresh = parse_refresh(queue, &plan, chunk, state.refresh.as_ref());
            if legacy {
                let markers = replies.get(at).map(count_markers).unwrap_or(0);
                at += 1;
                refresh.counts.waiting = refresh.counts.waiting.saturating_sub(markers);
            }
            // A quiet queue whose counts moved changed without events (a manual edit, a
            // lost event): read it whole next time.
            let quiet = plan != RefreshPlan::FULL && state.interval.entries == 0;
            let moved = quiet
                && state
                    .refresh
                    .as_ref()
                    .is_some_and(|prev| prev.counts != refresh.counts);
            state.force_refresh = moved || (refresh.saw_markers && !state.legacy_markers);
            state.legacy_markers |= refresh.saw_markers;
            if plan.meta {
                state.meta_read_at = self.poll_index;
            }
            state.stream.max_len = refresh.max_len_events.or(state.stream.max_len);
            let interval = std::mem::take(&mut state.interval);
            apply_rates(state, &interval, Some(&refresh));
            state.interval = interval;
            state.refresh = Some(refresh);
        }
        for state in self.queues.values_mut() {
            if !state.refreshing {
                let interval = std::mem::take(&mut state.interval);
                apply_rates(state, &interval, None);
                state.interval = interval;
            }
            state.timings.clear();
            state.finished_in_interval = state.interval.finished_seen;
        }
        at += trim_checks.len();
        for ((queue, index), reply) in sampled
            .into_iter()
            .zip(replies.get(at..).unwrap_or_default())
        {
            let Some(state) = self.queues.get_mut(&queue) else {
                continue;
            };
            let Some(job) = state.interval.sample.get(index) else {
                continue;
            };
            // The job hash is the truth; a job already deleted is timed from its events.
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
            state.timings.push(timing);
        }

        // Round trip 3 (only when needed): creation times of new oldest candidates, locks,
        // heartbeats.
        let heartbeats = self.third_round_trip().await?;

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
            cluster: self.cluster_reading(),
        };
        if let Some(Link::Cluster(cluster)) = &self.link {
            self.known_nodes = cluster.known_addrs();
        }
        Ok(report)
    }
}
