//! kombu's `unacked` hash, read without acting on it: which queue each fetched but
//! unacknowledged message came from (prefetched, ETA-held, and running `acks_late` tasks).
//! The hash's values are whole messages, so each delivery tag is parsed once and cached;
//! at most [`RESOLVE_PER_POLL`] new tags are fetched a poll, and the per-queue split is not
//! read at all when the hash holds more than [`MAX_LISTED`] entries (then only its size is
//! known).

use std::collections::{BTreeMap, HashMap};

use redis::Value;

use super::message::parse_unacked;
use crate::source::value::{as_array, as_string};

/// Above this many entries the tags are not listed (HKEYS) each poll.
pub const MAX_LISTED: u64 = 2_000;
/// New entries fetched (HMGET) per poll.
pub const RESOLVE_PER_POLL: usize = 256;

/// Where an unacked message came from: its queue, or the routing that named none known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    pub queue: Option<String>,
    /// The task's name and id.
    pub task: Option<String>,
    pub id: Option<String>,
}

#[derive(Debug, Default)]
pub struct Unacked {
    /// HLEN at the last poll.
    pub len: Option<u64>,
    /// The tags listed at the last poll, and where each came from once resolved.
    tags: HashMap<String, Option<Origin>>,
    /// Whether the tags were listed at the last poll.
    pub listed: bool,
}

impl Unacked {
    /// Whether the next poll lists the tags.
    pub fn wants_listing(&self) -> bool {
        self.len.is_some_and(|n| n <= MAX_LISTED)
    }

    /// Take an HKEYS reply: forget tags acked since, return the new ones to resolve (at most
    /// [`RESOLVE_PER_POLL`]).
    pub fn take_listing(&mut self, reply: &Value) -> Vec<String> {
        let Some(items) = as_array(reply) else {
            self.listed = false;
            return Vec::new();
        };
        let listed: Vec<String> = items.iter().filter_map(as_string).collect();
        let mut kept = HashMap::with_capacity(listed.len());
        for tag in listed {
            let origin = self.tags.remove(&tag).flatten();
            kept.insert(tag, origin);
        }
        self.tags = kept;
        self.listed = true;
        let mut new: Vec<String> = self
            .tags
            .iter()
            .filter(|(_, origin)| origin.is_none())
            .map(|(tag, _)| tag.clone())
            .collect();
        new.sort();
        new.truncate(RESOLVE_PER_POLL);
        new
    }

    /// Take the HMGET values of `tags`; `route` maps (exchange, routing key) to a queue.
    /// Returns the origins resolved now.
    pub fn take_values(
        &mut self,
        tags: &[String],
        reply: &Value,
        route: impl Fn(&str, &str) -> Option<String>,
    ) -> Vec<Origin> {
        let mut resolved = Vec::new();
        let values = as_array(reply).unwrap_or_default();
        for (tag, value) in tags.iter().zip(values) {
            let origin = match value {
                Value::BulkString(bytes) => match parse_unacked(bytes) {
                    Some((envelope, exchange, routing_key)) => Origin {
                        queue: route(&exchange, &routing_key),
                        task: envelope.task_name().map(str::to_string),
                        id: envelope.task_id().map(str::to_string),
                    },
                    None => Origin {
                        queue: None,
                        task: None,
                        id: None,
                    },
                },
                // Acked between the two round trips: no longer unacked.
                _ => {
                    self.tags.remove(tag);
                    continue;
                }
            };
            if let Some(slot) = self.tags.get_mut(tag) {
                resolved.push(origin.clone());
                *slot = Some(origin);
            }
        }
        resolved
    }

    /// The origins resolved so far.
    pub fn origins(&self) -> impl Iterator<Item = &Origin> {
        self.tags.values().flatten()
    }

    /// Entries per queue, when every listed entry is resolved; `None` otherwise (not
    /// listed: too many; or some still unresolved).
    pub fn per_queue(&self) -> Option<BTreeMap<String, u64>> {
        if !self.listed || self.tags.values().any(Option::is_none) {
            return None;
        }
        let mut counts = BTreeMap::new();
        for queue in self.origins().filter_map(|o| o.queue.clone()) {
            *counts.entry(queue).or_insert(0) += 1;
        }
        Some(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    fn entry(task: &str, queue: &str) -> Value {
        let body = r#"{"body": "W10=", "content-type": "application/json", "headers": {"task": "TASK"}, "properties": {"body_encoding": "base64"}}"#
            .replace("TASK", task);
        bulk(&format!("[{body}, \"{queue}\", \"{queue}\"]"))
    }

    #[test]
    fn entries_are_resolved_once_and_counted_per_queue() {
        let mut unacked = Unacked {
            len: Some(3),
            ..Unacked::default()
        };
        assert!(unacked.wants_listing());
        let new = unacked.take_listing(&Value::Array(vec![bulk("t1"), bulk("t2"), bulk("t3")]));
        assert_eq!(new, vec!["t1", "t2", "t3"]);
        assert_eq!(unacked.per_queue(), None, "unresolved yet");
        let route = |_: &str, rk: &str| (rk != "nowhere").then(|| rk.to_string());
        let values = Value::Array(vec![
            entry("tasks.a", "celery"),
            entry("tasks.b", "low"),
            Value::Nil,
        ]);
        unacked.take_values(&new, &values, route);
        let counts = unacked.per_queue().unwrap_or_default();
        assert_eq!(
            counts.values().sum::<u64>(),
            2,
            "t3 was acked meanwhile: gone"
        );
        let new = unacked.take_listing(&Value::Array(vec![bulk("t1"), bulk("t2"), bulk("t4")]));
        assert_eq!(new, vec!["t4"]);
        unacked.take_values(&new, &Value::Array(vec![bulk("garbage")]), route);
        let counts = unacked.per_queue().unwrap_or_default();
        assert_eq!(counts.get("celery"), Some(&1));
        assert_eq!(counts.get("low"), Some(&1));
        assert_eq!(counts.len(), 2, "garbage is counted nowhere");
        unacked.len = Some(MAX_LISTED + 1);
        assert!(!unacked.wants_listing());
    }
}
