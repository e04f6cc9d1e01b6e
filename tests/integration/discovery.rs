//! Queues are found with SCAN, new ones later by steps between polls, vanished ones dropped.

use crate::common;

use std::time::Duration;

use common::{NodeScript, RedisServer};
use qtop::model::PollReport;
use qtop::source::{spawn_poller, Poller, PollerConfig, RedisTarget, SourceEvent};
use tokio_util::sync::CancellationToken;

fn names(poller: &Poller) -> Vec<String> {
    poller.queue_ids().map(|q| q.name.to_string()).collect()
}

#[tokio::test]
async fn periodic_discovery_finds_new_queues_and_drops_vanished_ones() {
    let redis = RedisServer::start();
    // Enough unrelated keys that a pass takes several SCAN steps.
    redis.cmd(&[
        "EVAL",
        "for i = 1, 5000 do redis.call('SET', 'other:' .. i, 1) end",
        "0",
    ]);
    redis.cmd(&["LPUSH", "bull:first:wait", "1"]);
    let target = RedisTarget::parse(&redis.url(), false).unwrap();
    let config = PollerConfig {
        discovery_every: Duration::ZERO,
        ..PollerConfig::default()
    };
    let mut poller = Poller::new(target, config);
    poller.connect().await.unwrap();
    poller.discover().await.unwrap();
    assert_eq!(names(&poller), ["first"]);

    redis.cmd(&["HSET", "bull:second:meta", "version", "bullmq:6.7.0"]);
    redis.cmd(&["DEL", "bull:first:wait"]);
    let mut steps = 0;
    while names(&poller) != ["second"] {
        poller.discovery_step().await.unwrap();
        steps += 1;
        assert!(
            steps < 100,
            "discovery never finished: {:?}",
            names(&poller)
        );
    }
    // 5,000 keys at 1,000 per SCAN: the pass was spread over several steps.
    assert!(steps >= 3, "{steps} steps");
}

