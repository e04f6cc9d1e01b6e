//! Real RQ for qtop's tests: a virtualenv of its own in `tests/rq/.venv` with the pinned
//! `tests/rq/requirements.txt` (made on first use, like `npm ci`; kept apart from
//! `tests/python` so neither pin set constrains the other), `rq worker` processes, and
//! `rqctl.py` for RQ's own API (enqueue; the figures `Queue.count`, the registries'
//! `count` and `Worker.all()` report).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub fn rq_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("rq")
}

fn venv_bin(name: &str) -> PathBuf {
    rq_dir().join(".venv").join("bin").join(name)
}

/// The virtualenv with the pinned RQ, made once.
pub fn ensure_rq_env() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| super::venv::ensure_venv(&rq_dir(), "RQ"));
}

/// `python rqctl.py --redis URL args…`, its JSON output.
pub fn rqctl(url: &str, args: &[&str]) -> serde_json::Value {
    ensure_rq_env();
    let out = Command::new(venv_bin("python"))
        .arg(rq_dir().join("rqctl.py"))
        .args(["--redis", url])
        .args(args)
        .current_dir(rq_dir())
        .output()
        .expect("run rqctl.py");
    assert!(
        out.status.success(),
        "rqctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "rqctl {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Enqueue `count` calls of `func(args…)` on `queue` through RQ's API; their ids.
pub fn enqueue(url: &str, queue: &str, func: &str, args: &[&str], extra: &[&str]) -> Vec<String> {
    let mut all = vec!["enqueue", queue, func];
    all.extend_from_slice(args);
    all.extend_from_slice(extra);
    let out = rqctl(url, &all);
    out["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_string())
        .collect()
}

/// A real `rq worker` process (in its own process group, so that its work horse goes
/// with it): SIGKILLed with its horse on Drop.
pub struct RqWorker {
    pub name: String,
    child: Child,
    log: PathBuf,
}

impl RqWorker {
    /// `rq worker QUEUES -u URL -n NAME` (+ `extra`), run from `tests/rq` (for `tasks`).
    pub fn start(url: &str, name: &str, queues: &[&str], extra: &[&str]) -> RqWorker {
        ensure_rq_env();
        let log = std::env::temp_dir().join(format!("qtop-rq-{name}-{}.log", std::process::id()));
        let file = std::fs::File::create(&log).expect("worker log");
        let child = Command::new(venv_bin("rq"))
            .arg("worker")
            .args(queues)
            .args(["-u", url, "-n", name])
            .args(extra)
            .current_dir(rq_dir())
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .process_group(0)
            .spawn()
            .expect("spawn rq worker");
        RqWorker {
            name: name.to_string(),
            child,
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Whether the process has exited (and its status), without waiting.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().expect("try_wait rq worker")
    }

    /// Wait for the worker to exit by itself (`--burst`, or asked to stop).
    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "rq worker {} did not exit within {timeout:?}: {}",
                self.name,
                self.log()
            );
            sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL the worker and its work horse (a crash).
    pub fn kill(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RqWorker {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The RQ queue `name` in a snapshot document.
pub fn rq_queue<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["queues"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["system"] == "rq" && q["name"] == name))
        .unwrap_or_else(|| panic!("RQ queue {name} missing from snapshot: {doc:#}"))
}

/// The live (not stale) RQ workers of a snapshot or `workers list --json`, by name.
pub fn live_rq_workers(workers: &serde_json::Value) -> Vec<&serde_json::Value> {
    let mut live: Vec<&serde_json::Value> = workers
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["system"] == "rq" && w["stale"] != true)
        .collect();
    live.sort_by_key(|w| w["name"].as_str().unwrap_or_default().to_string());
    live
}

/// Assert qtop's figures for an RQ queue equal what RQ's API reported after it.
pub fn assert_figures_match(ours: &serde_json::Value, rq: &serde_json::Value, label: &str) {
    for state in [
        "waiting",
        "active",
        "delayed",
        "waiting_children",
        "failed",
        "completed",
    ] {
        assert_eq!(
            ours["counts"][state].as_u64(),
            rq[state].as_u64(),
            "{label} {state}: qtop {ours:#} vs RQ {rq:#}"
        );
    }
    assert!(
        ours["counts"].get("prioritized").is_none(),
        "{label}: RQ has no prioritized"
    );
    assert!(
        ours["counts"].get("retry").is_none(),
        "{label}: RQ has no retry set"
    );
    assert_eq!(
        ours["workers"].as_u64(),
        rq["workers"].as_u64(),
        "{label} workers"
    );
    assert_eq!(
        ours["problems"].as_array().map(Vec::len),
        Some(0),
        "{label}: {ours}"
    );
}

/// Start `tests/rq/<script> args…` with the RQ virtualenv's Python, reading its stdout.
pub fn spawn_script(script: &str, args: &[&str]) -> crate::common::NodeChild {
    ensure_rq_env();
    let mut command = Command::new(venv_bin("python"));
    command
        .arg(rq_dir().join(script))
        .args(args)
        .current_dir(rq_dir());
    crate::common::NodeChild::spawn_command(format!("python {script}"), command)
}

/// A command of the RQ virtualenv (`rq info …`), run from `tests/rq`.
pub fn venv_command(name: &str) -> Command {
    ensure_rq_env();
    let mut command = Command::new(venv_bin(name));
    command.current_dir(rq_dir());
    command
}
