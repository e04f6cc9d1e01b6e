//! kombu's message envelope (`{"body", "content-encoding", "content-type", "headers",
//! "properties"}`) and what qtop reads from it: the decoded body of an event, the task name
//! and id of a task message, the queue of an `unacked` entry. Every parse tolerates garbage
//! and says `None`.

use base64::Engine;
use serde_json::Value as Json;

/// A parsed envelope: its headers, properties and decoded body (JSON when the content type
/// is JSON; `Null` otherwise, e.g. pickle).
#[derive(Debug, Default, PartialEq)]
pub struct Envelope {
    pub headers: Json,
    pub properties: Json,
    pub body: Json,
}

pub fn parse_envelope(bytes: &[u8]) -> Option<Envelope> {
    let outer: Json = serde_json::from_slice(bytes).ok()?;
    envelope_from(&outer)
}

fn envelope_from(outer: &Json) -> Option<Envelope> {
    let object = outer.as_object()?;
    let properties = object.get("properties").cloned().unwrap_or(Json::Null);
    let headers = object.get("headers").cloned().unwrap_or(Json::Null);
    let raw = object.get("body");
    let is_json = object
        .get("content-type")
        .and_then(Json::as_str)
        .is_none_or(|t| t.contains("json"));
    let base64 = properties.get("body_encoding").and_then(Json::as_str) == Some("base64");
    let body = match raw {
        Some(Json::String(text)) if is_json => {
            let decoded = if base64 {
                base64::engine::general_purpose::STANDARD
                    .decode(text.trim())
                    .ok()
            } else {
                Some(text.as_bytes().to_vec())
            };
            decoded
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .unwrap_or(Json::Null)
        }
        _ => Json::Null,
    };
    Some(Envelope {
        headers,
        properties,
        body,
    })
}

impl Envelope {
    /// The task name of a task message (protocol 2 header `task`; protocol 1 body `task`).
    pub fn task_name(&self) -> Option<&str> {
        self.headers
            .get("task")
            .or_else(|| self.body.get("task"))
            .and_then(Json::as_str)
    }

    /// The task id (protocol 2 header `id`; protocol 1 body `id`).
    pub fn task_id(&self) -> Option<&str> {
        self.headers
            .get("id")
            .or_else(|| self.body.get("id"))
            .and_then(Json::as_str)
    }

    /// The routing of the message as published: `(exchange, routing_key)`.
    pub fn delivery(&self) -> Option<(String, String)> {
        let info = self.properties.get("delivery_info")?;
        Some((
            info.get("exchange")?.as_str()?.to_string(),
            info.get("routing_key")?.as_str()?.to_string(),
        ))
    }
}

/// An `unacked` entry `[envelope, exchange, routing_key]`: the envelope and its routing.
pub fn parse_unacked(bytes: &[u8]) -> Option<(Envelope, String, String)> {
    let entry: Json = serde_json::from_slice(bytes).ok()?;
    let items = entry.as_array()?;
    let envelope = envelope_from(items.first()?)?;
    let exchange = items.get(1)?.as_str()?.to_string();
    let routing_key = items.get(2)?.as_str()?.to_string();
    Some((envelope, exchange, routing_key))
}

/// A stable short identity of a message's bytes (the list heads qtop dates).
pub fn fingerprint(bytes: &[u8]) -> u64 {
    // FNV-1a: no dependency, stable across runs, good enough to tell heads apart.
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn task_message(id: &str, task: &str, queue: &str) -> String {
        let body = base64::engine::general_purpose::STANDARD.encode(b"[[1], {}, {}]");
        serde_json::json!({
            "body": body,
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {"lang": "py", "task": task, "id": id},
            "properties": {
                "body_encoding": "base64",
                "delivery_info": {"exchange": queue, "routing_key": queue},
                "delivery_tag": format!("tag-{id}"),
            }
        })
        .to_string()
    }

    #[test]
    fn task_messages_and_unacked_entries_parse() {
        let message = task_message("abc", "tasks.nap", "low");
        let envelope = parse_envelope(message.as_bytes()).unwrap_or_default();
        assert_eq!(envelope.task_name(), Some("tasks.nap"));
        assert_eq!(envelope.task_id(), Some("abc"));
        assert_eq!(envelope.body[0][0], 1);
        assert_eq!(envelope.delivery(), Some(("low".into(), "low".into())));
        let entry = format!("[{message}, \"low\", \"low\"]");
        let (envelope, exchange, routing_key) = parse_unacked(entry.as_bytes()).unwrap_or_default();
        assert_eq!(envelope.task_id(), Some("abc"));
        assert_eq!((exchange.as_str(), routing_key.as_str()), ("low", "low"));
    }

    #[test]
    fn garbage_is_none_and_unknown_bodies_are_null() {
        assert_eq!(parse_envelope(b"not json"), None);
        assert_eq!(parse_envelope(b"[1,2]"), None);
        assert_eq!(parse_unacked(b"{\"a\":1}"), None);
        let pickled = br#"{"body": "gASV", "content-type": "application/x-python-serialize", "properties": {"body_encoding": "base64"}}"#;
        let envelope = parse_envelope(pickled).unwrap_or_default();
        assert_eq!(envelope.body, Json::Null);
        let bad_base64 = br#"{"body": "!!!", "properties": {"body_encoding": "base64"}}"#;
        assert_eq!(parse_envelope(bad_base64).map(|e| e.body), Some(Json::Null));
        assert_ne!(fingerprint(b"a"), fingerprint(b"b"));
    }
}
