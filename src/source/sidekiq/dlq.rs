//! Sidekiq's dead letters: the dead set (`Sidekiq::DeadSet`, the morgue) and, as a second
//! view, the retry set (`Sidekiq::RetrySet`), seen per queue. Both sets are global and hold
//! jobs by value, so a queue's page is the set read newest first in batches and filtered by
//! the job's `queue`. Read-only; retries and deletes live in `actions/sidekiq/`.

use std::io::Write;

use redis::aio::MultiplexedConnection;
use redis::RedisResult;
use serde_json::{json, Value};

use super::job::Job;
use super::keys::{JobSet, Keys};
use crate::model::failures::{FailedJob, FailedJobDetail, FailedPage, Payload};

/// Entries read per round trip while walking a set.
const WALK: i64 = 1000;

/// One entry of a job set, with what a write needs: the exact member and its score.
#[derive(Clone, Debug)]
pub struct Entry {
    pub member: Vec<u8>,
    /// The score as Redis printed it (a write gives it back unchanged).
    pub score_text: String,
    pub score: f64,
    pub job: Option<Job>,
}

impl Entry {
    pub fn jid(&self) -> Option<&str> {
        self.job.as_ref().and_then(|j| j.jid.as_deref())
    }

    fn in_queue(&self, queue: &str) -> bool {
        self.job.as_ref().and_then(|j| j.queue.as_deref()) == Some(queue)
    }
}

/// Walk `set` newest first (highest score first), handing each entry of `queue` to `visit`
/// until it returns false. Returns how many entries of the queue were visited.
pub async fn walk(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    set: JobSet,
    queue: &str,
    mut visit: impl FnMut(Entry) -> bool,
) -> RedisResult<u64> {
    let key = keys.set(set);
    let mut start = 0i64;
    let mut seen = 0u64;
    loop {
        let items: Vec<(Vec<u8>, String)> = redis::cmd("ZREVRANGE")
            .arg(&key)
            .arg(start)
            .arg(start + WALK - 1)
            .arg("WITHSCORES")
            .query_async(conn)
            .await?;
        let n = items.len() as i64;
        for (member, score_text) in items {
            let entry = Entry {
                score: score_text.parse().unwrap_or(f64::NAN),
                score_text,
                job: Job::parse(&member),
                member,
            };
            if entry.in_queue(queue) {
                seen += 1;
                if !visit(entry) {
                    return Ok(seen);
                }
            }
        }
        if n < WALK {
            return Ok(seen);
        }
        start += n;
    }
}

/// The list's view of one entry.
pub fn summary(set: JobSet, entry: &Entry) -> FailedJob {
    let job = entry.job.clone().unwrap_or_default();
    let score_ms = entry
        .score
        .is_finite()
        .then(|| (entry.score * 1000.0).round() as i64);
    let reason = match (&job.error_class, &job.error_message) {
        (Some(class), Some(message)) => format!("{class}: {message}"),
        (Some(class), None) => class.clone(),
        (None, Some(message)) => message.clone(),
        (None, None) if entry.job.is_none() => "(not a readable job)".to_string(),
        (None, None) => String::new(),
    };
    FailedJob {
        id: job.jid.clone().unwrap_or_default(),
        name: job.class.clone(),
        failed_reason: reason,
        attempts_made: job
            .retry_count
            .map_or(u64::from(job.failed_at_ms.is_some()), |n| n + 1),
        // The dead set's score is the time of death; a retry's is its next attempt.
        finished_on: match set {
            JobSet::Dead => score_ms,
            _ => job.retried_at_ms.or(job.failed_at_ms),
        },
        timestamp: job.created_at_ms,
        processed_on: None,
        error_class: job.error_class.clone(),
        error_message: job.error_message.clone(),
        retry_count: job.retry_count,
        failed_at: job.failed_at_ms,
        retried_at: job.retried_at_ms,
        next_retry_at: (set == JobSet::Retry).then_some(score_ms).flatten(),
        description: None,
    }
}

