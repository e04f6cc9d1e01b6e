//! Tolerant reading of raw Redis replies. Every reader returns `None` for absence, a wrong
//! type or garbage, so callers decide what "unreadable" means instead of panicking.

use redis::Value;

/// An integer reply, or a bulk/simple string holding a decimal integer.
pub fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok()?.trim().parse().ok(),
        Value::SimpleString(text) => text.trim().parse().ok(),
        Value::Double(x) if x.is_finite() => Some(*x as i64),
        _ => None,
    }
}

/// A string reply (lossy UTF-8 for binary values).
pub fn as_string(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(text) => Some(text.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Okay => Some("OK".to_string()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The elements of an array or set reply.
pub fn as_array(value: &Value) -> Option<&[Value]> {
    match value {
        Value::Array(items) | Value::Set(items) => Some(items),
        _ => None,
    }
}

/// Array of key/value pairs, accepting both a RESP2 flat array and a RESP3 map.
pub fn as_pairs(value: &Value) -> Option<Vec<(&Value, &Value)>> {
    match value {
        Value::Map(pairs) => Some(pairs.iter().map(|(k, v)| (k, v)).collect()),
        Value::Array(items) => Some(
            items
                .chunks_exact(2)
                .map(|pair| (&pair[0], &pair[1]))
                .collect(),
        ),
        _ => None,
    }
}

/// The server error carried by a reply, such as WRONGTYPE on a foreign key.
pub fn server_error(value: &Value) -> Option<String> {
    match value {
        Value::ServerError(err) => Some(match err.details() {
            Some(detail) => format!("{} {}", err.code(), detail),
            None => err.code().to_string(),
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_read_from_every_reasonable_encoding() {
        assert_eq!(as_i64(&Value::Int(7)), Some(7));
        assert_eq!(as_i64(&Value::BulkString(b"42".to_vec())), Some(42));
        assert_eq!(as_i64(&Value::BulkString(b"4x".to_vec())), None);
        assert_eq!(as_i64(&Value::BulkString(vec![0xff, 0x00])), None);
        assert_eq!(as_i64(&Value::Nil), None);
    }

    #[test]
    fn pairs_accept_flat_arrays_and_maps() {
        let flat = Value::Array(vec![
            Value::BulkString(b"a".to_vec()),
            Value::Int(1),
            Value::BulkString(b"dangling".to_vec()),
        ]);
        let pairs = as_pairs(&flat).unwrap_or_default();
        assert_eq!(pairs.len(), 1);
        assert_eq!(as_string(pairs[0].0).as_deref(), Some("a"));
    }
}
