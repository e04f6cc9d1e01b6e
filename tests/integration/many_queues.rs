//! Thousands of queues: the first poll reads them all in bounded pipelines, and the counts
//! are those of one unchunked read.

use crate::common;

use common::RedisServer;
use qtop::source::{Poller, PollerConfig, RedisTarget};

/// Queue `i`'s counts, as the script below writes them.
fn expected(i: u64) -> (u64, u64, u64, u64) {
    (i % 7, i % 5, i % 3, i % 4)
}

#[tokio::test]
async fn a_first_poll_of_thousands_of_queues_is_chunked_and_counts_alike() {
    let redis = RedisServer::start();
    let queues = 3_000u64;
    redis.cmd(&[
        "EVAL",
        "for i = 1, tonumber(ARGV[1]) do \
           local q = 'bull:q' .. i .. ':' \
           redis.call('HSET', q .. 'meta', 'version', 'bullmq:6.7.0') \
           redis.call('XADD', q .. 'events', '*', 'event', 'drained') \
           for j = 1, i % 7 do redis.call('LPUSH', q .. 'wait', 'w' .. j) end \
           for j = 1, i % 5 do redis.call('ZADD', q .. 'delayed', j, 'd' .. j) end \
           for j = 1, i % 3 do redis.call('ZADD', q .. 'failed', j, 'f' .. j) end \
           for j = 1, i % 4 do redis.call('ZADD', q .. 'completed', j, 'c' .. j) end \
         end return 1",
        "0",
        &queues.to_string(),
    ]);
    let target = RedisTarget::parse(&redis.url(), false).unwrap();
    let mut poller = Poller::new(target, PollerConfig::default());
    let report = poller.poll().await.unwrap();
    assert_eq!(report.queues.len() as u64, queues);
    for reading in &report.queues {
        let i: u64 = reading.key.name.trim_start_matches('q').parse().unwrap();
        let counts = reading.counts.as_ref().unwrap();
        let got = (
            counts.waiting.unwrap(),
            counts.delayed.unwrap(),
            counts.failed.unwrap(),
            counts.completed.unwrap(),
        );
        assert_eq!(got, expected(i), "queue {}", reading.key.name);
        assert_eq!(counts.active, Some(0));
    }
    // Every queue refreshed in full (about 15 commands each): in several pipelines of at
    // most 8,192 commands, not one of about 45,000.
    let poll = &report.poll;
    assert!(poll.commands > 40_000, "{poll:?}");
    assert!(
        u64::from(poll.round_trips) * 8_192 >= poll.commands + 8_192,
        "{poll:?}"
    );
    // A steady poll after it is back to a few round trips.
    let report = poller.poll().await.unwrap();
    assert!(report.poll.round_trips <= 3, "{:?}", report.poll);
    assert_eq!(report.queues.len() as u64, queues);
}
