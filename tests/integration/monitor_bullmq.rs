//! The monitor against queues written by the real `bullmq` npm package: qtop's counts must
//! equal BullMQ's own `getJobCounts`, and its rates the true rates of a known load.

use crate::common;

use std::time::Duration;

use common::{
    assert_counts_match, assert_rate, load_script, queue, snapshot_json, wait_for_async, Conn,
    NodeScript, RedisServer, SCENARIO_QUEUES,
};
use qtop::model::{PollReport, RateSource};
use qtop::source::bullmq::events::{EventEntry, StreamId, StreamState};
use qtop::source::{Poller, PollerConfig, RedisTarget};

/// Deadline for a fixture to start or finish: generous, only a hung one reaches it.
const T: Duration = Duration::from_secs(60);

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
    kept.wait_for_line("STARTED", T);
    removed.wait_for_line("STARTED", T);
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
    kept.wait_for_line("DONE", T);
    removed.wait_for_line("DONE", T);
}

#[test]
fn below_the_sample_limit_every_job_finished_in_the_window_is_timed() {
    let redis = RedisServer::start();
    // 200 jobs/s: far below the poller's limit (2,048 timed per queue per poll).
    let mut load = load_script(&redis.url(), "busy", "200", "7")
        .args(["--concurrency", "4"])
        .spawn();
    load.wait_for_line("STARTED", T);
    let doc = snapshot_json(&redis.url(), &[], "4s");
    let busy = queue(&doc, "busy");
    let processing = &busy["latency_ms"]["processing"];
    // A snapshot polls every second of its window and keeps every poll's timings: the
    // count is the jobs finished in the window, not one poll's worth.
    let finished =
        busy["rates"]["completed_per_s"].as_f64().unwrap() * doc["window_s"].as_f64().unwrap();
    let timed = processing["count"].as_u64().unwrap() as f64;
    assert!(finished > 400.0, "{busy:#}");
    assert!(
        (timed - finished).abs() <= 0.1 * finished,
        "timed {timed} of {finished}: {busy:#}"
    );
    load.wait_for_line("DONE", T);
}

/// The sampling promise (`PollerConfig::latency_sample`): each poll times at most `limit`
/// finished jobs per queue, exactly `limit` when more finished, and counts every finish.
/// The limit is set low (the default is 2,048) and each poll waits until more than three
/// times that many jobs have finished, so every poll must sample, however fast the machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_times_at_most_its_limit_when_more_jobs_finish() {
    const LIMIT: usize = 32;
    let redis = RedisServer::start();
    let mut load = load_script(&redis.url(), "sampled", "300", "8")
        .args(["--concurrency", "8", "--work-ms", "2"])
        .spawn();
    load.wait_for_line("STARTED", T);
    let target = RedisTarget::parse(&redis.url(), false).unwrap();
    let mut poller = Poller::new(
        target,
        PollerConfig {
            queues: vec!["sampled".into()],
            latency_sample: LIMIT,
            ..PollerConfig::default()
        },
    );
    poller.connect().await.unwrap();
    let sampled = |report: &PollReport| {
        report
            .queues
            .iter()
            .find(|q| q.key.name == "sampled")
            .cloned()
            .unwrap_or_else(|| panic!("no queue in {report:?}"))
    };
    let mut before = sampled(&poller.poll().await.unwrap());
    let mut conn = redis.conn();
    for poll in 0..4 {
        let completed_then = completed(&mut conn);
        wait_for_async(
            &format!("{} more jobs to finish before poll {poll}", 3 * LIMIT),
            T,
            || {
                let now = completed(&mut conn);
                if now >= completed_then + 3 * LIMIT as i64 {
                    Ok(())
                } else {
                    Err(now)
                }
            },
        )
        .await;
        let now = sampled(&poller.poll().await.unwrap());
        let (t_now, t_before) = (now.totals.unwrap(), before.totals.unwrap());
        let finished = (t_now.completed + t_now.failed) - (t_before.completed + t_before.failed);
        assert_eq!(now.rate_source, RateSource::Events, "poll {poll}");
        assert_eq!(
            now.finished_in_interval, finished,
            "poll {poll}: every finish counted"
        );
        assert!(
            finished > LIMIT as u64,
            "poll {poll}: only {finished} finished"
        );
        assert_eq!(now.timings.len(), LIMIT, "poll {poll}: {finished} finished");
        // Timed from the job hashes (the jobs are kept): every one has both timings, and
        // a processing time of at least 1 ms (the jobs sleep 2 ms on Node's timer, which
        // can end up to 1 ms early against the hash's whole-ms timestamps: seen in CI).
        assert!(
            now.timings
                .iter()
                .all(|t| t.wait_ms.is_some() && t.processing_ms.is_some_and(|ms| ms >= 1)),
            "poll {poll}: {:?}",
            now.timings
        );
        before = now;
    }
    load.wait_for_line("DONE", T);
}

