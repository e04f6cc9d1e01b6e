//! The engine task behind a [`DemoHandle`]: owns the embedded redis-server, the live
//! producer task and the worker pool, and applies commands one at a time.

use std::time::Duration;

use anyhow::{Context, Result};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::api::{Command, DemoConfig, DemoEvent, DemoEventKind, DemoHandle, DemoStatus};
use super::child::Exit;
use super::embedded::EmbeddedRedis;
use super::job::WorkDefaults;
use super::pool::{PoolConfig, WorkerPool};
use super::producer::{run_live, Producer, ProducerSettings};
use super::{connect_checked, now_ms};
use crate::source::link::check_hash_tag;
use crate::source::RedisTarget;

/// Events waiting for the UI beyond this are dropped (the status stays exact).
const EVENT_BUFFER: usize = 1024;
const PRODUCED_EVERY: Duration = Duration::from_secs(1);

pub struct Demo;

impl Demo {
    /// Start Redis (unless given), the producer and `initial_workers` workers.
    pub async fn start(config: DemoConfig) -> Result<(DemoHandle, mpsc::Receiver<DemoEvent>)> {
        let (embedded, redis_url) = match config.redis_url.clone() {
            Some(url) => (None, url),
            None => {
                let redis = EmbeddedRedis::start()?;
                let url = redis.url();
                (Some(redis), url)
            }
        };
        let target = RedisTarget::parse(&redis_url, false)?;
        let mut conn = connect_checked(&target).await?;
        let cluster = conn.is_cluster();
        if cluster {
            check_hash_tag(&target, &config.prefix, &config.queue)?;
        }
        let exe = match &config.qtop_exe {
            Some(exe) => exe.clone(),
            None => std::env::current_exe().context("finding the qtop executable")?,
        };
        let pool = WorkerPool::new(PoolConfig {
            exe,
            redis_url: redis_url.clone(),
            prefix: config.prefix.clone(),
            queue: config.queue.clone(),
            concurrency: config.concurrency.max(1),
            lock_duration: config.lock_duration,
            stalled_interval: config.stalled_interval,
            defaults: WorkDefaults {
                work_ms: config.settings.work_ms_mean.unwrap_or(50.0),
                work_dist: config.settings.work_dist.unwrap_or_default(),
                fail_rate: config.settings.fail_rate.unwrap_or(0.0),
            },
        });
        let producer = Producer::open(&redis_url, cluster, &config.prefix, &config.queue).await?;
        let queue =
            crate::source::bullmq::QueueId::new(config.prefix.clone(), config.queue.clone());
        super::stamp_library(&mut conn, &queue).await?;
        let produced = producer.produced_counter();
        let (settings_tx, settings_rx) = watch::channel(config.settings.clone());
        let (bursts_tx, bursts_rx) = mpsc::unbounded_channel();
        let (errors_tx, errors_rx) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let producer_task = tokio::spawn(run_live(
            producer,
            settings_rx,
            bursts_rx,
            errors_tx,
            cancel.clone(),
        ));
        let status = DemoStatus {
            redis_url,
            prefix: config.prefix.clone(),
            queue: config.queue.clone(),
            redis_pid: embedded.as_ref().and_then(EmbeddedRedis::pid),
            workers: Vec::new(),
            concurrency: config.concurrency.max(1),
            settings: config.settings.clone(),
            produced: 0,
            started_ms: now_ms(),
            stopped: false,
        };
        let (status_tx, status_rx) = watch::channel(status);
        let (events_tx, events_rx) = mpsc::channel(EVENT_BUFFER);
        let (commands_tx, commands_rx) = mpsc::unbounded_channel();
        let mut engine = Engine {
            embedded,
            pool,
            settings: settings_tx,
            bursts: bursts_tx,
            cancel,
            producer_task: Some(producer_task),
            produced,
            status: status_tx,
            events: events_tx,
        };
        for _ in 0..config.initial_workers {
            if let Err(error) = engine.spawn_worker().await {
                engine.shutdown().await;
                return Err(error);
            }
        }
        engine.publish();
        tokio::spawn(engine.run(commands_rx, errors_rx));
        let handle = DemoHandle {
            commands: commands_tx,
            status: status_rx,
        };
        Ok((handle, events_rx))
    }
}

pub(super) struct Engine {
    embedded: Option<EmbeddedRedis>,
    pub(super) pool: WorkerPool,
    pub(super) settings: watch::Sender<ProducerSettings>,
    pub(super) bursts: mpsc::UnboundedSender<u64>,
    cancel: CancellationToken,
    producer_task: Option<tokio::task::JoinHandle<()>>,
    produced: std::sync::Arc<std::sync::atomic::AtomicU64>,
    status: watch::Sender<DemoStatus>,
    events: mpsc::Sender<DemoEvent>,
}

impl Engine {
    async fn run(
        mut self,
        mut commands: mpsc::UnboundedReceiver<Command>,
        mut errors: mpsc::UnboundedReceiver<String>,
    ) {
        let mut tick = tokio::time::interval(PRODUCED_EVERY);
        let reply = loop {
            tokio::select! {
                command = commands.recv() => match command {
                    // Every handle dropped: nobody can steer or stop us any more.
                    None => break None,
                    Some(Command::Shutdown(reply)) => break Some(reply),
                    Some(command) => self.apply(command).await,
                },
                Some(exit) = self.pool.next_exit() => self.on_exit(exit),
                Some(message) = errors.recv() => self.emit(DemoEventKind::Error { message }),
                _ = tick.tick() => {
                    let total = self.produced();
                    self.emit(DemoEventKind::Produced { total });
                }
            }
            self.publish();
        };
        self.shutdown().await;
        if let Some(reply) = reply {
            let _ = reply.send(());
        }
    }

    pub(super) async fn spawn_worker(&mut self) -> Result<()> {
        let worker = self.pool.spawn().await?;
        self.emit(DemoEventKind::WorkerSpawned {
            name: worker.name,
            pid: worker.pid,
        });
        Ok(())
    }

    fn on_exit(&mut self, exit: Exit) {
        if exit.code.is_some_and(|code| code != 0) && !exit.stderr_tail.is_empty() {
            let message = format!("worker {}: {}", exit.name, exit.stderr_tail);
            self.emit(DemoEventKind::Error { message });
        }
        self.emit(DemoEventKind::WorkerExited {
            name: exit.name,
            code: exit.code,
        });
    }

    fn produced(&self) -> u64 {
        self.produced.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(super) fn emit(&self, kind: DemoEventKind) {
        // A UI that stops reading must not stall the engine: drop events when full.
        let _ = self.events.try_send(DemoEvent {
            at_ms: now_ms(),
            kind,
        });
    }

    fn publish(&self) {
        let workers = self.pool.workers();
        let settings = self.settings.borrow().clone();
        let produced = self.produced();
        let concurrency = self.pool.concurrency();
        let stopped = self.producer_task.is_none();
        self.status.send_modify(|status| {
            status.workers = workers;
            status.settings = settings;
            status.produced = produced;
            status.concurrency = concurrency;
            status.stopped = stopped;
        });
    }

    async fn shutdown(&mut self) {
        self.cancel.cancel();
        if let Some(task) = self.producer_task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
        for exit in self.pool.shutdown().await {
            self.on_exit(exit);
        }
        if let Some(mut redis) = self.embedded.take() {
            // Blocking (SHUTDOWN NOSAVE, a short wait): off the async threads.
            let _ = tokio::task::spawn_blocking(move || redis.stop()).await;
        }
        let total = self.produced();
        self.emit(DemoEventKind::Produced { total });
        self.publish();
    }
}
