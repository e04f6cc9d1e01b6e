//! Thousands of queues: the first poll reads them all in bounded pipelines, and the counts
//! and oldest jobs' ages are those of one unchunked read.

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
    // Enough queues with jobs waiting that dating their oldest jobs (up to three creation
    // times each) takes more than one pipeline too.
    let queues = 4_500u64;
    let base_ms = 1_700_000_000_000i64;
    redis.cmd(&[
        "EVAL",
        "for i = 1, tonumber(ARGV[1]) do \
           local q = 'bull:q' .. i .. ':' \
           redis.call('HSET', q .. 'meta', 'version', 'bullmq:6.7.0') \
           redis.call('XADD', q .. 'events', '*', 'event', 'drained') \
           for j = 1, i % 7 do \
             redis.call('LPUSH', q .. 'wait', 'w' .. j) \
             redis.call('HSET', q .. 'w' .. j, 'timestamp', tonumber(ARGV[2]) + i * 10 + j) \
           end \
           for j = 1, i % 5 do redis.call('ZADD', q .. 'delayed', j, 'd' .. j) end \
           for j = 1, i % 3 do redis.call('ZADD', q .. 'failed', j, 'f' .. j) end \
           for j = 1, i % 4 do redis.call('ZADD', q .. 'completed', j, 'c' .. j) end \
         end return 1",
        "0",
        &queues.to_string(),
        &base_ms.to_string(),
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
        // The oldest waiting job is `w1`, at the head of `wait`.
        let oldest = (!i.is_multiple_of(7)).then_some(base_ms + i as i64 * 10 + 1);
        assert_eq!(
            reading.oldest_waiting_ts_ms, oldest,
            "queue {}",
            reading.key.name
        );
    }
    // Every queue refreshed in full (about 15 commands each), then ~9,600 creation times:
    // in pipelines of at most 2,048 commands (and a queue's few more), not one of about
    // 67,000 and one of 9,600.
    let poll = &report.poll;
    assert!(poll.commands > 70_000, "{poll:?}");
    assert!(poll.largest_pipeline <= 2_048 + 20, "{poll:?}");
    // A steady poll after it is back to a few round trips.
    let report = poller.poll().await.unwrap();
    assert!(report.poll.round_trips <= 3, "{:?}", report.poll);
    assert_eq!(report.queues.len() as u64, queues);
}
