//! What a `qtop worker` does with one job attempt.
//!
//! The simulated job has a side effect (think "charge the card") that commits halfway
//! through its work: the idempotency key is SET at that point. A failing attempt fails
//! before the commit, so its retry is real work. A worker killed after the commit leaves the
//! job in `active`; stalled recovery redelivers it, and the next worker finds the key and
//! skips the work: a duplicate suppressed. That is the demo's point about at-least-once
//! delivery.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use super::DemoConn;
use bullmq::Job;
use futures_util::FutureExt;
use redis::AsyncCommands;
use serde_json::json;

use crate::source::bullmq::keys::QueueId;

use super::beat::WorkerStats;
use super::failure::{trace_entry, FailureRecorder};
use super::job::{plan_attempt, DemoJobData, WorkDefaults};
use super::random::Random;

/// How long a done idempotency key is remembered.
pub const IDEMPOTENCY_TTL_S: u64 = 3600;
/// Field of the `qtop_stats` hash counting skipped duplicates.
pub const DUPLICATES_FIELD: &str = "duplicates_suppressed";

pub struct Processor {
    pub queue: QueueId,
    pub worker: String,
    pub defaults: WorkDefaults,
    pub conn: DemoConn,
    pub stats: Arc<WorkerStats>,
    pub recorder: FailureRecorder,
    pub random: Mutex<Random>,
}

enum Outcome {
    Done,
    Duplicate,
}

impl Processor {
    /// The processor given to the crate's `Worker`. Failures come back as
    /// `ProcessingError`, so the crate retries with backoff or fails the job for good.
    pub async fn process(self: Arc<Self>, job: Job) -> Result<serde_json::Value, bullmq::Error> {
        let job_id = job.id().to_string();
        let token = job.token().map(str::to_string);
        let attempt = job.attempts_made() + 1;
        let trace_limit = job.opts().stack_trace_limit;
        let data = DemoJobData::from_value(job.data());
        self.stats.start_job(&job_id);

        let result = isolated(Arc::clone(&self).attempt(data)).await;
        self.stats.end_job(&job_id);

        match result {
            Ok(outcome) => {
                let duplicate = matches!(outcome, Outcome::Duplicate);
                if duplicate {
                    self.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                }
                self.stats.done.fetch_add(1, Ordering::Relaxed);
                Ok(json!({ "worker": self.worker, "duplicate": duplicate }))
            }
            Err(reason) => {
                self.stats.failed.fetch_add(1, Ordering::Relaxed);
                let trace = trace_entry(&reason, &self.worker, &job_id, attempt);
                let mut conn = self.conn.clone();
                // Best effort: if Redis is unreachable the crate cannot fail the job either,
                // and stalled recovery takes over.
                let _ = self
                    .recorder
                    .record(
                        &mut conn,
                        &job_id,
                        token.as_deref(),
                        &reason,
                        &trace,
                        trace_limit,
                    )
                    .await;
                Err(bullmq::Error::ProcessingError(reason))
            }
        }
    }

    async fn attempt(self: Arc<Self>, data: DemoJobData) -> Result<Outcome, String> {
        let mut conn = self.conn.clone();
        let done_key = data
            .idempotency_key
            .as_deref()
            .map(|k| self.queue.idempotency(k));
        if let Some(done_key) = &done_key {
            let already: bool = conn.exists(done_key).await.map_err(redis_error)?;
            if already {
                let _: i64 = conn
                    .hincr(self.queue.qtop_stats(), DUPLICATES_FIELD, 1)
                    .await
                    .map_err(redis_error)?;
                return Ok(Outcome::Duplicate);
            }
        }
        let plan = {
            let mut random = self.random.lock().map_err(|_| "random source poisoned")?;
            plan_attempt(&data, &self.defaults, &mut random)
        };
        let first_half = plan.duration / 2;
        work(first_half).await;
        if let Some(reason) = plan.failure {
            return Err(reason);
        }
        if let Some(done_key) = &done_key {
            let _: () = conn
                .set_ex(done_key, &self.worker, IDEMPOTENCY_TTL_S)
                .await
                .map_err(redis_error)?;
        }
        work(plan.duration - first_half).await;
        Ok(Outcome::Done)
    }
}

/// Defect 2 of the crate: a panicking processor wedges its job in `active` forever (its lock
/// keeps being renewed). So a panic in a processor body is caught where the body is polled,
/// and becomes an ordinary failure that BullMQ retries or fails.
///
/// Caught in place, not in a task of its own: a `tokio::spawn` per job (and the wake-up of its
/// `JoinHandle`) kept waking the runtime's second thread, which then competed with
/// redis-server for the CPU; at concurrency 8 that cost about a third of the throughput.
/// Catching the unwind here is as safe: the body owns its state and is dropped after a panic,
/// never polled again (what tokio's task harness does too), and what it shares with other
/// jobs is atomics and a `Mutex`, which poisons.
pub async fn isolated<T>(
    body: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, String> {
    match AssertUnwindSafe(body).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => Err(format!("processor panicked: {}", panic_message(&*payload))),
    }
}

/// The text a panic was raised with (`panic!` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a non-text panic payload")
}

/// Simulated work. Zero work is no sleep at all: tokio's timer has millisecond ticks, so even
/// `sleep(0)` would cost each job up to a millisecond per call.
async fn work(duration: std::time::Duration) {
    if !duration.is_zero() {
        tokio::time::sleep(duration).await;
    }
}

fn redis_error(error: redis::RedisError) -> String {
    format!("redis error: {error}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_a_failure() {
        assert_eq!(isolated(async { Ok::<_, String>(7) }).await, Ok(7));
        assert_eq!(
            isolated(async { Err::<u8, _>("no".to_string()) }).await,
            Err("no".into())
        );
        let result = isolated(async {
            if std::hint::black_box(true) {
                panic!("bug in a processor");
            }
            Ok::<u8, String>(0)
        })
        .await;
        let message = result.err().unwrap_or_default();
        assert_eq!(message, "processor panicked: bug in a processor");
    }
}
