//! Every BullMQ key name qtop reads or writes is built here, and nowhere else.
//! Layout: `<prefix>:<queue>:<suffix>` (see shared/bullmq-model.md §1).

use std::fmt;

/// One BullMQ queue: a prefix (default `bull`) and a queue name (never contains `:`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId {
    pub prefix: String,
    pub name: String,
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.prefix, self.name)
    }
}

/// Suffixes whose presence makes a queue discoverable (bullmq-model.md §1, "Queue discovery").
pub const DISCOVERY_SUFFIXES: [&str; 4] = ["meta", "id", "wait", "events"];

impl QueueId {
    pub fn new(prefix: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            prefix: prefix.into(),
            name: name.into(),
        }
    }

    fn key(&self, suffix: &str) -> String {
        // Built by hand: the poller makes thousands of these per poll.
        let mut key = String::with_capacity(self.prefix.len() + self.name.len() + suffix.len() + 2);
        key.push_str(&self.prefix);
        key.push(':');
        key.push_str(&self.name);
        key.push(':');
        key.push_str(suffix);
        key
    }

    pub fn wait(&self) -> String {
        self.key("wait")
    }
    /// Legacy (≤ v5) pause list.
    pub fn paused(&self) -> String {
        self.key("paused")
    }
    pub fn active(&self) -> String {
        self.key("active")
    }
    pub fn prioritized(&self) -> String {
        self.key("prioritized")
    }
    pub fn delayed(&self) -> String {
        self.key("delayed")
    }
    pub fn completed(&self) -> String {
        self.key("completed")
    }
    pub fn failed(&self) -> String {
        self.key("failed")
    }
    pub fn waiting_children(&self) -> String {
        self.key("waiting-children")
    }
    pub fn meta(&self) -> String {
        self.key("meta")
    }
    pub fn events(&self) -> String {
        self.key("events")
    }
    /// The job-id counter: INCRed by every add, so its growth counts arrivals.
    pub fn id_counter(&self) -> String {
        self.key("id")
    }
    pub fn job(&self, job_id: &str) -> String {
        self.key(job_id)
    }
    pub fn lock(&self, job_id: &str) -> String {
        format!("{}:{}:{}:lock", self.prefix, self.name, job_id)
    }
    pub fn logs(&self, job_id: &str) -> String {
        format!("{}:{}:{}:logs", self.prefix, self.name, job_id)
    }

    // qtop's own keys (written only by `qtop worker`/`qtop demo`, never by the monitor).
    // They live in the queue's keyspace so that a hash-tagged prefix keeps them in the
    // queue's cluster slot; no discovery suffix matches them.

    /// Zset of qtop worker names scored by their last heartbeat (ms).
    pub fn heartbeat_index(&self) -> String {
        self.key("qtop:workers")
    }
    /// String (JSON [`crate::model::Heartbeat`]) with a TTL: present while the worker lives.
    pub fn heartbeat(&self, worker: &str) -> String {
        format!("{}:{}:qtop:hb:{}", self.prefix, self.name, worker)
    }
    /// Marks a demo job's idempotency key as done (string with a TTL).
    pub fn idempotency(&self, key: &str) -> String {
        format!("{}:{}:qtop:done:{}", self.prefix, self.name, key)
    }
    /// Hash of qtop demo counters (`duplicates_suppressed`, …).
    pub fn qtop_stats(&self) -> String {
        self.key("qtop:stats")
    }
}

/// SCAN pattern that matches the discovery suffixes of every queue under `prefix` in one pass:
/// `P:*:[imwe][deav]*` covers `:id`, `:meta`, `:wait` and `:events` (and a few job keys,
/// which [`queue_from_key`] then rejects).
pub fn discovery_pattern(prefix: &str) -> String {
    format!("{}:*:[imwe][deav]*", glob_escape(prefix))
}

/// The queue a discovery key belongs to, if `key` is `<prefix>:<name>:<suffix>` with a
/// discovery suffix and a valid name (non-empty, no `:`; the empty name is 6.x relay keys).
pub fn queue_from_key(prefix: &str, key: &str) -> Option<QueueId> {
    let rest = key.strip_prefix(prefix)?.strip_prefix(':')?;
    let (name, suffix) = rest.rsplit_once(':')?;
    if name.is_empty() || name.contains(':') || !DISCOVERY_SUFFIXES.contains(&suffix) {
        return None;
    }
    Some(QueueId::new(prefix, name))
}

/// Escape Redis glob metacharacters so a prefix like `{bull}` or `a*b` matches literally.
fn glob_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(ch, '*' | '?' | '[' | ']' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_bullmq_layout() {
        let q = QueueId::new("bull", "emails");
        assert_eq!(q.wait(), "bull:emails:wait");
        assert_eq!(q.waiting_children(), "bull:emails:waiting-children");
        assert_eq!(q.job("42"), "bull:emails:42");
        assert_eq!(q.lock("42"), "bull:emails:42:lock");
        assert_eq!(q.id_counter(), "bull:emails:id");
    }

    #[test]
    fn discovery_accepts_queue_keys_and_rejects_the_rest() {
        let cases = [
            ("bull:emails:meta", Some("emails")),
            ("bull:emails:id", Some("emails")),
            ("bull:emails:wait", Some("emails")),
            ("bull:emails:events", Some("emails")),
            ("bull::relay:ns:events", None),
            ("bull:emails:42", None),
            ("bull:emails:42:lock", None),
            ("bull:a:b:meta", None),
            ("bull:emails:waiting", None),
            ("bullx:emails:meta", None),
            ("other:emails:meta", None),
            ("bull::meta", None),
        ];
        for (key, expected) in cases {
            let got = queue_from_key("bull", key).map(|q| q.name);
            assert_eq!(got.as_deref(), expected, "key {key}");
        }
    }

    #[test]
    fn discovery_pattern_escapes_glob_characters() {
        assert_eq!(discovery_pattern("bull"), "bull:*:[imwe][deav]*");
        assert_eq!(discovery_pattern("a*b"), "a\\*b:*:[imwe][deav]*");
        assert_eq!(discovery_pattern("{app}"), "{app}:*:[imwe][deav]*");
    }
}
