//! One queue's dead letters, whatever its system: a page (newest first), one job in full,
//! a scan for grouping, the ids of a failure group, an export. The dashboard's reader task
//! and `qtop dlq` go through this; each system's reads live in its own folder. Read-only.
//!
//! Adding a system: a variant of `Queue` and one arm in each method.

use std::io::Write;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::RedisResult;

use super::bullmq::{self, QueueId};
use super::connect::{ConnectError, RedisTarget};
use super::sidekiq::{self, JobSet, Keys};
use crate::model::failures::{FailedJob, FailedJobDetail, FailedPage};
use crate::model::{QueueKey, System};

/// Jobs read per round trip when a whole set is walked.
pub const BATCH: u64 = 1000;

/// Payload fields larger than this are not loaded for a detail unless asked.
pub const DEFAULT_MAX_PAYLOAD: u64 = bullmq::dlq::DEFAULT_MAX_PAYLOAD;

enum Queue {
    Bullmq(QueueId),
    Sidekiq {
        keys: Keys,
        set: JobSet,
        queue: String,
    },
    /// An RQ queue's name.
    Rq(String),
    /// A Celery queue's name, and its failures as last collected (a listing scans the
    /// result backend's keyspace: kept a few seconds so that paging does not scan again).
    Celery {
        queue: String,
        collected: Option<(std::time::Instant, Vec<FailedJobDetail>)>,
    },
}

/// How long a Celery listing is reused for the next pages.
const CELERY_REUSE: Duration = Duration::from_secs(5);

/// Which set of a queue's failures: the dead letters (BullMQ's `failed`, Sidekiq's `dead`),
/// or Sidekiq's retry set (failed attempts that will run again), its second view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DlqSet {
    #[default]
    Dead,
    Retry,
}

impl DlqSet {
    pub fn name(self) -> &'static str {
        match self {
            DlqSet::Dead => "dead",
            DlqSet::Retry => "retry",
        }
    }
}

impl std::str::FromStr for DlqSet {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "dead" | "failed" => Ok(DlqSet::Dead),
            "retry" => Ok(DlqSet::Retry),
            other => Err(format!("unknown set '{other}' (dead, retry)")),
        }
    }
}

/// Why a system has no such set.
pub fn no_such_set(key: &QueueKey, set: DlqSet) -> ConnectError {
    ConnectError::Other(
        key.to_string(),
        format!("{} keeps no {} set", key.system, set.name()),
    )
}

/// A connection to read one queue's dead letters.
pub struct DeadLetterReader {
    conn: MultiplexedConnection,
    queue: Queue,
    /// Told how many records a long listing has read so far (Celery's result metas).
    progress: Option<Box<dyn FnMut(u64, bool) + Send>>,
}

/// Why a queue's dead letters cannot be read.
pub fn unsupported(key: &QueueKey) -> ConnectError {
    ConnectError::Other(
        key.to_string(),
        format!("qtop does not read {}'s dead letters yet", key.system),
    )
}

impl DeadLetterReader {
    pub async fn open(
        target: &RedisTarget,
        key: &QueueKey,
        timeout: Duration,
    ) -> Result<Self, ConnectError> {
        Self::open_set(target, key, DlqSet::Dead, timeout).await
    }

    /// The reader of one of the queue's failure sets (`DlqSet::Retry`: Sidekiq only).
    pub async fn open_set(
        target: &RedisTarget,
        key: &QueueKey,
        set: DlqSet,
        timeout: Duration,
    ) -> Result<Self, ConnectError> {
        match (key.system, set) {
            (System::Sidekiq, _) => {
                let keys = Keys::new(key.prefix.clone());
                let set = match set {
                    DlqSet::Dead => JobSet::Dead,
                    DlqSet::Retry => JobSet::Retry,
                };
                let conn =
                    super::link::connect_for_key(target, &keys.set(set), timeout, |_| Ok(()))
                        .await?;
                Ok(Self {
                    progress: None,
                    conn,
                    queue: Queue::Sidekiq {
                        keys,
                        set,
                        queue: key.name.to_string(),
                    },
                })
            }
            (System::Bullmq, DlqSet::Retry) => Err(no_such_set(key, set)),
            (System::Bullmq, DlqSet::Dead) => {
                let queue = QueueId::new(key.prefix.clone(), key.name.clone());
                let conn = bullmq::keys::connect_to_queue(target, &queue, timeout).await?;
                Ok(Self {
                    progress: None,
                    conn,
                    queue: Queue::Bullmq(queue),
                })
            }
            (System::Rq, DlqSet::Retry) => Err(no_such_set(key, set)),
            (System::Rq, DlqSet::Dead) => {
                let conn = super::rq::connect(target, timeout).await?;
                Ok(Self {
                    progress: None,
                    conn,
                    queue: Queue::Rq(key.name.to_string()),
                })
            }
            (System::Celery, DlqSet::Retry) => Err(no_such_set(key, set)),
            (System::Celery, DlqSet::Dead) => {
                let conn = super::celery::connect(target.celery_backend(), timeout).await?;
                Ok(Self {
                    progress: None,
                    conn,
                    queue: Queue::Celery {
                        queue: key.name.to_string(),
                        collected: None,
                    },
                })
            }
        }
    }

