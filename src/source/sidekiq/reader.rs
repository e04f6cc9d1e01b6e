//! Sidekiq's reader: the figures of `Sidekiq::Queue`, `ScheduledSet`, `RetrySet`,
//! `DeadSet`, `ProcessSet`, `WorkSet` and `Stats`, for every queue, in one or two pipelined
//! round trips per poll however many queues there are. Never writes.
//!
//! One poll, per namespace:
//! 1. `SCARD queues`, `SMEMBERS processes`, `GET stat:processed|failed`, one `ZCOUNT` per
//!    bucket of each job set ([`SetMirror`]), `LLEN queue:<q>` per queue (plus `LINDEX -1`,
//!    the oldest job, where the list was not empty), and per known process its heartbeat
//!    and work (`HMGET`, `HGETALL` ×2);
//! 2. only when needed: `SMEMBERS queues` (its size changed, or every `discovery_every`),
//!    the set buckets whose count changed, the oldest job of lists that filled up, new
//!    processes.
//!
//! A Redis without Sidekiq costs one `EXISTS` per key kind every 5 s, between polls.
//!
//! (Longer than most files: each round trip's `push_*` and `take_*` halves must agree on
//! the order of replies, so they are kept side by side.)

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use redis::{Pipeline, Value};

use super::job::Job;
use super::keys::{JobSet, Keys};
use super::process::{self, parse_process, Process};
use super::rates::{Rates, Seen};
use super::zsets::{ReadPlan, SetMirror};
use crate::model::{JobTiming, PollReport, QueueCounts, QueueKey, QueueReading, WorkerInfo};
use crate::source::config::PollerConfig;
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;
use crate::source::value::{as_array, as_i64, as_string, server_error};

/// How often a Redis without Sidekiq is looked at again.
const ABSENT_RECHECK: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
struct QueueState {
    waiting: Option<u64>,
    /// How much the list shrank since the last poll.
    taken: u64,
    /// Waiting + active at the last poll.
    backlog: Option<u64>,
    oldest_ms: Option<i64>,
    problems: Vec<String>,
}

#[derive(Debug)]
struct Install {
    keys: Keys,
    present: bool,
    checked_at: Option<Instant>,
    queues: BTreeMap<String, QueueState>,
    queues_card: Option<i64>,
    listed_at: Option<Instant>,
    identities: Vec<String>,
    sets: [SetMirror; 3],
    rates: Rates,
    /// Work entries seen in the last poll: (identity, thread, jid, run_at).
    running: HashSet<(String, String, Option<String>, Option<i64>)>,
    polled: bool,
}

impl Install {
    fn new(namespace: &str) -> Self {
        Self {
            keys: Keys::new(namespace),
            present: false,
            checked_at: None,
            queues: BTreeMap::new(),
            queues_card: None,
            listed_at: None,
            identities: Vec::new(),
            sets: [SetMirror::new(), SetMirror::new(), SetMirror::new()],
            rates: Rates::default(),
            running: HashSet::new(),
            polled: false,
        }
    }
}

pub struct SidekiqReader {
    config: PollerConfig,
    installs: Vec<Install>,
}

fn set_index(set: JobSet) -> usize {
    match set {
        JobSet::Schedule => 0,
        JobSet::Retry => 1,
        JobSet::Dead => 2,
    }
}

/// Where each install's replies of round trip 1 sit.
#[derive(Default)]
struct Plan1 {
    set_counts: [usize; 3],
    heads: Vec<bool>,
    identities: Vec<String>,
}

#[derive(Default)]
struct Plan2 {
    list_queues: bool,
    sets: [ReadPlan; 3],
    set_commands: [usize; 3],
    heads: Vec<String>,
    identities: Vec<String>,
}

