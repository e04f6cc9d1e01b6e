//! Running the real `qtop` binary from integration tests. Whatever JSON it prints is checked
//! against its schema here, whichever test ran it.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::schema::{parse_checked, Contract};
use super::wait::poll_until;

/// Path of the binary Cargo built for this test run.
pub fn qtop_bin() -> &'static str {
    env!("CARGO_BIN_EXE_qtop")
}

/// Run qtop with `args` (no REDIS_URL from the environment), killing it after `timeout`.
/// When it succeeds with a JSON output (`--json`, `dlq export` to stdout), that output must
/// conform to its schema in `assets/schema/`.
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
    let status = poll_until(timeout, || child.try_wait().expect("wait qtop").ok_or(()))
        .unwrap_or_else(|()| {
            let _ = child.kill();
            let _ = child.wait();
            panic!("qtop {args:?} did not finish within {timeout:?}");
        });
    let output = Output {
        status,
        stdout: out_thread.join().unwrap_or_default(),
        stderr: err_thread.join().unwrap_or_default(),
    };
    if let Some(contract) = Contract::of_args(args).filter(|_| output.status.success()) {
        parse_checked(
            contract,
            &String::from_utf8_lossy(&output.stdout),
            &format!("qtop {args:?}"),
        );
    }
    output
}

/// `qtop args…`, which must succeed and print JSON (checked against its schema), parsed.
pub fn qtop_json(args: &[&str]) -> Value {
    let contract = Contract::of_args(args)
        .filter(|c| *c != Contract::DlqExport)
        .unwrap_or_else(|| panic!("qtop {args:?} prints no JSON document"));
    let output = run_qtop(args, Duration::from_secs(60));
    assert!(
        output.status.success(),
        "qtop {args:?} failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    parse_checked(contract, &text, &format!("qtop {args:?}")).remove(0)
}

/// A dead-letter export file (`dlq export --out`, the dashboard's `e`): one JSON object a
/// line, each checked against `assets/schema/dlq-export.schema.json`.
pub fn read_export(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    parse_checked(Contract::DlqExport, &text, &path.display().to_string())
}

/// `qtop --redis URL snapshot --json --window W extra…`, parsed and checked against its
/// schema; panics with stderr on failure.
pub fn snapshot_json(url: &str, extra: &[&str], window: &str) -> Value {
    let mut args = vec!["--redis", url, "snapshot", "--json", "--window", window];
    args.extend_from_slice(extra);
    qtop_json(&args)
}

/// The queue object named `name` in a snapshot document.
pub fn queue<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["queues"]
        .as_array()
        .and_then(|qs| qs.iter().find(|q| q["name"] == name))
        .unwrap_or_else(|| panic!("queue {name} missing from snapshot: {doc:#}"))
}

/// Assert that a queue of a qtop snapshot has exactly the counts a BullMQ library reported
/// for it (`getJobCounts` with `paused` included, plus `isPaused` when given). qtop folds a
/// legacy `paused` list into `waiting`.
pub fn assert_counts_match(ours: &Value, theirs: &Value, label: &str) {
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
pub fn assert_rate(q: &Value, field: &str, expected: f64, tolerance: f64) {
    let got = q["rates"][field].as_f64().unwrap();
    assert!(
        (got - expected).abs() <= expected * tolerance,
        "{} {field}: {got} vs expected {expected} (±{}%): {q:#}",
        q["name"],
        tolerance * 100.0
    );
}
