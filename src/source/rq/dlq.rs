//! RQ's dead letters: the FailedJobRegistry `rq:failed:<queue>`, newest first, read in
//! ranged pipelined pages. Read-only, and without RQ's cleanup: entries past their
//! expiry (`failure_ttl`, a year by default) are left out, as `FailedJobRegistry.count`
//! and `get_job_ids` leave them out after deleting them.
//!
//! What is shown, and what is not: RQ stores a job's function and arguments pickled in
//! `data`, and pickles can run code when loaded, so qtop never unpickles. The call is
//! shown as RQ's own `description` shows it (`tasks.charge(42)`), the exception and
//! traceback from the results stream (or the legacy `exc_info`), and the plain fields.

use std::io::Write;

use redis::aio::MultiplexedConnection;
use redis::{Pipeline, RedisResult, Value};
use serde_json::{json, Map};

use super::cursor::parse_score;
use super::keys::{self, parse_time_ms};
use super::results::{decode_exc_info, exception_line, parse_results, ResultEntry, FAILED};
use crate::model::failures::{FailedJob, FailedJobDetail, FailedPage, Payload};
use crate::source::value::{as_array, as_i64, as_string};

/// Result entries read per job (RQ trims its stream to about 10).
const RESULTS_READ: usize = 10;

/// Plain job fields (never `data`, `meta` or `result`: pickles).
const FIELDS: [&str; 19] = [
    "description",
    "status",
    "origin",
    "created_at",
    "enqueued_at",
    "started_at",
    "ended_at",
    "worker_name",
    "exc_info",
    "timeout",
    "result_ttl",
    "failure_ttl",
    "ttl",
    "retries_left",
    "retry_intervals",
    "number_of_retries",
    "group_id",
    "dependency_ids",
    "last_heartbeat",
];

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Failed jobs `offset .. offset + limit`, newest first, and how many there are.
pub async fn failed_page(
    conn: &mut MultiplexedConnection,
    queue: &str,
    offset: u64,
    limit: u64,
) -> RedisResult<FailedPage> {
    let (total, ids) = page_ids(conn, queue, offset, limit).await?;
    let jobs = details(conn, &ids)
        .await?
        .into_iter()
        .map(|d| d.job)
        .collect();
    Ok(FailedPage {
        total,
        offset,
        jobs,
    })
}

