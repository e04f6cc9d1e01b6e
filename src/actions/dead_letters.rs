//! Retrying and deleting dead letters, whatever the queue's system: each system's writes do
//! exactly what its own API does (BullMQ's scripts through the official crate, …). Every
//! function needs a [`Writer`], which `--read-only` cannot make.
//!
//! Adding a system: one arm in each function, its writes under `actions/<system>/`.

use anyhow::bail;
use serde::Serialize;

use super::{bullmq, rq, Writer};
use crate::model::{QueueKey, System};
use crate::source::bullmq::QueueId;
use crate::source::dead_letters::DlqSet;
use crate::source::sidekiq::{JobSet, Keys};

/// What a bulk action did. JSON field names are part of the CLI's output contract.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Outcome {
    /// Jobs the action was asked to touch.
    pub requested: u64,
    /// Jobs it changed.
    pub done: u64,
    /// Jobs left alone, with the reason.
    pub skipped: Vec<Skipped>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub id: String,
    pub reason: String,
}

impl Outcome {
    pub(crate) fn skip(&mut self, id: &str, reason: impl Into<String>) {
        self.skipped.push(Skipped {
            id: id.to_string(),
            reason: reason.into(),
        });
    }
}

fn unsupported(key: &QueueKey) -> anyhow::Error {
    if key.system == System::Celery {
        return anyhow::anyhow!(
            "Celery's failed tasks are read-only in qtop: they are result-backend records \
             (celery-task-meta-*), and Celery has no dead-letter set to retry from; resend \
             the task from your application (or forget() its result to delete the record)"
        );
    }
    anyhow::anyhow!("qtop cannot change {}'s dead letters yet", key.system)
}

fn bull(key: &QueueKey) -> QueueId {
    QueueId::new(key.prefix.clone(), key.name.clone())
}

/// Sidekiq's keys and job set for a queue's `set`.
fn sidekiq(key: &QueueKey, set: DlqSet) -> (Keys, JobSet) {
    let job_set = match set {
        DlqSet::Dead => JobSet::Dead,
        DlqSet::Retry => JobSet::Retry,
    };
    (Keys::new(key.prefix.clone()), job_set)
}

/// Put these dead letters back to run, as the system's own retry does.
pub async fn retry_jobs(
    writer: &Writer,
    key: &QueueKey,
    ids: &[String],
) -> anyhow::Result<Outcome> {
    retry_jobs_in(writer, key, DlqSet::Dead, ids).await
}

/// The same for one of the queue's failure sets (`DlqSet::Retry`: Sidekiq's retry set).
pub async fn retry_jobs_in(
    writer: &Writer,
    key: &QueueKey,
    set: DlqSet,
    ids: &[String],
) -> anyhow::Result<Outcome> {
    check_set(key, set)?;
    match key.system {
        System::Bullmq => bullmq::dlq::retry_jobs(writer, &bull(key), ids).await,
        System::Sidekiq => {
            let (keys, set) = sidekiq(key, set);
            super::sidekiq::act_on(writer, &keys, set, &key.name, ids, true).await
        }
        System::Rq => rq::dlq::retry_jobs(writer, &key.name, ids).await,
        _ => Err(unsupported(key)),
    }
}

/// Put every dead letter back to run. Returns how many moved.
pub async fn retry_all(writer: &Writer, key: &QueueKey) -> anyhow::Result<u64> {
    retry_all_in(writer, key, DlqSet::Dead).await
}

pub async fn retry_all_in(writer: &Writer, key: &QueueKey, set: DlqSet) -> anyhow::Result<u64> {
    check_set(key, set)?;
    match key.system {
        System::Bullmq => bullmq::dlq::retry_all(writer, &bull(key)).await,
        System::Sidekiq => {
            let (keys, set) = sidekiq(key, set);
            super::sidekiq::act_on_all(writer, &keys, set, &key.name, true).await
        }
        System::Rq => rq::dlq::retry_all(writer, &key.name).await,
        _ => Err(unsupported(key)),
    }
}

/// Delete these dead letters, as the system's own delete does.
pub async fn delete_jobs(
    writer: &Writer,
    key: &QueueKey,
    ids: &[String],
) -> anyhow::Result<Outcome> {
    delete_jobs_in(writer, key, DlqSet::Dead, ids).await
}

pub async fn delete_jobs_in(
    writer: &Writer,
    key: &QueueKey,
    set: DlqSet,
    ids: &[String],
) -> anyhow::Result<Outcome> {
    check_set(key, set)?;
    match key.system {
        System::Bullmq => bullmq::dlq::delete_jobs(writer, &bull(key), ids).await,
        System::Sidekiq => {
            let (keys, set) = sidekiq(key, set);
            super::sidekiq::act_on(writer, &keys, set, &key.name, ids, false).await
        }
        System::Rq => rq::dlq::delete_jobs(writer, &key.name, ids).await,
        _ => Err(unsupported(key)),
    }
}

/// Delete every dead letter. Returns how many.
pub async fn delete_all(writer: &Writer, key: &QueueKey) -> anyhow::Result<u64> {
    delete_all_in(writer, key, DlqSet::Dead).await
}

pub async fn delete_all_in(writer: &Writer, key: &QueueKey, set: DlqSet) -> anyhow::Result<u64> {
    check_set(key, set)?;
    match key.system {
        System::Bullmq => bullmq::dlq::delete_all(writer, &bull(key)).await,
        System::Sidekiq => {
            let (keys, set) = sidekiq(key, set);
            super::sidekiq::act_on_all(writer, &keys, set, &key.name, false).await
        }
        System::Rq => rq::dlq::delete_all(writer, &key.name).await,
        _ => Err(unsupported(key)),
    }
}

/// Refuse early, with the reason, a system whose dead letters qtop cannot change.
pub fn check_supported(key: &QueueKey) -> anyhow::Result<()> {
    match key.system {
        System::Bullmq | System::Sidekiq | System::Rq => Ok(()),
        _ => bail!(unsupported(key)),
    }
}

/// Only Sidekiq has a retry set.
fn check_set(key: &QueueKey, set: DlqSet) -> anyhow::Result<()> {
    if set == DlqSet::Retry && key.system != System::Sidekiq {
        bail!("{} keeps no retry set", key.system);
    }
    Ok(())
}
