//! Running the real `qtop` binary (`qtop worker`, `qtop produce`) from the demo tests, and
//! reading queue sizes with the harness's own RESP client (no qtop code on the checking side).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::{poll_until, wait_for, RedisServer, Resp};

pub const QTOP: &str = env!("CARGO_BIN_EXE_qtop");

/// Runs `qtop --redis <url> args…` to completion; panics with its output on failure.
pub fn qtop_run(redis: &RedisServer, args: &[&str]) -> Output {
    let output = Command::new(QTOP)
        .args(["--redis", &redis.url()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run qtop");
    assert!(
        output.status.success(),
        "qtop {args:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A running `qtop` process with piped stdin (its lifeline) and line-read stdout.
/// SIGKILLed and reaped on Drop.
pub struct QtopProcess {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    pub seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    /// A worker's name, from its `READY <name>` line (its heartbeat key ends with it).
    pub name: Option<String>,
}

impl QtopProcess {
    pub fn spawn(redis: &RedisServer, args: &[&str]) -> Self {
        let mut child = Command::new(QTOP)
            .args(["--redis", &redis.url()])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn qtop");
        let stdout = child.stdout.take().expect("stdout");
        let mut stderr_pipe = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        });
        QtopProcess {
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
            stderr,
            name: None,
        }
    }

    /// A `qtop worker` on `queue` with extra flags; returns once it printed READY.
    pub fn worker(redis: &RedisServer, queue: &str, flags: &[&str]) -> Self {
        let mut args = vec!["--queue", queue, "worker"];
        args.extend_from_slice(flags);
        let mut worker = Self::spawn(redis, &args);
        worker.name = Some(worker.wait_for_line("READY ", Duration::from_secs(20)));
        worker
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The rest of the first line starting with `prefix`; panics on timeout or EOF.
    pub fn wait_for_line(&mut self, prefix: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.to_string();
                    }
                }
                Err(_) => panic!(
                    "no {prefix:?} line from qtop {} within {timeout:?}\nstdout: {:?}\nstderr: {}",
                    self.pid(),
                    self.seen,
                    self.stderr()
                ),
            }
        }
    }

    /// Graceful stop: a `stop` line, then wait for the exit.
    pub fn stop(&mut self, timeout: Duration) -> ExitStatus {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = writeln!(stdin, "stop");
        }
        self.wait_exit(timeout)
    }

    /// Close stdin (what a dying parent does) and wait for the exit.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        poll_until(timeout, || self.child.try_wait().unwrap().ok_or(())).unwrap_or_else(|()| {
            let _ = self.child.kill();
            panic!(
                "qtop {} did not exit within {timeout:?}; stderr: {}",
                self.pid(),
                self.stderr()
            );
        })
    }

    /// SIGKILL and reap: a crash mid-job.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for QtopProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Size of a list or sorted set (0 when missing).
pub fn size(redis: &RedisServer, key: &str) -> i64 {
    let kind = redis.cmd(&["TYPE", key]);
    let reply = match kind.as_str() {
        "list" => redis.cmd_resp(&["LLEN", key]),
        "zset" => redis.cmd_resp(&["ZCARD", key]),
        _ => return 0,
    };
    match reply {
        Resp::Int(n) => n,
        other => panic!("size of {key}: {other:?}"),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub waiting: i64,
    pub active: i64,
    pub delayed: i64,
    pub completed: i64,
    pub failed: i64,
}

impl Counts {
    pub fn finished(&self) -> i64 {
        self.completed + self.failed
    }
}

pub fn counts(redis: &RedisServer, queue: &str) -> Counts {
    let key = |suffix: &str| format!("bull:{queue}:{suffix}");
    Counts {
        waiting: size(redis, &key("wait")),
        active: size(redis, &key("active")),
        delayed: size(redis, &key("delayed")),
        completed: size(redis, &key("completed")),
        failed: size(redis, &key("failed")),
    }
}

/// Polls until `completed + failed == total`; panics with the counts on timeout.
pub fn wait_finished(redis: &RedisServer, queue: &str, total: i64, timeout: Duration) -> Counts {
    wait_for(&format!("{total} jobs finished"), timeout, || {
        let now = counts(redis, queue);
        if now.finished() >= total {
            Ok(now)
        } else {
            Err(now)
        }
    })
}

/// The heartbeat of the qtop worker `name` on `queue`, if it has a live one.
pub fn heartbeat(redis: &RedisServer, queue: &str, name: &str) -> Option<qtop::model::Heartbeat> {
    let reply = redis.cmd_resp(&["GET", &format!("bull:{queue}:qtop:hb:{name}")]);
    qtop::model::Heartbeat::parse(reply.as_str()?)
}

/// `HGET bull:<queue>:qtop:stats <field>` as a number (0 when missing).
pub fn stat(redis: &RedisServer, queue: &str, field: &str) -> i64 {
    let key = format!("bull:{queue}:qtop:stats");
    redis.cmd(&["HGET", &key, field]).parse().unwrap_or(0)
}
