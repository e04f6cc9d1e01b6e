//! RQ against real `rq worker` processes (RQ 2.12.0 from PyPI, tests/rq/requirements.txt)
//! and jobs enqueued through RQ's API: qtop's figures equal what RQ's own API reports
//! (read after qtop, because RQ's reads clean up), BullMQ on the same Redis stays exact,
//! rates and timings follow jobs finishing, a retried job runs again on a real worker,
//! and `qtop workers stop` makes a real worker stop its job or exit.

use crate::common;

use std::time::Duration;

use crate::common::poller::{one_thread_runtime, poll, system_poller};
use crate::common::rq::{
    assert_figures_match, enqueue, live_rq_workers, rq_queue, rqctl, RqWorker,
};
use common::{
    assert_counts_match, queue, run_qtop, snapshot_json, wait_until, NodeScript, RedisServer,
    SCENARIO_QUEUES,
};
use qtop::model::System;

const T: Duration = Duration::from_secs(60);

fn zcard(redis: &RedisServer, key: &str) -> u64 {
    redis.cmd(&["ZCARD", key]).trim().parse().unwrap_or(0)
}

#[test]
fn figures_equal_rqs_own_api_and_bullmq_on_the_same_redis_stays_exact() {
    let redis = RedisServer::start();
    let url = redis.url();
    let mut scenario = NodeScript::new("scenario.js")
        .args(["--redis", &url])
        .spawn();
    let bull = scenario.wait_for_json("READY", T);

    // mail: 3 done, 2 failed. reports: one job held by a worker, 4 behind it, 2 scheduled
    // in 10 minutes, one waiting on the held job.
    enqueue(&url, "mail", "tasks.ok", &["1"], &["--count", "3"]);
    enqueue(&url, "mail", "tasks.fail", &[], &["--count", "2"]);
    let held = enqueue(&url, "reports", "tasks.slow", &["600"], &[]);
    enqueue(&url, "reports", "tasks.ok", &["2"], &["--count", "4"]);
    enqueue(
        &url,
        "reports",
        "tasks.ok",
        &["3"],
        &["--count", "2", "--in", "600"],
    );
    enqueue(
        &url,
        "reports",
        "tasks.ok",
        &[],
        &["--depends-on", &held[0]],
    );
    RqWorker::start(&url, "mail-burst", &["mail"], &["--burst"]).wait_exit(T);
    let _reports = RqWorker::start(&url, "reports-1", &["reports", "mail"], &[]);
    wait_until("the held job to start", T, || {
        zcard(&redis, "rq:wip:reports") == 1
    });

    let doc = snapshot_json(&url, &[], "2s");
    let rq = rqctl(&url, &["figures", "mail", "reports"]);

    for name in ["mail", "reports"] {
        let ours = rq_queue(&doc, name);
        assert_figures_match(ours, &rq["queues"][name], name);
        assert_eq!(ours["unlocked_active"], 0, "{name}");
        assert_eq!(ours["rates"]["source"], "estimated", "{name}");
        assert_eq!(ours["paused"], false, "{name}: rq suspend is off");
        assert_eq!(ours["library"], "rq:2.12.0", "{name}");
    }
    let reports = rq_queue(&doc, "reports");
    assert_eq!(reports["counts"]["waiting"], 4);
    assert_eq!(reports["counts"]["active"], 1);
    // qtop read the head job's enqueued_at before RQ did.
    let ours = reports["oldest_waiting_age_s"].as_f64().unwrap();
    let theirs = rq["queues"]["reports"]["head_age_s"].as_f64().unwrap();
    assert!(
        ours > 0.0 && ours <= theirs + 0.5 && ours >= theirs - 30.0,
        "{ours} vs {theirs}"
    );
    assert_eq!(rq_queue(&doc, "mail")["oldest_waiting_age_s"], 0.0);

    // Workers: exactly Worker.all(), field by field.
    let ours = live_rq_workers(&doc["workers"]);
    let theirs = rq["workers"].as_array().unwrap();
    assert_eq!(ours.len(), theirs.len(), "qtop {ours:#?} vs RQ {theirs:#?}");
    for (w, r) in ours.iter().zip(theirs) {
        assert_eq!(w["name"], r["name"]);
        assert_eq!(w["queues"], r["queues"]);
        assert_eq!(w["state"], r["state"]);
        assert_eq!(w["current_job"], r["current_job"]);
        assert_eq!(w["pid"], r["pid"]);
        assert_eq!(w["host"], r["hostname"]);
        assert_eq!(w["library"], "rq");
        assert_eq!(w["busy"], 1);
        assert!(w["beat_age_s"].as_f64().is_some_and(|s| s >= 0.0));
    }
    assert_eq!(ours[0]["current_job"], held[0].as_str());

    // BullMQ's queues on the same Redis are exactly what BullMQ counts.
    for name in SCENARIO_QUEUES {
        let ours = queue(&doc, name);
        assert_eq!(ours["system"], "bullmq");
        assert_counts_match(ours, &bull[name], name);
    }
    assert!(scenario.stop(T).success());
}

