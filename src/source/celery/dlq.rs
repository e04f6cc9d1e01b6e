//! Celery's failed tasks, from a Redis result backend: `celery-task-meta-<id>` strings
//! with status FAILURE (../shared/celery-model.md §4). Celery keeps no index of failures
//! and no dead-letter set, so they are found by SCAN in bounded steps and read with MGET;
//! read-only. A meta names its queue only when workers run with `result_extended`: without
//! it, every queue lists every failure.

use std::io::Write;

use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Value};
use serde_json::{Map, Value as Json};

use super::keys::TASK_META_PREFIX;
use crate::model::failures::{FailedJob, FailedJobDetail, Payload};
use crate::source::value::{as_array, as_i64, as_string};

/// Keys asked for per SCAN step.
const SCAN_COUNT: u64 = 1000;
/// At most this many result metas are read for one listing.
pub const MAX_METAS: u64 = 200_000;

/// The failures of one queue, newest first.
#[derive(Debug, Default)]
pub struct Failures {
    pub details: Vec<FailedJobDetail>,
    /// Each failure's meta as stored, in the same order.
    pub metas: Vec<Json>,
    /// Result metas read.
    pub scanned: u64,
    /// The keyspace held more than [`MAX_METAS`] metas: the listing is partial.
    pub truncated: bool,
}

/// Every FAILURE meta of `queue` (or naming no queue), newest first; `progress` hears how
/// many metas were read after each step, and `true` once done.
pub async fn collect(
    conn: &mut MultiplexedConnection,
    queue: &str,
    progress: &mut (dyn FnMut(u64, bool) + Send),
) -> RedisResult<Failures> {
    let mut failures = Failures::default();
    let mut cursor: u64 = 0;
    loop {
        let reply: Value = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{TASK_META_PREFIX}*"))
            .arg("COUNT")
            .arg(SCAN_COUNT)
            .query_async(conn)
            .await?;
        let parts = as_array(&reply).unwrap_or_default();
        cursor = parts.first().and_then(as_i64).unwrap_or(0).max(0) as u64;
        let keys: Vec<String> = parts
            .get(1)
            .and_then(as_array)
            .unwrap_or_default()
            .iter()
            .filter_map(as_string)
            .collect();
        if !keys.is_empty() {
            let values: Value = redis::cmd("MGET").arg(&keys).query_async(conn).await?;
            let values = as_array(&values).unwrap_or_default();
            for (key, value) in keys.iter().zip(values) {
                let id = key.strip_prefix(TASK_META_PREFIX).unwrap_or(key);
                if let Value::BulkString(bytes) = value {
                    if let Some(detail) = parse_failure(id, bytes, Some(queue)) {
                        failures.details.push(detail);
                        failures
                            .metas
                            .push(serde_json::from_slice(bytes).unwrap_or(Json::Null));
                    }
                }
            }
            failures.scanned += keys.len() as u64;
            progress(failures.scanned, false);
        }
        if cursor == 0 {
            break;
        }
        if failures.scanned >= MAX_METAS {
            failures.truncated = true;
            break;
        }
    }
    progress(failures.scanned, true);
    // Newest first, each meta staying beside its failure.
    let mut pairs: Vec<(FailedJobDetail, Json)> = std::mem::take(&mut failures.details)
        .into_iter()
        .zip(std::mem::take(&mut failures.metas))
        .collect();
    pairs.sort_by(|(a, _), (b, _)| {
        b.job
            .finished_on
            .cmp(&a.job.finished_on)
            .then(a.job.id.cmp(&b.job.id))
    });
    (failures.details, failures.metas) = pairs.into_iter().unzip();
    Ok(failures)
}

/// One failed task in full, or `None` when its meta is gone or is not a FAILURE.
pub async fn detail(
    conn: &mut MultiplexedConnection,
    id: &str,
) -> RedisResult<Option<FailedJobDetail>> {
    let value: Value = redis::cmd("GET")
        .arg(format!("{TASK_META_PREFIX}{id}"))
        .query_async(conn)
        .await?;
    Ok(match value {
        Value::BulkString(bytes) => parse_failure(id, &bytes, None),
        _ => None,
    })
}

/// Every failure as one JSON object a line (`assets/schema/dlq-export.schema.json`; `hash`
/// is the meta as stored), newest first. Returns how many.
pub async fn export<W: Write + ?Sized>(
    conn: &mut MultiplexedConnection,
    queue: &str,
    sink: &mut W,
) -> anyhow::Result<u64> {
    let failures = collect(conn, queue, &mut |_, _| {}).await?;
    for (detail, meta) in failures.details.iter().zip(&failures.metas) {
        serde_json::to_writer(&mut *sink, &export_line(detail, meta))?;
        sink.write_all(b"\n")?;
    }
    Ok(failures.details.len() as u64)
}

/// One export line: the failure's fields as the export contract names them.
pub fn export_line(detail: &FailedJobDetail, meta: &Json) -> Json {
    let payload = |p: &Payload| match p {
        Payload::Json { text } => serde_json::from_str(text).unwrap_or(Json::Null),
        _ => Json::Null,
    };
    let job = &detail.job;
    serde_json::json!({
        "id": job.id,
        "name": job.name,
        "failed_reason": job.failed_reason,
        "attempts_made": job.attempts_made,
        "attempts_started": null,
        "stalled_count": null,
        "finished_on": job.finished_on,
        "timestamp": job.timestamp,
        "processed_on": job.processed_on,
        "processed_by": detail.processed_by,
        "data": payload(&detail.data),
        "opts": payload(&detail.opts),
        "stacktrace": detail.stacktrace,
        "hash": if meta.is_object() { meta.clone() } else { Json::Object(Map::new()) },
    })
}

