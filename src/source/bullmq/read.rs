//! The read-only commands that refresh one queue, and the tolerant parse of their replies.
//! Commands are appended to a shared pipeline so that any number of queues costs one
//! round trip; the parse never panics on what it finds.

use std::borrow::Cow;
use std::sync::Arc;

use compact_str::CompactString;
use redis::{Cmd, Pipeline, Value};

use super::counts::JobCounts;
use super::heads::{Heads, LISTS};
use super::keys::{suffix, KeyArg, QueueId};
use super::meta::Meta;
use crate::model::{QueueLimits, RateLimit};
use crate::source::value::{as_array, as_i64, as_string, server_error};

/// At most this many active jobs have their locks checked per refresh.
pub const LOCK_CHECK_MAX: isize = 200;
const LOCK_CHECK_LAST: &str = "199";

/// The counts every refresh reads (what `getJobCounts` reads) and the limiter's TTL (what
/// `getRateLimitTtl` reads).
const BASE_COMMANDS: usize = 10;

/// Which optional reads a refresh includes. What the previous refresh found decides, so a
/// reconciliation of an idle queue sends little more than the counts themselves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefreshPlan {
    /// The meta hash (paused, library, `opts.maxLenEvents`). Pause and resume write events
    /// and the rest changes rarely, so the poller reads it for a quiet queue only now and
    /// then (see `meta_due` in the poller).
    pub meta: bool,
    /// The job-id counter (for the count-delta rates). A quiet queue skips it: every add
    /// writes an event, so no events means the counter did not move.
    pub id_counter: bool,
    /// The head (right end) of `wait`: candidates for the oldest waiting job.
    pub wait_head: bool,
    /// The next prioritized job.
    pub prioritized_head: bool,
    /// The head of a legacy `paused` list.
    pub paused_head: bool,
    /// Ids of active jobs, for the lock check.
    pub active_ids: bool,
}

impl RefreshPlan {
    /// Everything: for a queue never read, or one whose events say it changed.
    pub const FULL: Self = Self {
        meta: true,
        id_counter: true,
        wait_head: true,
        prioritized_head: true,
        paused_head: true,
        active_ids: true,
    };

    /// What is worth reading given the previous refresh (`None`: never read). `meta_due`:
    /// a quiet queue's meta hash is read this time.
    pub fn after(previous: Option<&Refresh>, changed: bool, meta_due: bool) -> Self {
        let Some(prev) = previous else {
            return Self::FULL;
        };
        if changed {
            return Self {
                paused_head: prev.legacy_paused > 0,
                ..Self::FULL
            };
        }
        // Quiet: the heads only move with events (a job taken, a LIFO add), so known
        // candidates stand; counts that moved anyway force a full read next poll.
        let heads_unknown = prev.heads.is_empty();
        Self {
            meta: meta_due,
            id_counter: prev.id_counter.is_none(),
            wait_head: prev.counts.waiting > 0 && heads_unknown,
            prioritized_head: prev.counts.prioritized > 0 && heads_unknown,
            paused_head: prev.legacy_paused > 0 && heads_unknown,
            active_ids: prev.counts.active > 0,
        }
    }

    fn optional(&self) -> [bool; 7] {
        [
            self.meta,
            self.meta,
            self.id_counter,
            self.wait_head,
            self.prioritized_head,
            self.paused_head,
            self.active_ids,
        ]
    }
}

/// One command on one key, allocated at its final size (the poller builds thousands).
fn keyed(name: &str, key: KeyArg, extra: &[&str]) -> Cmd {
    let size = name.len() + key.len() + extra.iter().map(|a| a.len()).sum::<usize>();
    let mut cmd = Cmd::with_capacity(2 + extra.len(), size);
    cmd.arg(name).arg(key);
    for arg in extra {
        cmd.arg(*arg);
    }
    cmd
}

