//! Foreign data, corrupt keys and restrictive ACLs: qtop reads what it can, says what it
//! cannot, and never panics.

use crate::common;

use std::time::Duration;

use common::{queue, run_qtop, snapshot_json, RedisServer};

#[test]
fn keys_of_the_wrong_type_are_reported_not_fatal() {
    let redis = RedisServer::start();
    // A healthy queue, written the way BullMQ writes it.
    redis.cmd(&["HSET", "bull:good:meta", "opts.maxLenEvents", "10000"]);
    redis.cmd(&["LPUSH", "bull:good:wait", "1", "2"]);
    redis.cmd(&[
        "HSET",
        "bull:good:1",
        "timestamp",
        "1000",
        "name",
        "a",
        "data",
        "{}",
    ]);
    redis.cmd(&[
        "HSET",
        "bull:good:2",
        "timestamp",
        "2000",
        "name",
        "a",
        "data",
        "{}",
    ]);
    redis.cmd(&[
        "XADD",
        "bull:good:events",
        "*",
        "event",
        "added",
        "jobId",
        "1",
    ]);
    // A queue whose keys hold the wrong types, and an events key that is not a stream.
    redis.cmd(&["SET", "bull:weird:wait", "surprise"]);
    redis.cmd(&["LPUSH", "bull:weird:meta", "x"]);
    redis.cmd(&["HSET", "bull:weird:events", "a", "b"]);
    redis.cmd(&["SADD", "bull:weird:failed", "x"]);
    redis.cmd(&["SET", "bull:weird:id", "not-a-number"]);
    // Binary garbage as a job id in a wait list, and a job hash with garbage timestamps.
    redis.cmd(&["LPUSH", "bull:binary:wait", "\u{fffd}\u{1}\u{2}"]);
    redis.cmd(&["HSET", "bull:binary:meta", "paused", "yes"]);
    // Relay keys and other applications' keys must not become queues.
    redis.cmd(&["SET", "bull::relay:ns:meta", "x"]);
    redis.cmd(&["SET", "other:thing:meta", "x"]);

    let doc = snapshot_json(&redis.url(), &[], "0s");
    let names: Vec<&str> = doc["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["binary", "good", "weird"]);

    let good = queue(&doc, "good");
    assert_eq!(good["counts"]["waiting"], 2);
    assert!(good["problems"].as_array().unwrap().is_empty());
    assert!(good["oldest_waiting_age_s"].as_f64().unwrap() > 1_000_000.0);

    let weird = queue(&doc, "weird");
    let problems: Vec<&str> = weird["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("wait") && p.contains("WRONGTYPE")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("failed")),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| p.contains("meta")), "{problems:?}");

    let binary = queue(&doc, "binary");
    assert_eq!(binary["counts"]["waiting"], 1);
    assert_eq!(binary["paused"], true);
}

#[test]
fn legacy_wait_list_markers_are_not_jobs() {
    let redis = RedisServer::start();
    // A v4 queue: `0:0` priority marker and a `0:<ts>` delay marker among real ids.
    redis.cmd(&["HSET", "bull:old:meta", "version", "bullmq:4.18.3"]);
    redis.cmd(&["LPUSH", "bull:old:wait", "0:0", "1", "2", "0:1700000000000"]);
    redis.cmd(&["HSET", "bull:old:1", "timestamp", "1000"]);
    redis.cmd(&["HSET", "bull:old:2", "timestamp", "2000"]);
    // The first poll learns the queue has markers; the second counts them out.
    let doc = snapshot_json(&redis.url(), &[], "1s");
    assert_eq!(queue(&doc, "old")["counts"]["waiting"], 2, "{doc:#}");
}

#[test]
fn a_user_without_client_list_still_gets_everything_else() {
    let redis = RedisServer::start_tcp_with_args(&[
        "--user",
        "default",
        "off",
        "--user",
        "reader",
        "on",
        ">pw",
        "~*",
        "&*",
        "+@read",
        "+@connection",
        "+@transaction",
        "+info",
        "-client|list",
    ]);
    let admin = redis.tcp_url();
    let _ = admin;
    let url = format!("redis://reader:pw@127.0.0.1:{}", redis.port());
    let doc = snapshot_json(&url, &[], "0s");
    assert_eq!(doc["workers_status"], "not_permitted");
    let output = run_qtop(
        &["--redis", &url, "snapshot", "--window", "0s"],
        Duration::from_secs(30),
    );
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(table.contains("not permitted"), "{table}");
    assert!(!table.contains("pw@"), "{table}");
}

#[test]
fn explicit_queues_and_prefixes_restrict_the_view() {
    let redis = RedisServer::start();
    for key in ["bull:a:wait", "bull:b:wait", "app:c:wait"] {
        redis.cmd(&["LPUSH", key, "1"]);
    }
    let only_a = snapshot_json(&redis.url(), &["--queue", "a"], "0s");
    assert_eq!(only_a["queues"].as_array().unwrap().len(), 1);
    let other_prefix = snapshot_json(&redis.url(), &["--prefix", "app"], "0s");
    let names: Vec<&str> = other_prefix["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c"]);
    assert_eq!(other_prefix["queues"][0]["prefix"], "app");
}

#[test]
fn idle_queues_cost_next_to_nothing() {
    let redis = RedisServer::start();
    // 500 idle queues, each with an events stream, as BullMQ leaves them.
    let mut conn = redis.conn();
    for n in 0..500 {
        let name = format!("bull:idle{n}");
        conn.call(&["HSET", &format!("{name}:meta"), "version", "bullmq:6.7.0"])
            .unwrap();
        conn.call(&["XADD", &format!("{name}:events"), "*", "event", "drained"])
            .unwrap();
    }
    let doc = snapshot_json(&redis.url(), &[], "1s");
    assert_eq!(doc["queues"].as_array().unwrap().len(), 500);
    let commands = doc["poll"]["commands"].as_u64().unwrap();
    let round_trips = doc["poll"]["round_trips"].as_u64().unwrap();
    // One XREAD, CLIENT LIST, and the refresh of a rotating thirtieth of the queues
    // (about 10 commands each): far below reading every queue (500 × 10 = 5,000).
    assert!(commands <= 2 + 17 * 11 + 10, "commands {commands}");
    assert!(round_trips <= 3, "round trips {round_trips}");
}

#[test]
fn the_database_number_in_the_url_is_honoured() {
    let redis = RedisServer::start_tcp();
    let mut conn = redis.conn();
    conn.call(&["SELECT", "3"]).unwrap();
    conn.call(&["LPUSH", "bull:in-db3:wait", "1"]).unwrap();
    let in_db3 = snapshot_json(&format!("{}/3", redis.tcp_url()), &[], "0s");
    assert_eq!(in_db3["queues"][0]["name"], "in-db3");
    let in_db0 = snapshot_json(&redis.tcp_url(), &[], "0s");
    assert!(in_db0["queues"].as_array().unwrap().is_empty());
    let socket = snapshot_json(&format!("{}?db=3", redis.url()), &[], "0s");
    assert_eq!(socket["queues"][0]["name"], "in-db3");
}

/// The meta hash of a quiet queue is not read on every poll: a pause made by hand, without
/// BullMQ's `paused` event, still shows within 20 polls (2 × the poller's META_EVERY); a
/// resume that writes its event shows on the next poll.
#[tokio::test]
async fn a_pause_without_an_event_is_seen_within_bounded_polls() {
    use qtop::source::{Poller, PollerConfig, RedisTarget};

    let redis = RedisServer::start();
    redis.cmd(&["HSET", "bull:quiet:meta", "version", "bullmq:6.7.0"]);
    redis.cmd(&["XADD", "bull:quiet:events", "*", "event", "drained"]);
    redis.cmd(&["LPUSH", "bull:quiet:wait", "1"]);
    let target = RedisTarget::parse(&redis.url(), false).unwrap();
    let config = PollerConfig {
        reconcile_every: 1,
        ..PollerConfig::default()
    };
    let mut poller = Poller::new(target, config);
    let paused = |report: &qtop::model::PollReport| report.queues[0].paused == Some(true);
    assert!(!paused(&poller.poll().await.unwrap()));

    redis.cmd(&["HSET", "bull:quiet:meta", "paused", "1"]);
    let mut polls = 0;
    loop {
        polls += 1;
        if paused(&poller.poll().await.unwrap()) {
            break;
        }
        assert!(polls < 20, "a manual pause unseen after {polls} polls");
    }

    redis.cmd(&["HDEL", "bull:quiet:meta", "paused"]);
    redis.cmd(&["XADD", "bull:quiet:events", "*", "event", "resumed"]);
    assert!(!paused(&poller.poll().await.unwrap()));
}