/// Entries `offset .. offset + limit` of `queue` in `set`, newest first, and how many the
/// queue has there.
pub async fn page(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    set: JobSet,
    queue: &str,
    offset: u64,
    limit: u64,
) -> RedisResult<FailedPage> {
    let mut jobs = Vec::new();
    let mut index = 0u64;
    let total = walk(conn, keys, set, queue, |entry| {
        if index >= offset && (jobs.len() as u64) < limit {
            jobs.push(summary(set, &entry));
        }
        index += 1;
        true
    })
    .await?;
    Ok(FailedPage {
        total,
        offset,
        jobs,
    })
}

/// Entries of `queue` in `set` whose jid is one of `ids` (every one of a jid, in case
/// several share it).
pub async fn find(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    set: JobSet,
    queue: &str,
    ids: &[String],
) -> RedisResult<Vec<Entry>> {
    let mut found = Vec::new();
    walk(conn, keys, set, queue, |entry| {
        if entry
            .jid()
            .is_some_and(|jid| ids.iter().any(|id| id == jid))
        {
            found.push(entry);
        }
        true
    })
    .await?;
    Ok(found)
}

/// Everything about one job: args as data, the whole job as opts, its backtrace.
pub async fn detail(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    set: JobSet,
    queue: &str,
    id: &str,
    max_payload: u64,
) -> RedisResult<Option<FailedJobDetail>> {
    let found = find(conn, keys, set, queue, &[id.to_string()]).await?;
    let Some(entry) = found.into_iter().next() else {
        return Ok(None);
    };
    let job = entry.job.clone().unwrap_or_default();
    let size = entry.member.len() as u64;
    let (stacktrace, stacktrace_unreadable) = match job.backtrace() {
        Ok(Some(lines)) => (vec![lines.join("\n")], false),
        Ok(None) => (Vec::new(), false),
        Err(_) => (Vec::new(), true),
    };
    let (data, opts) = if size > max_payload {
        (
            Payload::TooLarge { bytes: size },
            Payload::TooLarge { bytes: size },
        )
    } else {
        let args = job
            .args
            .as_ref()
            .map_or(Payload::Missing, |args| Payload::Json {
                text: args.to_string(),
            });
        (
            args,
            super::super::bullmq::dlq::classify_payload(&entry.member),
        )
    };
    Ok(Some(FailedJobDetail {
        job: summary(set, &entry),
        attempts_started: None,
        stalled_count: None,
        processed_by: None,
        data,
        opts,
        stacktrace,
        stacktrace_unreadable,
        logs: Vec::new(),
    }))
}

/// Every entry of `queue` in `set` as one JSON object a line, newest first.
pub async fn export<W: Write + ?Sized>(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    set: JobSet,
    queue: &str,
    sink: &mut W,
) -> anyhow::Result<u64> {
    let mut error = None;
    let written = walk(conn, keys, set, queue, |entry| {
        let summary = summary(set, &entry);
        let job: Value = serde_json::from_slice(&entry.member)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&entry.member).into()));
        let backtrace = entry
            .job
            .as_ref()
            .and_then(|j| j.backtrace().ok().flatten());
        let line = json!({
            "id": summary.id,
            "name": summary.name,
            "failed_reason": summary.failed_reason,
            "attempts_made": summary.attempts_made,
            "finished_on": summary.finished_on,
            "timestamp": summary.timestamp,
            "set": set.name(),
            "score": entry.score_text,
            "backtrace": backtrace,
            "job": job,
        });
        let result = serde_json::to_writer(&mut *sink, &line)
            .map_err(anyhow::Error::from)
            .and_then(|()| writeln!(sink).map_err(anyhow::Error::from));
        match result {
            Ok(()) => true,
            Err(e) => {
                error = Some(e);
                false
            }
        }
    })
    .await?;
    if let Some(error) = error {
        return Err(error);
    }
    sink.flush()?;
    Ok(written)
}
