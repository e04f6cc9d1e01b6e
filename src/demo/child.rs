//! One `qtop worker` child process: started with piped stdin (its lifeline), stdout (the
//! READY line) and stderr (kept for error messages), then supervised by a task that obeys
//! stop/kill orders and reports the exit.

use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use tokio::sync::mpsc;

/// How long a new worker may take to connect and print READY.
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// After `stop`, how long a worker may finish its jobs before it is SIGKILLed.
pub const STOP_GRACE: Duration = Duration::from_secs(5);
/// Stderr lines kept per worker for error reports.
const STDERR_KEEP: usize = 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Graceful: write `stop` and close stdin; SIGKILL after [`STOP_GRACE`].
    Stop,
    /// SIGKILL now, jobs in hand and all.
    Kill,
}

/// How a worker process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exit {
    pub name: String,
    pub pid: u32,
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    /// The last lines it wrote to stderr.
    pub stderr_tail: String,
}

pub type StderrTail = Arc<Mutex<VecDeque<String>>>;

/// A started worker that printed READY.
pub struct Started {
    pub name: String,
    pub pid: u32,
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: Lines<BufReader<ChildStdout>>,
    pub stderr: StderrTail,
}

/// Start `exe args…` (with `envs`) and wait for its `READY <name>` line.
pub async fn start(exe: &Path, args: &[String], envs: &[(&str, &str)]) -> Result<Started> {
    let mut child = Command::new(exe)
        .args(args)
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group: a terminal's Ctrl-C reaches only the parent, which stops
        // the workers in order (they would stop on SIGINT too, but racing the parent).
        .process_group(0)
        // Last resort if this side is dropped without a shutdown (and its runtime with it).
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting worker process {}", exe.display()))?;
    let pid = child.id().unwrap_or(0);
    let stdin = child.stdin.take();
    let stderr = Arc::new(Mutex::new(VecDeque::new()));
    if let Some(err) = child.stderr.take() {
        tokio::spawn(keep_tail(err, Arc::clone(&stderr)));
    }
    let Some(stdout) = child.stdout.take() else {
        bail!("worker process {pid} has no stdout");
    };
    let mut stdout = BufReader::new(stdout).lines();
    let ready = tokio::time::timeout(READY_TIMEOUT, async {
        while let Ok(Some(line)) = stdout.next_line().await {
            if let Some(name) = line.strip_prefix("READY ") {
                return Some(name.trim().to_string());
            }
        }
        None
    })
    .await;
    match ready {
        Ok(Some(name)) => Ok(Started {
            name,
            pid,
            child,
            stdin,
            stdout,
            stderr,
        }),
        outcome => {
            let _ = child.start_kill();
            let status = child.wait().await.ok();
            // Give the stderr reader a moment to collect the last words.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let why = if outcome.is_err() {
                format!("no READY within {READY_TIMEOUT:?}")
            } else {
                format!(
                    "exited before READY ({})",
                    status.map(|s| s.to_string()).unwrap_or_default()
                )
            };
            bail!("worker process {pid} {why}: {}", tail_text(&stderr))
        }
    }
}

/// Obey orders until the process exits, then report how. An order channel that closes
/// (the pool was dropped) counts as [`Order::Stop`].
pub async fn supervise(
    mut started: Started,
    mut orders: mpsc::UnboundedReceiver<Order>,
    exits: mpsc::UnboundedSender<Exit>,
) {
    let mut stdout_open = true;
    let mut orders_open = true;
    let mut kill_at: Option<tokio::time::Instant> = None;
    let status = loop {
        let grace = async move {
            match kill_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            status = started.child.wait() => break status.ok(),
            order = orders.recv(), if orders_open => {
                orders_open = order.is_some();
                match order.unwrap_or(Order::Stop) {
                    Order::Stop if kill_at.is_none() => {
                        if let Some(mut stdin) = started.stdin.take() {
                            let _ = stdin.write_all(b"stop\n").await;
                            let _ = stdin.flush().await;
                        }
                        kill_at = Some(tokio::time::Instant::now() + STOP_GRACE);
                    }
                    Order::Stop => {}
                    Order::Kill => {
                        let _ = started.child.start_kill();
                    }
                }
            }
            line = started.stdout.next_line(), if stdout_open => {
                // Drained so the worker never blocks on a full pipe; nothing else to do.
                stdout_open = matches!(line, Ok(Some(_)));
            }
            _ = grace => {
                let _ = started.child.start_kill();
                kill_at = None;
            }
        }
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let _ = exits.send(Exit {
        name: started.name,
        pid: started.pid,
        code: status.and_then(|s| s.code()),
        stderr_tail: tail_text(&started.stderr),
    });
}

async fn keep_tail(stderr: tokio::process::ChildStderr, tail: StderrTail) {
    let mut lines = BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Ok(mut tail) = tail.lock() {
            if tail.len() == STDERR_KEEP {
                tail.pop_front();
            }
            tail.push_back(line);
        }
    }
}

fn tail_text(tail: &StderrTail) -> String {
    tail.lock()
        .map(|t| t.iter().cloned().collect::<Vec<_>>().join("\n"))
        .unwrap_or_default()
}
