//! Real Celery for qtop's tests: a virtualenv of its own in `tests/celery/.venv` with the
//! pinned `tests/celery/requirements.txt` (made on first use, like `npm ci`), `celery
//! worker` processes on the test's redis-server, and `celeryctl.py` for Celery's own API
//! (send tasks; `celery inspect` ping, stats, active).

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

pub fn celery_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("celery")
}

fn venv_bin(name: &str) -> PathBuf {
    celery_dir().join(".venv").join("bin").join(name)
}

/// The virtualenv with the pinned Celery, made once.
pub fn ensure_celery_env() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| super::venv::ensure_venv(&celery_dir(), "Celery"));
}

/// `python celeryctl.py args…` against `broker` (env: `CELERY_BROKER`, plus `env`), its
/// JSON output.
pub fn celeryctl_with(broker: &str, env: &[(&str, &str)], args: &[&str]) -> serde_json::Value {
    ensure_celery_env();
    let out = Command::new(venv_bin("python"))
        .arg(celery_dir().join("celeryctl.py"))
        .args(args)
        .env("CELERY_BROKER", broker)
        .envs(env.iter().copied())
        .current_dir(celery_dir())
        .output()
        .expect("run celeryctl.py");
    assert!(
        out.status.success(),
        "celeryctl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "celeryctl {args:?} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

pub fn celeryctl(broker: &str, args: &[&str]) -> serde_json::Value {
    celeryctl_with(broker, &[], args)
}

/// Send `count` tasks `task(arg)` to `queue` (at `priority` when given); their ids.
pub fn send(
    broker: &str,
    queue: &str,
    task: &str,
    count: usize,
    arg: Option<&str>,
    priority: Option<u8>,
) -> Vec<String> {
    let count = count.to_string();
    let priority = priority.map(|p| p.to_string());
    let mut args = vec!["send", queue, task, count.as_str()];
    if let Some(arg) = arg {
        args.extend(["--arg", arg]);
    }
    if let Some(priority) = &priority {
        args.extend(["--priority", priority.as_str()]);
    }
    celeryctl(broker, &args)
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_string())
        .collect()
}

/// A real `celery worker` (in its own process group, so that its pool goes with it):
/// SIGKILLed with its pool on Drop.
pub struct CeleryWorker {
    pub name: String,
    child: Child,
    log: PathBuf,
}

impl CeleryWorker {
    /// `celery -A tasks worker -n NAME -Q QUEUES -c CONCURRENCY` (+ `extra`, e.g. `-E`),
    /// on `broker`, run from `tests/celery` (for `tasks`).
    pub fn start(
        broker: &str,
        name: &str,
        queues: &[&str],
        concurrency: u32,
        extra: &[&str],
    ) -> CeleryWorker {
        Self::start_with_env(broker, name, queues, concurrency, extra, &[])
    }

    /// [`Self::start`] with more environment (`CELERY_VISIBILITY`: kombu's
    /// `visibility_timeout` in s).
    pub fn start_with_env(
        broker: &str,
        name: &str,
        queues: &[&str],
        concurrency: u32,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> CeleryWorker {
        ensure_celery_env();
        let log =
            std::env::temp_dir().join(format!("qtop-celery-{name}-{}.log", std::process::id()));
        let file = std::fs::File::create(&log).expect("worker log");
        let child = Command::new(venv_bin("celery"))
            .args(["-A", "tasks", "worker", "-n", name, "-Q", &queues.join(",")])
            .args(["-c", &concurrency.to_string(), "--loglevel=INFO"])
            .args(["--without-mingle", "--without-gossip"])
            .args(extra)
            .env("CELERY_BROKER", broker)
            .envs(env.iter().copied())
            .current_dir(celery_dir())
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .process_group(0)
            .spawn()
            .expect("spawn celery worker");
        CeleryWorker {
            name: name.to_string(),
            child,
            log,
        }
    }

    /// Wait until the worker answers `celery inspect ping`.
    pub fn wait_ready(&self, broker: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            let ping = celeryctl(broker, &["ping"]);
            if ping.get(&self.name).is_some() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "celery worker {} did not answer ping within {timeout:?}: {}",
                self.name,
                self.log()
            );
            sleep(Duration::from_millis(200));
        }
    }

    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().expect("try_wait celery worker")
    }

    pub fn wait_exit(&mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.exited() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "celery worker {} did not exit within {timeout:?}: {}",
                self.name,
                self.log()
            );
            sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL the worker and its pool.
    pub fn kill(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for CeleryWorker {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_file(&self.log);
    }
}

/// The Celery queue `name` in a snapshot document.
pub fn celery_queue<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["queues"]
        .as_array()
        .and_then(|qs| {
            qs.iter()
                .find(|q| q["system"] == "celery" && q["name"] == name)
        })
        .unwrap_or_else(|| panic!("Celery queue {name} missing: {doc:#}"))
}

/// The live (not stale) Celery workers of a snapshot or `workers list --json`, by name.
pub fn live_celery_workers(workers: &serde_json::Value) -> Vec<&serde_json::Value> {
    let mut live: Vec<&serde_json::Value> = workers
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["system"] == "celery" && w["stale"] != true)
        .collect();
    live.sort_by_key(|w| w["name"].as_str().unwrap_or_default().to_string());
    live
}

/// Σ LLEN of a queue's four priority lists, as kombu's `_size` counts it.
pub fn broker_depth(redis: &super::RedisServer, queue: &str) -> u64 {
    ["", "\x06\x163", "\x06\x166", "\x06\x169"]
        .iter()
        .map(|step| {
            let list = format!("{queue}{step}");
            redis.cmd(&["LLEN", &list]).trim().parse().unwrap_or(0)
        })
        .sum()
}