    /// Hear how many records a long listing has read so far, and `true` once it is done
    /// (a progress line).
    pub fn on_progress(&mut self, progress: impl FnMut(u64, bool) + Send + 'static) {
        self.progress = Some(Box::new(progress));
    }

    /// Jobs `offset .. offset + limit`, newest first, and the size of the whole set.
    pub async fn page(&mut self, offset: u64, limit: u64) -> RedisResult<FailedPage> {
        if let Queue::Celery { queue, collected } = &mut self.queue {
            let fresh = collected
                .as_ref()
                .is_some_and(|(at, _)| at.elapsed() < CELERY_REUSE);
            if !fresh {
                let mut silent = |_: u64, _: bool| {};
                let progress: &mut (dyn FnMut(u64, bool) + Send) = match self.progress.as_mut() {
                    Some(progress) => progress.as_mut(),
                    None => &mut silent,
                };
                let failures = super::celery::dlq::collect(&mut self.conn, queue, progress).await?;
                if failures.truncated {
                    tracing::warn!(
                        scanned = failures.scanned,
                        "Celery failures: the listing stopped after {} result metas",
                        super::celery::dlq::MAX_METAS
                    );
                }
                *collected = Some((std::time::Instant::now(), failures.details));
            }
            let all = collected
                .as_ref()
                .map(|(_, d)| d.as_slice())
                .unwrap_or_default();
            return Ok(FailedPage {
                total: all.len() as u64,
                offset,
                jobs: all
                    .iter()
                    .skip(offset as usize)
                    .take(limit as usize)
                    .map(|d| d.job.clone())
                    .collect(),
            });
        }
        match &self.queue {
            Queue::Bullmq(queue) => {
                bullmq::dlq::failed_page(&mut self.conn, queue, offset, limit).await
            }
            Queue::Sidekiq { keys, set, queue } => {
                sidekiq::dlq::page(&mut self.conn, keys, *set, queue, offset, limit).await
            }
            Queue::Rq(queue) => {
                super::rq::dlq::failed_page(&mut self.conn, queue, offset, limit).await
            }
            Queue::Celery { .. } => Ok(FailedPage::default()),
        }
    }

    /// How many dead letters there are.
    pub async fn total(&mut self) -> RedisResult<u64> {
        Ok(self.page(0, 0).await?.total)
    }

    /// Everything about one job, or `None` when it is not a dead letter (any more).
    pub async fn detail(
        &mut self,
        id: &str,
        max_payload: u64,
    ) -> RedisResult<Option<FailedJobDetail>> {
        match &self.queue {
            Queue::Bullmq(queue) => {
                bullmq::dlq::failed_detail(&mut self.conn, queue, id, max_payload).await
            }
            Queue::Sidekiq { keys, set, queue } => {
                sidekiq::dlq::detail(&mut self.conn, keys, *set, queue, id, max_payload).await
            }
            // RQ's fields are small; its pickled payload is never loaded.
            Queue::Rq(queue) => super::rq::dlq::failed_detail(&mut self.conn, queue, id).await,
            Queue::Celery { .. } => super::celery::dlq::detail(&mut self.conn, id).await,
        }
    }

    /// Every dead letter in pages of `batch`, newest first; `visit` returns false to stop.
    /// Returns how many were visited.
    pub async fn scan(
        &mut self,
        batch: u64,
        mut visit: impl FnMut(&[FailedJob]) -> bool,
    ) -> RedisResult<u64> {
        let mut offset = 0;
        loop {
            let page = self.page(offset, batch).await?;
            if page.jobs.is_empty() {
                return Ok(offset);
            }
            offset += page.jobs.len() as u64;
            if !visit(&page.jobs) || offset >= page.total {
                return Ok(offset);
            }
        }
    }

    /// Ids of the dead letters in the failure group `group` (its id or normalised reason).
    pub async fn ids_in_group(&mut self, group: &str) -> RedisResult<Vec<String>> {
        let mut ids = Vec::new();
        self.scan(BATCH, |page| {
            ids.extend(
                page.iter()
                    .filter(|job| crate::model::failures::matches_group(group, &job.failed_reason))
                    .map(|job| job.id.clone()),
            );
            true
        })
        .await?;
        Ok(ids)
    }

    /// Every dead letter as one JSON object a line, newest first. Returns how many.
    pub async fn export<W: Write + ?Sized>(&mut self, sink: &mut W) -> anyhow::Result<u64> {
        match &self.queue {
            Queue::Bullmq(queue) => {
                bullmq::dlq_export::export_failed(&mut self.conn, queue, sink).await
            }
            Queue::Sidekiq { keys, set, queue } => {
                sidekiq::dlq::export(&mut self.conn, keys, *set, queue, sink).await
            }
            Queue::Rq(queue) => {
                super::rq::dlq::export_failed(&mut self.conn, queue, sink, BATCH).await
            }
            Queue::Celery { queue, .. } => {
                super::celery::dlq::export(&mut self.conn, queue, sink).await
            }
        }
    }
}
