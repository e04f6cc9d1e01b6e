//! The demo's processes against real Node BullMQ 6.7.0 (tests/node): a Node worker (the
//! presenter's `demo/node/worker.js`) takes jobs from `qtop produce`, `qtop worker` takes jobs
//! from a Node producer, and Node reads what `qtop worker` wrote (counts, failures, stack
//! traces, worker names). Needs `npm ci --prefix tests/node`.

use crate::common;

use std::time::Duration;

use common::demo::{counts, qtop_run, wait_finished, QtopProcess};
use common::{NodeScript, RedisServer};
use serde_json::Value;

const NODE_TIMEOUT: Duration = Duration::from_secs(60);

fn inspect(redis: &RedisServer, queue: &str, failed: usize) -> Value {
    let out = NodeScript::new("inspect.js")
        .args(["--redis", &redis.url(), "--queue", queue])
        .args(["--failed", &failed.to_string()])
        .run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("INSPECT "))
        .unwrap_or_else(|| panic!("no INSPECT line: {stdout}"));
    serde_json::from_str(line).unwrap()
}

#[test]
fn a_node_worker_processes_jobs_from_qtop_produce() {
    let redis = RedisServer::start();
    qtop_run(
        &redis,
        &[
            "--queue",
            "tonode",
            "produce",
            "--count",
            "300",
            "--work-ms",
            "1",
            "--fail-rate",
            "0.3",
            "--backoff-ms",
            "10",
        ],
    );
    // The presenter's script, run from the fixtures' node_modules.
    let mut node = NodeScript::new("../../demo/node/worker.js")
        .args([
            "--redis",
            &redis.url(),
            "--queue",
            "tonode",
            "--name",
            "node-a",
        ])
        .spawn();
    assert_eq!(node.wait_for_line("READY ", NODE_TIMEOUT), "node-a");
    let end = wait_finished(&redis, "tonode", 300, Duration::from_secs(40));
    assert_eq!((end.waiting, end.active, end.delayed), (0, 0, 0), "{end:?}");
    assert!(
        end.failed > 0,
        "0.3³ of 300 jobs should exhaust their attempts: {end:?}"
    );
    let status = node.stop(NODE_TIMEOUT);
    assert!(status.success(), "{}", node.stderr());
    let tally: Value = serde_json::from_str(&node.wait_for_line("STOPPED ", NODE_TIMEOUT)).unwrap();
    assert_eq!(tally["done"].as_i64(), Some(end.completed), "{tally}");
    // Node retried with the backoff `qtop produce` set: 3 attempts per exhausted job.
    let view = inspect(&redis, "tonode", 1);
    assert_eq!(view["failed"][0]["attemptsMade"], 3, "{view}");
    assert_eq!(
        view["failed"][0]["stacktrace"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(view["failed"][0]["processedBy"], "node-a");
}

#[test]
fn qtop_worker_processes_jobs_added_by_node_and_node_agrees() {
    let redis = RedisServer::start();
    let out = NodeScript::new("load.js")
        .args(["--redis", &redis.url(), "--queue", "fromnode"])
        .args(["--rate", "400", "--duration", "1", "--no-worker"])
        .run();
    assert!(String::from_utf8_lossy(&out.stdout).contains("ADDED 400\n"));
    let mut worker = QtopProcess::worker(
        &redis,
        "fromnode",
        &[
            "--concurrency",
            "8",
            "--work-ms",
            "1",
            "--fail-rate",
            "0.25",
        ],
    );
    let end = wait_finished(&redis, "fromnode", 400, Duration::from_secs(30));
    // Node's jobs have `attempts: 1`, so each failure is final.
    assert!(end.failed > 40 && end.failed < 170, "{end:?}");
    let view = inspect(&redis, "fromnode", 1);
    let node_counts = &view["counts"];
    assert_eq!(
        node_counts["completed"].as_i64(),
        Some(end.completed),
        "{view}"
    );
    assert_eq!(node_counts["failed"].as_i64(), Some(end.failed), "{view}");
    for state in ["waiting", "active", "delayed", "prioritized"] {
        assert_eq!(node_counts[state], 0, "{state}: {view}");
    }
    // Node's getWorkers sees the live qtop worker under its qtop- name.
    let workers = view["workers"].as_array().unwrap();
    assert!(
        workers
            .iter()
            .any(|w| w.as_str().is_some_and(|n| n.contains(":w:qtop-"))),
        "{view}"
    );
    assert!(worker.stop(Duration::from_secs(15)).success());
}

#[test]
fn failures_recorded_by_qtop_worker_are_readable_by_node() {
    let redis = RedisServer::start();
    // Two attempts, 1.5 s apart: time to look at the job between them.
    qtop_run(
        &redis,
        &[
            "--queue",
            "traces",
            "produce",
            "--count",
            "3",
            "--fail-rate",
            "1",
            "--attempts",
            "2",
            "--backoff-ms",
            "1500",
        ],
    );
    let mut worker = QtopProcess::worker(&redis, "traces", &["--work-ms", "1"]);
    common::wait_until("3 delayed retries", Duration::from_secs(10), || {
        counts(&redis, "traces").delayed == 3
    });
    // Between attempts (the crate writes neither field there; qtop worker does).
    let job = "bull:traces:1";
    assert_eq!(
        redis.cmd(&["HGET", job, "failedReason"]),
        "simulated failure (fail rate 1)"
    );
    let trace: Vec<String> =
        serde_json::from_str(&redis.cmd(&["HGET", job, "stacktrace"])).unwrap();
    assert_eq!(trace.len(), 1, "{trace:?}");

    let end = wait_finished(&redis, "traces", 3, Duration::from_secs(20));
    assert_eq!(end.failed, 3);
    let view = inspect(&redis, "traces", 3);
    let failed = view["failed"].as_array().unwrap();
    assert_eq!(failed.len(), 3, "{view}");
    for job in failed {
        assert_eq!(job["state"], "failed", "{job}");
        assert_eq!(job["attemptsMade"], 2, "{job}");
        assert_eq!(
            job["failedReason"], "simulated failure (fail rate 1)",
            "{job}"
        );
        let trace = job["stacktrace"].as_array().unwrap();
        assert_eq!(trace.len(), 2, "one entry per attempt: {job}");
        for (attempt, entry) in trace.iter().enumerate() {
            let text = entry.as_str().unwrap();
            assert!(
                text.starts_with(
                    "Error: simulated failure (fail rate 1)\n    at qtop worker qtop-"
                ),
                "{text}"
            );
            assert!(
                text.ends_with(&format!("attempt {})", attempt + 1)),
                "{text}"
            );
        }
        assert!(
            job["processedBy"].as_str().unwrap().starts_with("qtop-"),
            "{job}"
        );
    }
    assert!(worker.stop(Duration::from_secs(15)).success());
}
