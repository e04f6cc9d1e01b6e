//! `qtop worker`: a real bullmq-official `Worker` that simulates work, with the four
//! workarounds from shared/bullmq-official-notes.md, heartbeats, and a graceful stop.
//!
//! stdout protocol (for the demo pool): `READY <name>` once it consumes, `STOPPED <json>`
//! after a graceful stop. Diagnostics go to stderr.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use bullmq::worker::WorkerEvent;
use bullmq::{Job, Worker, WorkerOptions};

use crate::source::bullmq::keys::QueueId;
use crate::source::bullmq::workers::QTOP_WORKER_NAME_PREFIX;
use crate::source::RedisTarget;

use super::beat::{self, Identity, WorkerStats};
use super::failure::FailureRecorder;
use super::job::WorkDefaults;
use super::lifeline::{self, StopReason};
use super::processor::Processor;
use super::random::Random;
use super::{bullmq_options, connect_checked, now_ms};
use crate::source::link::check_hash_tag;

/// How long a graceful stop waits for the jobs in hand before giving up on them (they are
/// then recovered by stalled detection, like after a crash).
const CLOSE_TIMEOUT: Duration = Duration::from_secs(30);
/// Defect 3 of the crate: its default is 15 s, so a worker idles long after a short outage.
const RUN_RETRY_DELAY: Duration = Duration::from_secs(1);
/// How long an idle worker blocks on the marker: also the longest an idle `close()` takes.
const DRAIN_DELAY: Duration = Duration::from_secs(1);

#[derive(Clone, Debug)]
pub struct WorkerConfig {
    pub redis_url: String,
    pub insecure: bool,
    pub prefix: String,
    pub queue: String,
    /// Always starts with `qtop-` (see [`worker_name`]).
    pub name: String,
    pub concurrency: u32,
    pub defaults: WorkDefaults,
    pub lock_duration: Duration,
    pub stalled_interval: Duration,
    /// Stop on stdin EOF or a `stop` line.
    pub watch_stdin: bool,
}

/// `qtop-<host>-<pid>`, or the given name with `qtop-` put in front if missing, so the
/// monitor labels the worker "qtop". Characters a connection name cannot hold become `-`.
pub fn worker_name(requested: Option<&str>) -> String {
    let base = match requested {
        Some(name) => name.to_string(),
        None => format!("{}-{}", host_name(), std::process::id()),
    };
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if clean.starts_with(QTOP_WORKER_NAME_PREFIX) {
        clean
    } else {
        format!("{QTOP_WORKER_NAME_PREFIX}{clean}")
    }
}

/// The host name without libc: the kernel's, else the environment's, else `localhost`.
pub fn host_name() -> String {
    let from_file = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .map(|s| s.trim().to_string())
    };
    from_file("/proc/sys/kernel/hostname")
        .or_else(|| from_file("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

/// Run until a stop request; then finish the jobs in hand, close, and return.
pub async fn run_worker(config: WorkerConfig) -> Result<()> {
    let target = RedisTarget::parse(&config.redis_url, config.insecure)?;
    // The crate blocks ~40 s before failing when Redis is down: fail fast and clearly first.
    let conn = connect_checked(&target).await?;
    let stop = lifeline::stop_requests(config.watch_stdin).context("installing signal handlers")?;
    let queue = QueueId::new(config.prefix.clone(), config.queue.clone());
    let stats = Arc::new(WorkerStats::default());
    let processor = Arc::new(Processor {
        queue: queue.clone(),
        worker: config.name.clone(),
        defaults: config.defaults,
        conn: conn.clone(),
        stats: Arc::clone(&stats),
        recorder: FailureRecorder::new(queue.clone()),
        random: Mutex::new(Random::from_entropy()),
    });
    let cluster = conn.is_cluster();
    if cluster {
        check_hash_tag(&target, &config.prefix, &config.queue)?;
    }
    let worker = Arc::new(start_worker(&config, cluster, processor).await?);
    let mut stamp = conn.clone();
    super::stamp_library(&mut stamp, &queue).await?;

    // Defect 1 of the crate: its event channel is unbounded and grows forever unless read.
    // Errors go to stderr (the demo pool keeps the tail for its error reports).
    let events = tokio::spawn({
        let worker = Arc::clone(&worker);
        let name = config.name.clone();
        async move {
            while let Some(event) = worker.next_event().await {
                if let WorkerEvent::Error(message) = event {
                    eprintln!("qtop worker {name}: {message}");
                }
            }
        }
    });
    let identity = Identity {
        worker: config.name.clone(),
        host: host_name(),
        concurrency: config.concurrency,
        started_ms: now_ms(),
    };
    let beats = tokio::spawn(beat::beat_forever(
        conn.clone(),
        queue.clone(),
        identity,
        Arc::clone(&stats),
    ));

    announce(&format!("READY {}", config.name));
    let reason = wait_for_stop(stop).await;
    eprintln!(
        "qtop worker {}: stopping ({})",
        config.name,
        reason.as_str()
    );
    let closed = worker.close(CLOSE_TIMEOUT.as_millis() as u64).await;
    beats.abort();
    events.abort();
    let mut conn = conn;
    let _ = beat::remove_beat(&mut conn, &queue, &config.name).await;
    closed.context("closing the worker")?;
    announce(&format!(
        "STOPPED {{\"done\":{},\"failed\":{},\"duplicates\":{}}}",
        stats.done.load(Ordering::Relaxed),
        stats.failed.load(Ordering::Relaxed),
        stats.duplicates.load(Ordering::Relaxed)
    ));
    Ok(())
}

async fn start_worker(
    config: &WorkerConfig,
    cluster: bool,
    processor: Arc<Processor>,
) -> Result<Worker> {
    let url = if config.insecure && config.redis_url.starts_with("rediss://") {
        format!("{}#insecure", config.redis_url)
    } else {
        config.redis_url.clone()
    };
    let options = WorkerOptions::new()
        .connection(bullmq_options(&url, cluster))
        .prefix(config.prefix.clone())
        .name(config.name.clone())
        .concurrency(config.concurrency.max(1) as usize)
        .lock_duration(config.lock_duration)
        .stalled_interval(config.stalled_interval)
        .drain_delay(DRAIN_DELAY)
        .run_retry_delay(RUN_RETRY_DELAY);
    let process = move |job: Job, _cancel| {
        let processor = Arc::clone(&processor);
        async move { processor.process(job).await }
    };
    Worker::with_options(&config.queue, process, options)
        .await
        .with_context(|| format!("starting a BullMQ worker on queue {}", config.queue))
}

async fn wait_for_stop(mut stop: tokio::sync::mpsc::Receiver<StopReason>) -> StopReason {
    // Every sender gone means no stdin watcher and no signal task: nothing can stop us but
    // a signal, which the signal task would have reported. Treat it as a stop.
    stop.recv().await.unwrap_or(StopReason::StdinClosed)
}

/// One protocol line on stdout, flushed at once (stdout is a pipe, hence block-buffered).
fn announce(line: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{line}");
    let _ = stdout.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worker_names_always_carry_the_qtop_prefix() {
        assert_eq!(worker_name(Some("qtop-a")), "qtop-a");
        assert_eq!(worker_name(Some("billing 1")), "qtop-billing-1");
        assert_eq!(worker_name(Some("a:b")), "qtop-a-b");
        let default = worker_name(None);
        assert!(default.starts_with("qtop-"), "{default}");
        assert!(default.ends_with(&format!("-{}", std::process::id())));
    }
}
