//! RQ's record of a job's executions: the results stream `rq:results:<id>` (1.12+, one
//! entry per recorded execution, the traceback as base64(zlib(text))) and the legacy
//! `exc_info` field of the job hash (zlib(text); plain text in old versions). Return
//! values are pickled: never decoded.

use std::io::Read;

use base64::Engine;
use redis::Value;

use crate::source::value::{as_array, as_pairs, as_string};

/// Decompressed text is cut here (a traceback is a few KiB; this bounds a zlib bomb).
pub const MAX_TEXT: u64 = 1 << 20;

/// RQ's result types (results.py): 1 successful, 2 failed, 3 stopped, 4 retried, 5 max
/// retries exceeded.
pub const FAILED: u8 = 2;

/// One entry of the results stream.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResultEntry {
    /// The stream id's time (ms): when RQ recorded the result.
    pub at_ms: Option<i64>,
    pub kind: Option<u8>,
    pub worker_name: Option<String>,
    pub traceback: Option<String>,
    pub started_ms: Option<i64>,
    pub ended_ms: Option<i64>,
}

/// The reply to `XREVRANGE rq:results:<id> + - COUNT n`, newest first; unreadable entries
/// are skipped.
pub fn parse_results(reply: &Value) -> Vec<ResultEntry> {
    as_array(reply)
        .unwrap_or_default()
        .iter()
        .filter_map(|entry| {
            let parts = as_array(entry)?;
            let id = as_string(parts.first()?)?;
            let mut out = ResultEntry {
                at_ms: id.split('-').next().and_then(|ms| ms.parse().ok()),
                ..ResultEntry::default()
            };
            for (field, value) in as_pairs(parts.get(1)?).unwrap_or_default() {
                let Some(field) = as_string(field) else {
                    continue;
                };
                let text = as_string(value).unwrap_or_default();
                let seconds = || {
                    text.trim()
                        .parse::<f64>()
                        .ok()
                        .filter(|s| s.is_finite())
                        .map(|s| (s * 1000.0) as i64)
                };
                match field.as_str() {
                    "type" => out.kind = text.trim().parse().ok(),
                    "worker_name" => out.worker_name = Some(text.clone()).filter(|w| !w.is_empty()),
                    "exc_string" => out.traceback = decode_exc_string(text.as_bytes()),
                    "execution_started_at" => out.started_ms = seconds(),
                    "execution_ended_at" => out.ended_ms = seconds(),
                    _ => {}
                }
            }
            Some(out)
        })
        .collect()
}

/// `exc_string`: base64 of zlib of the traceback text.
pub fn decode_exc_string(b64: &[u8]) -> Option<String> {
    let compressed = base64::engine::general_purpose::STANDARD
        .decode(b64.trim_ascii())
        .ok()?;
    inflate(&compressed).filter(|t| !t.is_empty())
}

/// The legacy `exc_info` field: zlib of the text, or the text itself (RQ < 1.0).
pub fn decode_exc_info(bytes: &[u8]) -> Option<String> {
    match inflate(bytes) {
        Some(text) => Some(text).filter(|t| !t.is_empty()),
        None => Some(String::from_utf8_lossy(bytes).into_owned()).filter(|t| !t.trim().is_empty()),
    }
}

/// zlib → text (lossy UTF-8), at most [`MAX_TEXT`] bytes; `None` when not zlib.
fn inflate(bytes: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    flate2::read::ZlibDecoder::new(bytes)
        .take(MAX_TEXT)
        .read_to_end(&mut out)
        .ok()?;
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// The exception a traceback ends with (`ValueError: card declined`), or its only line.
pub fn exception_line(traceback: &str) -> &str {
    traceback
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zlib(text: &str) -> Vec<u8> {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = encoder.write_all(text.as_bytes());
        encoder.finish().unwrap_or_default()
    }

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn a_failure_entry_decodes_to_its_traceback() {
        let trace = "Traceback (most recent call last):\n  File \"t.py\", line 1\nValueError: card declined for order 1234\n";
        let b64 = base64::engine::general_purpose::STANDARD.encode(zlib(trace));
        let reply = Value::Array(vec![Value::Array(vec![
            bulk("1796378401250-0"),
            Value::Array(vec![
                bulk("type"),
                bulk("2"),
                bulk("worker_name"),
                bulk("w1"),
                bulk("exc_string"),
                bulk(&b64),
                bulk("execution_started_at"),
                bulk("1796378401.0"),
                bulk("execution_ended_at"),
                bulk("1796378401.25"),
            ]),
        ])]);
        let entries = parse_results(&reply);
        assert_eq!(entries.len(), 1);
        let entry = &entries[0];
        assert_eq!(entry.kind, Some(FAILED));
        assert_eq!(entry.at_ms, Some(1_796_378_401_250));
        assert_eq!(entry.ended_ms, Some(1_796_378_401_250));
        let text = entry.traceback.as_deref().unwrap_or_default();
        assert_eq!(
            exception_line(text),
            "ValueError: card declined for order 1234"
        );
    }

    #[test]
    fn legacy_exc_info_and_garbage() {
        assert_eq!(decode_exc_info(&zlib("Boom")).as_deref(), Some("Boom"));
        assert_eq!(
            decode_exc_info(&zlib("")),
            None,
            "2.x requeue writes zlib(\"\")"
        );
        assert_eq!(
            decode_exc_info(b"plain old text").as_deref(),
            Some("plain old text")
        );
        assert_eq!(decode_exc_string(b"%%% not base64"), None);
        assert_eq!(decode_exc_string(b"aGVsbG8="), None, "base64 but not zlib");
        assert!(parse_results(&Value::Int(1)).is_empty());
        assert!(parse_results(&Value::Array(vec![Value::Nil, Value::Array(vec![])])).is_empty());
        assert_eq!(exception_line(""), "");
    }
}
