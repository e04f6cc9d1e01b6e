//! Adds demo jobs through bullmq-official's `Queue`: `qtop produce` and the demo's live
//! producer share this code.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use anyhow::{Context, Result};
use bullmq::types::BackoffStrategy;
use bullmq::{BulkJob, JobOptions, Queue, QueueOptions};

use super::bullmq_options;
use super::job::{DemoJobData, WorkDist, DEMO_JOB_NAME};
use super::random::Random;

/// `add_bulk` batch size: one call per ~1000 jobs is fastest (bullmq-official-notes.md).
pub const BATCH: usize = 1000;
/// In poison mode, this share of new jobs is poison (fails every attempt).
pub const POISON_SHARE: f64 = 0.1;

/// What the producer puts into new jobs; the demo changes it live through a `watch`.
#[derive(Clone, Debug, PartialEq)]
pub struct ProducerSettings {
    pub rate_per_s: f64,
    /// `None`: jobs carry no `work_ms`, and each worker uses its own setting.
    pub work_ms_mean: Option<f64>,
    pub work_dist: Option<WorkDist>,
    pub fail_rate: Option<f64>,
    /// Poison mode: [`POISON_SHARE`] of new jobs always fail.
    pub poison: bool,
    pub attempts: u32,
    /// Exponential backoff base (200, 400, 800… ms); 0 retries at once.
    pub backoff_ms: u64,
}

impl Default for ProducerSettings {
    fn default() -> Self {
        Self {
            rate_per_s: 0.0,
            work_ms_mean: None,
            work_dist: None,
            fail_rate: None,
            poison: false,
            attempts: 3,
            backoff_ms: 200,
        }
    }
}

/// Builds jobs with unique idempotency keys: `<run id>-<sequence>`.
pub struct JobFactory {
    run_id: String,
    sequence: u64,
    random: Random,
}

impl JobFactory {
    pub fn new() -> Self {
        let mut random = Random::from_entropy();
        Self {
            run_id: random.hex_id(),
            sequence: 0,
            random,
        }
    }

    pub fn job(&mut self, settings: &ProducerSettings) -> BulkJob {
        self.sequence += 1;
        let data = DemoJobData {
            idempotency_key: Some(format!("{}-{}", self.run_id, self.sequence)),
            work_ms: settings.work_ms_mean,
            work_dist: settings.work_dist,
            fail_rate: settings.fail_rate,
            poison: settings.poison && self.random.chance(POISON_SHARE),
        };
        BulkJob::with_options(DEMO_JOB_NAME, data, job_options(settings))
    }
}

impl Default for JobFactory {
    fn default() -> Self {
        Self::new()
    }
}

pub fn job_options(settings: &ProducerSettings) -> JobOptions {
    let options = JobOptions::new().attempts(settings.attempts.max(1));
    if settings.backoff_ms > 0 {
        options.backoff(BackoffStrategy::Exponential(settings.backoff_ms))
    } else {
        options
    }
}

pub struct Producer {
    queue: Queue,
    factory: JobFactory,
    produced: Arc<AtomicU64>,
}

impl Producer {
    /// Callers check the connection first (`connect_checked`): on a dead Redis the crate
    /// itself only fails after a long wait.
    /// `cluster`: Redis is a cluster (`connect_checked` tells).
    pub async fn open(redis_url: &str, cluster: bool, prefix: &str, queue: &str) -> Result<Self> {
        let options = QueueOptions::new()
            .connection(bullmq_options(redis_url, cluster))
            .prefix(prefix);
        let queue = Queue::with_options(queue, options)
            .await
            .with_context(|| format!("opening BullMQ queue {queue}"))?;
        Ok(Self {
            queue,
            factory: JobFactory::new(),
            produced: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Jobs added so far, readable from other tasks.
    pub fn produced_counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.produced)
    }

    pub fn produced(&self) -> u64 {
        self.produced.load(Ordering::Relaxed)
    }

    /// Add `count` jobs in batches of [`BATCH`]. On an error, the jobs of earlier batches
    /// stay added and counted (the crate does not report a failed batch's partial adds).
    pub async fn add(&mut self, count: u64, settings: &ProducerSettings) -> Result<()> {
        let mut left = count;
        while left > 0 {
            let n = left.min(BATCH as u64);
            let jobs: Vec<BulkJob> = (0..n).map(|_| self.factory.job(settings)).collect();
            // The count is in the error: a batch whose reply died with the server may have
            // been added all the same, uncounted.
            let what = if n == 1 { "job" } else { "jobs" };
            self.queue
                .add_bulk(jobs)
                .await
                .with_context(|| format!("adding {n} {what}"))?;
            self.produced.fetch_add(n, Ordering::Relaxed);
            left -= n;
        }
        Ok(())
    }

    pub async fn close(self) {
        self.queue.close().await;
    }
}

/// Errors of the live producer are reported at most this often (Redis down = every tick).
const ERROR_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The demo's live producer: paced by the current settings' rate (a new rate starts a new
/// schedule, see `Pace`), plus bursts on request, until cancelled.
pub async fn run_live(
    mut producer: Producer,
    mut settings: tokio::sync::watch::Receiver<ProducerSettings>,
    mut bursts: tokio::sync::mpsc::UnboundedReceiver<u64>,
    errors: tokio::sync::mpsc::UnboundedSender<String>,
    cancel: tokio_util::sync::CancellationToken,
) {
    use std::time::Instant;
    let mut pace = super::pace::Pace::new(Instant::now(), settings.borrow().rate_per_s, None);
    let mut last_error: Option<Instant> = None;
    loop {
        let due = tokio::select! {
            _ = cancel.cancelled() => break,
            changed = settings.changed() => {
                if changed.is_err() {
                    break;
                }
                let rate = settings.borrow().rate_per_s;
                if rate != pace.rate() {
                    pace.set_rate(Instant::now(), rate);
                }
                0
            }
            Some(n) = bursts.recv() => n,
            _ = tokio::time::sleep_until(pace.next_wake().into()) => pace.take_due(Instant::now()),
        };
        if due == 0 {
            continue;
        }
        let current = settings.borrow().clone();
        if let Err(error) = producer.add(due, &current).await {
            if last_error.is_none_or(|at| at.elapsed() >= ERROR_EVERY) {
                last_error = Some(Instant::now());
                let _ = errors.send(format!("producer: {error:#}"));
            }
        }
    }
    producer.close().await;
}
