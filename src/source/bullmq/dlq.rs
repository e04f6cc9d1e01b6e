//! Reading the dead-letter set (`failed`, newest first) with ranged, pipelined reads, so
//! that 100,000 failed jobs never load at once. Read-only.

use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Value};

use super::keys::QueueId;
pub use crate::model::failures::FailedPage;
use crate::model::failures::{matches_group, FailedJob, FailedJobDetail, Payload};
use crate::source::value::{as_array, as_i64, as_string};

/// Payload fields larger than this are not loaded by [`failed_detail`] unless asked.
pub const DEFAULT_MAX_PAYLOAD: u64 = 1 << 20;

const SUMMARY_FIELDS: [&str; 6] = [
    "name",
    "failedReason",
    "atm",
    "attemptsMade",
    "timestamp",
    "processedOn",
];

/// Jobs `offset .. offset + limit` of the failed set, newest first.
pub async fn failed_page(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    offset: u64,
    limit: u64,
) -> RedisResult<FailedPage> {
    let mut pipe = redis::pipe();
    pipe.cmd("ZCARD").arg(queue.failed());
    pipe.cmd("ZREVRANGE")
        .arg(queue.failed())
        .arg(offset)
        .arg(offset + limit.max(1) - 1)
        .arg("WITHSCORES");
    let (total, ranked): (u64, Vec<(String, f64)>) = pipe.query_async(conn).await?;
    let jobs = summaries(conn, queue, &ranked).await?;
    Ok(FailedPage {
        total,
        offset,
        jobs,
    })
}

/// Summaries of the given `(id, finished_on score)` pairs, in that order.
async fn summaries(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    ranked: &[(String, f64)],
) -> RedisResult<Vec<FailedJob>> {
    if ranked.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for (id, _) in ranked {
        pipe.cmd("HMGET")
            .arg(queue.job(id))
            .arg(&SUMMARY_FIELDS[..]);
    }
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    Ok(ranked
        .iter()
        .zip(replies.iter())
        .map(|((id, score), reply)| summary(id, *score, reply))
        .collect())
}

fn summary(id: &str, score: f64, reply: &Value) -> FailedJob {
    let fields = as_array(reply).unwrap_or_default();
    let text = |i: usize| fields.get(i).and_then(as_string);
    let number = |i: usize| fields.get(i).and_then(as_i64);
    let exists = fields.iter().any(|v| !matches!(v, Value::Nil));
    FailedJob {
        id: id.to_string(),
        name: text(0).unwrap_or_default(),
        failed_reason: match text(1) {
            Some(reason) => reason,
            None if !exists => "(job hash is missing)".to_string(),
            None => String::new(),
        },
        // `atm` since v5, `attemptsMade` before.
        attempts_made: number(2).or_else(|| number(3)).unwrap_or(0).max(0) as u64,
        finished_on: score.is_finite().then_some(score as i64),
        timestamp: number(4),
        processed_on: number(5),
        description: None,
    }
}

/// Every job of the failed set, in pages of `batch`, newest first. `visit` returns false
/// to stop early. Returns how many jobs were visited.
pub async fn scan_failed(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    batch: u64,
    mut visit: impl FnMut(&[FailedJob]) -> bool,
) -> RedisResult<u64> {
    let mut offset = 0;
    loop {
        let page = failed_page(conn, queue, offset, batch).await?;
        if page.jobs.is_empty() {
            return Ok(offset);
        }
        offset += page.jobs.len() as u64;
        if !visit(&page.jobs) || offset >= page.total {
            return Ok(offset);
        }
    }
}

/// Ids of the failed jobs in the failure group `group` (its id or normalised reason).
pub async fn failed_ids_in_group(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    group: &str,
    batch: u64,
) -> RedisResult<Vec<String>> {
    let mut ids = Vec::new();
    scan_failed(conn, queue, batch, |page| {
        ids.extend(
            page.iter()
                .filter(|job| matches_group(group, &job.failed_reason))
                .map(|job| job.id.clone()),
        );
        true
    })
    .await?;
    Ok(ids)
}

