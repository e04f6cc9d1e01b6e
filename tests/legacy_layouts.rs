//! Queues written by older BullMQ releases (3.x, 4.x, 5.x: the legacy `paused` list, the v3
//! priority layout, `attemptsMade`) read as their own library counts them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::{queue, run_qtop, snapshot_json, NodeScript, RedisServer};

const SAME: [(&str, &str); 6] = [
    ("active", "active"),
    ("prioritized", "prioritized"),
    ("delayed", "delayed"),
    ("completed", "completed"),
    ("failed", "failed"),
    ("waiting_children", "waiting-children"),
];

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
            let ours = queue(&doc, &queue_name);
            let theirs = &theirs_all[&queue_name];
            let waiting = theirs["waiting"].as_u64().unwrap() + theirs["paused"].as_u64().unwrap();
            assert_eq!(
                ours["counts"]["waiting"], waiting,
                "{queue_name} ({version}) waiting"
            );
            for (our_state, their_state) in SAME {
                assert_eq!(
                    ours["counts"][our_state], theirs[their_state],
                    "{queue_name} ({version}) {our_state}"
                );
            }
            assert_eq!(
                ours["paused"], theirs["isPaused"],
                "{queue_name} ({version}) paused"
            );
            assert!(
                ours["problems"].as_array().unwrap().is_empty(),
                "{queue_name}: {ours}"
            );
        }
        // Failed jobs of every version list with their attempts (`attemptsMade` before v5).
        let url = redis.url();
        let out = run_qtop(
            &["--redis", &url, "--queue", name, "dlq", "list", "--json"],
            Duration::from_secs(30),
        );
        let jobs: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
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