/// Append a queue's refresh commands; returns how many were added.
pub fn push_refresh(pipe: &mut Pipeline, queue: &QueueId, plan: &RefreshPlan) -> usize {
    pipe.add_command(keyed("LLEN", queue.key_arg(suffix::WAIT), &[]));
    pipe.add_command(keyed("LLEN", queue.key_arg(suffix::PAUSED), &[]));
    pipe.add_command(keyed("LLEN", queue.key_arg(suffix::ACTIVE), &[]));
    pipe.add_command(keyed("ZCARD", queue.key_arg(suffix::PRIORITIZED), &[]));
    pipe.add_command(keyed("ZCARD", queue.key_arg(suffix::DELAYED), &[]));
    pipe.add_command(keyed("ZCARD", queue.key_arg(suffix::COMPLETED), &[]));
    pipe.add_command(keyed("ZCARD", queue.key_arg(suffix::FAILED), &[]));
    pipe.add_command(keyed("ZCARD", queue.key_arg(suffix::WAITING_CHILDREN), &[]));
    // The limiter: its count and TTL, as `getRateLimitTtl` reads them (two cheap reads;
    // a worker-side limiter is not in the meta hash, so they cannot wait for it).
    pipe.add_command(keyed("GET", queue.key_arg(suffix::LIMITER), &[]));
    pipe.add_command(keyed("PTTL", queue.key_arg(suffix::LIMITER), &[]));
    if plan.meta {
        pipe.add_command(keyed(
            "HMGET",
            queue.key_arg(suffix::META),
            &[
                "paused",
                "version",
                "library",
                "opts.maxLenEvents",
                "concurrency",
                "max",
                "duration",
            ],
        ));
        pipe.add_command(keyed("ZCARD", queue.key_arg(suffix::REPEAT), &[]));
    }
    if plan.id_counter {
        pipe.add_command(keyed("GET", queue.key_arg(suffix::ID), &[]));
    }
    // The head of `wait` (next to run, the oldest FIFO job) is its right end; LIFO jobs
    // are pushed there too, so three are read, which also skips legacy `0:` markers.
    if plan.wait_head {
        pipe.add_command(keyed("LRANGE", queue.key_arg(suffix::WAIT), &["-3", "-1"]));
    }
    if plan.prioritized_head {
        pipe.add_command(keyed(
            "ZRANGE",
            queue.key_arg(suffix::PRIORITIZED),
            &["0", "0"],
        ));
    }
    if plan.paused_head {
        pipe.add_command(keyed(
            "LRANGE",
            queue.key_arg(suffix::PAUSED),
            &["-3", "-1"],
        ));
    }
    if plan.active_ids {
        pipe.add_command(keyed(
            "LRANGE",
            queue.key_arg(suffix::ACTIVE),
            &["0", LOCK_CHECK_LAST],
        ));
    }
    BASE_COMMANDS + plan.optional().iter().filter(|included| **included).count()
}

/// Append the command that counts legacy `0:` markers in the first 1000 `wait` entries
/// (v3–v4 queues only; see bullmq-model.md §1).
pub fn push_marker_scan(pipe: &mut Pipeline, queue: &QueueId) -> usize {
    pipe.cmd("LRANGE").arg(queue.wait()).arg(0).arg(999);
    1
}

/// What one refresh found.
#[derive(Debug, Default, PartialEq)]
pub struct Refresh {
    pub counts: JobCounts,
    /// The meta hash and scheduler count, shared with queues alike ([`MetaBook`]).
    ///
    /// [`MetaBook`]: super::meta::MetaBook
    pub meta: Arc<Meta>,
    /// Time left on the rate limiter (0 when not limited).
    pub rate_limited_ms: Option<u64>,
    pub id_counter: Option<i64>,
    /// Ids at the head of `wait`, of `prioritized` and of a legacy `paused` list, as last
    /// read (markers left out). A head not re-read keeps what its last read found, and
    /// only while that list still holds jobs.
    pub heads: Heads,
    /// Boxed slices, not vectors: 16 bytes in every queue's refresh instead of 24.
    pub active_ids: Box<[CompactString]>,
    /// The wait list holds legacy `0:` markers at its ends.
    pub saw_markers: bool,
    /// Length of a legacy (≤ v5) `paused` list (included in `counts.waiting`).
    pub legacy_paused: u64,
    /// What could not be read (the meta hash's problem included).
    pub problems: Box<[String]>,
}

