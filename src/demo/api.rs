//! The demo engine's public face: [`DemoConfig`] in, a [`DemoHandle`] to steer it, a stream
//! of [`DemoEvent`]s for chart markers and the event log, and a [`DemoStatus`] snapshot.
//!
//! Every `DemoHandle` method but `shutdown` is sync and never blocks: it queues a command
//! for the engine task, so a UI loop can call it from a key handler.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use super::pool::PoolWorker;
use super::producer::ProducerSettings;

/// Rate steps of `rate_up`/`rate_down`.
pub const RATE_STEP: f64 = 1.5;

#[derive(Clone, Debug, PartialEq)]
pub struct DemoConfig {
    /// `None`: start a private redis-server (needs `redis-server` on PATH).
    pub redis_url: Option<String>,
    pub prefix: String,
    pub queue: String,
    pub initial_workers: u32,
    /// Concurrency of each worker process.
    pub concurrency: u32,
    pub lock_duration: Duration,
    pub stalled_interval: Duration,
    pub settings: ProducerSettings,
    /// The `qtop` binary to run workers with; `None`: this executable.
    pub qtop_exe: Option<PathBuf>,
}

impl Default for DemoConfig {
    /// What `qtop demo` starts with and no flags: its own Redis, queue `bull:demo`, 2 workers
    /// of concurrency 4 with short locks (a killed worker's jobs return in about 4 s), and
    /// 40 jobs/s of about 50 ms each (exponential), 2% of attempts failing.
    fn default() -> Self {
        Self {
            redis_url: None,
            prefix: "bull".to_string(),
            queue: "demo".to_string(),
            initial_workers: 2,
            concurrency: 4,
            lock_duration: Duration::from_secs(4),
            stalled_interval: Duration::from_secs(2),
            settings: ProducerSettings {
                rate_per_s: 40.0,
                work_ms_mean: Some(50.0),
                work_dist: Some(super::job::WorkDist::Exp),
                fail_rate: Some(0.02),
                ..ProducerSettings::default()
            },
            qtop_exe: None,
        }
    }
}

/// Something that happened, stamped with wall-clock milliseconds.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoEvent {
    pub at_ms: i64,
    pub kind: DemoEventKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum DemoEventKind {
    WorkerSpawned {
        name: String,
        pid: u32,
    },
    /// Told to stop gracefully (a `WorkerExited` follows).
    WorkerStopped {
        name: String,
    },
    /// SIGKILLed mid-job (a `WorkerExited` follows).
    WorkerKilled {
        name: String,
        pid: u32,
    },
    /// The process is gone; `code` is `None` when a signal ended it.
    WorkerExited {
        name: String,
        code: Option<i32>,
    },
    RateChanged {
        rate: f64,
    },
    Burst {
        n: u64,
    },
    /// Any other setting; `change` says which, in words.
    SettingsChanged {
        settings: ProducerSettings,
        concurrency: u32,
        change: String,
    },
    /// Jobs added since the start (cumulative), about once a second.
    Produced {
        total: u64,
    },
    Error {
        message: String,
    },
}

impl DemoEvent {
    /// One line for an event log.
    pub fn describe(&self) -> String {
        match &self.kind {
            DemoEventKind::WorkerSpawned { name, pid } => {
                format!("worker {name} started (pid {pid})")
            }
            DemoEventKind::WorkerStopped { name } => format!("worker {name} stopping gracefully"),
            DemoEventKind::WorkerKilled { name, pid } => {
                format!("worker {name} killed (SIGKILL, pid {pid})")
            }
            DemoEventKind::WorkerExited {
                name,
                code: Some(code),
            } => format!("worker {name} exited ({code})"),
            DemoEventKind::WorkerExited { name, code: None } => {
                format!("worker {name} exited (signal)")
            }
            DemoEventKind::RateChanged { rate } => format!("rate {rate:.1} jobs/s"),
            DemoEventKind::Burst { n } => format!("burst of {n} jobs"),
            DemoEventKind::SettingsChanged { change, .. } => change.clone(),
            DemoEventKind::Produced { total } => format!("{total} jobs produced"),
            DemoEventKind::Error { message } => format!("error: {message}"),
        }
    }
}