/// Calls of `cmd` so far (`INFO commandstats`).
fn calls(redis: &RedisServer, cmd: &str) -> u64 {
    let info = redis.cmd(&["INFO", "commandstats"]);
    let line = format!("cmdstat_{cmd}:calls=");
    info.lines()
        .find_map(|l| l.strip_prefix(line.as_str()))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn fill(redis: &RedisServer, keys: u32) {
    let script = format!("for i = 1, {keys} do redis.call('SET', 'filler:' .. i, 1) end");
    redis.cmd(&["EVAL", &script, "0"]);
}

/// Reports until one lists `queue` (or `deadline` passes: the test fails).
async fn report_listing(
    rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>,
    queue: &str,
    deadline: Duration,
) -> Box<PollReport> {
    let until = std::time::Instant::now() + deadline;
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(SourceEvent::Report(report))) => {
                if report.queues.iter().any(|q| q.key.name == queue) {
                    return report;
                }
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("the poller ended"),
            Err(_) => panic!("{queue} never appeared"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_created_while_qtop_runs_appears_with_the_default_pacing() {
    let redis = RedisServer::start();
    fill(&redis, 20_000);
    redis.cmd(&["LPUSH", "bull:first:wait", "1"]);
    let target = RedisTarget::parse(&redis.url(), false).unwrap();
    let cancel = CancellationToken::new();
    let (task, mut rx) = spawn_poller(
        target,
        PollerConfig::default(),
        Duration::from_millis(500),
        cancel.clone(),
    );
    report_listing(&mut rx, "first", Duration::from_secs(20)).await;
    let scans = calls(&redis, "scan");
    redis.cmd(&["HSET", "bull:late:meta", "version", "bullmq:6.7.0"]);
    // The default pace (a pass over 20,000 keys takes about 3 s) finds it; the old
    // schedule (a pass a minute) would not within the deadline.
    report_listing(&mut rx, "late", Duration::from_secs(30)).await;
    assert!(calls(&redis, "scan") > scans, "found by a paced SCAN");
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_redis_restart_new_queues_appear_and_totals_neither_drop_nor_spike() {
    let mut redis = RedisServer::start_tcp();
    // A queue with 1,000 waiting jobs and an events stream, as BullMQ leaves it.
    redis.cmd(&[
        "EVAL",
        "for i = 1, 1000 do redis.call('LPUSH', 'bull:q:wait', i) end \
         redis.call('SET', 'bull:q:id', 1000)",
        "0",
    ]);
    redis.cmd(&[
        "XADD",
        "bull:q:events",
        "*",
        "event",
        "added",
        "jobId",
        "1000",
    ]);
    let target = RedisTarget::parse(&redis.tcp_url(), false).unwrap();
    let cancel = CancellationToken::new();
    let (task, mut rx) = spawn_poller(
        target,
        PollerConfig::default(),
        Duration::from_millis(200),
        cancel.clone(),
    );
    let before = report_listing(&mut rx, "q", Duration::from_secs(20)).await;
    let totals = |report: &PollReport| {
        let q = report.queues.iter().find(|q| q.key.name == "q").unwrap();
        q.totals.unwrap_or_default()
    };
    let before = totals(&before);

    // Restarted empty; the queue comes back with one job and new events.
    redis.restart();
    redis.cmd(&["LPUSH", "bull:q:wait", "1"]);
    redis.cmd(&["SET", "bull:q:id", "1"]);
    redis.cmd(&["XADD", "bull:q:events", "*", "event", "added", "jobId", "1"]);
    redis.cmd(&["LPUSH", "bull:after:wait", "1"]);
    report_listing(&mut rx, "after", Duration::from_secs(30)).await;
    // A few more polls, reading the new events.
    let mut last = None;
    for _ in 0..5 {
        last = Some(report_listing(&mut rx, "q", Duration::from_secs(10)).await);
    }
    let after = totals(&last.unwrap());
    // The 999 jobs lost with the old server are not counted as finished, and the totals
    // carry on from before (a rate never sees them go back).
    assert_eq!(after.completed, before.completed, "{before:?} → {after:?}");
    assert_eq!(after.failed, before.failed);
    assert!(after.added >= before.added, "{before:?} → {after:?}");
    assert!(after.added <= before.added + 1, "{before:?} → {after:?}");
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queue_a_worker_connection_names_appears_on_the_next_poll_without_scan() {
    let redis = RedisServer::start();
    fill(&redis, 200_000);
    redis.cmd(&["LPUSH", "bull:first:wait", "1"]);
    let target = RedisTarget::parse(&redis.url(), false).unwrap();
    let mut poller = Poller::new(target, PollerConfig::default());
    poller.poll().await.unwrap();
    let scans = calls(&redis, "scan");

    // A real BullMQ worker on a new queue.
    let url = redis.url();
    let mut node = NodeScript::new("load.js")
        .args(["--redis", &url, "--queue", "named", "--rate", "1"])
        .args(["--duration", "60", "--worker-name", "w1"])
        .spawn();
    node.wait_for_line("STARTED", Duration::from_secs(30));
    // This poll's CLIENT LIST names it; the next one reads it.
    // Its blocking connection is named once it first blocks.
    common::wait_until(
        "the worker's named connection",
        Duration::from_secs(10),
        || {
            redis
                .cmd(&["CLIENT", "LIST"])
                .contains("name=bull:bmFtZWQ=")
        },
    );
    let first = poller.poll().await.unwrap();
    let listed = |report: &PollReport| report.queues.iter().any(|q| q.key.name == "named");
    let second = poller.poll().await.unwrap();
    assert!(listed(&first) || listed(&second), "{:?}", names(&poller));
    let reading = second
        .queues
        .iter()
        .find(|q| q.key.name == "named")
        .unwrap();
    assert!(reading.counts.is_some());
    assert_eq!(calls(&redis, "scan"), scans, "no SCAN between the polls");
    node.kill();
}
