//! BullMQ's reader: discovers queues, tails their events and refreshes their counts, in a
//! small constant number of pipelined round trips however many queues there are. It reads
//! through the monitor's shared connection ([`Conn`]) and adds its queues and workers to
//! the poll's report.
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
mod pace;
mod rates;
mod refresh;
mod report;
mod schedule;

use rates::apply_rates;
use schedule::ACTIVE_RECONCILE_EVERY;
mod tail;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use redis::Pipeline;
use smallvec::SmallVec;

use super::events::{parse_entries, LazyInterval, StreamId, StreamState};
use super::keys::QueueId;
use super::meta::MetaBook;
use super::read::{push_first_event, Refresh};
use super::timing::{parse_job_timing, push_job_timing};
use crate::model::{EventTotals, JobTiming, PollReport, RateSource};
use crate::source::config::PollerConfig;
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;

#[derive(Debug, Default)]
struct QueueState {
    stream: StreamState,
    refresh: Option<Refresh>,
    totals: EventTotals,
    rate_source: RateSource,
    /// Creation times of the current oldest-waiting candidates, by a hash of the job id
    /// (`hasher`; 64 bits, among a queue's few candidates): at most the three ids read at
    /// the head of `wait` and one of each other list, kept inline. The ids themselves
    /// were 72 more bytes a queue, and the refresh's heads hold them.
    created_ms: SmallVec<[(u64, i64); 3]>,
    /// Active jobs without a lock, of at most one lock check per active id (32 bits,
    /// which keeps a state's heap block at 432 bytes instead of 448).
    unlocked_active: u32,
    legacy_markers: bool,
    /// Re-read on the next poll, in full, whatever the events say (a marker scan is now
    /// due, or the counts moved without events).
    force_refresh: bool,
    /// Poll index of the last read of the meta hash.
    meta_read_at: u32,
    slot: u32,
    /// What the events said since the last poll (taken at the start of each poll).
    interval: LazyInterval,
    /// Re-read in the current poll.
    refreshing: bool,
    /// The last discovery pass that found its keys, or the pass under way (or the last
    /// begun) when discovery or a worker connection added it: a pass keeps the queues it
    /// found and those added while it ran (passes are numbered from 1).
    seen_in_pass: u32,
    /// Hash of the reading last sent, when unchanged readings are left out (0: none sent).
    sent: u64,
}

pub struct BullReader {
    config: PollerConfig,
    /// Boxed: a map node holds eleven entries, mostly half empty, and a state is ~1 KB.
    queues: BTreeMap<QueueId, Box<QueueState>>,
    last_discovery: Option<Instant>,
    poll_index: u64,
    next_slot: u32,
    qtop_workers: HashMap<(QueueId, String), Instant>,
    /// A periodic discovery pass in progress (advanced between polls).
    cycle: Option<discovery::ScanCycle>,
    /// When the last periodic pass started, and the time between passes (`pace.rs`).
    pass_started: Option<Instant>,
    /// Discovery passes begun (numbers them).
    passes: u32,
    period: Duration,
    pace: pace::Pace,
    /// The server process last discovered on (`INFO server`'s `run_id`).
    run_id: Option<String>,
    /// Totals of the queues of a previous server process, until they are found again.
    carried: HashMap<QueueId, EventTotals>,
    /// Queues worker connections named in the last `CLIENT LIST`.
    named_by_workers: BTreeSet<QueueId>,
    /// Queues dropped since the last report (reported as `gone` when unchanged readings
    /// are left out).
    gone: Vec<QueueId>,
    /// Hashes readings to tell a changed one: a hash is compared only with the same queue's
    /// previous one, in this process. foldhash (already in the tree through hashbrown), not
    /// std's SipHash: hashing 10,000 readings a second with SipHash was 6.8 % of an idle
    /// dashboard's CPU samples (`perf record`, 10,000 queues).
    hasher: foldhash::quality::RandomState,
    /// One copy of each meta the queues hold.
    metas: MetaBook,
}

impl BullReader {
    pub fn new(config: PollerConfig) -> Self {
        Self {
            config,
            queues: BTreeMap::new(),
            last_discovery: None,
            poll_index: 0,
            next_slot: 0,
            qtop_workers: HashMap::new(),
            cycle: None,
            pass_started: None,
            passes: 0,
            period: Duration::ZERO,
            pace: pace::Pace::default(),
            run_id: None,
            carried: HashMap::new(),
            named_by_workers: BTreeSet::new(),
            gone: Vec::new(),
            hasher: foldhash::quality::RandomState::default(),
            metas: MetaBook::default(),
        }
    }

