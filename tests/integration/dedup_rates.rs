//! Deduplicated, debounced and duplicated adds are counted apart from arrivals, so that
//! `added` (and `rates.added_per_s`) stays the jobs that will run: measured against real
//! BullMQ 6.7 and 5.x adds, the truth from BullMQ's QueueEvents and getJobCounts.

use crate::common;

use std::time::Duration;

use common::{snapshot_json, NodeScript, RedisServer};
use qtop::model::{EventTotals, PollReport};
use qtop::source::{Poller, PollerConfig, RedisTarget};

const T: Duration = Duration::from_secs(60);

fn totals(report: &PollReport, queue: &str) -> EventTotals {
    report
        .queues
        .iter()
        .find(|q| q.key.name == queue)
        .and_then(|q| q.totals)
        .unwrap_or_else(|| panic!("queue {queue} with totals in {:?}", report.queues))
}

#[tokio::test]
async fn dropped_adds_are_counted_apart_from_the_jobs_that_will_run() {
    let redis = RedisServer::start();
    for queue in ["dedup6", "dedup5"] {
        // The queue exists before qtop starts reading its events.
        redis.cmd(&[
            "XADD",
            &format!("bull:{queue}:events"),
            "*",
            "event",
            "drained",
        ]);
    }
    let mut poller = Poller::new(
        RedisTarget::parse(&redis.url(), false).unwrap(),
        PollerConfig::default(),
    );
    poller.connect().await.unwrap();
    let first = poller.poll().await.unwrap();
    for (lib, queue) in [("bullmq", "dedup6"), ("bullmq-v5", "dedup5")] {
        assert_eq!(totals(&first, queue), EventTotals::default());
        let out = NodeScript::new("dedup.js")
            .args(["--redis", &redis.url(), "--queue", queue, "--lib", lib])
            .run_timeout(T);
        let out = String::from_utf8_lossy(&out.stdout);
        let truth: serde_json::Value =
            serde_json::from_str(out.lines().find_map(|l| l.strip_prefix("READY ")).unwrap())
                .unwrap();
        let report = poller.poll().await.unwrap();
        let got = totals(&report, queue);
        let events = &truth["events"];
        assert_eq!(
            got.added,
            truth["jobs"].as_u64().unwrap(),
            "{lib}: jobs that will run: {truth}"
        );
        assert_eq!(
            got.deduplicated,
            events["deduplicated"].as_u64().unwrap(),
            "{lib}"
        );
        assert_eq!(
            got.duplicated,
            events["duplicated"].as_u64().unwrap(),
            "{lib}"
        );
        assert_eq!(
            got.debounced,
            events["debounced"].as_u64().unwrap(),
            "{lib}"
        );
    }
}

#[test]
fn snapshot_shows_dropped_adds_as_their_own_rates() {
    let redis = RedisServer::start();
    let mut producer = NodeScript::new("dedup.js")
        .args(["--redis", &redis.url(), "--queue", "dd", "--forever"])
        .spawn();
    producer.wait_for_line("READY", T);
    // Every add in the window is a duplicate of the one job that will run.
    let doc = snapshot_json(&redis.url(), &["--queue", "dd"], "2s");
    let rates = &common::queue(&doc, "dd")["rates"];
    assert_eq!(rates["added_per_s"], 0.0, "{rates}");
    assert!(
        rates["deduplicated_per_s"].as_f64().unwrap() > 0.0,
        "{rates}"
    );
    assert_eq!(rates["duplicated_per_s"], 0.0, "{rates}");
    assert_eq!(rates["debounced_per_s"], 0.0, "{rates}");
    assert!(producer.stop(T).success());
}