/// How many live entries the registry holds, and the ids `offset .. offset + limit`
/// (highest score, i.e. newest, first).
async fn page_ids(
    conn: &mut MultiplexedConnection,
    queue: &str,
    offset: u64,
    limit: u64,
) -> RedisResult<(u64, Vec<String>)> {
    let key = keys::failed(queue);
    let live = format!("({}", now_s());
    let mut pipe = redis::pipe();
    pipe.cmd("ZCOUNT").arg(&key).arg(&live).arg("+inf");
    pipe.cmd("ZREVRANGEBYSCORE")
        .arg(&key)
        .arg("+inf")
        .arg(&live)
        .arg("LIMIT")
        .arg(offset)
        .arg(limit.max(1));
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    let total = replies.first().and_then(as_i64).unwrap_or(0).max(0) as u64;
    let ids = if limit == 0 {
        Vec::new()
    } else {
        replies
            .get(1)
            .and_then(as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(as_string)
            .collect()
    };
    Ok((total, ids))
}

/// Everything about one failed job, or `None` when it is not in the failed registry.
pub async fn failed_detail(
    conn: &mut MultiplexedConnection,
    queue: &str,
    id: &str,
) -> RedisResult<Option<FailedJobDetail>> {
    let score: Value = redis::cmd("ZSCORE")
        .arg(keys::failed(queue))
        .arg(id)
        .query_async(conn)
        .await?;
    if parse_score(&score).is_none() {
        return Ok(None);
    }
    Ok(details(conn, &[id.to_string()]).await?.into_iter().next())
}

/// Every failed job as one JSON object a line, newest first. Returns how many.
pub async fn export_failed<W: Write + ?Sized>(
    conn: &mut MultiplexedConnection,
    queue: &str,
    sink: &mut W,
    batch: u64,
) -> anyhow::Result<u64> {
    let mut offset = 0;
    loop {
        let (total, ids) = page_ids(conn, queue, offset, batch.max(1)).await?;
        if ids.is_empty() {
            return Ok(offset);
        }
        offset += ids.len() as u64;
        for (detail, hash) in details_and_hashes(conn, &ids).await? {
            let mut line = serde_json::to_value(&detail)?;
            if let Some(object) = line.as_object_mut() {
                object.insert("hash".into(), serde_json::Value::Object(hash));
            }
            serde_json::to_writer(&mut *sink, &line)?;
            sink.write_all(b"\n")?;
        }
        if offset >= total {
            return Ok(offset);
        }
    }
}

/// The details of `ids`, in that order, in one round trip.
async fn details(
    conn: &mut MultiplexedConnection,
    ids: &[String],
) -> RedisResult<Vec<FailedJobDetail>> {
    Ok(details_and_hashes(conn, ids)
        .await?
        .into_iter()
        .map(|(detail, _)| detail)
        .collect())
}

/// The details of `ids` and the job hashes' plain fields as stored (text; the pickled
/// `data`, `meta` and `result` are never read), in that order, in one round trip.
async fn details_and_hashes(
    conn: &mut MultiplexedConnection,
    ids: &[String],
) -> RedisResult<Vec<(FailedJobDetail, Map<String, serde_json::Value>)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = Pipeline::with_capacity(ids.len() * 3);
    // A job's unreadable key (a wrong type) is shown as missing, not an error for all.
    pipe.ignore_errors();
    for id in ids {
        push_detail(&mut pipe, id);
    }
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    Ok(ids
        .iter()
        .zip(replies.chunks(3))
        .map(|(id, chunk)| (parse_detail(id, chunk), plain_fields(chunk)))
        .collect())
}

/// The plain fields an HMGET of [`FIELDS`] found, as text.
fn plain_fields(chunk: &[Value]) -> Map<String, serde_json::Value> {
    let values = chunk.first().and_then(as_array).unwrap_or_default();
    FIELDS
        .iter()
        .zip(values)
        .filter_map(|(name, value)| Some((name.to_string(), as_string(value)?.into())))
        .collect()
}

/// Three commands: the plain fields, the size of the pickled `data`, the results.
fn push_detail(pipe: &mut Pipeline, id: &str) {
    let job = keys::job(id);
    pipe.cmd("HMGET").arg(&job).arg(&FIELDS[..]);
    pipe.cmd("HSTRLEN").arg(&job).arg("data");
    pipe.cmd("XREVRANGE")
        .arg(keys::results(id))
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(RESULTS_READ);
}

