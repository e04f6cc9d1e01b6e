//! Queues and workers of the real Python `bullmq` package (3.4.4): its own counts, and its
//! worker, which names every connection with the unencoded queue name, listed once.

use crate::common;

use std::time::Duration;

use common::{assert_counts_match, queue, snapshot_json, spawn_python, RedisServer};

#[test]
fn python_queues_and_workers_read_as_python_counts_them() {
    let redis = RedisServer::start();
    let mut scenario = spawn_python("scenario.py", &["--redis", &redis.url()]);
    let ready = scenario.wait_for_json("READY", Duration::from_secs(120));
    let theirs = &ready["py"];
    let doc = snapshot_json(&redis.url(), &[], "0s");
    let ours = queue(&doc, "py");
    assert_counts_match(ours, theirs, "py");
    assert_eq!(ours["unlocked_active"], 0, "the held job is locked");
    let workers: Vec<&serde_json::Value> = doc["workers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["queue"] == "py")
        .collect();
    assert_eq!(
        workers.len(),
        1,
        "one worker, however many connections: {workers:?}"
    );
    assert_eq!(workers[0]["name"], "py-1");
    assert_eq!(workers[0]["library"], "python");
    assert!(
        workers[0]["connections"].as_u64().unwrap() >= 2,
        "{:?}",
        workers[0]
    );
    assert_eq!(ours["workers"], 1);
    scenario.stop(Duration::from_secs(30));
}
