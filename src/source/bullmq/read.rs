//! The read-only commands that refresh one queue, and the tolerant parse of their replies.
//! Commands are appended to a shared pipeline so that any number of queues costs one
//! round trip; the parse never panics on what it finds.

use redis::{Cmd, Pipeline, Value};

use super::counts::JobCounts;
use super::keys::{suffix, KeyArg, QueueId};
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
        let heads_unknown = prev.oldest_candidates.is_empty();
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
    pub paused: bool,
    pub library: Option<String>,
    /// `opts.maxLenEvents` from the meta hash, when set.
    pub max_len_events: Option<u64>,
    /// The queue's limits from its meta hash (`setGlobalConcurrency`,
    /// `setGlobalRateLimit`), and the limiter's state.
    pub limits: crate::model::QueueLimits,
    /// Job schedulers and repeatable jobs (`repeat`).
    pub schedulers: Option<u64>,
    pub id_counter: Option<i64>,
    /// Ids at the head of `wait`, of `prioritized` and of a legacy `paused` list, as last
    /// read (markers left out). A head not re-read keeps what its last read found, and
    /// only while that list still holds jobs.
    pub heads: [Vec<String>; 3],
    /// Ids of the jobs that may be the oldest waiting (their `timestamp` decides): the
    /// heads, together.
    pub oldest_candidates: Vec<String>,
    pub active_ids: Vec<String>,
    /// The wait list holds legacy `0:` markers at its ends.
    pub saw_markers: bool,
    /// Length of a legacy (≤ v5) `paused` list (included in `counts.waiting`).
    pub legacy_paused: u64,
    /// Why the meta hash could not be read (kept, like the rest of the meta, while it is
    /// not re-read); also in `problems`.
    pub meta_problem: Option<String>,
    pub problems: Vec<String>,
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
    let mut count = |index: usize, what: &str| -> u64 {
        let Some(value) = replies.get(index) else {
            return 0;
        };
        if let Some(error) = server_error(value) {
            refresh
                .problems
                .push(format!("{queue} {what}: unreadable ({error})"));
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
        if let Some(meta) = replies.get(next) {
            match (server_error(meta), as_array(meta)) {
                (Some(error), _) => {
                    refresh.meta_problem = Some(format!("{queue} meta: unreadable ({error})"));
                }
                (None, Some(fields)) => {
                    let number = |i: usize| {
                        fields
                            .get(i)
                            .and_then(as_i64)
                            .and_then(|n| u64::try_from(n).ok())
                    };
                    refresh.paused = fields.first().and_then(as_string).is_some();
                    refresh.library = fields
                        .get(1)
                        .and_then(as_string)
                        .or_else(|| fields.get(2).and_then(as_string));
                    refresh.max_len_events = number(3);
                    refresh.limits.global_concurrency = number(4);
                    refresh.limits.global_rate_limit = number(5)
                        .zip(number(6))
                        .map(|(max, duration_ms)| crate::model::RateLimit { max, duration_ms });
                }
                (None, None) => {}
            }
        }
        next += 1;
        refresh.schedulers = replies.get(next).and_then(as_i64).map(|n| n.max(0) as u64);
        next += 1;
    } else if let Some(prev) = previous {
        // Not re-read: nothing said it changed (pause and resume write events).
        refresh.paused = prev.paused;
        refresh.library.clone_from(&prev.library);
        refresh.max_len_events = prev.max_len_events;
        refresh.limits = prev.limits;
        refresh.schedulers = prev.schedulers;
        refresh.meta_problem.clone_from(&prev.meta_problem);
    }
    refresh.limits.rate_limited_ms = Some(rate_limit_ttl(
        refresh.limits.global_rate_limit.map(|limit| limit.max),
        limiter_count,
        limiter_pttl,
    ));
    refresh
        .problems
        .extend(refresh.meta_problem.iter().cloned());
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
    for (i, ids) in heads.into_iter().enumerate() {
        match ids {
            Some(ids) => {
                refresh.saw_markers |= ids.iter().any(|id| is_marker(id));
                refresh.heads[i] = ids.into_iter().filter(|id| !is_marker(id)).collect();
            }
            // Not read this time: that list did not change (its events say so); keep what
            // its last read found, never another list's, never a list now empty.
            None if nonempty[i] => {
                if let Some(prev) = previous {
                    refresh.heads[i].clone_from(&prev.heads[i]);
                }
            }
            None => {}
        }
    }
    if let Some(prev) = previous {
        if !plan.active_ids && refresh.counts.active > 0 {
            refresh.active_ids = prev.active_ids.clone();
        }
    }
    refresh.oldest_candidates = refresh.heads.concat();
    refresh.oldest_candidates.sort();
    refresh.oldest_candidates.dedup();
    if let Some(ids) = active {
        refresh.active_ids = ids.into_iter().filter(|id| !is_marker(id)).collect();
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

/// Append `HMGET <job> timestamp processedOn finishedOn` for a finished job.
pub fn push_job_timing(pipe: &mut Pipeline, queue: &QueueId, job_id: &str) {
    pipe.cmd("HMGET")
        .arg(queue.job(job_id))
        .arg("timestamp")
        .arg("processedOn")
        .arg("finishedOn");
}

/// `(wait_ms, processing_ms)` from the reply of [`push_job_timing`]; `None` when the hash
/// is gone (removeOnComplete) or its fields are not numbers. Wait runs from when the job
/// became runnable: `runnable_ms` (from its events: a delayed job's due time, a retry's
/// return to wait) when later than its creation, so intended delays are not counted as lag.
pub fn parse_job_timing(
    reply: &Value,
    runnable_ms: Option<u64>,
) -> Option<(Option<u64>, Option<u64>)> {
    let fields = as_array(reply)?;
    let ms = |i: usize| fields.get(i).and_then(as_i64);
    let (created, processed, finished) = (ms(0), ms(1), ms(2));
    let runnable = runnable_ms.and_then(|r| i64::try_from(r).ok());
    let ready = match (created, runnable) {
        (Some(c), Some(r)) => Some(c.max(r)),
        (c, r) => c.or(r),
    };
    if created.is_none() && processed.is_none() && finished.is_none() {
        return None;
    }
    let span = |from: Option<i64>, to: Option<i64>| match (from, to) {
        // Garbage can be any i64: never overflow.
        (Some(a), Some(b)) if b >= a => b.checked_sub(a).map(|d| d as u64),
        _ => None,
    };
    // A runnable time a little after the start (two clocks: Redis's for events, the
    // worker's for processedOn) is a wait of 0, not an unknown one.
    let wait = match (ready, processed) {
        (Some(r), Some(p)) if r > p && r.checked_sub(p).is_some_and(|d| d < 1000) => Some(0),
        _ => span(ready, processed),
    };
    Some((wait, span(processed, finished)))
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_lock_check_reads_lock_check_max_ids() {
        assert_eq!(LOCK_CHECK_LAST, (LOCK_CHECK_MAX - 1).to_string());
    }

    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    fn list(items: &[&str]) -> Value {
        Value::Array(items.iter().map(|s| bulk(s)).collect())
    }

    #[test]
    fn a_refresh_reply_parses_into_counts_and_candidates() {
        let queue = QueueId::new("bull", "q");
        let replies = vec![
            Value::Int(5),
            Value::Int(1),
            Value::Int(2),
            Value::Int(4),
            Value::Int(3),
            Value::Int(100),
            Value::Int(7),
            Value::Int(1),
            // The limiter: 2 jobs in the window, 800 ms left; meta: at most 2 per second.
            bulk("2"),
            Value::Int(800),
            Value::Array(vec![
                bulk("1"),
                bulk("bullmq:6.7.0"),
                Value::Nil,
                Value::Nil,
                bulk("3"),
                bulk("2"),
                bulk("1000"),
            ]),
            Value::Int(4),
            bulk("131"),
            list(&["9", "0:0", "7"]),
            list(&["p1"]),
            list(&["legacy"]),
            list(&["20", "21"]),
        ];
        let refresh = parse_refresh(&queue, &RefreshPlan::FULL, &replies, None);
        assert_eq!(refresh.counts.waiting, 6);
        assert_eq!(refresh.counts.backlog(), 13);
        assert!(refresh.paused);
        assert_eq!(refresh.library.as_deref(), Some("bullmq:6.7.0"));
        assert_eq!(refresh.id_counter, Some(131));
        assert!(refresh.saw_markers);
        assert!(!refresh.oldest_candidates.contains(&"0:0".to_string()));
        assert!(refresh.oldest_candidates.contains(&"legacy".to_string()));
        assert_eq!(refresh.active_ids, vec!["20", "21"]);
        assert!(refresh.problems.is_empty());
        assert_eq!(refresh.limits.global_concurrency, Some(3));
        assert_eq!(
            refresh.limits.global_rate_limit,
            Some(crate::model::RateLimit {
                max: 2,
                duration_ms: 1000
            })
        );
        assert_eq!(refresh.limits.rate_limited_ms, Some(800));
        assert_eq!(refresh.schedulers, Some(4));
    }

    #[test]
    fn the_rate_limit_ttl_is_what_bullmq_answers() {
        // A global limit: limited only once the count reached max.
        assert_eq!(rate_limit_ttl(Some(2), Some(2), Some(700)), 700);
        assert_eq!(rate_limit_ttl(Some(2), Some(1), Some(700)), 0);
        // No global limit: the key's TTL (a worker-side limiter, worker.rateLimit()).
        assert_eq!(rate_limit_ttl(None, Some(1), Some(700)), 700);
        // No key (-2), no TTL (-1), garbage: not limited.
        assert_eq!(rate_limit_ttl(None, None, Some(-2)), 0);
        assert_eq!(rate_limit_ttl(None, None, Some(-1)), 0);
        assert_eq!(rate_limit_ttl(Some(5), None, None), 0);
    }

    #[test]
    fn an_idle_queue_reads_only_what_it_has() {
        let previous = Refresh {
            counts: JobCounts {
                waiting: 3,
                ..JobCounts::default()
            },
            ..Refresh::default()
        };
        let plan = RefreshPlan::after(Some(&previous), false, true);
        assert_eq!(
            plan,
            RefreshPlan {
                meta: true,
                id_counter: true,
                wait_head: true,
                prioritized_head: false,
                paused_head: false,
                active_ids: false
            }
        );
        let mut pipe = redis::pipe();
        assert_eq!(
            push_refresh(&mut pipe, &QueueId::new("bull", "q"), &plan),
            14
        );
        assert_eq!(RefreshPlan::after(None, false, false), RefreshPlan::FULL);

        // Once its id counter and its oldest candidates are known, a quiet queue reads its
        // counts and meta only and keeps the rest (every add or take writes an event); a
        // changed queue reads them again.
        let known = Refresh {
            id_counter: Some(41),
            heads: [vec!["3".into()], vec![], vec![]],
            oldest_candidates: vec!["3".into()],
            ..previous
        };
        let quiet = RefreshPlan::after(Some(&known), false, true);
        assert!(!quiet.id_counter && !quiet.wait_head);
        let mut pipe = redis::pipe();
        assert_eq!(
            push_refresh(&mut pipe, &QueueId::new("bull", "q"), &quiet),
            12
        );
        let mut replies: Vec<Value> = (0..8).map(|_| Value::Int(0)).collect();
        replies[0] = Value::Int(3);
        replies.extend([Value::Nil, Value::Int(-2)]);
        replies.push(Value::Array(vec![Value::Nil, Value::Nil, Value::Nil]));
        replies.push(Value::Int(0));
        let refresh = parse_refresh(&QueueId::new("bull", "q"), &quiet, &replies, Some(&known));
        assert_eq!(refresh.id_counter, Some(41));
        assert_eq!(refresh.oldest_candidates, vec!["3"]);
        assert!(RefreshPlan::after(Some(&known), true, true).id_counter);
    }

    #[test]
    fn a_busy_queue_forgets_the_heads_it_no_longer_has() {
        // Seen live: the candidates of every earlier poll were kept while the queue had a
        // backlog, so the oldest age counted from when the backlog began. A re-read head
        // replaces the old one; a list that emptied drops its head.
        let queue = QueueId::new("bull", "q");
        let counts = |waiting: i64, prioritized: i64| -> Vec<Value> {
            let mut replies = vec![Value::Int(waiting), Value::Int(0), Value::Int(0)];
            replies.push(Value::Int(prioritized));
            replies.extend((0..4).map(|_| Value::Int(0)));
            replies.extend([Value::Nil, Value::Int(-2)]);
            replies
        };
        let first = RefreshPlan {
            meta: false,
            id_counter: false,
            wait_head: true,
            prioritized_head: true,
            paused_head: false,
            active_ids: false,
        };
        let mut replies = counts(500, 1);
        replies.push(list(&["3", "2", "1"]));
        replies.push(list(&["p1"]));
        let before = parse_refresh(&queue, &first, &replies, None);
        assert_eq!(before.oldest_candidates, vec!["1", "2", "3", "p1"]);
        // Changed: the wait head is read again (the legacy paused head is not: no such list).
        let plan = RefreshPlan {
            meta: false,
            ..RefreshPlan::after(Some(&before), true, false)
        };
        assert!(plan.wait_head && plan.prioritized_head && plan.active_ids && !plan.paused_head);
        let mut replies = counts(500, 0);
        replies.push(bulk("0")); // the id counter
        replies.push(list(&["9", "8", "7"])); // wait head
        replies.push(list(&[])); // prioritized head
        replies.push(list(&[])); // active ids
        let after = parse_refresh(&queue, &plan, &replies, Some(&before));
        assert_eq!(after.oldest_candidates, vec!["7", "8", "9"]);
        // Quiet: heads not re-read keep theirs, only while their list holds jobs.
        let quiet = RefreshPlan::after(Some(&after), false, false);
        assert!(!quiet.wait_head);
        let kept = parse_refresh(&queue, &quiet, &counts(500, 0), Some(&after));
        assert_eq!(kept.oldest_candidates, vec!["7", "8", "9"]);
        let drained = parse_refresh(&queue, &quiet, &counts(0, 0), Some(&after));
        assert!(drained.oldest_candidates.is_empty());
    }

    #[test]
    fn a_refresh_without_the_meta_hash_keeps_what_it_said() {
        let queue = QueueId::new("bull", "q");
        let previous = Refresh {
            paused: true,
            library: Some("bullmq:6.7.0".into()),
            max_len_events: Some(500),
            id_counter: Some(7),
            meta_problem: Some("bull:q meta: unreadable (WRONGTYPE)".into()),
            ..Refresh::default()
        };
        let plan = RefreshPlan::after(Some(&previous), false, false);
        assert!(!plan.meta);
        // The eight counts (exactly what getJobCounts reads) and the limiter's two.
        let mut pipe = redis::pipe();
        assert_eq!(push_refresh(&mut pipe, &queue, &plan), 10);
        let replies: Vec<Value> = (0..10).map(|_| Value::Int(0)).collect();
        let refresh = parse_refresh(&queue, &plan, &replies, Some(&previous));
        assert!(refresh.paused);
        assert_eq!(refresh.library.as_deref(), Some("bullmq:6.7.0"));
        assert_eq!(refresh.max_len_events, Some(500));
        assert_eq!(
            refresh.problems,
            vec!["bull:q meta: unreadable (WRONGTYPE)"]
        );

        // Read again, the meta hash says what it says now, and the problem is gone.
        let plan = RefreshPlan { meta: true, ..plan };
        let mut replies: Vec<Value> = (0..10).map(|_| Value::Int(0)).collect();
        replies.push(Value::Array(vec![
            Value::Nil,
            Value::Nil,
            Value::Nil,
            Value::Nil,
        ]));
        let refresh = parse_refresh(&queue, &plan, &replies, Some(&previous));
        assert!(!refresh.paused);
        assert_eq!(refresh.library, None);
        assert!(refresh.problems.is_empty());
        assert_eq!(refresh.id_counter, Some(7));
    }

    #[test]
    fn garbage_and_short_replies_do_not_panic() {
        let queue = QueueId::new("bull", "q");
        let refresh = parse_refresh(
            &queue,
            &RefreshPlan::FULL,
            &[bulk("not a number"), Value::Nil],
            None,
        );
        assert_eq!(refresh.counts, JobCounts::default());
        assert!(!refresh.paused);
    }

    #[test]
    fn job_timings_tolerate_missing_and_garbage_fields() {
        let timing =
            |a: Value, b: Value, c: Value| parse_job_timing(&Value::Array(vec![a, b, c]), None);
        assert_eq!(
            timing(bulk("1000"), bulk("1250"), bulk("1400")),
            Some((Some(250), Some(150)))
        );
        assert_eq!(timing(Value::Nil, Value::Nil, Value::Nil), None);
        assert_eq!(
            timing(bulk("x"), bulk("1250"), bulk("1000")),
            Some((None, None))
        );
    }

    #[test]
    fn wait_runs_from_when_the_job_became_runnable() {
        let hash = Value::Array(vec![bulk("1000"), bulk("6020"), bulk("6100")]);
        // Added at 1000 with a 5 s delay, due at 6000, started at 6020: 20 ms of lag.
        assert_eq!(
            parse_job_timing(&hash, Some(6000)),
            Some((Some(20), Some(80)))
        );
        // No events seen: from creation, as before.
        assert_eq!(parse_job_timing(&hash, None), Some((Some(5020), Some(80))));
        // An event a little after the start (two clocks) is no wait, not an unknown one.
        assert_eq!(
            parse_job_timing(&hash, Some(6300)),
            Some((Some(0), Some(80)))
        );
        // A runnable time before creation cannot shorten the wait.
        assert_eq!(
            parse_job_timing(&hash, Some(10)),
            Some((Some(5020), Some(80)))
        );
    }
}