/// One poll through the library.

#[test]
fn rates_and_timings_follow_jobs_finishing_between_polls_in_constant_round_trips() {
    let redis = RedisServer::start();
    let url = redis.url();
    // Quiet queues around the busy one: a poll stays three round trips at most.
    for i in 0..30 {
        enqueue(&url, &format!("quiet-{i}"), "tasks.ok", &[], &[]);
    }
    enqueue(&url, "busy", "tasks.ok", &[], &[]);
    let runtime = one_thread_runtime();
    let mut poller = system_poller(&url, System::Rq);
    let first = poll(&runtime, &mut poller);
    assert_eq!(first.queues.len(), 31);
    let totals = |report: &qtop::model::PollReport| {
        report
            .queues
            .iter()
            .find(|q| q.key.name == "busy")
            .and_then(|q| q.totals)
            .unwrap()
    };
    assert_eq!(
        totals(&first).completed,
        0,
        "the first reading is the baseline"
    );

    enqueue(&url, "busy", "tasks.ok", &[], &["--count", "10"]);
    enqueue(&url, "busy", "tasks.fail", &[], &["--count", "3"]);
    RqWorker::start(&url, "busy-burst", &["busy"], &["--burst"]).wait_exit(T);
    let second = poll(&runtime, &mut poller);
    let busy = second.queues.iter().find(|q| q.key.name == "busy").unwrap();
    let counted = totals(&second);
    // 11 done (the one enqueued before the first poll too), 3 failed, 13 added.
    assert_eq!(
        (counted.completed, counted.failed, counted.added),
        (11, 3, 13)
    );
    assert_eq!(busy.finished_in_interval, 14);
    assert_eq!(busy.timings.len(), 14);
    assert!(busy
        .timings
        .iter()
        .all(|t| t.wait_ms.is_some() && t.processing_ms.is_some()));
    assert!(second.poll.round_trips <= 3, "{:?}", second.poll);
    let quiet = poll(&runtime, &mut poller);
    assert!(quiet.poll.round_trips <= 2, "{:?}", quiet.poll);
    assert_eq!(totals(&quiet), counted);
}

fn qtop(url: &str, args: &[&str]) -> std::process::Output {
    let mut all = vec!["--redis", url];
    all.extend_from_slice(args);
    run_qtop(&all, T)
}

