//! Any job of a queue, whatever its system: one job in full (`qtop job show`), a state's
//! jobs searched (`qtop job search`), the queue's job schedulers (`qtop schedulers`). The
//! dashboard's job task and the commands go through this; each system's reads live in its
//! own folder. Read-only.
//!
//! Adding a system: a variant of `Queue` and one arm in each method (a system without
//! schedulers answers `None`).

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::RedisResult;

use super::bullmq::{self, QueueId};
use super::connect::{ConnectError, RedisTarget};
use crate::model::jobs::{JobDetail, SearchProgress, SearchQuery, SearchResult, ShowLimits};
use crate::model::schedulers::SchedulerList;
use crate::model::{QueueKey, System};

enum Queue {
    Bullmq(QueueId),
}

/// A connection to read one queue's jobs.
pub struct JobReader {
    conn: MultiplexedConnection,
    queue: Queue,
}

/// Why a queue's jobs cannot be read.
pub fn unsupported(key: &QueueKey) -> ConnectError {
    ConnectError::Other(
        key.to_string(),
        format!("qtop does not read {}'s jobs yet", key.system),
    )
}

/// The states a search accepts for `system`, in its own words.
pub fn search_states(system: System) -> &'static [&'static str] {
    match system {
        System::Bullmq => &bullmq::job::search::STATES,
        _ => &[],
    }
}

impl JobReader {
    pub async fn open(
        target: &RedisTarget,
        key: &QueueKey,
        timeout: Duration,
    ) -> Result<Self, ConnectError> {
        match key.system {
            System::Bullmq => {
                let queue = QueueId::new(key.prefix.clone(), key.name.clone());
                let conn = bullmq::keys::connect_to_queue(target, &queue, timeout).await?;
                Ok(Self {
                    conn,
                    queue: Queue::Bullmq(queue),
                })
            }
            _ => Err(unsupported(key)),
        }
    }

    /// Everything about job `id`, or `None` when the queue has no such job.
    pub async fn show(&mut self, id: &str, limits: &ShowLimits) -> RedisResult<Option<JobDetail>> {
        match &self.queue {
            Queue::Bullmq(queue) => {
                bullmq::job::detail::job_detail(&mut self.conn, queue, id, limits).await
            }
        }
    }

    /// The jobs of `query.state` that match; `Err` (inside) when the state is not one of
    /// the system's. `progress` hears as job hashes are read.
    pub async fn search(
        &mut self,
        query: &SearchQuery,
        progress: impl FnMut(SearchProgress),
    ) -> RedisResult<Result<SearchResult, String>> {
        match &self.queue {
            Queue::Bullmq(queue) => {
                bullmq::job::search::search(&mut self.conn, queue, query, progress).await
            }
        }
    }

    /// The queue's job schedulers, soonest first (at most `limit`); `None` for a system
    /// without them.
    pub async fn schedulers(
        &mut self,
        limit: u64,
        max_payload: u64,
    ) -> RedisResult<Option<SchedulerList>> {
        match &self.queue {
            Queue::Bullmq(queue) => Ok(Some(
                bullmq::job::schedulers::schedulers(&mut self.conn, queue, limit, max_payload)
                    .await?,
            )),
        }
    }
}
