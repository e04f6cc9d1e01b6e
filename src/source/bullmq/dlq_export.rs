//! Exporting the dead-letter set as JSON lines, for `qtop dlq export` and the dashboard's
//! `e`: one line per failed job, newest first, with every field of the job hash, JSON
//! fields parsed (kept as text when they are not JSON) and BullMQ's short names spelled out.
//! Read-only; pages of [`BATCH`] jobs, so a large set never loads at once.

use std::io::Write;

use redis::aio::MultiplexedConnection;
use serde_json::{json, Map, Value};

use super::dlq;
use super::QueueId;
use crate::model::failures::FailedJob;

/// Jobs read per round trip.
pub const BATCH: u64 = 1000;

/// Write every failed job of `queue` to `sink`, one JSON object a line. Returns how many.
pub async fn export_failed<W: Write + ?Sized>(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    sink: &mut W,
) -> anyhow::Result<u64> {
    let mut offset = 0;
    let mut written = 0u64;
    loop {
        let page = dlq::failed_page(conn, queue, offset, BATCH).await?;
        if page.jobs.is_empty() {
            break;
        }
        offset += page.jobs.len() as u64;
        let ids: Vec<String> = page.jobs.iter().map(|j| j.id.clone()).collect();
        let hashes = dlq::job_hashes(conn, queue, &ids).await?;
        for (job, fields) in page.jobs.iter().zip(hashes) {
            serde_json::to_writer(&mut *sink, &export_line(job, &fields))?;
            writeln!(sink)?;
            written += 1;
        }
        if offset >= page.total {
            break;
        }
    }
    sink.flush()?;
    Ok(written)
}

/// Hash fields that hold JSON text.
const JSON_FIELDS: [&str; 5] = ["data", "opts", "stacktrace", "returnvalue", "progress"];

pub fn export_line(job: &FailedJob, fields: &[(String, Vec<u8>)]) -> Value {
    let mut raw = Map::new();
    for (name, bytes) in fields {
        let text = String::from_utf8_lossy(bytes).into_owned();
        let value = if JSON_FIELDS.contains(&name.as_str()) {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        } else {
            Value::String(text)
        };
        raw.insert(name.clone(), value);
    }
    let number = |name: &str| {
        raw.get(name)
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<i64>().ok())
    };
    json!({
        "id": job.id,
        "name": job.name,
        "failed_reason": job.failed_reason,
        "attempts_made": job.attempts_made,
        "attempts_started": number("ats"),
        "stalled_count": number("stc"),
        "finished_on": job.finished_on,
        "timestamp": job.timestamp,
        "processed_on": job.processed_on,
        "processed_by": raw.get("pb"),
        "data": raw.get("data"),
        "opts": raw.get("opts"),
        "stacktrace": raw.get("stacktrace"),
        "hash": Value::Object(raw.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_fields_are_parsed_and_garbage_kept_as_text() {
        let job = FailedJob {
            id: "1".into(),
            ..FailedJob::default()
        };
        let fields = vec![
            ("data".to_string(), br#"{"a":1}"#.to_vec()),
            ("opts".to_string(), b"not json".to_vec()),
            ("stacktrace".to_string(), br#"["at x"]"#.to_vec()),
            ("ats".to_string(), b"3".to_vec()),
        ];
        let line = export_line(&job, &fields);
        assert_eq!(line["data"]["a"], 1);
        assert_eq!(line["opts"], "not json");
        assert_eq!(line["stacktrace"][0], "at x");
        assert_eq!(line["attempts_started"], 3);
    }
}
