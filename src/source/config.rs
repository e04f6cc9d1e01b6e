//! What the monitor watches and how hard: shared by every queue system's reader.

use std::time::Duration;

use crate::model::System;

/// What to watch and how hard.
#[derive(Clone, Debug)]
pub struct PollerConfig {
    /// The queue systems to read (`--system`); empty: every system found.
    pub systems: Vec<System>,
    /// BullMQ key prefixes (`--prefix`).
    pub prefixes: Vec<String>,
    /// Sidekiq `redis-namespace` names (`--sidekiq-namespace`); empty: no namespace.
    pub sidekiq_namespaces: Vec<String>,
    /// Explicit queue names: no discovery when given.
    pub queues: Vec<String>,
    pub discovery_every: Duration,
    /// Every queue is fully re-read at least once per this many polls (events say which
    /// queues changed; reconciliation catches what events cannot, like a lock expiring).
    pub reconcile_every: u64,
    /// Finished jobs timed per queue per poll (one `HMGET` each): every job of a queue
    /// finishing up to this many per poll, a uniform sample above.
    pub latency_sample: usize,
    /// Entries read per stream per XREAD.
    pub xread_count: usize,
    pub timeout: Duration,
    /// Leave out of each report the BullMQ readings equal to the ones sent before (see
    /// [`crate::model::PollReport::unchanged_omitted`]); for a consumer that keeps the
    /// latest reading of every queue, as the dashboard does. Off: every report is whole.
    pub omit_unchanged: bool,
}

impl Default for PollerConfig {
    fn default() -> Self {
        Self {
            systems: Vec::new(),
            prefixes: vec!["bull".to_string()],
            sidekiq_namespaces: Vec::new(),
            queues: Vec::new(),
            discovery_every: Duration::from_secs(60),
            reconcile_every: 60,
            latency_sample: 2048,
            xread_count: 2000,
            timeout: Duration::from_secs(5),
            omit_unchanged: false,
        }
    }
}

impl PollerConfig {
    /// Whether `system` is read (every system when `--system` was not given).
    pub fn reads(&self, system: System) -> bool {
        self.systems.is_empty() || self.systems.contains(&system)
    }
}
