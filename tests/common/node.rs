//! Running the real-BullMQ fixture scripts in `tests/node/` from Rust tests.
//!
//! `spawn_node` keeps the child running and reads its stdout line by line on
//! a background thread, so a test can wait for a protocol line (`READY {…}`,
//! `ADDED n`, `DONE {…}`) with a timeout while the fixture keeps jobs
//! active. Drop kills the child, so a failing test leaves no node behind.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::{self, sleep, JoinHandle};
use std::time::{Duration, Instant};

use super::{poll_until, wait_until};

/// Default time `run_node` lets a script run before killing it.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// `tests/node` in this package.
pub fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("node")
}

/// Installs the fixtures' pinned npm packages (`npm ci`, from the lockfile) the first time
/// a test needs them, so `cargo test` alone works on a machine with Node and npm. A lock
/// directory keeps parallel test processes from installing at the same time.
pub fn ensure_node_modules() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    let dir = node_dir();
    // Every dependency in package.json must be there (a checkout's older node_modules may
    // lack one added since).
    let installed = || {
        let manifest = std::fs::read_to_string(dir.join("package.json")).unwrap_or_default();
        let manifest: serde_json::Value = serde_json::from_str(&manifest).unwrap_or_default();
        manifest["dependencies"].as_object().is_some_and(|deps| {
            deps.keys().all(|name| {
                dir.join("node_modules")
                    .join(name)
                    .join("package.json")
                    .is_file()
            })
        })
    };
    INSTALL.call_once(|| {
        if installed() {
            return;
        }
        let lock = dir.join(".npm-install.lock");
        wait_until(
            &format!("{} to go away", lock.display()),
            Duration::from_secs(300),
            || std::fs::create_dir(&lock).is_ok(),
        );
        let result = if installed() {
            None
        } else {
            Some(
                Command::new("npm")
                    .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                    .arg(&dir)
                    .output(),
            )
        };
        let _ = std::fs::remove_dir(&lock);
        match result {
            None => {}
            Some(Ok(out)) if out.status.success() => {}
            Some(Ok(out)) => panic!(
                "`npm ci --prefix tests/node` failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Some(Err(e)) => panic!("cannot run npm (install Node.js and npm): {e}"),
        }
    });
    if !installed() {
        panic!(
            "{}/node_modules is missing: run `npm ci --prefix tests/node`",
            dir.display()
        );
    }
}

/// A fixture script plus its arguments.
#[derive(Debug, Clone)]
pub struct NodeScript {
    script: String,
    args: Vec<String>,
}