/// The engine's state, readable at any time.
#[derive(Clone, Debug, PartialEq)]
pub struct DemoStatus {
    /// Where the demo's queue lives (the embedded server's `unix://` URL if it started one):
    /// point the monitor here.
    pub redis_url: String,
    pub prefix: String,
    pub queue: String,
    /// Pid of the embedded redis-server, if the demo started one.
    pub redis_pid: Option<u32>,
    pub workers: Vec<PoolWorker>,
    /// Concurrency of workers spawned from now on.
    pub concurrency: u32,
    pub settings: ProducerSettings,
    pub produced: u64,
    pub started_ms: i64,
    /// True once shut down.
    pub stopped: bool,
}

#[derive(Debug)]
pub(crate) enum Command {
    SpawnWorker,
    StopWorker,
    KillWorker,
    SetRate(f64),
    ScaleRate(f64),
    Burst(u64),
    SetWorkMs(f64),
    ToggleWorkDist,
    SetFailRate(f64),
    TogglePoison,
    SetConcurrency(u32),
    Shutdown(oneshot::Sender<()>),
}

/// Steers a running demo. Cloneable; dropping every handle shuts the demo down.
#[derive(Clone)]
pub struct DemoHandle {
    pub(crate) commands: mpsc::UnboundedSender<Command>,
    pub(crate) status: watch::Receiver<DemoStatus>,
}

impl DemoHandle {
    fn send(&self, command: Command) {
        // A closed channel means the engine is gone; the status says `stopped`.
        let _ = self.commands.send(command);
    }

    /// Start one more worker process.
    pub fn spawn_worker(&self) {
        self.send(Command::SpawnWorker)
    }
    /// Gracefully stop the newest worker (it finishes its jobs).
    pub fn stop_worker(&self) {
        self.send(Command::StopWorker)
    }
    /// SIGKILL the oldest worker mid-job; stalled recovery returns its jobs.
    pub fn kill_worker(&self) {
        self.send(Command::KillWorker)
    }
    pub fn set_rate(&self, per_s: f64) {
        self.send(Command::SetRate(per_s))
    }
    /// Rate × 1.5 (from 0: 1 job/s).
    pub fn rate_up(&self) {
        self.send(Command::ScaleRate(RATE_STEP))
    }
    /// Rate ÷ 1.5 (below 1 job/s: 0).
    pub fn rate_down(&self) {
        self.send(Command::ScaleRate(1.0 / RATE_STEP))
    }
    /// Add `n` jobs at once.
    pub fn burst(&self, n: u64) {
        self.send(Command::Burst(n))
    }
    /// Mean work per new job.
    pub fn set_work_ms(&self, ms: f64) {
        self.send(Command::SetWorkMs(ms))
    }
    /// Fixed ↔ exponential work times for new jobs.
    pub fn toggle_work_dist(&self) {
        self.send(Command::ToggleWorkDist)
    }
    /// Failure probability per attempt of new jobs.
    pub fn set_fail_rate(&self, p: f64) {
        self.send(Command::SetFailRate(p))
    }
    /// Poison mode: a share of new jobs fail every attempt and land in `failed`.
    pub fn toggle_poison(&self) {
        self.send(Command::TogglePoison)
    }
    /// Concurrency of workers spawned from now on (running workers keep theirs).
    pub fn set_concurrency(&self, n: u32) {
        self.send(Command::SetConcurrency(n))
    }

    pub fn status(&self) -> DemoStatus {
        self.status.borrow().clone()
    }

    /// A receiver that wakes on every status change.
    pub fn watch_status(&self) -> watch::Receiver<DemoStatus> {
        self.status.clone()
    }

    /// Stop producing, stop every worker (SIGKILL after a grace period), stop the embedded
    /// redis-server; returns when all are gone.
    pub async fn shutdown(&self) {
        let (reply, done) = oneshot::channel();
        self.send(Command::Shutdown(reply));
        let _ = done.await;
    }
}
