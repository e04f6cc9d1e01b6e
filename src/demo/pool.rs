//! A pool of `qtop worker` OS processes on one queue: spawn, stop gracefully, SIGKILL
//! mid-job, and shut down leaving no process behind.
//!
//! Each worker's stdin is a pipe from this process: if we die, even by SIGKILL, every
//! worker sees EOF and stops gracefully (see `lifeline`).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::child::{self, Exit, Order, STOP_GRACE};
use super::job::WorkDefaults;

/// What every worker of the pool is started with.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// The `qtop` executable: `std::env::current_exe()` in the binary; tests pass
    /// `env!("CARGO_BIN_EXE_qtop")`.
    pub exe: PathBuf,
    pub redis_url: String,
    pub prefix: String,
    pub queue: String,
    pub concurrency: u32,
    pub lock_duration: Duration,
    pub stalled_interval: Duration,
    /// For jobs that do not carry their own settings.
    pub defaults: WorkDefaults,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkerState {
    Running,
    /// Told to stop: finishing its jobs.
    Stopping,
    /// SIGKILLed, not yet reaped.
    Killed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolWorker {
    pub name: String,
    pub pid: u32,
    pub state: WorkerState,
    pub concurrency: u32,
}

struct Slot {
    info: PoolWorker,
    orders: mpsc::UnboundedSender<Order>,
    task: JoinHandle<()>,
}

pub struct WorkerPool {
    config: PoolConfig,
    slots: Vec<Slot>,
    exits_tx: mpsc::UnboundedSender<Exit>,
    exits_rx: mpsc::UnboundedReceiver<Exit>,
}

impl WorkerPool {
    pub fn new(config: PoolConfig) -> Self {
        let (exits_tx, exits_rx) = mpsc::unbounded_channel();
        Self {
            config,
            slots: Vec::new(),
            exits_tx,
            exits_rx,
        }
    }

    /// Start one worker and wait until it consumes (its READY line).
    pub async fn spawn(&mut self) -> Result<PoolWorker> {
        // The URL goes by environment, not argv: `ps` shows argv, and URLs carry passwords.
        let envs = [("REDIS_URL", self.config.redis_url.as_str())];
        let started = child::start(&self.config.exe, &self.worker_args(), &envs).await?;
        let info = PoolWorker {
            name: started.name.clone(),
            pid: started.pid,
            state: WorkerState::Running,
            concurrency: self.config.concurrency,
        };
        let (orders, orders_rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(child::supervise(started, orders_rx, self.exits_tx.clone()));
        self.slots.push(Slot {
            info: info.clone(),
            orders,
            task,
        });
        Ok(info)
    }

    /// Gracefully stop the newest running worker (it finishes its jobs first).
    pub fn stop_one(&mut self) -> Option<PoolWorker> {
        let slot = self
            .slots
            .iter_mut()
            .rev()
            .find(|s| s.info.state == WorkerState::Running)?;
        let _ = slot.orders.send(Order::Stop);
        slot.info.state = WorkerState::Stopping;
        Some(slot.info.clone())
    }

    /// SIGKILL the oldest running worker, mid-job: its jobs stay in `active` until stalled
    /// recovery hands them to the others.
    pub fn kill_one(&mut self) -> Option<PoolWorker> {
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.info.state == WorkerState::Running)?;
        let _ = slot.orders.send(Order::Kill);
        slot.info.state = WorkerState::Killed;
        Some(slot.info.clone())
    }

    /// Concurrency of workers spawned from now on; running workers keep theirs.
    pub fn set_concurrency(&mut self, concurrency: u32) {
        self.config.concurrency = concurrency.max(1);
    }

    pub fn concurrency(&self) -> u32 {
        self.config.concurrency
    }

    /// Workers running (not stopping, killed or gone).
    pub fn len(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.info.state == WorkerState::Running)
            .count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every worker process not yet reaped, oldest first.
    pub fn workers(&self) -> Vec<PoolWorker> {
        self.slots.iter().map(|s| s.info.clone()).collect()
    }

    /// The next worker exit (of any kind); its slot is removed. Cancel-safe.
    pub async fn next_exit(&mut self) -> Option<Exit> {
        let exit = self.exits_rx.recv().await?;
        self.slots.retain(|s| s.info.pid != exit.pid);
        Some(exit)
    }

    /// Stop every worker, wait for them (each is SIGKILLed after its grace), reap them all.
    /// Returns their exits.
    pub async fn shutdown(&mut self) -> Vec<Exit> {
        for slot in &mut self.slots {
            let _ = slot.orders.send(Order::Stop);
            if slot.info.state == WorkerState::Running {
                slot.info.state = WorkerState::Stopping;
            }
        }
        let mut exits = Vec::new();
        let deadline = tokio::time::Instant::now() + STOP_GRACE + Duration::from_secs(2);
        while !self.slots.is_empty() {
            match tokio::time::timeout_at(deadline, self.next_exit()).await {
                Ok(Some(exit)) => exits.push(exit),
                // Cannot happen while we hold a sender; on timeout, abort the supervisors:
                // dropping their `Child` SIGKILLs it (kill_on_drop) and tokio reaps it.
                Ok(None) | Err(_) => {
                    for slot in self.slots.drain(..) {
                        slot.task.abort();
                    }
                }
            }
        }
        exits
    }

    fn worker_args(&self) -> Vec<String> {
        let c = &self.config;
        let ms = |d: Duration| format!("{}ms", d.as_millis());
        vec![
            "--prefix".into(),
            c.prefix.clone(),
            "--queue".into(),
            c.queue.clone(),
            "worker".into(),
            "--concurrency".into(),
            c.concurrency.to_string(),
            "--lock-duration".into(),
            ms(c.lock_duration),
            "--stalled-interval".into(),
            ms(c.stalled_interval),
            "--work-ms".into(),
            c.defaults.work_ms.to_string(),
            "--work-dist".into(),
            c.defaults.work_dist.as_str().into(),
            "--fail-rate".into(),
            c.defaults.fail_rate.to_string(),
        ]
    }
}

impl Drop for WorkerPool {
    /// Without a `shutdown`: tell every worker to stop. The supervisors keep running on the
    /// runtime (stop, grace, SIGKILL, reap); if the runtime goes too, `kill_on_drop` and the
    /// closed stdin pipes still end every worker.
    fn drop(&mut self) {
        for slot in &self.slots {
            let _ = slot.orders.send(Order::Stop);
        }
    }
}
