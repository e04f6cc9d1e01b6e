//! The two pipelined round trips of a Sidekiq poll, for one namespace: what each asks
//! (`push_round1`, `push_round2`) and how its replies are taken (`take_round1`,
//! `take_round2`). Each round trip's `push_*` and `take_*` halves must agree on the order
//! of replies, so they are kept side by side.

use std::time::{Duration, Instant};

use redis::{Pipeline, Value};

use super::job::Job;
use super::keys::{JobSet, Keys};
use super::process::{self, parse_process, Process};
use super::reader::{set_index, Install, QueueState};
use super::zsets::ReadPlan;
use crate::source::value::{as_array, as_i64, as_string, server_error};

/// Where each install's replies of round trip 1 sit.
#[derive(Default)]
pub(super) struct Plan1 {
    set_counts: [usize; 3],
    heads: Vec<bool>,
    identities: Vec<String>,
}

#[derive(Default)]
pub(super) struct Plan2 {
    list_queues: bool,
    sets: [ReadPlan; 3],
    set_commands: [usize; 3],
    heads: Vec<String>,
    identities: Vec<String>,
}

pub(super) fn strings(value: Option<&Value>) -> Vec<String> {
    let mut items: Vec<String> = value
        .and_then(as_array)
        .unwrap_or_default()
        .iter()
        .filter_map(as_string)
        .collect();
    items.sort();
    items
}

/// What round trip 1 (and 2) found for one namespace.
#[derive(Default)]
pub(super) struct Round1 {
    queues_card: Option<i64>,
    identities: Vec<String>,
    pub(super) processed: Option<u64>,
    pub(super) failed: Option<u64>,
    set_plans: [ReadPlan; 3],
    /// Queues whose oldest job was not read (the list was empty last time) but now has jobs.
    heads_missing: Vec<String>,
    pub(super) processes: Vec<Process>,
    pub(super) problems: Vec<String>,
}

pub(super) fn push_round1(pipe: &mut Pipeline, install: &Install) -> Plan1 {
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

pub(super) fn take_round1(
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
    take_processes(&plan.identities, &keys, &mut next, now_ms, &mut r1);
    r1
}

pub(super) fn push_round2(pipe: &mut Pipeline, install: &Install, r1: &Round1) -> Plan2 {
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

pub(super) fn take_round2(
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
    take_processes(&plan.identities, &keys, &mut next, now_ms, r1);
    install.identities = r1.identities.clone();
    listed
}

/// Each process's replies (`process::COMMANDS` a process, in the order pushed) into a
/// process of `r1`, or a problem.
fn take_processes<'a>(
    identities: &[String],
    keys: &Keys,
    next: &mut impl FnMut() -> Option<&'a Value>,
    now_ms: i64,
    r1: &mut Round1,
) {
    for identity in identities {
        let chunk: Vec<Value> = (0..process::COMMANDS)
            .map(|_| next().cloned().unwrap_or(Value::Nil))
            .collect();
        match parse_process(keys, identity, &chunk, now_ms) {
            Ok(Some(process)) => r1.processes.push(process),
            Ok(None) => {}
            Err(problem) => r1.problems.push(problem),
        }
    }
}