impl NodeScript {
    /// `script` is a file name in `tests/node/` (e.g. `"scenario.js"`).
    pub fn new(script: &str) -> NodeScript {
        NodeScript {
            script: script.to_string(),
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> NodeScript {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> NodeScript
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    /// Starts the script with piped stdin/stdout/stderr.
    pub fn spawn(&self) -> NodeChild {
        ensure_node_modules();
        let path = node_dir().join(&self.script);
        assert!(path.is_file(), "no fixture script {}", path.display());
        let mut command = Command::new("node");
        command.arg(&path).args(&self.args).current_dir(node_dir());
        NodeChild::spawn_command(self.describe(), command)
    }

    /// Runs to completion (stdin closed) within `timeout`; panics with
    /// stdout and stderr if it fails or times out.
    pub fn run_timeout(&self, timeout: Duration) -> Output {
        let mut child = self.spawn();
        child.close_stdin();
        let status = child.wait_exit(timeout);
        let output = child.into_output(status);
        if !output.status.success() {
            panic!(
                "{} failed ({}).\nstdout:\n{}\nstderr:\n{}",
                self.describe(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        output
    }

    pub fn run(&self) -> Output {
        self.run_timeout(RUN_TIMEOUT)
    }

    fn describe(&self) -> String {
        format!("node {} {}", self.script, self.args.join(" "))
    }
}

/// Runs `tests/node/<script> args…` to completion; panics (with stderr) on
/// a non-zero exit or after `RUN_TIMEOUT`.
pub fn run_node(script: &str, args: &[&str]) -> Output {
    NodeScript::new(script).args(args.iter().copied()).run()
}

/// Starts `tests/node/<script> args…` in the background.
pub fn spawn_node(script: &str, args: &[&str]) -> NodeChild {
    NodeScript::new(script).args(args.iter().copied()).spawn()
}

/// A running fixture. Killed (SIGKILL) and reaped on Drop.
pub struct NodeChild {
    name: String,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    /// Every stdout line received so far, for error messages and `into_output`.
    seen: Vec<String>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl NodeChild {
    /// Start `command` with piped stdin/stdout/stderr, reading its stdout line by line
    /// (also used for the Python fixtures).
    pub fn spawn_command(name: String, mut command: Command) -> NodeChild {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {name} ({e})"));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        let out_thread = thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr_buf = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr_buf);
        let err_thread = thread::spawn(move || {
            let mut reader = BufReader::new(stderr);
            let mut chunk = [0u8; 4096];
            while let Ok(n) = reader.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&chunk[..n]);
                sink.lock().expect("stderr buffer").push_str(&text);
            }
        });
        NodeChild {
            name,
            stdin: child.stdin.take(),
            child: Some(child),
            lines,
            seen: Vec::new(),
            stderr: stderr_buf,
            readers: vec![out_thread, err_thread],
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("node child already reaped").id()
    }

    /// The next stdout line, or None on timeout or when stdout closed.
    pub fn next_line(&mut self, timeout: Duration) -> Option<String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// Waits for a line starting with `prefix` (e.g. `"READY "`) and returns
    /// the rest of it; other lines are skipped. Panics with everything seen
    /// (stdout and stderr) on timeout or if the script ends first.
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
                Err(RecvTimeoutError::Timeout) => {
                    panic!(
                        "{}",
                        self.failure(&format!("no {prefix:?} line within {timeout:?}"))
                    )
                }
                Err(RecvTimeoutError::Disconnected) => {
                    // Give the exit status a moment to appear for the message.
                    sleep(Duration::from_millis(100));
                    let status = self
                        .child
                        .as_mut()
                        .and_then(|c| c.try_wait().ok().flatten());
                    panic!(
                        "{}",
                        self.failure(&format!(
                            "stdout closed before a {prefix:?} line (exit: {status:?})"
                        ))
                    )
                }
            }
        }
    }

    /// `wait_for_line` and parse the rest as JSON (`READY {…}`, `DONE {…}`).
    pub fn wait_for_json(&mut self, prefix: &str, timeout: Duration) -> serde_json::Value {
        let rest = self.wait_for_line(prefix, timeout);
        serde_json::from_str(&rest).unwrap_or_else(|e| {
            panic!(
                "{}",
                self.failure(&format!("bad JSON after {prefix:?}: {e}"))
            )
        })
    }

    /// Writes one line to the child's stdin (e.g. `"stop"`).
    pub fn send_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin already closed");
        // A child that already exited gives EPIPE; the exit is checked later.
        let _ = writeln!(stdin, "{line}").and_then(|_| stdin.flush());
    }

    /// Closes stdin (the fixtures treat EOF like `stop`).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Sends `stop`, closes stdin and waits for the exit; panics on timeout.
    pub fn stop(&mut self, timeout: Duration) -> ExitStatus {
        if self.stdin.is_some() {
            self.send_line("stop");
            self.close_stdin();
        }
        self.wait_exit(timeout)
    }

    /// Waits for the child to exit by itself; kills it and panics on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let child = self.child.as_mut().expect("node child already reaped");
        match poll_until(timeout, || {
            child.try_wait().expect("try_wait on node child").ok_or(())
        }) {
            Ok(status) => status,
            Err(()) => {
                self.kill();
                panic!(
                    "{}",
                    self.failure(&format!("did not exit within {timeout:?}"))
                );
            }
        }
    }

    /// SIGKILL and reap (a crashed worker, for stalled-job tests).
    pub fn kill(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Everything the child wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr buffer").clone()
    }

    /// Stdout lines consumed so far through `next_line`/`wait_for_*`.
    pub fn lines_seen(&self) -> &[String] {
        &self.seen
    }

    /// After the child exited: all stdout (seen and unread) and stderr.
    fn into_output(mut self, status: ExitStatus) -> Output {
        // The reader threads end at EOF, which follows the exit.
        for handle in self.readers.drain(..) {
            let _ = handle.join();
        }
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
        let mut stdout = self.seen.join("\n").into_bytes();
        if !stdout.is_empty() {
            stdout.push(b'\n');
        }
        Output {
            status,
            stdout,
            stderr: self.stderr().into_bytes(),
        }
    }

    fn failure(&self, what: &str) -> String {
        format!(
            "{}: {what}\nstdout so far:\n{}\nstderr:\n{}",
            self.name,
            self.seen.join("\n"),
            self.stderr()
        )
    }
}

impl Drop for NodeChild {
    fn drop(&mut self) {
        self.close_stdin();
        self.kill();
    }
}

/// The queues `scenario.js` builds (under its `--prefix`).
pub const SCENARIO_QUEUES: [&str; 6] = [
    "emails",
    "emails-children",
    "billing",
    "paused-q",
    "ephemeral",
    "reports",
];