fn completed(conn: &mut Conn) -> i64 {
    conn.call(&["ZCARD", "bull:sampled:completed"])
        .unwrap()
        .as_int()
        .unwrap()
}

/// The sample is uniform over the interval (reservoir sampling), not the first or the last
/// jobs to finish: 400 intervals of 1,000 finishes, 50 kept each; every tenth of an
/// interval must get its tenth of the picks, and no job is picked twice.
#[test]
fn the_sample_is_uniform_over_the_interval() {
    const PER_INTERVAL: u64 = 1_000;
    const LIMIT: usize = 50;
    const INTERVALS: u64 = 400;
    let ids: Vec<String> = (0..PER_INTERVAL).map(|i| i.to_string()).collect();
    let mut stream = StreamState::new(None, true);
    let mut per_tenth = [0u64; 10];
    for interval in 0..INTERVALS {
        for (i, id) in ids.iter().enumerate() {
            stream.apply(
                EventEntry {
                    id: StreamId {
                        ms: interval * PER_INTERVAL + i as u64,
                        seq: 0,
                    },
                    event: Some("completed"),
                    job_id: Some(id),
                    ..EventEntry::default()
                },
                LIMIT,
            );
        }
        let taken = stream.take_interval();
        assert_eq!(taken.finished_seen, PER_INTERVAL);
        assert_eq!(taken.sample.len(), LIMIT);
        let mut picked: Vec<u64> = taken
            .sample
            .iter()
            .map(|j| j.job_id.parse().unwrap())
            .collect();
        picked.sort_unstable();
        picked.dedup();
        assert_eq!(
            picked.len(),
            LIMIT,
            "a job picked twice in interval {interval}"
        );
        for i in picked {
            per_tenth[(i * 10 / PER_INTERVAL) as usize] += 1;
        }
    }
    // 2,000 picks expected per tenth (binomial σ ≈ 42): ±10 % is ~5σ.
    let expected = INTERVALS * LIMIT as u64 / 10;
    for (tenth, picks) in per_tenth.iter().enumerate() {
        assert!(
            picks.abs_diff(expected) <= expected / 10,
            "tenth {tenth} of the interval got {picks} picks, expected about {expected}: {per_tenth:?}"
        );
    }
}

#[test]
fn error_rate_counts_final_failures() {
    let redis = RedisServer::start();
    let mut load = load_script(&redis.url(), "flaky", "50", "7")
        .args(["--fail-rate", "0.5", "--seed", "7", "--concurrency", "2"])
        .spawn();
    load.wait_for_line("STARTED", T);
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
    load.wait_for_line("DONE", T);
}

#[test]
fn a_trimmed_events_stream_falls_back_to_count_deltas() {
    let redis = RedisServer::start();
    // A 20-entry stream at ~4 events per job and 200 jobs/s is trimmed between reads.
    let mut load = load_script(&redis.url(), "short", "200", "7")
        .args(["--concurrency", "8", "--max-len-events", "20"])
        .spawn();
    load.wait_for_line("STARTED", T);
    let doc = snapshot_json(&redis.url(), &[], "4s");
    let short = queue(&doc, "short");
    assert_eq!(short["rates"]["source"], "count_deltas", "{short:#}");
    assert_rate(queue(&doc, "short"), "added_per_s", 200.0, 0.1);
    assert_rate(queue(&doc, "short"), "completed_per_s", 200.0, 0.15);
    load.wait_for_line("DONE", T);
}