impl Refresh {
    /// The queue's limits (`setGlobalConcurrency`, `setGlobalRateLimit`) and the
    /// limiter's state.
    pub fn limits(&self) -> QueueLimits {
        QueueLimits {
            global_concurrency: self.meta.global_concurrency,
            global_rate_limit: self.meta.global_rate_limit,
            rate_limited_ms: self.rate_limited_ms,
        }
    }

    /// Ids of the jobs that may be the oldest waiting (their `timestamp` decides): the
    /// heads, together, each once. Made when asked: kept, it was a second copy of every
    /// queue's head ids.
    pub fn oldest_candidates(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.heads.all().collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Parse the replies of [`push_refresh`] made with the same `plan`. Reads the plan left
/// out keep what `previous` found (a queue that did not change still has it).
pub fn parse_refresh(
    queue: &QueueId,
    plan: &RefreshPlan,
    replies: &[Value],
    previous: Option<&Refresh>,
) -> Refresh {
    let mut refresh = Refresh::default();
    let mut problems = Vec::new();
    let mut count = |index: usize, what: &str| -> u64 {
        let Some(value) = replies.get(index) else {
            return 0;
        };
        if let Some(error) = server_error(value) {
            problems.push(format!("{queue} {what}: unreadable ({error})"));
            return 0;
        }
        as_i64(value).unwrap_or(0).max(0) as u64
    };
    let wait = count(0, "wait");
    let legacy_paused = count(1, "paused");
    let active = count(2, "active");
    let prioritized = count(3, "prioritized");
    let delayed = count(4, "delayed");
    let completed = count(5, "completed");
    let failed = count(6, "failed");
    let waiting_children = count(7, "waiting-children");
    let limiter_count = replies.get(8).and_then(as_i64);
    let limiter_pttl = replies.get(9).and_then(as_i64);
    refresh.legacy_paused = legacy_paused;
    refresh.counts = JobCounts {
        waiting: wait + legacy_paused,
        active,
        prioritized,
        delayed,
        completed,
        failed,
        waiting_children,
    };
    let mut next = BASE_COMMANDS;
    if plan.meta {
        let mut meta = Meta::default();
        if let Some(reply) = replies.get(next) {
            match (server_error(reply), as_array(reply)) {
                (Some(error), _) => {
                    meta.problem = Some(format!("{queue} meta: unreadable ({error})"));
                }
                (None, Some(fields)) => {
                    let number = |i: usize| {
                        fields
                            .get(i)
                            .and_then(as_i64)
                            .and_then(|n| u64::try_from(n).ok())
                    };
                    meta.paused = fields.first().and_then(as_string).is_some();
                    meta.library = fields
                        .get(1)
                        .and_then(as_string)
                        .or_else(|| fields.get(2).and_then(as_string))
                        .map(CompactString::from);
                    meta.max_len_events = number(3);
                    meta.global_concurrency = number(4);
                    meta.global_rate_limit = number(5)
                        .zip(number(6))
                        .map(|(max, duration_ms)| RateLimit { max, duration_ms });
                }
                (None, None) => {}
            }
        }
        next += 1;
        meta.schedulers = replies.get(next).and_then(as_i64).map(|n| n.max(0) as u64);
        next += 1;
        refresh.meta = Arc::new(meta);
    } else if let Some(prev) = previous {
        // Not re-read: nothing said it changed (pause and resume write events).
        refresh.meta = Arc::clone(&prev.meta);
    }
    refresh.rate_limited_ms = Some(rate_limit_ttl(
        refresh.meta.global_rate_limit.map(|limit| limit.max),
        limiter_count,
        limiter_pttl,
    ));
    problems.extend(refresh.meta.problem.iter().cloned());
    refresh.problems = problems.into();
    refresh.id_counter = if plan.id_counter {
        let id_counter = replies.get(next).and_then(as_i64);
        next += 1;
        id_counter
    } else {
        previous.and_then(|p| p.id_counter)
    };
    let mut take = |included: bool| -> Option<Vec<String>> {
        included.then(|| {
            let ids = list_of_strings(replies.get(next));
            next += 1;
            ids
        })
    };
    let heads = [
        take(plan.wait_head),
        take(plan.prioritized_head),
        take(plan.paused_head),
    ];
    let active = take(plan.active_ids);
    // Each list that still holds jobs, and so may still have its head.
    let nonempty = [
        refresh.counts.waiting > legacy_paused,
        refresh.counts.prioritized > 0,
        legacy_paused > 0,
    ];
    let mut lists: [Vec<Cow<'_, str>>; LISTS] = Default::default();
    for (i, (ids, list)) in heads.into_iter().zip(lists.iter_mut()).enumerate() {
        match ids {
            Some(ids) => {
                refresh.saw_markers |= ids.iter().any(|id| is_marker(id));
                *list = ids
                    .into_iter()
                    .filter(|id| !is_marker(id))
                    .map(Cow::Owned)
                    .collect();
            }
            // Not read this time: that list did not change (its events say so); keep what
            // its last read found, never another list's, never a list now empty.
            None if nonempty[i] => {
                if let Some(prev) = previous {
                    list.extend(prev.heads.get(i).map(Cow::Borrowed));
                }
            }
            None => {}
        }
    }
    refresh.heads = Heads::new(lists);
    if let Some(prev) = previous {
        if !plan.active_ids && refresh.counts.active > 0 {
            refresh.active_ids = prev.active_ids.clone();
        }
    }
    if let Some(ids) = active {
        refresh.active_ids = ids
            .into_iter()
            .filter(|id| !is_marker(id))
            .map(CompactString::from)
            .collect();
    }
    refresh
}

/// Milliseconds left on the rate limiter, as BullMQ's `getRateLimitTtl()` answers: with a
/// global limit (`max` in meta), its TTL only while the count has reached `max`; without
/// one (a worker-side limiter, or `worker.rateLimit()`), the limiter key's TTL. 0 when not
/// limited (BullMQ's own -1/-2 for "no TTL"/"no key" are 0 here).
pub fn rate_limit_ttl(max: Option<u64>, count: Option<i64>, pttl: Option<i64>) -> u64 {
    let pttl = pttl.unwrap_or(-2).max(0) as u64;
    match max {
        Some(max) if count.unwrap_or(0).max(0) as u64 >= max => pttl,
        Some(_) => 0,
        None => pttl,
    }
}

/// Count the legacy markers in the reply of [`push_marker_scan`].
pub fn count_markers(reply: &Value) -> u64 {
    list_of_strings(Some(reply))
        .iter()
        .filter(|id| is_marker(id))
        .count() as u64
}

/// v3–v4 wake-up markers (`0:<ts>`, `0:0`) are not jobs.
pub fn is_marker(id: &str) -> bool {
    id.starts_with("0:")
}

fn list_of_strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(as_array)
        .map(|items| items.iter().filter_map(as_string).collect())
        .unwrap_or_default()
}

/// Append `XRANGE <events> - + COUNT 1`: the stream's first entry, which tells whether
/// BullMQ trimmed past a position.
pub fn push_first_event(pipe: &mut Pipeline, queue: &QueueId) {
    pipe.cmd("XRANGE")
        .arg(queue.events())
        .arg("-")
        .arg("+")
        .arg("COUNT")
        .arg(1);
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