    pub fn queue_ids(&self) -> impl Iterator<Item = &QueueId> {
        self.queues.keys()
    }

    /// After a (re)connection: discover again at once (the server may have restarted
    /// empty, or failed over).
    pub fn reconnected(&mut self) {
        self.last_discovery = None;
        self.cycle = None;
        self.pass_started = None;
        self.pace.forget_mark();
        // The next report is whole again: whoever reads it starts from it.
        for state in self.queues.values_mut() {
            state.sent = 0;
        }
    }

    pub fn needs_discovery(&self) -> bool {
        self.last_discovery.is_none()
    }

    /// Mark the queues whose stream was trimmed past our last read (`trim_checks`'
    /// replies follow CLIENT LIST's in `head_replies`): their rates come from counts.
    fn mark_gaps(&mut self, trim_checks: &[(QueueId, StreamId)], head_replies: &[redis::Value]) {
        for (i, (queue, after)) in trim_checks.iter().enumerate() {
            let first = head_replies
                .get(1 + i)
                .map(parse_entries)
                .and_then(|entries| entries.first().map(|entry| entry.id));
            if let Some(state) = self.queues.get_mut(queue) {
                if first.is_some_and(|first| first > *after) {
                    state.interval.gap = true;
                }
            }
        }
    }

    /// One poll of every BullMQ queue, into `report`: queues, workers (CLIENT LIST) and
    /// qtop's own workers' heartbeats.
    pub async fn poll(
        &mut self,
        conn: &mut Conn,
        report: &mut PollReport,
    ) -> Result<(), ConnectError> {
        self.read_events_all(conn).await?;
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
                || u64::from(state.slot) % every == turn
                || (has_active && u64::from(state.slot) % ACTIVE_RECONCILE_EVERY == active_turn);
        }

        // Round trip 2: workers, trim checks, timing sample and the refreshes, which go
        // on in more pipelines of at most MAX_PIPELINE commands when there are many (the
        // first poll of thousands of queues).
        let sampled_jobs: usize = self.queues.values().map(|s| s.interval.sample.len()).sum();
        let mut pipe = Pipeline::with_capacity(1 + sampled_jobs);
        pipe.ignore_errors();
        pipe.cmd("CLIENT").arg("LIST");
        // A stream that woke up since its last read may have been trimmed past it: its
        // first entry tells (checked after the read, which can only err towards a gap).
        let mut trim_checks: Vec<(QueueId, StreamId)> = Vec::new();
        for (queue, state) in self.queues.iter_mut() {
            if let Some(after) = state.stream.check_trim_after.take() {
                push_first_event(&mut pipe, queue);
                trim_checks.push((queue.clone(), after));
            }
        }
        let mut sampled: Vec<(QueueId, usize)> = Vec::new();
        for (queue, state) in &self.queues {
            for (index, job) in state.interval.sample.iter().enumerate() {
                push_job_timing(&mut pipe, queue, &job.job_id);
                sampled.push((queue.clone(), index));
            }
        }
        let head = pipe.len();
        let head_replies = self
            .refresh_in_chunks(conn, pipe, head, &trim_checks)
            .await?;
        let (workers, client_list) = self.parse_workers(head_replies.first());
        self.remember_qtop_workers(&workers);
        let named = self.note_named_queues(&workers);
        for state in self.queues.values_mut() {
            if !state.refreshing {
                let interval = std::mem::take(&mut state.interval);
                apply_rates(state, &interval, None);
                state.interval = interval;
            }
        }
        let at = 1 + trim_checks.len();
        for ((queue, index), reply) in sampled
            .into_iter()
            .zip(head_replies.get(at..).unwrap_or_default())
        {
            let Some(state) = self.queues.get_mut(&queue) else {
                continue;
            };
            let Some(job) = state.interval.sample.get(index) else {
                continue;
            };
            // The job hash is the truth; a job already deleted is timed from its events.
            let timing = match parse_job_timing(reply, job.runnable_ms) {
                Some((wait_ms, processing_ms)) => JobTiming {
                    wait_ms,
                    processing_ms,
                },
                None => JobTiming {
                    wait_ms: job.event_wait_ms,
                    processing_ms: job.event_processing_ms,
                },
            };
            state.interval.timings.push(timing);
        }

        // Round trip 3 (only when needed): creation times of new oldest candidates, locks,
        // heartbeats.
        let heartbeats = self.third_round_trip(conn).await?;
        self.add_readings(conn, report);
        // Queues only a worker connection names so far: read from the next poll on.
        self.start_streams(conn, &named).await?;
        report.workers.extend(workers);
        report.client_list = client_list;
        report.heartbeats.extend(heartbeats);
        Ok(())
    }
}
