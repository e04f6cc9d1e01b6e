//! Workers, one entry per worker instance (a connection for BullMQ, a process for the
//! systems that write heartbeats). Fields a system does not know are absent from JSON.

use serde::Serialize;

use super::system::System;

/// Which library a worker runs on, as far as its connection tells.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WorkerLibrary {
    /// Node bullmq (or another client that base64-encodes the queue name).
    #[default]
    Node,
    Python,
    /// qtop's own worker (`qtop worker`), recognised by its name.
    Qtop,
    /// A Sidekiq process (Ruby).
    Sidekiq,
    /// An `rq worker` (Python).
    Rq,
    /// A Celery worker (Python).
    Celery,
}

impl WorkerLibrary {
    pub fn label(self) -> &'static str {
        match self {
            Self::Node => "node",
            Self::Python => "python",
            Self::Qtop => "qtop",
            Self::Sidekiq => "sidekiq",
            Self::Rq => "rq",
            Self::Celery => "celery",
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct WorkerInfo {
    pub system: System,
    pub prefix: String,
    /// The queue it serves (the first, for a worker of several: see `queues`).
    pub queue: String,
    /// The worker's name (a Sidekiq identity, an RQ or Celery worker name), or `""` when it
    /// set none.
    pub name: String,
    /// Its address as Redis sees it (`CLIENT LIST`), or its host where that is all the
    /// system records.
    pub addr: String,
    /// Seconds since the worker (or its connection) started.
    pub age_s: u64,
    /// Seconds its connection has been idle (`CLIENT LIST`); absent where not known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_s: Option<u64>,
    pub library: WorkerLibrary,
    /// Redis connections grouped into this worker (BullMQ, whose workers are known from
    /// `CLIENT LIST`; Python names all of its connections); absent for systems whose
    /// workers are known from their heartbeats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<u32>,
    /// Every queue it serves, in its order, where the system records them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub queues: Vec<String>,
    /// Jobs it is running now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy: Option<u32>,
    /// Jobs it can run at once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Seconds since its last heartbeat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beat_age_s: Option<f64>,
    /// Host and pid, where the system records them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The system's own word for its state (`busy`, `idle`, `quiet`, `suspended`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Resident memory in KB, where the worker reports it (Sidekiq's `rss`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rss_kb: Option<u64>,
    /// Its heartbeat is older than the system's own expiry: probably gone.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stale: bool,
    /// The job it is running now (its id), where the system records it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_job: Option<String>,
    /// Jobs it finished successfully / that failed, over its lifetime (RQ's
    /// `successful_job_count` / `failed_job_count`), where the system counts them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successful_jobs: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_jobs: Option<u64>,
    /// Seconds it spent running jobs over its lifetime (RQ's `total_working_time`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_time_s: Option<f64>,
    /// Jobs its pool accepted since it started, failures included (Celery's `processed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processed: Option<u64>,
    /// Its host's load average over 1, 5 and 15 min, as it reports it (Celery's heartbeat).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub loadavg: Vec<f64>,
}

/// Whether a worker in `state` (the system's own word) takes new jobs: not `quiet` (a
/// Sidekiq process told to stop fetching), not `suspended` (`rq suspend`).
pub fn state_fetches(state: Option<&str>) -> bool {
    !matches!(state, Some("quiet" | "suspended"))
}

impl WorkerInfo {
    /// Whether it takes new jobs: not a quiet Sidekiq process, not a suspended RQ worker.
    pub fn fetches(&self) -> bool {
        state_fetches(self.state.as_deref())
    }

    /// Whether it serves `queue` (of its system and prefix). A stale worker (its system's
    /// own expiry lapsed) serves nothing, as the system's own worker lists leave it out.
    pub fn serves(&self, system: System, prefix: &str, queue: &str) -> bool {
        !self.stale
            && self.system == system
            && self.prefix == prefix
            && (self.queue == queue || self.queues.iter().any(|q| q == queue))
    }
}
