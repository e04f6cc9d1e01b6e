//! One RQ queue's full read: the commands and the tolerant parse of their replies.
//!
//! The figures are those of RQ's own API without its read-time cleanup (a write):
//! `Queue.count` is LLEN; a registry's `count` first removes the entries whose score (an
//! expiry time) is in `[0, now]`, then ZCARDs, so qtop reads ZCARD minus ZCOUNT `0 now`.
//! The started registry's expired entries are abandoned jobs (a crashed worker's): RQ's
//! cleanup moves them to the failed registry (or requeues them), qtop counts them apart.

use redis::{Pipeline, Value};

use super::cursor::{parse_score, Arrivals, Cursor};
use super::keys;
use crate::source::value::{as_array, as_i64, as_string, server_error};

/// Commands a full read sends.
pub const FULL_READ_COMMANDS: usize = 17;

/// A queue's figures as RQ's API would report them at the time of reading.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// `Queue.count`.
    pub waiting: Option<u64>,
    /// `StartedJobRegistry.count`: entries not yet expired.
    pub active: Option<u64>,
    /// Expired started entries: abandoned jobs that RQ's cleanup has not moved yet.
    pub abandoned: u64,
    pub scheduled: Option<u64>,
    pub deferred: Option<u64>,
    pub finished: Option<u64>,
    pub failed: Option<u64>,
}

impl Figures {
    /// Jobs in the queue's own states (for the added-jobs estimate).
    pub fn in_flight(&self) -> u64 {
        [
            self.waiting,
            self.active,
            Some(self.abandoned),
            self.scheduled,
            self.deferred,
        ]
        .iter()
        .map(|n| n.unwrap_or(0))
        .sum()
    }
}

/// What a full read found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FullRead {
    pub figures: Figures,
    /// The job id at the head of the queue (next to run).
    pub head: Option<String>,
    /// The earliest future expiry among the started, finished and failed registries (epoch
    /// s): the figures change by themselves then.
    pub next_expiry_s: Option<f64>,
    pub finished: Arrivals,
    pub failed: Arrivals,
    pub problems: Vec<String>,
}

/// Append the full read of queue `name` at `now_s` (RQ's cleanup boundary, whole seconds)
/// with the registries' arrival cursors; `sample` bounds the arrivals listed.
pub fn push_full_read(
    pipe: &mut Pipeline,
    name: &str,
    now_s: i64,
    finished: Option<&Cursor>,
    failed: Option<&Cursor>,
    sample: usize,
) {
    let queue = keys::queue(name);
    pipe.cmd("LLEN").arg(&queue);
    pipe.cmd("LINDEX").arg(&queue).arg(0);
    let started = keys::started(name);
    push_expiring(pipe, &started, now_s);
    pipe.cmd("ZCARD").arg(keys::scheduled(name));
    pipe.cmd("ZCARD").arg(keys::deferred(name));
    let finished_key = keys::finished(name);
    let failed_key = keys::failed(name);
    push_expiring(pipe, &finished_key, now_s);
    push_expiring(pipe, &failed_key, now_s);
    Cursor::push_read(finished, pipe, &finished_key, sample);
    Cursor::push_read(failed, pipe, &failed_key, sample);
}

/// ZCARD, the expired count (`0 now`, RQ's cleanup range) and the next expiry.
fn push_expiring(pipe: &mut Pipeline, key: &str, now_s: i64) {
    pipe.cmd("ZCARD").arg(key);
    pipe.cmd("ZCOUNT").arg(key).arg(0).arg(now_s);
    pipe.cmd("ZRANGEBYSCORE")
        .arg(key)
        .arg(format!("({now_s}"))
        .arg("+inf")
        .arg("WITHSCORES")
        .arg("LIMIT")
        .arg(0)
        .arg(1);
}

/// Parse the replies of [`push_full_read`] (exactly [`FULL_READ_COMMANDS`] of them, or
/// fewer when the connection gave up: the rest read as missing).
pub fn parse_full_read(
    name: &str,
    replies: &[Value],
    finished: Option<&Cursor>,
    failed: Option<&Cursor>,
) -> FullRead {
    let nil = Value::Nil;
    let at = |i: usize| replies.get(i).unwrap_or(&nil);
    let mut problems = Vec::new();
    let mut count = |key: String, reply: &Value| -> Option<u64> {
        if let Some(error) = server_error(reply) {
            problems.push(format!("{key}: {error}"));
            return None;
        }
        match as_i64(reply) {
            Some(n) => Some(n.max(0) as u64),
            None => {
                problems.push(format!("{key}: unreadable reply"));
                None
            }
        }
    };
    let waiting = count(keys::queue(name), at(0));
    let head = as_string(at(1)).filter(|id| !id.is_empty());
    let started_card = count(keys::started(name), at(2));
    let started_expired = count(keys::started(name), at(3));
    let scheduled = count(keys::scheduled(name), at(5));
    let deferred = count(keys::deferred(name), at(6));
    let finished_card = count(keys::finished(name), at(7));
    let finished_expired = count(keys::finished(name), at(8));
    let failed_card = count(keys::failed(name), at(10));
    let failed_expired = count(keys::failed(name), at(11));
    let live =
        |card: Option<u64>, expired: Option<u64>| card.map(|c| c - expired.unwrap_or(0).min(c));
    let next_expiry_s = [at(4), at(9), at(12)]
        .into_iter()
        .filter_map(first_score)
        .filter(|s| s.is_finite())
        .reduce(f64::min);
    FullRead {
        figures: Figures {
            waiting,
            active: live(started_card, started_expired),
            abandoned: started_expired.unwrap_or(0),
            scheduled,
            deferred,
            finished: live(finished_card, finished_expired),
            failed: live(failed_card, failed_expired),
        },
        head,
        next_expiry_s,
        finished: Cursor::parse_read(finished, at(13), at(14)),
        failed: Cursor::parse_read(failed, at(15), at(16)),
        problems,
    }
}

