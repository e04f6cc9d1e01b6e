//! Every BullMQ key name qtop reads or writes is built here, and nowhere else.
//! Layout: `<prefix>:<queue>:<suffix>` (see shared/bullmq-model.md §1).

use std::fmt;
use std::io::Write;

use compact_str::CompactString;
use redis::{RedisWrite, ToRedisArgs};

/// One BullMQ queue: a prefix (default `bull`) and a queue name (never contains `:`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId {
    pub prefix: CompactString,
    pub name: CompactString,
}

impl QueueId {
    /// The queue as readings name it.
    pub fn queue_key(&self) -> crate::model::QueueKey {
        crate::model::QueueKey::bullmq(self.prefix.clone(), self.name.clone())
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.prefix, self.name)
    }
}

/// Suffixes whose presence makes a queue discoverable (bullmq-model.md §1, "Queue discovery").
pub const DISCOVERY_SUFFIXES: [&str; 4] = ["meta", "id", "wait", "events"];

impl QueueId {
    pub fn new(prefix: impl Into<CompactString>, name: impl Into<CompactString>) -> Self {
        Self {
            prefix: prefix.into(),
            name: name.into(),
        }
    }

    /// `P:Q:<suffix>` written straight into a command's buffer, without a `String` of its
    /// own: the poller sends thousands of these per poll.
    pub fn key_arg<'a>(&'a self, suffix: &'a str) -> KeyArg<'a> {
        KeyArg {
            queue: self,
            suffix,
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
        self.key(suffix::WAIT)
    }
    /// Legacy (≤ v5) pause list.
    pub fn paused(&self) -> String {
        self.key(suffix::PAUSED)
    }
    pub fn active(&self) -> String {
        self.key(suffix::ACTIVE)
    }
    pub fn prioritized(&self) -> String {
        self.key(suffix::PRIORITIZED)
    }
    pub fn delayed(&self) -> String {
        self.key(suffix::DELAYED)
    }
    pub fn completed(&self) -> String {
        self.key(suffix::COMPLETED)
    }
    pub fn failed(&self) -> String {
        self.key(suffix::FAILED)
    }
    pub fn waiting_children(&self) -> String {
        self.key(suffix::WAITING_CHILDREN)
    }
    pub fn meta(&self) -> String {
        self.key(suffix::META)
    }
    pub fn events(&self) -> String {
        self.key("events")
    }
    /// The job-id counter: INCRed by every add, so its growth counts arrivals.
    pub fn id_counter(&self) -> String {
        self.key(suffix::ID)
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

    // A flow parent's children (bullmq-model.md §1), by what became of them.

    /// Set of the full keys of children not finished yet.
    pub fn dependencies(&self, job_id: &str) -> String {
        format!("{}:{}:{}:dependencies", self.prefix, self.name, job_id)
    }
    /// Hash: completed child's key → its return value.
    pub fn processed(&self, job_id: &str) -> String {
        format!("{}:{}:{}:processed", self.prefix, self.name, job_id)
    }
    /// Hash: failed child's key → its reason, for children the parent ignores.
    pub fn ignored_children(&self, job_id: &str) -> String {
        format!("{}:{}:{}:failed", self.prefix, self.name, job_id)
    }
    /// Zset of failed children's keys that count against the parent.
    pub fn unsuccessful(&self, job_id: &str) -> String {
        format!("{}:{}:{}:unsuccessful", self.prefix, self.name, job_id)
    }
    /// Zset of job-scheduler ids (and legacy repeatable keys), scored by the next run.
    pub fn repeat(&self) -> String {
        self.key("repeat")
    }
    /// Hash: a job scheduler's definition.
    pub fn scheduler(&self, scheduler_id: &str) -> String {
        format!("{}:{}:repeat:{}", self.prefix, self.name, scheduler_id)
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

/// The suffixes of a queue's state keys (bullmq-model.md §1).
pub mod suffix {
    pub const WAIT: &str = "wait";
    /// Legacy (≤ v5) pause list.
    pub const PAUSED: &str = "paused";
    pub const ACTIVE: &str = "active";
    pub const PRIORITIZED: &str = "prioritized";
    pub const DELAYED: &str = "delayed";
    pub const COMPLETED: &str = "completed";
    pub const FAILED: &str = "failed";
    pub const WAITING_CHILDREN: &str = "waiting-children";
    pub const META: &str = "meta";
    /// The rate limiter's counter (PX = the limiter's window).
    pub const LIMITER: &str = "limiter";
    /// Job schedulers (v5.16+) and legacy repeatable jobs.
    pub const REPEAT: &str = "repeat";
    /// The job-id counter.
    pub const ID: &str = "id";
}

/// A queue key as one command argument (see [`QueueId::key_arg`]).
#[derive(Clone, Copy, Debug)]
pub struct KeyArg<'a> {
    queue: &'a QueueId,
    suffix: &'a str,
}

impl KeyArg<'_> {
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.queue.prefix.len() + self.queue.name.len() + self.suffix.len() + 2
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

impl ToRedisArgs for KeyArg<'_> {
    fn write_redis_args<W>(&self, out: &mut W)
    where
        W: ?Sized + RedisWrite,
    {
        let mut arg = out.writer_for_next_arg();
        // Writing into a command's buffer cannot fail.
        let _ = arg.write_all(self.queue.prefix.as_bytes());
        let _ = arg.write_all(b":");
        let _ = arg.write_all(self.queue.name.as_bytes());
        let _ = arg.write_all(b":");
        let _ = arg.write_all(self.suffix.as_bytes());
    }
}

/// A connection for one queue's commands: the Redis itself, or on a cluster the master that
/// holds the queue's slot (refused, with the fix, when the queue's keys would spread over
/// several slots).
pub async fn connect_to_queue(
    target: &crate::source::RedisTarget,
    queue: &QueueId,
    timeout: std::time::Duration,
) -> Result<redis::aio::MultiplexedConnection, crate::source::ConnectError> {
    let key = queue.meta();
    crate::source::link::connect_for_key(target, &key, timeout, |seed| {
        crate::source::link::check_hash_tag(seed, &queue.prefix, &queue.name)
    })
    .await
}

/// BullMQ queue names are non-empty and contain no `:` (the Node Queue constructor throws).
pub fn check_queue_name(queue: &str) -> Result<(), String> {
    if queue.is_empty() || queue.contains(':') {
        return Err(format!(
            "invalid queue name '{queue}': BullMQ queue names are non-empty and contain no ':'"
        ));
    }
    Ok(())
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

/// The queue and job id of a full job key `P:Q:<id>` (a flow's child or parent key). Prefixes
/// may hold `:` and ids may too (scheduler jobs: `repeat:<id>:<ms>`), so the split is
/// ambiguous: a key under `known_prefix` (the flow's own prefix) is split after it, any
/// other at its first two `:`.
pub fn job_from_key(key: &str, known_prefix: &str) -> Option<(QueueId, String)> {
    let (prefix, rest) = match key
        .strip_prefix(known_prefix)
        .and_then(|r| r.strip_prefix(':'))
    {
        Some(rest) => (known_prefix, rest),
        None => key.split_once(':')?,
    };
    let (name, id) = rest.split_once(':')?;
    if name.is_empty() || id.is_empty() {
        return None;
    }
    Some((QueueId::new(prefix, name), id.to_string()))
}

/// The queue of a queue key `P:Q` (a flow parent's `queueKey`): names hold no `:`, so the
/// last one splits it.
pub fn queue_from_queue_key(queue_key: &str) -> Option<QueueId> {
    let (prefix, name) = queue_key.rsplit_once(':')?;
    (!name.is_empty()).then(|| QueueId::new(prefix, name))
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
    fn a_key_argument_is_the_key() {
        let q = QueueId::new("{bull}", "emails");
        let arg = q.key_arg(suffix::WAITING_CHILDREN);
        assert_eq!(arg.to_redis_args(), vec![q.waiting_children().into_bytes()]);
        assert_eq!(arg.len(), q.waiting_children().len());
        let mut cmd = redis::cmd("LLEN");
        cmd.arg(q.key_arg(suffix::WAIT));
        assert_eq!(
            cmd.get_packed_command(),
            redis::cmd("LLEN").arg(q.wait()).get_packed_command()
        );
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
    fn flow_keys_split_into_queue_and_job() {
        let cases = [
            ("bull:emails:42", "bull", Some(("bull", "emails", "42"))),
            (
                "my:app:emails:42",
                "my:app",
                Some(("my:app", "emails", "42")),
            ),
            (
                "{b}:q:repeat:s:1700",
                "{b}",
                Some(("{b}", "q", "repeat:s:1700")),
            ),
            ("other:q:7", "bull", Some(("other", "q", "7"))),
            ("bull:q:", "bull", None),
            ("bull:q", "bull", None),
            ("garbage", "bull", None),
        ];
        for (key, prefix, expected) in cases {
            let got = job_from_key(key, prefix);
            let got = got
                .as_ref()
                .map(|(q, id)| (q.prefix.as_str(), q.name.as_str(), id.as_str()));
            assert_eq!(got, expected, "key {key}");
        }
        assert_eq!(
            queue_from_queue_key("my:app:emails"),
            Some(QueueId::new("my:app", "emails"))
        );
        assert_eq!(queue_from_queue_key("nocolon"), None);
        let q = QueueId::new("bull", "f");
        assert_eq!(q.dependencies("1"), "bull:f:1:dependencies");
        assert_eq!(q.ignored_children("1"), "bull:f:1:failed");
        assert_eq!(q.scheduler("daily"), "bull:f:repeat:daily");
    }

    #[test]
    fn discovery_pattern_escapes_glob_characters() {
        assert_eq!(discovery_pattern("bull"), "bull:*:[imwe][deav]*");
        assert_eq!(discovery_pattern("a*b"), "a\\*b:*:[imwe][deav]*");
        assert_eq!(discovery_pattern("{app}"), "{app}:*:[imwe][deav]*");
    }
}
