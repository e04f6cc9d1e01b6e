//! The monitor against queues written by the real `bullmq` npm package: qtop's counts must
//! equal BullMQ's own `getJobCounts`, and its rates the true rates of a known load.

use crate::common;

use std::time::Duration;

use common::{
    assert_counts_match, assert_rate, load_script, queue, snapshot_json, NodeScript, RedisServer,
    SCENARIO_QUEUES,
};

#[test]
fn counts_equal_bullmq_get_job_counts_in_every_state() {
    let redis = RedisServer::start();
    let mut scenario = NodeScript::new("scenario.js")
        .args(["--redis", &redis.url()])
        .spawn();
    let bull = scenario.wait_for_json("READY", Duration::from_secs(60));
    let doc = snapshot_json(&redis.url(), &[], "1s");

    for name in SCENARIO_QUEUES {
        let ours = queue(&doc, name);
        assert_counts_match(ours, &bull[name], name);
        assert_eq!(ours["library"], "bullmq:6.7.0", "{name} library");
    }

    // The held job is locked by a live worker, and that worker is listed.
    let reports = queue(&doc, "reports");
    assert_eq!(reports["unlocked_active"], 0);
    assert_eq!(reports["workers"], 1);
    let worker = doc["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["queue"] == "reports")
        .expect("reports worker listed");
    assert_eq!(worker["name"], "w-reports");
    assert_eq!(worker["library"], "node");
    assert_eq!(worker["prefix"], "bull");
    assert!(worker["addr"].as_str().is_some_and(|a| !a.is_empty()));

    // Jobs have waited since the scenario added them; a queue with nothing waiting is 0.
    assert!(
        queue(&doc, "emails")["oldest_waiting_age_s"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert_eq!(queue(&doc, "billing")["oldest_waiting_age_s"], 0.0);
    assert_eq!(
        doc["redis"]["version"].as_str().map(|v| v.starts_with('7')),
        Some(true)
    );
    assert!(doc["poll"]["round_trips"].as_u64().unwrap() >= 2);
    assert!(doc["taken_at"].as_str().unwrap().contains('T'));

    assert!(scenario.stop(Duration::from_secs(30)).success());
}

#[test]
fn an_active_job_whose_lock_expired_is_reported_unlocked() {
    let redis = RedisServer::start();
    let mut scenario = NodeScript::new("scenario.js")
        .args(["--redis", &redis.url()])
        .spawn();
    scenario.wait_for_json("READY", Duration::from_secs(60));
    // What a SIGKILLed worker leaves behind: the job in `active`, its lock gone.
    let active = redis.cmd(&["LRANGE", "bull:reports:active", "0", "-1"]);
    let job_id = active.lines().next().expect("an active job").to_string();
    redis.cmd(&["DEL", &format!("bull:reports:{job_id}:lock")]);
    let doc = snapshot_json(&redis.url(), &[], "0s");
    assert_eq!(queue(&doc, "reports")["unlocked_active"], 1);
    scenario.kill();
}

#[test]
fn rates_match_a_load_of_known_rate_even_when_jobs_are_removed() {
    let redis = RedisServer::start();
    // 40 jobs/s for 8 s on each queue; one keeps its jobs, one removes them on completion.
    let mut kept = load_script(&redis.url(), "kept", "40", "8")
        .args(["--work-ms", "5", "--concurrency", "4"])
        .spawn();
    let mut removed = load_script(&redis.url(), "removed", "40", "8")
        .args([
            "--work-ms",
            "5",
            "--concurrency",
            "4",
            "--remove-on-complete",
        ])
        .spawn();
    std::thread::sleep(Duration::from_millis(1500));
    let doc = snapshot_json(&redis.url(), &[], "4s");
    for name in ["kept", "removed"] {
        assert_rate(queue(&doc, name), "added_per_s", 40.0, 0.1);
        assert_rate(queue(&doc, name), "completed_per_s", 40.0, 0.15);
        assert_eq!(queue(&doc, name)["rates"]["failed_per_s"], 0.0);
        assert_eq!(queue(&doc, name)["rates"]["source"], "events");
        let processing = &queue(&doc, name)["latency_ms"]["processing"];
        assert!(
            processing["count"].as_u64().unwrap() > 50,
            "{name}: {processing}"
        );
        // The processor sleeps 5 ms: processing time is at least that, and not absurd.
        assert!(
            processing["p50"].as_u64().unwrap() >= 5,
            "{name}: {processing}"
        );
        assert!(
            processing["p50"].as_u64().unwrap() < 200,
            "{name}: {processing}"
        );
    }
    // Removed jobs leave no trace in `completed`, yet their rate was measured.
    assert_eq!(queue(&doc, "removed")["counts"]["completed"], 0);
    kept.wait_for_line("DONE", Duration::from_secs(60));
    removed.wait_for_line("DONE", Duration::from_secs(60));
}

#[test]
fn a_snapshot_times_a_sample_of_every_second_of_its_window() {
    let redis = RedisServer::start();
    // 400 jobs/s: more than the poller's latency sample (256 per queue per poll) each second.
    let mut load = load_script(&redis.url(), "busy", "400", "7")
        .args(["--concurrency", "4"])
        .spawn();
    std::thread::sleep(Duration::from_millis(1500));
    let doc = snapshot_json(&redis.url(), &[], "4s");
    let processing = &queue(&doc, "busy")["latency_ms"]["processing"];
    // One sample per poll, once a second: about 4 × 256, not 256 for the whole window.
    assert!(processing["count"].as_u64().unwrap() > 600, "{processing}");
    load.wait_for_line("DONE", Duration::from_secs(60));
}

#[test]
fn error_rate_counts_final_failures() {
    let redis = RedisServer::start();
    let mut load = load_script(&redis.url(), "flaky", "50", "7")
        .args(["--fail-rate", "0.5", "--seed", "7", "--concurrency", "2"])
        .spawn();
    std::thread::sleep(Duration::from_millis(1500));
    let doc = snapshot_json(&redis.url(), &[], "4s");
    let flaky = queue(&doc, "flaky");
    let completed = flaky["rates"]["completed_per_s"].as_f64().unwrap();
    let failed = flaky["rates"]["failed_per_s"].as_f64().unwrap();
    let error_rate = flaky["rates"]["error_rate"].as_f64().unwrap();
    assert!((completed + failed - 50.0).abs() <= 7.5, "{flaky:#}");
    assert!(
        (error_rate - failed / (completed + failed)).abs() < 0.02,
        "{flaky:#}"
    );
    // About 200 jobs at p = 0.5: the failure share is far from 0 and from 1.
    assert!((0.3..=0.7).contains(&error_rate), "{flaky:#}");
    load.wait_for_line("DONE", Duration::from_secs(60));
}

#[test]
fn a_trimmed_events_stream_falls_back_to_count_deltas() {
    let redis = RedisServer::start();
    // A 20-entry stream at ~4 events per job and 200 jobs/s is trimmed between reads.
    let mut load = load_script(&redis.url(), "short", "200", "7")
        .args(["--concurrency", "8", "--max-len-events", "20"])
        .spawn();
    std::thread::sleep(Duration::from_millis(1500));
    let doc = snapshot_json(&redis.url(), &[], "4s");
    let short = queue(&doc, "short");
    assert_eq!(short["rates"]["source"], "count_deltas", "{short:#}");
    assert_rate(queue(&doc, "short"), "added_per_s", 200.0, 0.1);
    assert_rate(queue(&doc, "short"), "completed_per_s", 200.0, 0.15);
    load.wait_for_line("DONE", Duration::from_secs(60));
}
