//! Every Redis key Sidekiq uses, in one place (../shared/sidekiq-model.md §1). Sidekiq has
//! no key prefix; a 6.x app that wraps its client in `redis-namespace` puts `<ns>:` in front
//! of every key (`--sidekiq-namespace NAME`). 7.0 dropped namespaces.

/// The keys of one Sidekiq installation (one namespace, `""` for none).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Keys {
    namespace: String,
}

/// The three global sorted sets that hold jobs by value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobSet {
    /// `schedule`: jobs to run later (`Sidekiq::ScheduledSet`); a queue's `delayed`.
    Schedule,
    /// `retry`: failed attempts that will run again (`Sidekiq::RetrySet`).
    Retry,
    /// `dead`: the morgue (`Sidekiq::DeadSet`), Sidekiq's dead-letter queue.
    Dead,
}

impl JobSet {
    pub const ALL: [JobSet; 3] = [JobSet::Schedule, JobSet::Retry, JobSet::Dead];

    /// The key's name without a namespace, which is also how the CLI names the set.
    pub fn name(self) -> &'static str {
        match self {
            JobSet::Schedule => "schedule",
            JobSet::Retry => "retry",
            JobSet::Dead => "dead",
        }
    }
}

impl Keys {
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
        }
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn key(&self, name: &str) -> String {
        if self.namespace.is_empty() {
            name.to_string()
        } else {
            format!("{}:{name}", self.namespace)
        }
    }

    /// Set of queue names (`Sidekiq::Queue.all`).
    pub fn queues(&self) -> String {
        self.key("queues")
    }

    /// The list of a queue's waiting jobs: LPUSHed, BRPOPed, so the right end is the oldest.
    pub fn queue(&self, name: &str) -> String {
        self.key(&format!("queue:{name}"))
    }

    pub fn set(&self, set: JobSet) -> String {
        self.key(set.name())
    }

    /// Set of process identities (`hostname:pid:nonce`).
    pub fn processes(&self) -> String {
        self.key("processes")
    }

    /// A process's heartbeat hash (`info`, `busy`, `beat`, `quiet`, `rss`, …).
    pub fn process(&self, identity: &str) -> String {
        self.key(identity)
    }

    /// A process's in-progress jobs: `<identity>:work` since 6.5.
    pub fn work(&self, identity: &str) -> String {
        self.key(&format!("{identity}:work"))
    }

    /// The same before 6.5: `<identity>:workers`.
    pub fn workers_legacy(&self, identity: &str) -> String {
        self.key(&format!("{identity}:workers"))
    }

    /// A process's pending signals (`Process#quiet!` pushes `TSTP`, `#stop!` `TERM`).
    pub fn signals(&self, identity: &str) -> String {
        self.key(&format!("{identity}-signals"))
    }

    pub fn stat_processed(&self) -> String {
        self.key("stat:processed")
    }

    pub fn stat_failed(&self) -> String {
        self.key("stat:failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_with_and_without_a_namespace() {
        let plain = Keys::new("");
        assert_eq!(plain.queue("default"), "queue:default");
        assert_eq!(plain.set(JobSet::Dead), "dead");
        assert_eq!(plain.work("h:1:abc"), "h:1:abc:work");
        assert_eq!(plain.signals("h:1:abc"), "h:1:abc-signals");
        let ns = Keys::new("myapp");
        assert_eq!(ns.queue("default"), "myapp:queue:default");
        assert_eq!(ns.queues(), "myapp:queues");
        assert_eq!(ns.process("h:1:abc"), "myapp:h:1:abc");
        assert_eq!(ns.workers_legacy("h:1:abc"), "myapp:h:1:abc:workers");
        assert_eq!(ns.stat_failed(), "myapp:stat:failed");
    }
}