/// Everything about one failed job, or `None` if it is not in the failed set.
/// Payload fields above `max_payload` bytes are reported by size, not loaded.
pub async fn failed_detail(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    id: &str,
    max_payload: u64,
) -> RedisResult<Option<FailedJobDetail>> {
    let key = queue.job(id);
    let mut pipe = redis::pipe();
    pipe.cmd("ZSCORE").arg(queue.failed()).arg(id);
    pipe.cmd("HMGET").arg(&key).arg(&SUMMARY_FIELDS[..]);
    pipe.cmd("HMGET").arg(&key).arg(&["ats", "stc", "pb"][..]);
    for field in ["data", "opts", "stacktrace"] {
        pipe.cmd("HSTRLEN").arg(&key).arg(field);
    }
    pipe.cmd("LRANGE").arg(queue.logs(id)).arg(-50).arg(-1);
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    let Some(score) = replies.first().and_then(as_f64) else {
        return Ok(None);
    };
    let get = |i: usize| replies.get(i).unwrap_or(&Value::Nil);
    let job = summary(id, score, get(1));
    let extra = as_array(get(2)).unwrap_or_default();
    let sizes: Vec<u64> = (3..6)
        .map(|i| as_i64(get(i)).unwrap_or(0).max(0) as u64)
        .collect();
    let logs = as_array(get(6))
        .unwrap_or_default()
        .iter()
        .filter_map(as_string)
        .collect();

    let wanted: Vec<&str> = ["data", "opts", "stacktrace"]
        .into_iter()
        .zip(&sizes)
        .filter(|(_, size)| **size > 0 && **size <= max_payload)
        .map(|(field, _)| field)
        .collect();
    let mut loaded: Vec<(String, Vec<u8>)> = Vec::new();
    if !wanted.is_empty() {
        let values: Vec<Option<Vec<u8>>> = redis::cmd("HMGET")
            .arg(&key)
            .arg(&wanted[..])
            .query_async(conn)
            .await?;
        for (field, value) in wanted.iter().zip(values) {
            if let Some(bytes) = value {
                loaded.push((field.to_string(), bytes));
            }
        }
    }
    let payload = |field: &str, size: u64| -> Payload {
        match loaded.iter().find(|(f, _)| f == field) {
            Some((_, bytes)) => classify_payload(bytes),
            None if size > max_payload => Payload::TooLarge { bytes: size },
            None => Payload::Missing,
        }
    };
    let (stacktrace, stacktrace_unreadable) = match payload("stacktrace", sizes[2]) {
        Payload::Json { text } => match serde_json::from_str::<Vec<String>>(&text) {
            Ok(traces) => (traces, false),
            Err(_) => (Vec::new(), true),
        },
        Payload::Missing => (Vec::new(), false),
        _ => (Vec::new(), true),
    };
    let number = |i: usize| extra.get(i).and_then(as_i64).map(|n| n.max(0) as u64);
    Ok(Some(FailedJobDetail {
        job,
        attempts_started: number(0),
        stalled_count: number(1),
        processed_by: extra.get(2).and_then(as_string),
        data: payload("data", sizes[0]),
        opts: payload("opts", sizes[1]),
        stacktrace,
        stacktrace_unreadable,
        logs,
    }))
}

fn as_f64(value: &Value) -> Option<f64> {
    match value {
        Value::Double(x) => Some(*x),
        other => as_string(other)?.parse().ok(),
    }
}

/// JSON if it parses, otherwise the raw text (lossy for binary data).
pub fn classify_payload(bytes: &[u8]) -> Payload {
    match std::str::from_utf8(bytes) {
        Ok(text) if serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok() => Payload::Json {
            text: text.to_string(),
        },
        _ => Payload::Raw {
            text: String::from_utf8_lossy(bytes).into_owned(),
        },
    }
}

/// Every field of the given jobs (for export), in one pipelined round trip.
pub async fn job_hashes(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    ids: &[String],
) -> RedisResult<Vec<Vec<(String, Vec<u8>)>>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for id in ids {
        pipe.cmd("HGETALL").arg(queue.job(id));
    }
    pipe.query_async(conn).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_classified() {
        assert!(matches!(
            classify_payload(br#"{"a":1}"#),
            Payload::Json { .. }
        ));
        assert!(matches!(classify_payload(b"not json"), Payload::Raw { .. }));
        assert!(matches!(
            classify_payload(&[0xff, 0xfe]),
            Payload::Raw { .. }
        ));
    }

    #[test]
    fn summaries_tolerate_missing_hashes_and_old_field_names() {
        let reply = Value::Array(vec![Value::Nil; 6]);
        let job = summary("7", 1000.0, &reply);
        assert_eq!(job.failed_reason, "(job hash is missing)");
        assert_eq!(job.finished_on, Some(1000));
        let legacy = Value::Array(vec![
            Value::BulkString(b"n".to_vec()),
            Value::BulkString(b"boom".to_vec()),
            Value::Nil,
            Value::BulkString(b"3".to_vec()),
            Value::Nil,
            Value::Nil,
        ]);
        assert_eq!(summary("8", 0.0, &legacy).attempts_made, 3);
    }
}