fn strings(value: Option<&Value>) -> Vec<String> {
    let mut items: Vec<String> = value
        .and_then(as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(as_string)
        .collect();
    items.sort();
    items
}

impl SidekiqReader {
    pub fn new(config: PollerConfig) -> Self {
        let namespaces = if config.sidekiq_namespaces.is_empty() {
            vec![String::new()]
        } else {
            config.sidekiq_namespaces.clone()
        };
        Self {
            installs: namespaces.iter().map(|ns| Install::new(ns)).collect(),
            config,
        }
    }

    pub fn reconnected(&mut self) {
        for install in &mut self.installs {
            *install = Install::new(install.keys.namespace());
        }
    }

    pub fn needs_discovery(&self) -> bool {
        self.installs.iter().any(|i| i.checked_at.is_none())
    }

    fn wanted(&self, queue: &str) -> bool {
        self.config.queues.is_empty() || self.config.queues.iter().any(|q| q == queue)
    }

    /// Whether each namespace has Sidekiq keys, and its queues and processes when it does.
    pub async fn discover(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        for i in 0..self.installs.len() {
            self.check(conn, i).await?;
        }
        Ok(())
    }

    /// Between polls: look again at a namespace that had no Sidekiq keys (every 5 s).
    pub async fn discovery_step(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        for i in 0..self.installs.len() {
            let install = &self.installs[i];
            let due = install
                .checked_at
                .is_none_or(|at| at.elapsed() >= ABSENT_RECHECK);
            if !install.present && due {
                self.check(conn, i).await?;
            }
        }
        Ok(())
    }

    async fn check(&mut self, conn: &mut Conn, i: usize) -> Result<(), ConnectError> {
        let keys = self.installs[i].keys.clone();
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for key in [
            keys.queues(),
            keys.processes(),
            keys.stat_processed(),
            keys.set(JobSet::Schedule),
            keys.set(JobSet::Retry),
            keys.set(JobSet::Dead),
        ] {
            pipe.cmd("EXISTS").arg(key);
        }
        pipe.cmd("SMEMBERS").arg(keys.queues());
        pipe.cmd("SMEMBERS").arg(keys.processes());
        let replies = conn.run(&pipe).await?;
        let present = replies.iter().take(6).any(|r| as_i64(r).unwrap_or(0) > 0);
        let names = strings(replies.get(6));
        let identities = strings(replies.get(7));
        let install = &mut self.installs[i];
        install.checked_at = Some(Instant::now());
        install.present = present;
        if present {
            install.identities = identities;
            install.listed_at = Some(Instant::now());
            self.set_queues(i, names);
        }
        Ok(())
    }

    /// The queues are those of `queues` (`Queue.all`) plus any with jobs in a job set.
    fn set_queues(&mut self, i: usize, mut names: Vec<String>) {
        let install = &self.installs[i];
        for set in &install.sets {
            names.extend(set.queue_names().map(str::to_string));
        }
        names.retain(|q| self.wanted(q));
        let install = &mut self.installs[i];
        install.queues.retain(|q, _| names.contains(q));
        for name in names {
            install.queues.entry(name).or_default();
        }
    }

    /// One poll of every namespace with Sidekiq keys, into `report`.
    pub async fn poll(
        &mut self,
        conn: &mut Conn,
        report: &mut PollReport,
    ) -> Result<(), ConnectError> {
        if !self.installs.iter().any(|i| i.present) {
            return Ok(());
        }
        // Round trip 1.
        let mut pipe = Pipeline::new();
        pipe.ignore_errors();
        let mut plans1 = Vec::new();
        for install in self.installs.iter().filter(|i| i.present) {
            plans1.push(push_round1(&mut pipe, install));
        }
        let replies = conn.run(&pipe).await?;
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut at = 0;
        let mut round1 = Vec::new();
        for (install, plan) in self.installs.iter_mut().filter(|i| i.present).zip(&plans1) {
            let parsed = take_round1(install, plan, &replies, &mut at, now_ms);
            round1.push(parsed);
        }

        // Round trip 2, only when needed.
        let mut pipe = Pipeline::new();
        pipe.ignore_errors();
        let mut plans2 = Vec::new();
        for (install, r1) in self.installs.iter_mut().filter(|i| i.present).zip(&round1) {
            plans2.push(push_round2(&mut pipe, install, r1));
        }
        let replies = if pipe.is_empty() {
            Vec::new()
        } else {
            conn.run(&pipe).await?
        };
        let mut at = 0;
        let mut index = 0;
        for i in 0..self.installs.len() {
            if !self.installs[i].present {
                continue;
            }
            let plan = &plans2[index];
            let r1 = &mut round1[index];
            index += 1;
            let listed = take_round2(&mut self.installs[i], plan, r1, &replies, &mut at, now_ms);
            if let Some(names) = listed {
                self.set_queues(i, names);
            }
            let (readings, workers) = finish(&mut self.installs[i], r1);
            report.queues.extend(readings);
            report.workers.extend(workers);
            // Queues that showed up in the job sets are read from the next poll on.
            let names: Vec<String> = self.installs[i].queues.keys().cloned().collect();
            self.set_queues(i, names);
        }
        Ok(())
    }
}

/// What round trip 1 (and 2) found for one namespace.
#[derive(Default)]
struct Round1 {
    queues_card: Option<i64>,
    identities: Vec<String>,
    processed: Option<u64>,
    failed: Option<u64>,
    set_plans: [ReadPlan; 3],
    /// Queues whose oldest job was not read (the list was empty last time) but now has jobs.
    heads_missing: Vec<String>,
    processes: Vec<Process>,
    problems: Vec<String>,
}

fn push_round1(pipe: &mut Pipeline, install: &Install) -> Plan1 {
    let keys = &install.keys;
    pipe.cmd("SCARD").arg(keys.queues());
    pipe.cmd("SMEMBERS").arg(keys.processes());
    pipe.cmd("GET").arg(keys.stat_processed());
    pipe.cmd("GET").arg(keys.stat_failed());
    let mut plan = Plan1::default();
    for set in JobSet::ALL {
        plan.set_counts[set_index(set)] =
            install.sets[set_index(set)].push_counts(pipe, &keys.set(set));
    }
    for (name, state) in &install.queues {
        pipe.cmd("LLEN").arg(keys.queue(name));
        let head = state.waiting.unwrap_or(0) > 0;
        if head {
            pipe.cmd("LINDEX").arg(keys.queue(name)).arg(-1);
        }
        plan.heads.push(head);
    }
    for identity in &install.identities {
        process::push_process(pipe, keys, identity);
    }
    plan.identities = install.identities.clone();
    plan
}

fn counter(value: Option<&Value>) -> Option<u64> {
    match value {
        Some(Value::Nil) => Some(0),
        Some(v) => as_i64(v).map(|n| n.max(0) as u64),
        None => None,
    }
}

fn read_head(state: &mut QueueState, key: &str, reply: Option<&Value>) {
    state.oldest_ms = None;
    match reply {
        Some(Value::BulkString(bytes)) => match Job::parse(bytes) {
            Some(job) => {
                state.oldest_ms = job.enqueued_at_ms;
                if job.enqueued_at_ms.is_none() {
                    state
                        .problems
                        .push(format!("the oldest job of {key} has no enqueued_at"));
                }
            }
            None => state
                .problems
                .push(format!("the oldest job of {key} is not a JSON object")),
        },
        Some(Value::Nil) | None => {}
        Some(other) => {
            if let Some(error) = server_error(other) {
                state.problems.push(format!("{key}: {error}"));
            }
        }
    }
}

fn take_round1(
    install: &mut Install,
    plan: &Plan1,
    replies: &[Value],
    at: &mut usize,
    now_ms: i64,
) -> Round1 {
    let mut next = || {
        let reply = replies.get(*at);
        *at += 1;
        reply
    };
    let mut r1 = Round1 {
        queues_card: next().and_then(as_i64),
        identities: strings(next()),
        processed: counter(next()),
        failed: counter(next()),
        ..Round1::default()
    };
    if r1.processed.is_none() || r1.failed.is_none() {
        r1.problems
            .push("stat:processed or stat:failed is not a number".to_string());
    }
    for set in JobSet::ALL {
        let n = plan.set_counts[set_index(set)];
        let counts: Vec<Value> = (0..n).filter_map(|_| next().cloned()).collect();
        r1.set_plans[set_index(set)] = install.sets[set_index(set)].take_counts(&counts);
    }
    let keys = install.keys.clone();
    for ((name, state), &head) in install.queues.iter_mut().zip(&plan.heads) {
        state.problems.clear();
        let key = keys.queue(name);
        let len = next();
        let previous = state.waiting;
        state.waiting = match len.and_then(as_i64) {
            Some(n) => Some(n.max(0) as u64),
            None => {
                let error = len.and_then(server_error).unwrap_or_default();
                state.problems.push(format!("{key}: not a list {error}"));
                Some(0)
            }
        };
        if head {
            read_head(state, &key, next());
        } else {
            state.oldest_ms = None;
        }
        if !head && state.waiting.unwrap_or(0) > 0 {
            r1.heads_missing.push(name.clone());
        }
        state.taken = previous
            .zip(state.waiting)
            .map_or(0, |(before, now)| before.saturating_sub(now));
    }
    for identity in &plan.identities {
        let chunk: Vec<Value> = (0..process::COMMANDS)
            .map(|_| next().cloned().unwrap_or(Value::Nil))
            .collect();
        match parse_process(&keys, identity, &chunk, now_ms) {
            Ok(Some(process)) => r1.processes.push(process),
            Ok(None) => {}
            Err(problem) => r1.problems.push(problem),
        }
    }
    r1
}

fn push_round2(pipe: &mut Pipeline, install: &Install, r1: &Round1) -> Plan2 {
    let keys = &install.keys;
    let mut plan = Plan2::default();
    let stale = install
        .listed_at
        .is_none_or(|at| at.elapsed() >= Duration::from_secs(60));
    if r1.queues_card != install.queues_card || stale {
        pipe.cmd("SMEMBERS").arg(keys.queues());
        plan.list_queues = true;
    }
    for set in JobSet::ALL {
        let i = set_index(set);
        plan.sets[i] = r1.set_plans[i].clone();
        plan.set_commands[i] = install.sets[i].push_reads(pipe, &keys.set(set), &plan.sets[i]);
    }
    for name in &r1.heads_missing {
        pipe.cmd("LINDEX").arg(keys.queue(name)).arg(-1);
        plan.heads.push(name.clone());
    }
    for identity in &r1.identities {
        if !install.identities.contains(identity) {
            process::push_process(pipe, keys, identity);
            plan.identities.push(identity.clone());
        }
    }
    plan
}

fn take_round2(
    install: &mut Install,
    plan: &Plan2,
    r1: &mut Round1,
    replies: &[Value],
    at: &mut usize,
    now_ms: i64,
) -> Option<Vec<String>> {
    let mut next = || {
        let reply = replies.get(*at);
        *at += 1;
        reply
    };
    let listed = plan.list_queues.then(|| strings(next()));
    if listed.is_some() {
        install.queues_card = r1.queues_card;
        install.listed_at = Some(Instant::now());
    }
    for set in JobSet::ALL {
        let i = set_index(set);
        let n = plan.set_commands[i];
        let reads: Vec<Value> = (0..n).filter_map(|_| next().cloned()).collect();
        install.sets[i].take_reads(&plan.sets[i], &reads);
    }
    let keys = install.keys.clone();
    for name in &plan.heads {
        let reply = next();
        if let Some(state) = install.queues.get_mut(name) {
            read_head(state, &keys.queue(name), reply);
        }
    }
    for identity in &plan.identities {
        let chunk: Vec<Value> = (0..process::COMMANDS)
            .map(|_| next().cloned().unwrap_or(Value::Nil))
            .collect();
        match parse_process(&keys, identity, &chunk, now_ms) {
            Ok(Some(process)) => r1.processes.push(process),
            Ok(None) => {}
            Err(problem) => r1.problems.push(problem),
        }
    }
    install.identities = r1.identities.clone();
    listed
}

/// The readings and workers of one namespace after a poll.
fn finish(install: &mut Install, r1: &mut Round1) -> (Vec<QueueReading>, Vec<WorkerInfo>) {
    let mut problems = std::mem::take(&mut r1.problems);
    for set in JobSet::ALL {
        let mirror = &install.sets[set_index(set)];
        let key = install.keys.set(set);
        if mirror.wrong_type {
            problems.push(format!("{key} is not a sorted set"));
        }
        if let Some((read, total)) = mirror.progress() {
            problems.push(format!(
                "{key}: {read} of {total} jobs read so far (its counts are partial)"
            ));
        }
        if mirror.unreadable() > 0 {
            problems.push(format!(
                "{key}: {} jobs are not readable JSON",
                mirror.unreadable()
            ));
        }
    }
    // Work of live processes, per queue; jobs seen starting since the last poll.
    let mut active: BTreeMap<&str, u64> = BTreeMap::new();
    let mut timings: BTreeMap<String, Vec<JobTiming>> = BTreeMap::new();
    let mut running = HashSet::new();
    for process in &r1.processes {
        for work in &process.work {
            *active.entry(work.queue.as_str()).or_default() += 1;
            let id = (
                process.worker.name.clone(),
                work.thread.clone(),
                work.jid.clone(),
                work.run_at_ms,
            );
            if install.polled && !install.running.contains(&id) {
                let wait_ms = match (work.run_at_ms, work.enqueued_at_ms) {
                    (Some(run), Some(enqueued)) => Some((run - enqueued).max(0) as u64),
                    _ => None,
                };
                timings
                    .entry(work.queue.clone())
                    .or_default()
                    .push(JobTiming {
                        wait_ms,
                        processing_ms: None,
                    });
            }
            running.insert(id);
        }
    }
    install.running = running;
    let served: HashSet<&str> = r1
        .processes
        .iter()
        .flat_map(|p| p.worker.queues.iter().map(String::as_str))
        .collect();
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let prefix = install.keys.namespace().to_string();
    let mut readings = Vec::new();
    for (name, state) in install.queues.iter_mut() {
        let Some(waiting) = state.waiting else {
            continue;
        };
        let active_now = active.get(name.as_str()).copied().unwrap_or(0);
        let arrived_failures: u64 = [JobSet::Retry, JobSet::Dead]
            .iter()
            .map(|s| {
                install.sets[set_index(*s)]
                    .arrived
                    .get(name)
                    .copied()
                    .unwrap_or(0)
            })
            .sum();
        let queue_timings = timings.remove(name).unwrap_or_default();
        let backlog = waiting + active_now;
        let backlog_change = state.backlog.map_or(0, |b| backlog as i64 - b as i64);
        state.backlog = Some(backlog);
        seen.insert(
            name.clone(),
            Seen {
                started: queue_timings.len() as u64,
                taken: state.taken,
                failures: arrived_failures,
                backlog_change,
                served: served.contains(name.as_str()),
            },
        );
        let mut queue_problems = state.problems.clone();
        queue_problems.extend(problems.iter().cloned());
        readings.push(QueueReading {
            key: QueueKey::new(crate::model::System::Sidekiq, prefix.clone(), name.clone()),
            counts: Some(QueueCounts {
                waiting: Some(waiting),
                active: Some(active_now),
                delayed: Some(install.sets[0].count(name)),
                retry: Some(install.sets[1].count(name)),
                failed: Some(install.sets[2].count(name)),
                ..QueueCounts::default()
            }),
            paused: None,
            oldest_waiting_ts_ms: state.oldest_ms,
            oldest_is_lower_bound: false,
            unlocked_active: 0,
            finished_in_interval: queue_timings.len() as u64,
            timings: queue_timings,
            library: Some("sidekiq".to_string()),
            problems: queue_problems,
            ..QueueReading::default()
        });
    }
    if let (Some(processed), Some(failed)) = (r1.processed, r1.failed) {
        install.rates.update(processed, failed, &seen);
    }
    for reading in &mut readings {
        let (totals, source) = install.rates.of(&reading.key.name);
        reading.totals = totals;
        reading.rate_source = source;
    }
    install.polled = true;
    let workers = r1.processes.drain(..).map(|p| p.worker).collect::<Vec<_>>();
    (readings, workers)
}
