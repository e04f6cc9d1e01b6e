//! Queues written by older BullMQ releases (3.x, 4.x, 5.x: the legacy `paused` list, the v3
//! priority layout, `attemptsMade`) read as their own library counts them.

use crate::common;

use std::time::Duration;

use common::{assert_counts_match, qtop_json, queue, snapshot_json, NodeScript, RedisServer};

#[test]
fn older_layouts_match_their_own_get_job_counts() {
    let redis = RedisServer::start();
    let mut expected = Vec::new();
    for lib in ["bullmq-v3", "bullmq-v4", "bullmq-v5"] {
        let name = lib.trim_start_matches("bullmq-");
        let mut script = NodeScript::new("legacy.js")
            .args(["--redis", &redis.url(), "--lib", lib, "--queue", name])
            .spawn();
        let ready = script.wait_for_json("READY", Duration::from_secs(60));
        expected.push((name.to_string(), ready));
        script.wait_exit(Duration::from_secs(30));
    }
    let doc = snapshot_json(&redis.url(), &[], "1s");
    for (name, theirs_all) in &expected {
        let version = theirs_all["version"].as_str().unwrap();
        for queue_name in [name.clone(), format!("{name}-paused")] {
            assert_counts_match(
                queue(&doc, &queue_name),
                &theirs_all[&queue_name],
                &format!("{queue_name} ({version})"),
            );
        }
        // Failed jobs of every version list with their attempts (`attemptsMade` before v5).
        let url = redis.url();
        let jobs = qtop_json(&["--redis", &url, "--queue", name, "dlq", "list", "--json"]);
        let jobs = jobs.as_array().unwrap();
        assert_eq!(jobs.len(), 2, "{version}");
        for job in jobs {
            assert_eq!(job["attempts_made"], 2, "{version}: {job}");
            assert!(
                job["failed_reason"]
                    .as_str()
                    .unwrap()
                    .starts_with("legacy failure"),
                "{version}"
            );
        }
    }
}
