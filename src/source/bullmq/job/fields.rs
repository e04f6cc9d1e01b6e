//! Hash fields read with a size limit: `HSTRLEN` first, then `HMGET` of the fields that fit,
//! two round trips for any number of hashes. A 5 MB payload is reported by its size and
//! never crosses the wire unless asked for.

use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Value};

use crate::model::failures::Payload;
use crate::source::value::{as_array, as_i64, server_error};

use super::super::dlq::classify_payload;

/// Fields small enough to read whole wherever they are (names, ids).
pub const SMALL_FIELD: u64 = 64 * 1024;

/// A limit that reads the field without asking its size first: for the numbers BullMQ
/// writes itself (times, counters), which saves a command per field and job.
pub const UNBOUNDED: u64 = u64::MAX;

/// One hash field as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Absent,
    Value(Vec<u8>),
    /// Larger than its limit: its size in bytes.
    TooLarge(u64),
    /// The key could not be read (a wrong type, a key on another cluster node…).
    Unreadable(String),
}

impl Field {
    /// The value as text (lossy UTF-8).
    pub fn text(&self) -> Option<String> {
        match self {
            Field::Value(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
            _ => None,
        }
    }

    /// The value as a payload: JSON, raw text, too large, or missing.
    pub fn payload(&self) -> Payload {
        match self {
            Field::Value(bytes) => classify_payload(bytes),
            Field::TooLarge(bytes) => Payload::TooLarge { bytes: *bytes },
            Field::Absent | Field::Unreadable(_) => Payload::Missing,
        }
    }
}

/// The fields to read from one hash, each with its own size limit.
#[derive(Clone, Debug)]
pub struct FieldRequest {
    pub key: String,
    pub fields: Vec<(String, u64)>,
}

impl FieldRequest {
    pub fn new(key: String, fields: &[(&str, u64)]) -> Self {
        Self {
            key,
            fields: fields.iter().map(|(f, l)| (f.to_string(), *l)).collect(),
        }
    }
}

/// Read every request's fields, in order, in two pipelined round trips.
pub async fn read_fields(
    conn: &mut MultiplexedConnection,
    requests: &[FieldRequest],
) -> RedisResult<Vec<Vec<Field>>> {
    let mut out: Vec<Vec<Field>> = requests
        .iter()
        .map(|r| vec![Field::Absent; r.fields.len()])
        .collect();
    if requests.iter().all(|r| r.fields.is_empty()) {
        return Ok(out);
    }
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    for request in requests {
        for (field, limit) in &request.fields {
            if *limit != UNBOUNDED {
                pipe.cmd("HSTRLEN").arg(&request.key).arg(field);
            }
        }
    }
    let sizes: Vec<Value> = if pipe.cmd_iter().next().is_some() {
        pipe.query_async(conn).await?
    } else {
        Vec::new()
    };
    let mut sizes = sizes.iter();
    // Which fields of each request to load: (request, field index).
    let mut wanted: Vec<(usize, Vec<usize>)> = Vec::new();
    for (r, request) in requests.iter().enumerate() {
        let mut load = Vec::new();
        for (f, (_, limit)) in request.fields.iter().enumerate() {
            if *limit == UNBOUNDED {
                load.push(f);
                continue;
            }
            let reply = sizes.next().unwrap_or(&Value::Nil);
            if let Some(error) = server_error(reply) {
                out[r][f] = Field::Unreadable(error);
                continue;
            }
            let size = as_i64(reply).unwrap_or(0).max(0) as u64;
            if size > *limit {
                out[r][f] = Field::TooLarge(size);
            } else {
                // Size 0 is an absent field or an empty one: HMGET tells them apart.
                load.push(f);
            }
        }
        if !load.is_empty() {
            wanted.push((r, load));
        }
    }
    if wanted.is_empty() {
        return Ok(out);
    }
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    for (r, load) in &wanted {
        let request = &requests[*r];
        let cmd = pipe.cmd("HMGET").arg(&request.key);
        for f in load {
            cmd.arg(&request.fields[*f].0);
        }
    }
    let values: Vec<Value> = pipe.query_async(conn).await?;
    for ((r, load), reply) in wanted.iter().zip(&values) {
        if let Some(error) = server_error(reply) {
            for f in load {
                out[*r][*f] = Field::Unreadable(error.clone());
            }
            continue;
        }
        let items = as_array(reply).unwrap_or_default();
        for (f, item) in load.iter().zip(items) {
            out[*r][*f] = match item {
                Value::BulkString(bytes) => Field::Value(bytes.clone()),
                Value::SimpleString(text) => Field::Value(text.clone().into_bytes()),
                Value::Int(n) => Field::Value(n.to_string().into_bytes()),
                _ => Field::Absent,
            };
        }
    }
    Ok(out)
}

/// A field holding a decimal integer (BullMQ writes ms and counters as text); garbage is
/// `Err` with the reason, in words.
pub fn number(name: &str, field: &Field) -> Result<Option<i64>, String> {
    match field {
        Field::Absent => Ok(None),
        Field::Value(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            let trimmed = text.trim();
            if let Ok(n) = trimmed.parse::<i64>() {
                return Ok(Some(n));
            }
            // Some writers store floats (`1.7e12`, `3.0`).
            match trimmed.parse::<f64>() {
                Ok(x) if x.is_finite() && x.abs() < 9.0e18 => Ok(Some(x as i64)),
                _ => Err(format!("{name} is not a number: {}", clip(&text, 40))),
            }
        }
        Field::TooLarge(size) => Err(format!("{name} is {size} bytes: not a number")),
        Field::Unreadable(error) => Err(format!("{name}: {error}")),
    }
}

/// At most `max` characters of `text`, an ellipsis marking a cut.
pub fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_or_say_why_not() {
        let v = |s: &str| Field::Value(s.as_bytes().to_vec());
        assert_eq!(number("t", &v("1700")), Ok(Some(1700)));
        assert_eq!(number("t", &v(" 42 ")), Ok(Some(42)));
        assert_eq!(number("t", &v("1.7e3")), Ok(Some(1700)));
        assert_eq!(number("t", &Field::Absent), Ok(None));
        assert!(number("t", &v("abc")).is_err());
        assert!(number("t", &v("NaN")).is_err());
        assert!(number("t", &v("1e300")).is_err());
        assert!(number("t", &Field::Value(vec![0xff, 0xfe])).is_err());
        assert!(number("t", &Field::TooLarge(10)).is_err());
    }

    #[test]
    fn payloads_keep_their_size_when_too_large() {
        assert_eq!(Field::TooLarge(5).payload(), Payload::TooLarge { bytes: 5 });
        assert_eq!(Field::Absent.payload(), Payload::Missing);
        assert!(matches!(
            Field::Value(b"{}".to_vec()).payload(),
            Payload::Json { .. }
        ));
    }
}
