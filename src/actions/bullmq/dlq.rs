//! Retry and delete dead letters through BullMQ's own scripts (bullmq-official):
//! one job → `Job::retry` (reprocessJob, as Node's `job.retry()`), all → `Queue::retry_jobs`
//! (moveJobsToWait, as Node's `queue.retryJobs()`), delete → `Queue::remove` (removeJob:
//! hash, logs, lock, dependencies and set membership) and `Queue::clean` for all.

use crate::actions::dead_letters::Outcome;
use crate::actions::Writer;
use crate::source::bullmq::QueueId;

/// Move these failed jobs back to wait, one by one, as BullMQ's `job.retry('failed')` does
/// (attempts made are kept, so an exhausted job gets one more try).
pub async fn retry_jobs(
    writer: &Writer,
    queue: &QueueId,
    ids: &[String],
) -> anyhow::Result<Outcome> {
    let bull = writer.queue(queue).await?;
    let mut outcome = Outcome {
        requested: ids.len() as u64,
        ..Outcome::default()
    };
    for id in ids {
        match bull.get_job(id).await {
            Ok(Some(mut job)) => match job.retry("failed", None).await {
                Ok(()) => outcome.done += 1,
                Err(error) => outcome.skip(id, not_failed_or(&error)),
            },
            Ok(None) => outcome.skip(id, "no such job"),
            Err(error) => outcome.skip(id, format!("unreadable job: {error}")),
        }
    }
    bull.close().await;
    tracing::info!(%queue, requested = outcome.requested, done = outcome.done, "retried failed jobs");
    Ok(outcome)
}

/// Move every failed job back to wait with BullMQ's bulk retry. Returns how many moved.
pub async fn retry_all(writer: &Writer, queue: &QueueId) -> anyhow::Result<u64> {
    let bull = writer.queue(queue).await?;
    let before = bull.get_failed_count().await?;
    let result = bull.retry_jobs("failed", 1000, None).await;
    let after = bull.get_failed_count().await;
    bull.close().await;
    result?;
    Ok(before.saturating_sub(after?))
}

/// Delete these jobs, which must be in the failed set: a delete by id never reaches a job
/// that is waiting or running.
pub async fn delete_jobs(
    writer: &Writer,
    queue: &QueueId,
    ids: &[String],
) -> anyhow::Result<Outcome> {
    let bull = writer.queue(queue).await?;
    let mut outcome = Outcome {
        requested: ids.len() as u64,
        ..Outcome::default()
    };
    for id in ids {
        match bull.get_job_state(id).await {
            Ok(::bullmq::types::JobState::Failed) => match bull.remove(id).await {
                Ok(true) => outcome.done += 1,
                Ok(false) => outcome.skip(id, "locked by a worker"),
                Err(error) => outcome.skip(id, error.to_string()),
            },
            Ok(state) => outcome.skip(id, format!("not in the failed set (state: {state:?})")),
            Err(error) => outcome.skip(id, error.to_string()),
        }
    }
    bull.close().await;
    tracing::info!(%queue, requested = outcome.requested, done = outcome.done, "deleted failed jobs");
    Ok(outcome)
}

/// Delete every failed job (BullMQ's `clean(0, …, 'failed')`, in batches). Returns how many.
pub async fn delete_all(writer: &Writer, queue: &QueueId) -> anyhow::Result<u64> {
    let bull = writer.queue(queue).await?;
    let mut deleted = 0u64;
    let result = loop {
        match bull.clean(0, 1000, "failed").await {
            Ok(ids) if ids.is_empty() => break Ok(()),
            Ok(ids) => deleted += ids.len() as u64,
            Err(error) => break Err(error),
        }
    };
    bull.close().await;
    result?;
    Ok(deleted)
}

fn not_failed_or(error: &::bullmq::Error) -> String {
    let text = error.to_string();
    // reprocessJob's −3: the job is not in the failed set (already retried, say).
    if text.contains("code -3") {
        "not in the failed set".to_string()
    } else {
        text
    }
}
