//! Running the real `qtop` binary from integration tests.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Path of the binary Cargo built for this test run.
pub fn qtop_bin() -> &'static str {
    env!("CARGO_BIN_EXE_qtop")
}

/// Run qtop with `args` (no REDIS_URL from the environment), killing it after `timeout`.
pub fn run_qtop(args: &[&str], timeout: Duration) -> Output {
    let mut child = Command::new(qtop_bin())
        .args(args)
        .env_remove("REDIS_URL")
        .env_remove("QTOP_READ_ONLY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn qtop");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err_thread = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait qtop") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("qtop {args:?} did not finish within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: out_thread.join().unwrap_or_default(),
        stderr: err_thread.join().unwrap_or_default(),
    }
}

/// `qtop --redis URL snapshot --json --window W`, parsed; panics with stderr on failure.
pub fn snapshot_json(url: &str, extra: &[&str], window: &str) -> serde_json::Value {
    let mut args = vec!["--redis", url, "snapshot", "--json", "--window", window];
    args.extend_from_slice(extra);
    let output = run_qtop(&args, Duration::from_secs(60));
    assert!(
        output.status.success(),
        "qtop snapshot failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "snapshot is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The queue object named `name` in a snapshot document.
pub fn queue<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["queues"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["name"] == name))
        .unwrap_or_else(|| panic!("queue {name} missing from snapshot: {doc:#}"))
}

/// Assert that a queue of a qtop snapshot has exactly the counts a BullMQ library reported
/// for it (`getJobCounts` with `paused` included, plus `isPaused` when given). qtop folds a
/// legacy `paused` list into `waiting`.
pub fn assert_counts_match(ours: &serde_json::Value, theirs: &serde_json::Value, label: &str) {
    let count = |state: &str| theirs[state].as_u64().unwrap_or(0);
    assert_eq!(
        ours["counts"]["waiting"].as_u64(),
        Some(count("waiting") + count("paused")),
        "{label} waiting: qtop {ours:#} vs bullmq {theirs:#}"
    );
    for (our_state, their_state) in [
        ("active", "active"),
        ("prioritized", "prioritized"),
        ("delayed", "delayed"),
        ("completed", "completed"),
        ("failed", "failed"),
        ("waiting_children", "waiting-children"),
    ] {
        assert_eq!(
            ours["counts"][our_state].as_u64(),
            Some(count(their_state)),
            "{label} {our_state}: qtop {ours:#} vs bullmq {theirs:#}"
        );
    }
    if !theirs["isPaused"].is_null() {
        assert_eq!(ours["paused"], theirs["isPaused"], "{label} paused");
    }
    assert_eq!(
        ours["problems"].as_array().map(Vec::len),
        Some(0),
        "{label}: {ours}"
    );
}

/// A queue's `rates.<field>` (from a snapshot document) is within `tolerance` (relative) of
/// `expected`.
pub fn assert_rate(q: &serde_json::Value, field: &str, expected: f64, tolerance: f64) {
    let got = q["rates"][field].as_f64().unwrap();
    assert!(
        (got - expected).abs() <= expected * tolerance,
        "{} {field}: {got} vs expected {expected} (±{}%): {q:#}",
        q["name"],
        tolerance * 100.0
    );
}
