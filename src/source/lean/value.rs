//! Whole replies for the poller's other pipelines (counts, CLIENT LIST, job timings) turned
//! into redis-rs `Value`s, so the parsers written for redis-rs read them unchanged; a hand
//! walk of the bytes is several times cheaper than redis-rs's own decoder.

use redis::Value;

use super::resp::{Frame, ReadError, Reader};

/// Deeper nesting than this (no reply qtop reads comes close) becomes `Nil`.
const MAX_DEPTH: usize = 32;

/// One complete reply as a `Value`; malformed bytes give `Nil`, never a panic.
pub fn to_value(reply: &[u8]) -> Value {
    value(&mut Reader::new(reply), 0).unwrap_or(Value::Nil)
}

fn value(reader: &mut Reader<'_>, depth: usize) -> Result<Value, ReadError> {
    let start = reader.position();
    Ok(match reader.frame()? {
        Frame::Simple(b"OK") => Value::Okay,
        Frame::Simple(text) => Value::SimpleString(String::from_utf8_lossy(text).into_owned()),
        // Errors are rare: redis-rs builds its own error value from the bytes.
        Frame::Error(_) => {
            let end = reader.position();
            redis::parse_redis_value(&reader.bytes()[start..end]).unwrap_or(Value::Nil)
        }
        Frame::Int(n) => Value::Int(n),
        Frame::Bulk(Some(bytes)) => Value::BulkString(bytes.to_vec()),
        Frame::Bulk(None) | Frame::Array(None) => Value::Nil,
        Frame::Array(Some(len)) if depth >= MAX_DEPTH => {
            for _ in 0..len {
                reader.skip()?;
            }
            Value::Nil
        }
        Frame::Array(Some(len)) => {
            let mut items = Vec::with_capacity(len.min(4096));
            for _ in 0..len {
                items.push(value(reader, depth + 1)?);
            }
            Value::Array(items)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::value::server_error;

    #[test]
    fn replies_become_the_values_redis_rs_would_give() {
        let cases: [&[u8]; 7] = [
            b"+OK\r\n",
            b"+PONG\r\n",
            b":-3\r\n",
            b"$3\r\nabc\r\n",
            b"$-1\r\n",
            b"*2\r\n:1\r\n*1\r\n$1\r\nx\r\n",
            b"*0\r\n",
        ];
        for bytes in cases {
            let expected = redis::parse_redis_value(bytes).unwrap();
            assert_eq!(
                to_value(bytes),
                expected,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn server_errors_read_as_redis_rs_reads_them() {
        let value = to_value(b"-WRONGTYPE Operation against a key\r\n");
        assert_eq!(
            server_error(&value).as_deref(),
            Some("WRONGTYPE Operation against a key")
        );
        let nested = to_value(b"*2\r\n:1\r\n-ERR boom\r\n");
        let Value::Array(items) = nested else {
            panic!("not an array");
        };
        assert_eq!(server_error(&items[1]).as_deref(), Some("ERR boom"));
    }

    #[test]
    fn garbage_and_deep_nesting_are_nil_not_a_panic() {
        assert_eq!(to_value(b"?\r\n"), Value::Nil);
        assert_eq!(to_value(b"*3\r\n:1\r\n"), Value::Nil);
        let deep = "*1\r\n".repeat(100) + ":1\r\n";
        let mut value = to_value(deep.as_bytes());
        let mut depth = 0;
        while let Value::Array(mut items) = value {
            value = items.pop().unwrap_or(Value::Nil);
            depth += 1;
        }
        assert_eq!(depth, MAX_DEPTH);
        assert_eq!(value, Value::Nil);
    }
}