/// The score of the first `[member, score]` pair of a WITHSCORES reply.
fn first_score(reply: &Value) -> Option<f64> {
    let items = as_array(reply)?;
    parse_score(items.get(1)?)
}

/// The fields a finished job is timed from.
pub const TIMING_FIELDS: [&str; 3] = ["enqueued_at", "started_at", "ended_at"];

/// Wait (`started_at − enqueued_at`) and processing (`ended_at − started_at`) in ms from
/// the reply to `HMGET rq:job:<id> enqueued_at started_at ended_at`; `None` when the job
/// hash is gone.
pub fn parse_timing(reply: &Value) -> Option<(Option<u64>, Option<u64>)> {
    let fields = as_array(reply)?;
    let time = |i: usize| {
        fields
            .get(i)
            .and_then(as_string)
            .and_then(|t| keys::parse_time_ms(&t))
    };
    let (enqueued, started, ended) = (time(0), time(1), time(2));
    if enqueued.is_none() && started.is_none() && ended.is_none() {
        return None;
    }
    let span = |from: Option<i64>, to: Option<i64>| match (from, to) {
        (Some(from), Some(to)) if to >= from => Some((to - from) as u64),
        _ => None,
    };
    Some((span(enqueued, started), span(started, ended)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(n: i64) -> Value {
        Value::Int(n)
    }

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    fn pairs(items: &[(&str, &str)]) -> Value {
        Value::Array(items.iter().flat_map(|(m, s)| [bulk(m), bulk(s)]).collect())
    }

    #[test]
    fn registries_count_as_rq_counts_after_its_cleanup() {
        let replies = vec![
            int(3),
            bulk("head"),
            int(4),
            int(1),
            pairs(&[("j:e", "200")]),
            int(2),
            int(1),
            int(10),
            int(3),
            pairs(&[("f", "150")]),
            int(5),
            int(0),
            Value::Array(vec![]),
            pairs(&[("f9", "700"), ("f8", "700")]),
            int(0),
            Value::Array(vec![]),
            int(0),
        ];
        let read = parse_full_read("q", &replies, None, None);
        assert_eq!(
            read.figures,
            Figures {
                waiting: Some(3),
                active: Some(3),
                abandoned: 1,
                scheduled: Some(2),
                deferred: Some(1),
                finished: Some(7),
                failed: Some(5),
            }
        );
        assert_eq!(read.head.as_deref(), Some("head"));
        assert_eq!(read.next_expiry_s, Some(150.0));
        assert!(read.problems.is_empty());
        // The first read sets the cursor and counts nothing.
        assert_eq!(read.finished.count, 0);
        assert_eq!(read.finished.cursor.as_ref().map(|c| c.score), Some(700.0));
    }

    #[test]
    fn wrong_types_and_short_replies_are_problems_not_zeros() {
        let wrongtype = redis::parse_redis_value(b"-WRONGTYPE Operation against a key\r\n")
            .unwrap_or(Value::Nil);
        assert!(server_error(&wrongtype).is_some());
        let read = parse_full_read("q", &[wrongtype, Value::Nil], None, None);
        assert_eq!(read.figures.waiting, None);
        assert_eq!(read.figures.active, None);
        assert!(!read.problems.is_empty());
        assert_eq!(read.head, None);
    }

    #[test]
    fn timings_come_from_the_job_hash_and_garbage_is_absent() {
        let reply = Value::Array(vec![
            bulk("2026-12-04T10:00:00.000000Z"),
            bulk("2026-12-04T10:00:00.250000Z"),
            bulk("2026-12-04T10:00:01.000000Z"),
        ]);
        assert_eq!(parse_timing(&reply), Some((Some(250), Some(750))));
        let gone = Value::Array(vec![Value::Nil, Value::Nil, Value::Nil]);
        assert_eq!(parse_timing(&gone), None);
        let partial = Value::Array(vec![bulk("x"), bulk("2026-12-04T10:00:00Z"), bulk("")]);
        assert_eq!(parse_timing(&partial), Some((None, None)));
        assert_eq!(parse_score(&bulk("inf")), Some(f64::INFINITY));
        assert_eq!(parse_score(&bulk("nan")), None);
    }
}
#[cfg(test)]
mod count_check {
    #[test]
    fn full_read_sends_its_count() {
        let mut pipe = redis::pipe();
        super::push_full_read(&mut pipe, "q", 5, None, None, 10);
        assert_eq!(pipe.len(), super::FULL_READ_COMMANDS);
    }
}