/// A job's detail from the replies of [`push_detail`]; tolerant of absence and garbage.
pub fn parse_detail(id: &str, replies: &[Value]) -> FailedJobDetail {
    let nil = Value::Nil;
    let fields = replies.first().and_then(as_array).unwrap_or_default();
    let raw = |name: &str| -> Option<&Value> {
        let i = FIELDS.iter().position(|f| *f == name)?;
        fields.get(i).filter(|v| !matches!(v, Value::Nil))
    };
    let text = |name: &str| raw(name).and_then(as_string).filter(|t| !t.is_empty());
    let time = |name: &str| text(name).and_then(|t| parse_time_ms(&t));
    let exists = fields.iter().any(|v| !matches!(v, Value::Nil));
    let data_bytes = replies.get(1).and_then(as_i64).unwrap_or(0).max(0);
    let results = parse_results(replies.get(2).unwrap_or(&nil));
    // Oldest first, as attempts are told; failures only (a stopped job is recorded as one).
    let mut traces: Vec<String> = results
        .iter()
        .rev()
        .filter(|r| r.kind == Some(FAILED))
        .filter_map(|r| r.traceback.clone())
        .collect();
    if traces.is_empty() {
        let legacy = raw("exc_info").and_then(|v| match v {
            Value::BulkString(bytes) => decode_exc_info(bytes),
            _ => None,
        });
        traces.extend(legacy);
    }
    let latest: Option<&ResultEntry> = results.first();
    let description = text("description");
    let failed_reason = match traces.last() {
        Some(trace) => exception_line(trace).to_string(),
        None if !exists => "(job hash is missing)".to_string(),
        None => String::new(),
    };
    let job = FailedJob {
        id: id.to_string(),
        name: description
            .as_deref()
            .map(function_name)
            .unwrap_or_default()
            .to_string(),
        failed_reason,
        // RQ keeps no attempt counter: the executions its results stream recorded.
        attempts_made: results.len().max(usize::from(exists)) as u64,
        finished_on: time("ended_at").or_else(|| latest.and_then(|r| r.ended_ms.or(r.at_ms))),
        timestamp: time("created_at"),
        processed_on: time("started_at").or_else(|| latest.and_then(|r| r.started_ms)),
        description: description.clone(),
        ..FailedJob::default()
    };
    let data = if exists {
        Payload::Json {
            text: json!({
                "description": description,
                "data_bytes": data_bytes,
                "note": "RQ pickles a job's function and arguments; qtop never unpickles: the call is shown as RQ's description shows it",
            })
            .to_string(),
        }
    } else {
        Payload::Missing
    };
    let mut opts = Map::new();
    for name in FIELDS
        .iter()
        .filter(|f| !matches!(**f, "description" | "exc_info"))
    {
        if let Some(value) = text(name) {
            let parsed = match *name {
                "retry_intervals" | "dependency_ids" => {
                    serde_json::from_str(&value).unwrap_or(serde_json::Value::String(value))
                }
                _ => serde_json::Value::String(value),
            };
            opts.insert(name.to_string(), parsed);
        }
    }
    FailedJobDetail {
        job,
        attempts_started: None,
        stalled_count: None,
        processed_by: text("worker_name").or_else(|| latest.and_then(|r| r.worker_name.clone())),
        data,
        opts: if opts.is_empty() {
            Payload::Missing
        } else {
            Payload::Json {
                text: serde_json::Value::Object(opts).to_string(),
            }
        },
        stacktrace: traces,
        stacktrace_unreadable: false,
        logs: Vec::new(),
    }
}

/// `tasks.charge` from `tasks.charge(42, retry=True)`.
pub fn function_name(description: &str) -> &str {
    description
        .split_once('(')
        .map_or(description, |(name, _)| name)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn a_legacy_job_with_exc_info_and_no_stream() {
        let mut fields = vec![Value::Nil; FIELDS.len()];
        fields[0] = bulk("tasks.charge(42, retry=True)");
        fields[3] = bulk("2026-12-04T10:00:00.000000Z");
        fields[7] = bulk("w1");
        fields[8] = Value::BulkString(b"Traceback...\nKeyError: 'card'".to_vec());
        fields[14] = bulk("[1, 5]");
        let detail = parse_detail(
            "j1",
            &[Value::Array(fields), Value::Int(120), Value::Array(vec![])],
        );
        assert_eq!(detail.job.name, "tasks.charge");
        assert_eq!(detail.job.failed_reason, "KeyError: 'card'");
        assert_eq!(detail.job.timestamp, Some(1_796_378_400_000));
        assert_eq!(detail.job.attempts_made, 1);
        assert_eq!(detail.processed_by.as_deref(), Some("w1"));
        assert_eq!(detail.stacktrace.len(), 1);
        let Payload::Json { text } = &detail.opts else {
            panic!("opts not JSON");
        };
        assert!(text.contains("\"retry_intervals\":[1,5]"), "{text}");
        assert!(!text.contains("exc_info"));
    }

    #[test]
    fn a_missing_job_and_garbage_replies() {
        let detail = parse_detail("gone", &[]);
        assert_eq!(detail.job.failed_reason, "(job hash is missing)");
        assert_eq!(detail.data, Payload::Missing);
        let detail = parse_detail("x", &[Value::Int(3), bulk("?"), Value::Okay]);
        assert_eq!(detail.job.attempts_made, 0);
        assert_eq!(function_name("noparens"), "noparens");
    }
}
