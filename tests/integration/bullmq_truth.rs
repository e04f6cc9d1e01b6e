//! Truth in every view (issue #14): the BullMQ features people run, and what qtop shows of
//! them, against BullMQ's own API (tests/node/features.js) on a private redis-server.

use crate::common;

use std::time::{Duration, Instant};

use common::{
    ensure_python_env, queue, run_qtop, snapshot_json, spawn_python, wait_until, NodeChild,
    NodeScript, RedisServer,
};
use qtop::model::PollReport;
use qtop::source::{Poller, PollerConfig, RedisTarget};
use serde_json::Value;

fn features(url: &str, queue: &str, mode: &str, extra: &[&str]) -> NodeChild {
    let mut child = NodeScript::new("features.js")
        .args(["--redis", url, "--queue", queue, "--mode", mode])
        .args(extra.iter().copied())
        .spawn();
    child.wait_for_line("READY", Duration::from_secs(60));
    child
}

/// BullMQ's own answers for `queue` (`features.js --mode truth`).
fn truth(url: &str, queue: &str) -> Value {
    let out = NodeScript::new("features.js")
        .args(["--redis", url, "--queue", queue, "--mode", "truth"])
        .run();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("TRUTH "))
        .unwrap_or_else(|| {
            panic!(
                "no TRUTH line: {text} {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).unwrap_or_else(|e| panic!("TRUTH is not JSON ({e}): {line}"))
}

#[test]
fn delayed_and_scheduled_jobs_wait_from_when_they_are_due() {
    let redis = RedisServer::start();
    let url = redis.url();
    // 20 jobs with a 1.5 s delay, added over 3 s; a job scheduler every 500 ms. Run the
    // moment they are due, they wait ~nothing: before, wait counted the delay (1.5 s, 0.5 s).
    let _later = features(
        &url,
        "later",
        "delayed",
        &["--count", "20", "--delay", "1500"],
    );
    let _ticks = features(&url, "ticks", "scheduler", &["--every", "500"]);
    let doc = snapshot_json(&url, &[], "5s");
    for name in ["later", "ticks"] {
        let wait = &queue(&doc, name)["latency_ms"]["wait"];
        assert!(wait["count"].as_u64().unwrap_or(0) >= 5, "{name}: {wait}");
        assert!(
            wait["p99"].as_u64().unwrap_or(u64::MAX) < 400,
            "{name}: wait counts the intended delay: {wait}"
        );
    }
    assert_eq!(queue(&doc, "ticks")["schedulers"], 1);
    assert_eq!(truth(&url, "ticks")["schedulers"], 1);
}

#[test]
fn limits_are_read_as_bullmq_reports_them() {
    let redis = RedisServer::start();
    let url = redis.url();
    let _rate = features(
        &url,
        "grate",
        "global-rate",
        &["--max", "2", "--duration", "1000", "--rate", "5"],
    );
    let _conc = features(
        &url,
        "gconc",
        "global-conc",
        &[
            "--limit",
            "1",
            "--workers",
            "3",
            "--rate",
            "15",
            "--work-ms",
            "100",
        ],
    );
    let _manual = features(&url, "mlimit", "manual-limit", &["--ms", "60000"]);
    let doc = snapshot_json(&url, &[], "1s");
    let (grate, gconc, mlimit) = (
        truth(&url, "grate"),
        truth(&url, "gconc"),
        truth(&url, "mlimit"),
    );
    assert_eq!(
        grate["globalRateLimit"],
        serde_json::json!({"max": 2, "duration": 1000})
    );
    assert_eq!(
        queue(&doc, "grate")["global_rate_limit"],
        serde_json::json!({"max": 2, "duration_ms": 1000})
    );
    assert_eq!(gconc["globalConcurrency"], 1);
    assert_eq!(queue(&doc, "gconc")["global_concurrency"], 1);
    assert_eq!(queue(&doc, "grate")["global_concurrency"], Value::Null);
    assert_eq!(queue(&doc, "gconc")["global_rate_limit"], Value::Null);
    // worker.rateLimit(60 s): both see about a minute left (read a moment apart).
    let theirs = mlimit["rateLimitTtl"].as_i64().unwrap_or(0);
    let ours = queue(&doc, "mlimit")["rate_limited_ms"]
        .as_i64()
        .unwrap_or(0);
    assert!(
        theirs > 50_000 && ours > 50_000,
        "qtop {ours} vs bullmq {theirs}"
    );
    assert!(
        (ours - theirs).abs() < 10_000,
        "qtop {ours} vs bullmq {theirs}"
    );
    // A queue with no limit is not limited.
    assert_eq!(queue(&doc, "gconc")["rate_limited_ms"], 0);
}

#[test]
fn the_advisor_names_the_queues_own_limit_not_its_workers() {
    let redis = RedisServer::start();
    let url = redis.url();
    let _rate = features(
        &url,
        "grate",
        "global-rate",
        &["--max", "2", "--duration", "1000", "--rate", "5"],
    );
    let _conc = features(
        &url,
        "gconc",
        "global-conc",
        &[
            "--limit",
            "1",
            "--workers",
            "3",
            "--rate",
            "15",
            "--work-ms",
            "100",
        ],
    );
    let out = run_qtop(
        &["--redis", &url, "advise", "--json", "--window", "8s"],
        Duration::from_secs(60),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let advice = |name: &str| -> Value {
        all.as_array()
            .and_then(|a| a.iter().find(|q| q["queue"] == name).cloned())
            .unwrap_or_else(|| panic!("no advice for {name}: {all:#}"))
    };
    let grate = advice("grate");
    assert_eq!(grate["bottleneck"], "rate_limit", "{grate:#}");
    assert_eq!(grate["throughput_cap_per_s"], 2.0, "{grate:#}");
    assert_eq!(
        grate["drain_time_s"],
        Value::Null,
        "5/s in, 2/s out: {grate:#}"
    );
    let gconc = advice("gconc");
    assert_eq!(gconc["bottleneck"], "global_concurrency", "{gconc:#}");
    assert_eq!(gconc["capacity"], 1, "{gconc:#}");
    assert!(
        gconc["recommended_capacity"].as_u64().unwrap_or(0) >= 2,
        "{gconc:#}"
    );
}

fn oldest_age_s(report: &PollReport, name: &str) -> Option<f64> {
    let reading = report.queues.iter().find(|q| q.key.name == name)?;
    let counts = reading.counts?;
    if counts.ready() == 0 {
        return Some(0.0);
    }
    let ts = reading.oldest_waiting_ts_ms?;
    Some((report.taken_at_ms - ts).max(0) as f64 / 1000.0)
}

#[test]
fn oldest_is_the_age_of_the_job_at_the_head_even_for_a_long_running_monitor() {
    let redis = RedisServer::start();
    let url = redis.url();
    // 50 jobs/s in, 25/s out: a backlog whose head moves all the time. Seen live: the
    // dashboard's OLDEST counted from when the backlog began (1 s per second) and, after
    // drain(), from the deleted jobs.
    let _load = features(&url, "bk", "backlog", &["--rate", "50", "--work-ms", "40"]);
    wait_until("the queue's first job", Duration::from_secs(20), || {
        redis.cmd(&["EXISTS", "bull:bk:id"]).contains('1')
    });
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let target = RedisTarget::parse(&url, false).expect("url");
    let mut poller = Poller::new(target, PollerConfig::default());
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < Duration::from_secs(10) {
        last = Some(runtime.block_on(poller.poll()).expect("poll"));
        std::thread::sleep(Duration::from_millis(250));
    }
    let report = runtime.block_on(poller.poll()).expect("poll");
    let theirs = truth(&url, "bk")["head"]["age_ms"].as_f64().unwrap_or(0.0) / 1000.0;
    let ours = oldest_age_s(&report, "bk").expect("an oldest age");
    assert!(last.is_some());
    assert!(
        (ours - theirs).abs() < 1.5,
        "qtop says the oldest waited {ours:.1} s, the head job's age is {theirs:.1} s"
    );
    // drain(): the waiting jobs are deleted; new ones keep coming. The oldest is a new one.
    let out = NodeScript::new("features.js")
        .args(["--redis", &url, "--queue", "bk", "--mode", "drain"])
        .run();
    assert!(String::from_utf8_lossy(&out.stdout).contains("DRAINED"));
    let drained_at = Instant::now();
    wait_until(
        "a poll after drain() to date the new head",
        Duration::from_secs(20),
        || {
            let report = runtime.block_on(poller.poll()).expect("poll");
            oldest_age_s(&report, "bk")
                .is_some_and(|age| age <= drained_at.elapsed().as_secs_f64() + 1.0)
        },
    );
}

fn workers_of(doc: &Value, name: &str) -> Option<u64> {
    queue(doc, name)["workers"].as_u64()
}

#[test]
fn workers_are_counted_as_bullmq_counts_them_over_a_unix_socket() {
    let redis = RedisServer::start();
    let url = redis.url();
    assert!(url.starts_with("unix://"), "{url}");
    // Five Node workers of one name: five blocking connections, all at `path:0`.
    let _node = features(&url, "nq", "workers", &["--count", "5", "--name", "same"]);
    assert_eq!(truth(&url, "nq")["workers"], 5);
    // Three unnamed Python worker processes (the style the guide teaches), on a queue with
    // a few jobs (so there is a queue to find).
    let added = NodeScript::new("features.js")
        .args([
            "--redis", &url, "--queue", "pq", "--mode", "add", "--count", "3",
        ])
        .run();
    assert!(String::from_utf8_lossy(&added.stdout).contains("ADDED"));
    ensure_python_env();
    let mut python: Vec<NodeChild> = (0..3)
        .map(|_| spawn_python("idle_worker.py", &["--redis", &url, "--queue", "pq"]))
        .collect();
    for child in &mut python {
        child.wait_for_line("READY", Duration::from_secs(60));
    }
    // Python's connections block once each worker starts fetching.
    let mut doc = Value::Null;
    wait_until(
        "qtop to see three Python workers",
        Duration::from_secs(30),
        || {
            doc = snapshot_json(&url, &[], "0s");
            workers_of(&doc, "pq") == Some(3)
        },
    );
    assert_eq!(workers_of(&doc, "nq"), Some(5), "{doc:#}");
}
