//! The read-only commands that refresh one queue, and the tolerant parse of their replies.
//! Commands are appended to a shared pipeline so that any number of queues costs one
//! round trip; the parse never panics on what it finds.

use redis::{Pipeline, Value};

use super::keys::QueueId;
use crate::model::QueueCounts;
use crate::source::value::{as_array, as_i64, as_string, server_error};

/// At most this many active jobs have their locks checked per refresh.
pub const LOCK_CHECK_MAX: isize = 200;

/// Commands appended by [`push_refresh`], in order.
const REFRESH_COMMANDS: usize = 15;

/// Append a queue's refresh commands; returns how many were added.
pub fn push_refresh(pipe: &mut Pipeline, queue: &QueueId) -> usize {
    pipe.cmd("LLEN").arg(queue.wait());
    pipe.cmd("LLEN").arg(queue.paused());
    pipe.cmd("LLEN").arg(queue.active());
    pipe.cmd("ZCARD").arg(queue.prioritized());
    pipe.cmd("ZCARD").arg(queue.delayed());
    pipe.cmd("ZCARD").arg(queue.completed());
    pipe.cmd("ZCARD").arg(queue.failed());
    pipe.cmd("ZCARD").arg(queue.waiting_children());
    pipe.cmd("HMGET")
        .arg(queue.meta())
        .arg("paused")
        .arg("version")
        .arg("library");
    pipe.cmd("GET").arg(queue.id_counter());
    // The head of `wait` (next to run, oldest for FIFO jobs) is its right end; LIFO jobs go
    // to the left end. Three from each end so legacy `0:` markers can be skipped.
    pipe.cmd("LRANGE").arg(queue.wait()).arg(-3).arg(-1);
    pipe.cmd("LRANGE").arg(queue.wait()).arg(0).arg(2);
    pipe.cmd("ZRANGE").arg(queue.prioritized()).arg(0).arg(0);
    pipe.cmd("LRANGE").arg(queue.paused()).arg(-3).arg(-1);
    pipe.cmd("LRANGE")
        .arg(queue.active())
        .arg(0)
        .arg(LOCK_CHECK_MAX - 1);
    REFRESH_COMMANDS
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
    pub counts: QueueCounts,
    pub paused: bool,
    pub library: Option<String>,
    pub id_counter: Option<i64>,
    /// Ids of the jobs that may be the oldest waiting (their `timestamp` decides).
    pub oldest_candidates: Vec<String>,
    pub active_ids: Vec<String>,
    /// The wait list holds legacy `0:` markers at its ends.
    pub saw_markers: bool,
    pub problems: Vec<String>,
}

/// Parse the replies of [`push_refresh`] (exactly `REFRESH_COMMANDS` values).
pub fn parse_refresh(queue: &QueueId, replies: &[Value]) -> Refresh {
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
    refresh.counts = QueueCounts {
        waiting: wait + legacy_paused,
        active,
        prioritized,
        delayed,
        completed,
        failed,
        waiting_children,
    };
    if let Some(meta) = replies.get(8) {
        match (server_error(meta), as_array(meta)) {
            (Some(error), _) => refresh
                .problems
                .push(format!("{queue} meta: unreadable ({error})")),
            (None, Some(fields)) => {
                refresh.paused = fields.first().and_then(as_string).is_some();
                refresh.library = fields
                    .get(1)
                    .and_then(as_string)
                    .or_else(|| fields.get(2).and_then(as_string));
            }
            (None, None) => {}
        }
    }
    refresh.id_counter = replies.get(9).and_then(as_i64);
    for index in 10..=13 {
        let ids = list_of_strings(replies.get(index));
        refresh.saw_markers |= ids.iter().any(|id| is_marker(id));
        refresh
            .oldest_candidates
            .extend(ids.into_iter().filter(|id| !is_marker(id)));
    }
    refresh.oldest_candidates.sort();
    refresh.oldest_candidates.dedup();
    refresh.active_ids = list_of_strings(replies.get(14))
        .into_iter()
        .filter(|id| !is_marker(id))
        .collect();
    refresh
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

/// Append `HMGET <job> timestamp processedOn finishedOn` for a finished job.
pub fn push_job_timing(pipe: &mut Pipeline, queue: &QueueId, job_id: &str) {
    pipe.cmd("HMGET")
        .arg(queue.job(job_id))
        .arg("timestamp")
        .arg("processedOn")
        .arg("finishedOn");
}

/// `(wait_ms, processing_ms)` from the reply of [`push_job_timing`]; `None` when the hash
/// is gone (removeOnComplete) or its fields are not numbers.
pub fn parse_job_timing(reply: &Value) -> Option<(Option<u64>, Option<u64>)> {
    let fields = as_array(reply)?;
    let ms = |i: usize| fields.get(i).and_then(as_i64);
    let (created, processed, finished) = (ms(0), ms(1), ms(2));
    if created.is_none() && processed.is_none() && finished.is_none() {
        return None;
    }
    let span = |from: Option<i64>, to: Option<i64>| match (from, to) {
        (Some(a), Some(b)) if b >= a => Some((b - a) as u64),
        _ => None,
    };
    Some((span(created, processed), span(processed, finished)))
}

#[cfg(test)]
mod tests {
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
            Value::Array(vec![bulk("1"), bulk("bullmq:6.7.0"), Value::Nil]),
            bulk("131"),
            list(&["9", "8", "7"]),
            list(&["11", "10", "0:0"]),
            list(&["p1"]),
            list(&["legacy"]),
            list(&["20", "21"]),
        ];
        let refresh = parse_refresh(&queue, &replies);
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
    }

    #[test]
    fn garbage_and_short_replies_do_not_panic() {
        let queue = QueueId::new("bull", "q");
        let refresh = parse_refresh(&queue, &[bulk("not a number"), Value::Nil]);
        assert_eq!(refresh.counts, QueueCounts::default());
        assert!(!refresh.paused);
    }

    #[test]
    fn job_timings_tolerate_missing_and_garbage_fields() {
        let timing = |a: Value, b: Value, c: Value| parse_job_timing(&Value::Array(vec![a, b, c]));
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
}