#[test]
fn a_retried_dead_letter_runs_again_on_a_real_worker_and_a_delete_is_rqs() {
    let redis = RedisServer::start();
    let url = redis.url();
    let marker = redis.dir().join("flaky-marker");
    let flaky = enqueue(
        &url,
        "flaky",
        "tasks.flaky",
        &[marker.to_str().unwrap()],
        &[],
    );
    let doomed = enqueue(&url, "flaky", "tasks.fail", &["no such card"], &[]);
    RqWorker::start(&url, "first", &["flaky"], &["--burst"]).wait_exit(T);

    let rq_list = ["--system", "rq", "--queue", "flaky", "dlq"];
    let out = qtop(&url, &[&rq_list[..], &["list", "--json"]].concat());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let job = list
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == flaky[0].as_str())
        .expect("the flaky job is a dead letter");
    assert_eq!(job["name"], "tasks.flaky");
    assert_eq!(job["failed_reason"], "RuntimeError: first attempt fails");
    assert!(job["description"]
        .as_str()
        .unwrap()
        .contains("flaky-marker"));
    let out = qtop(
        &url,
        &[&rq_list[..], &["show", &doomed[0], "--json"]].concat(),
    );
    let detail: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(detail["failed_reason"], "ValueError: no such card");
    assert!(detail["stacktrace"][0]
        .as_str()
        .unwrap()
        .contains("Traceback"));
    assert_eq!(detail["processed_by"], "first");

    // --read-only refuses before touching anything.
    let out = qtop(
        &url,
        &[
            &["--read-only"][..],
            &rq_list[..],
            &["retry", &flaky[0], "--yes"],
        ]
        .concat(),
    );
    assert!(!out.status.success());
    assert_eq!(rqctl(&url, &["job", &flaky[0]])["status"], "failed");

    let out = qtop(
        &url,
        &[&rq_list[..], &["retry", &flaky[0], "--yes"]].concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let job = rqctl(&url, &["job", &flaky[0]]);
    assert_eq!(
        (job["status"].as_str(), job["in_failed"].as_bool()),
        (Some("queued"), Some(false))
    );
    let figures = rqctl(&url, &["figures", "flaky"]);
    assert_eq!(figures["queues"]["flaky"]["waiting"], 1);
    RqWorker::start(&url, "second", &["flaky"], &["--burst"]).wait_exit(T);
    let job = rqctl(&url, &["job", &flaky[0]]);
    assert_eq!(job["status"], "finished", "{job}");
    assert_eq!(job["worker_name"], "second");

    let out = qtop(
        &url,
        &[&rq_list[..], &["delete", &doomed[0], "--yes"]].concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        redis
            .cmd(&["EXISTS", &format!("rq:job:{}", doomed[0])])
            .trim(),
        "0"
    );
    let figures = rqctl(&url, &["figures", "flaky"]);
    assert_eq!(figures["queues"]["flaky"]["failed"], 0);
    // A second delete finds nothing to delete, and says so.
    let out = qtop(
        &url,
        &[&rq_list[..], &["delete", &doomed[0], "--yes", "--json"]].concat(),
    );
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    assert_eq!(outcome["done"], 0, "{outcome}");
}

#[test]
fn workers_stop_makes_a_real_worker_stop_its_job_then_exit() {
    let redis = RedisServer::start();
    let url = redis.url();
    let mut worker = RqWorker::start(&url, "stopper", &["long"], &[]);
    let job = enqueue(&url, "long", "tasks.slow", &["600"], &[]);
    wait_until("the job to start", T, || zcard(&redis, "rq:wip:long") == 1);

    let out = qtop(&url, &["workers", "stop", "stopper", "--job", "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_until("the stopped job in the failed registry", T, || {
        zcard(&redis, "rq:failed:long") == 1
    });
    let out = qtop(
        &url,
        &["--system", "rq", "--queue", "long", "dlq", "list", "--json"],
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list[0]["id"], job[0].as_str());
    assert!(
        list[0]["failed_reason"]
            .as_str()
            .unwrap()
            .contains("stopped"),
        "{list}"
    );
    assert!(
        worker.exited().is_none(),
        "stop --job leaves the worker running"
    );

    // Read-only: refused, nothing sent.
    let out = qtop(
        &url,
        &["--read-only", "workers", "stop", "stopper", "--yes"],
    );
    assert!(!out.status.success());
    assert!(worker.exited().is_none());

    let out = qtop(&url, &["workers", "stop", "stopper", "--yes", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outcome: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(outcome["control"], "stop");
    assert_eq!(outcome["system"], "rq");
    let status = worker.wait_exit(T);
    assert!(status.success(), "{status:?}: {}", worker.log());
    let out = qtop(&url, &["workers", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(live_rq_workers(&listed).is_empty(), "{listed:#}");

    // A worker listed in Redis that nobody runs: PUBLISH reaches nobody, and qtop says so.
    redis.cmd(&["HSET", "rq:worker:ghost", "queues", "long", "state", "idle"]);
    redis.cmd(&["SADD", "rq:workers", "rq:worker:ghost"]);
    let out = qtop(&url, &["workers", "stop", "ghost", "--yes"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("reached nobody"), "{stderr}");
}
