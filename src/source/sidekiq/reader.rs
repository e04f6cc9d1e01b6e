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
//! The round trips themselves are in `round_trips`, the readings built from their
//! replies in `readings`.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use redis::Pipeline;

use super::keys::{JobSet, Keys};
use super::rates::Rates;
use super::readings::finish;
use super::round_trips::{push_round1, push_round2, strings, take_round1, take_round2};
use super::zsets::SetMirror;
use crate::model::PollReport;
use crate::source::config::PollerConfig;
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;
use crate::source::value::as_i64;

/// How often a Redis without Sidekiq is looked at again.
const ABSENT_RECHECK: Duration = Duration::from_secs(5);

#[derive(Debug, Default)]
pub(super) struct QueueState {
    pub(super) waiting: Option<u64>,
    /// How much the list shrank since the last poll.
    pub(super) taken: u64,
    /// Waiting + active at the last poll.
    pub(super) backlog: Option<u64>,
    pub(super) oldest_ms: Option<i64>,
    pub(super) problems: Vec<String>,
}

#[derive(Debug)]
pub(super) struct Install {
    pub(super) keys: Keys,
    present: bool,
    checked_at: Option<Instant>,
    pub(super) queues: BTreeMap<String, QueueState>,
    pub(super) queues_card: Option<i64>,
    pub(super) listed_at: Option<Instant>,
    pub(super) identities: Vec<String>,
    pub(super) sets: [SetMirror; 3],
    pub(super) rates: Rates,
    /// Work entries seen in the last poll: (identity, thread, jid, run_at).
    pub(super) running: HashSet<(String, String, Option<String>, Option<i64>)>,
    pub(super) polled: bool,
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

pub(super) fn set_index(set: JobSet) -> usize {
    match set {
        JobSet::Schedule => 0,
        JobSet::Retry => 1,
        JobSet::Dead => 2,
    }
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
