//! Big and many: a 10 MB job payload and 10,000 queues are read without loading what is
//! not needed and without failing.

use crate::common;

use std::time::Duration;

use common::{qtop_json, queue, run_qtop, snapshot_json, RedisServer};

const T: Duration = Duration::from_secs(120);

#[test]
fn a_ten_megabyte_failed_job_is_listed_without_loading_its_data() {
    let redis = RedisServer::start();
    // A failed job whose data is 10 MB of JSON, made server-side.
    redis.cmd(&[
        "EVAL",
        "local big = '[\"' .. string.rep('x', 10 * 1024 * 1024) .. '\"]' \
         redis.call('HSET', 'bull:big:1', 'name', 'huge', 'data', big, 'opts', '{}', \
           'failedReason', 'too big', 'atm', '1', 'timestamp', '1700000000000') \
         redis.call('ZADD', 'bull:big:failed', 1700000000001, '1') \
         redis.call('SET', 'bull:big:id', '1') return 1",
        "0",
    ]);
    let url = redis.url();
    let list = run_qtop(
        &["--redis", &url, "--queue", "big", "dlq", "list", "--json"],
        T,
    );
    assert!(list.status.success());
    assert!(
        list.stdout.len() < 10_000,
        "the list does not carry the payload"
    );

    let detail = qtop_json(&[
        "--redis", &url, "--queue", "big", "dlq", "show", "1", "--json",
    ]);
    assert_eq!(detail["data"]["kind"], "too_large");
    assert!(detail["data"]["bytes"].as_u64().unwrap() > 10_000_000);
    assert_eq!(detail["opts"]["kind"], "json");

    let detail = qtop_json(&[
        "--redis", &url, "--queue", "big", "dlq", "show", "1", "--json", "--full",
    ]);
    assert_eq!(detail["data"]["kind"], "json", "--full loads it");

    let doc = snapshot_json(&url, &[], "0s");
    assert_eq!(queue(&doc, "big")["counts"]["failed"], 1);
}

#[test]
fn ten_thousand_queues_are_all_reported() {
    let redis = RedisServer::start();
    redis.cmd(&[
        "EVAL",
        "for i = 1, 10000 do \
           redis.call('HSET', 'bull:q' .. i .. ':meta', 'version', 'bullmq:6.7.0') \
           redis.call('XADD', 'bull:q' .. i .. ':events', '*', 'event', 'drained') \
           if i % 100 == 0 then redis.call('LPUSH', 'bull:q' .. i .. ':wait', '1') end \
         end return 1",
        "0",
    ]);
    let doc = snapshot_json(&redis.url(), &[], "1s");
    let queues = doc["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 10_000);
    let waiting: u64 = queues
        .iter()
        .map(|q| q["counts"]["waiting"].as_u64().unwrap())
        .sum();
    assert_eq!(waiting, 100);
    // The steady poll stays a few round trips, however many queues.
    assert!(
        doc["poll"]["round_trips"].as_u64().unwrap() <= 3,
        "{}",
        doc["poll"]
    );
}
