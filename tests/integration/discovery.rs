//! Queues are found with SCAN, new ones later by steps between polls, vanished ones dropped.

use crate::common;

use std::time::Duration;

use common::RedisServer;
use qtop::source::{Poller, PollerConfig, RedisTarget};

fn names(poller: &Poller) -> Vec<String> {
    poller.queue_ids().map(|q| q.name.clone()).collect()
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