/// A result meta as a failed task, when its status is FAILURE and (with `queue`) it was
/// run from that queue or names none.
pub fn parse_failure(id: &str, bytes: &[u8], queue: Option<&str>) -> Option<FailedJobDetail> {
    let meta: Json = serde_json::from_slice(bytes).ok()?;
    if meta.get("status").and_then(Json::as_str) != Some("FAILURE") {
        return None;
    }
    let text = |field: &str| meta.get(field).and_then(Json::as_str).map(str::to_string);
    if let (Some(wanted), Some(ran_from)) = (queue, text("queue")) {
        if wanted != ran_from {
            return None;
        }
    }
    let traceback = text("traceback").filter(|t| !t.is_empty());
    let result = meta.get("result");
    let exc_type = result
        .and_then(|r| r.get("exc_type"))
        .and_then(Json::as_str);
    let exc_message = result.and_then(|r| r.get("exc_message")).map(|m| match m {
        Json::Array(parts) => parts
            .iter()
            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        Json::String(text) => text.clone(),
        other => other.to_string(),
    });
    let failed_reason = match (exc_type, &exc_message, &traceback) {
        (Some(kind), Some(message), _) if !message.is_empty() => format!("{kind}: {message}"),
        (Some(kind), _, _) => kind.to_string(),
        (None, _, Some(trace)) => trace
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .to_string(),
        _ => String::new(),
    };
    let retries = meta.get("retries").and_then(Json::as_u64);
    let finished_on = text("date_done").and_then(|d| parse_date_done(&d));
    let job = FailedJob {
        id: text("task_id").unwrap_or_else(|| id.to_string()),
        name: text("name").unwrap_or_default(),
        failed_reason,
        attempts_made: retries.map_or(1, |r| r + 1),
        finished_on,
        error_class: exc_type.map(str::to_string),
        error_message: exc_message,
        retry_count: retries,
        ..FailedJob::default()
    };
    let data = match (meta.get("args"), meta.get("kwargs")) {
        (None, None) => Payload::Missing,
        (args, kwargs) => Payload::Json {
            text: serde_json::json!({"args": args, "kwargs": kwargs}).to_string(),
        },
    };
    let mut opts = Map::new();
    for field in [
        "queue",
        "worker",
        "retries",
        "parent_id",
        "group_id",
        "children",
    ] {
        if let Some(value) = meta.get(field).filter(|v| !v.is_null()) {
            opts.insert(field.to_string(), value.clone());
        }
    }
    Some(FailedJobDetail {
        job,
        attempts_started: None,
        stalled_count: None,
        processed_by: text("worker"),
        data,
        opts: if opts.is_empty() {
            Payload::Missing
        } else {
            Payload::Json {
                text: Json::Object(opts).to_string(),
            }
        },
        stacktrace: traceback.into_iter().collect(),
        stacktrace_unreadable: false,
        logs: Vec::new(),
    })
}

/// `date_done` (ISO 8601, with an offset in Celery 5, naive UTC before) as epoch ms.
fn parse_date_done(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.timestamp_millis())
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|t| t.and_utc().timestamp_millis())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILURE: &str = r#"{"status": "FAILURE", "result": {"exc_type": "ValueError", "exc_message": ["boom"], "exc_module": "builtins"}, "traceback": "Traceback (most recent call last):\n  File \"tasks.py\", line 30, in boom\nValueError: boom\n", "children": [], "date_done": "2026-12-04T10:00:01.250000+00:00", "task_id": "t1", "name": "tasks.boom", "args": ["x"], "kwargs": {}, "worker": "w1@vm", "retries": 0, "queue": "low"}"#;

    #[test]
    fn a_failure_meta_is_a_failed_task_with_its_traceback() {
        let detail = parse_failure("t1", FAILURE.as_bytes(), Some("low")).unwrap_or_else(|| {
            panic!("not parsed");
        });
        assert_eq!(detail.job.id, "t1");
        assert_eq!(detail.job.name, "tasks.boom");
        assert_eq!(detail.job.failed_reason, "ValueError: boom");
        assert_eq!(detail.job.finished_on, Some(1_796_378_401_250));
        assert_eq!(detail.job.attempts_made, 1);
        assert_eq!(detail.processed_by.as_deref(), Some("w1@vm"));
        assert_eq!(detail.stacktrace.len(), 1);
        assert!(matches!(&detail.data, Payload::Json { text } if text.contains("\"x\"")));
        assert!(parse_failure("t1", FAILURE.as_bytes(), Some("celery")).is_none());
        assert!(parse_failure("t1", FAILURE.as_bytes(), None).is_some());
    }

    #[test]
    fn other_states_and_garbage_are_not_failures() {
        let success = r#"{"status": "SUCCESS", "result": 1, "task_id": "t2"}"#;
        assert!(parse_failure("t2", success.as_bytes(), None).is_none());
        assert!(parse_failure("t3", b"\x80\x04pickle", None).is_none());
        let bare = r#"{"status": "FAILURE", "result": null, "traceback": "x\nKeyError: 'a'\n", "date_done": "2026-12-04T10:00:01.25"}"#;
        let detail = parse_failure("t4", bare.as_bytes(), Some("celery")).unwrap_or_else(|| {
            panic!("not parsed");
        });
        assert_eq!(detail.job.failed_reason, "KeyError: 'a'");
        assert_eq!(detail.job.name, "");
        assert_eq!(detail.job.finished_on, Some(1_796_378_401_250));
        assert_eq!(detail.data, Payload::Missing);
    }
}
