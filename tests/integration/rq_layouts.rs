//! RQ layouts written by hand: RQ 1.x (plain job ids in the started registry, tracebacks in
//! the job's `exc_info`, no results stream), an abandoned job and a crashed worker (checked
//! against RQ's own cleanup), garbage of every kind, and reading without writing.

use crate::common;

use std::io::Write;
use std::time::Duration;

use crate::common::rq::{enqueue, live_rq_workers, rq_queue, rqctl};
use common::{run_qtop, snapshot_json, RedisServer};

const T: Duration = Duration::from_secs(60);

fn now_s() -> i64 {
    chrono::Utc::now().timestamp()
}

fn iso(offset_s: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::seconds(offset_s))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

fn zlib(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap()
}

fn qtop(url: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--redis", url];
    all.extend_from_slice(args);
    let out = run_qtop(&all, T);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{args:?} ({e})"))
}

/// An RQ 1.x queue `old`: one job waiting (enqueued 30 s ago), one running (a bare id in
/// `rq:wip:old`), one abandoned (its entry expired), one failed with its traceback in
/// `exc_info`, and the 1.x worker running the live one.
fn write_rq1(redis: &RedisServer) {
    let future = (now_s() + 100).to_string();
    let past = (now_s() - 100).to_string();
    let year = (now_s() + 31_536_000).to_string();
    redis.cmd(&["SADD", "rq:queues", "rq:queue:old"]);
    redis.cmd(&["RPUSH", "rq:queue:old", "j-wait"]);
    redis.cmd(&[
        "HSET",
        "rq:job:j-wait",
        "status",
        "queued",
        "origin",
        "old",
        "description",
        "app.send(1)",
        "enqueued_at",
        &iso(-30),
        "created_at",
        &iso(-30),
    ]);
    redis.cmd(&["ZADD", "rq:wip:old", &future, "j-run", &past, "j-lost"]);
    redis.cmd(&[
        "HSET",
        "rq:job:j-run",
        "status",
        "started",
        "origin",
        "old",
        "worker_name",
        "old-1",
    ]);
    redis.cmd(&["ZADD", "rq:failed:old", &year, "j-bad"]);
    redis.cmd(&[
        "HSET",
        "rq:job:j-bad",
        "status",
        "failed",
        "origin",
        "old",
        "description",
        "app.charge(42, retry=True)",
        "created_at",
        &iso(-60),
        "started_at",
        &iso(-50),
        "ended_at",
        &iso(-49),
    ]);
    redis.cmd(&["SADD", "rq:workers", "rq:worker:old-1"]);
    redis.cmd(&[
        "HSET",
        "rq:worker:old-1",
        "birth",
        &iso(-3600),
        "last_heartbeat",
        &iso(-5),
        "queues",
        "old",
        "pid",
        "77",
        "hostname",
        "box",
        "state",
        "busy",
        "current_job",
        "j-run",
        "successful_job_count",
        "12",
        "failed_job_count",
        "1",
        "total_working_time",
        "3.5",
    ]);
    // exc_info is zlib bytes: written with a raw client.
    let trace = zlib("Traceback (most recent call last):\n  File \"app.py\", line 9, in charge\nKeyError: 'card'\n");
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let _: () = redis::cmd("HSET")
        .arg("rq:job:j-bad")
        .arg("exc_info")
        .arg(trace)
        .query(&mut conn)
        .unwrap();
}

#[test]
fn an_rq_1x_layout_reads_with_plain_started_ids_and_exc_info() {
    let redis = RedisServer::start();
    let url = redis.url();
    write_rq1(&redis);
    let doc = snapshot_json(&url, &["--system", "rq"], "1s");
    let old = rq_queue(&doc, "old");
    assert_eq!(old["counts"]["waiting"], 1);
    assert_eq!(old["counts"]["active"], 1, "{old:#}");
    assert_eq!(
        old["unlocked_active"], 1,
        "the expired entry is an abandoned job"
    );
    assert_eq!(old["counts"]["failed"], 1);
    assert_eq!(old["counts"]["completed"], 0);
    let age = old["oldest_waiting_age_s"].as_f64().unwrap();
    assert!((29.0..120.0).contains(&age), "{age}");
    assert_eq!(old["workers"], 1);
    let workers = live_rq_workers(&doc["workers"]);
    assert_eq!(workers[0]["current_job"], "j-run");
    assert_eq!(workers[0]["successful_jobs"], 12);
    assert_eq!(workers[0]["working_time_s"], 3.5);
    assert_eq!(workers[0]["age_s"].as_u64().map(|a| a >= 3599), Some(true));

    let list = qtop(
        &url,
        &["--system", "rq", "--queue", "old", "dlq", "list", "--json"],
    );
    assert_eq!(list[0]["id"], "j-bad");
    assert_eq!(list[0]["name"], "app.charge");
    assert_eq!(list[0]["description"], "app.charge(42, retry=True)");
    assert_eq!(list[0]["failed_reason"], "KeyError: 'card'");
    let detail = qtop(
        &url,
        &[
            "--system", "rq", "--queue", "old", "dlq", "show", "j-bad", "--json",
        ],
    );
    assert!(detail["stacktrace"][0]
        .as_str()
        .unwrap()
        .contains("line 9, in charge"));
    assert!(detail.get("stalled_count").is_none_or(|s| s.is_null()));
    // RQ counts no stalls: the text says nothing of them rather than "0 stalls".
    let out = run_qtop(
        &[
            "--redis", &url, "--system", "rq", "--queue", "old", "dlq", "show", "j-bad",
        ],
        T,
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    let attempts = text.lines().find(|l| l.starts_with("attempts")).unwrap();
    assert!(!attempts.contains("stalls"), "{attempts}");
}

#[test]
fn an_abandoned_job_and_a_crashed_worker_agree_with_rqs_cleanup() {
    let redis = RedisServer::start();
    let url = redis.url();
    // A job a worker took and then died with: in the started registry (2.x member),
    // its entry expired; the worker's hash expired but it is still in rq:workers.
    let id = enqueue(&url, "crash", "tasks.ok", &[], &[]).remove(0);
    redis.cmd(&["LREM", "rq:queue:crash", "1", &id]);
    redis.cmd(&[
        "HSET",
        &format!("rq:job:{id}"),
        "status",
        "started",
        "worker_name",
        "dead-1",
        "started_at",
        &iso(-200),
    ]);
    redis.cmd(&[
        "ZADD",
        "rq:wip:crash",
        &(now_s() - 100).to_string(),
        &format!("{id}:0f1e2d"),
    ]);
    redis.cmd(&["SADD", "rq:workers", "rq:worker:dead-1"]);

    let doc = snapshot_json(&url, &["--system", "rq"], "1s");
    let rq = rqctl(&url, &["figures", "crash"]);
    let ours = rq_queue(&doc, "crash");
    let theirs = &rq["queues"]["crash"];
    assert_eq!(ours["counts"]["active"], theirs["active"]);
    assert_eq!(ours["unlocked_active"], 1);
    // RQ's cleanup (run by its count) moved the abandoned job into the failed registry.
    let after = rqctl(&url, &["figures", "crash"]);
    assert_eq!(
        ours["counts"]["failed"].as_u64().unwrap() + 1,
        after["queues"]["crash"]["failed"].as_u64().unwrap()
    );
    // The crashed worker: stale for qtop, absent from Worker.all() (which SREMs it).
    let stale: Vec<_> = doc["workers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["stale"] == true)
        .collect();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["name"], "dead-1");
    assert!(live_rq_workers(&doc["workers"]).is_empty());
    assert_eq!(rq["workers"].as_array().map(Vec::len), Some(0));
    assert_eq!(ours["workers"], 0);
}

#[test]
fn garbage_under_rq_keys_is_reported_never_fatal() {
    let redis = RedisServer::start();
    let url = redis.url();
    redis.cmd(&[
        "SADD",
        "rq:queues",
        "junk",
        "rq:queue:",
        "rq:queue:bad",
        "rq:queue:ok",
    ]);
    redis.cmd(&["HSET", "rq:queue:bad", "a", "b"]);
    redis.cmd(&["SET", "rq:wip:bad", "x"]);
    redis.cmd(&["SET", "rq:failed:bad", "x"]);
    redis.cmd(&["RPUSH", "rq:queue:ok", "no-such-job", "j2"]);
    redis.cmd(&["HSET", "rq:job:j2", "enqueued_at", "yesterday"]);
    redis.cmd(&["ZADD", "rq:finished:ok", "inf", "forever", "-5", "negative"]);
    redis.cmd(&[
        "SADD",
        "rq:workers",
        "not-a-worker",
        "rq:worker:str",
        "rq:worker:h",
    ]);
    redis.cmd(&["SET", "rq:worker:str", "x"]);
    redis.cmd(&[
        "HSET",
        "rq:worker:h",
        "pid",
        "-1",
        "birth",
        "soon",
        "queues",
        ",,ok,",
    ]);
    redis.cmd(&[
        "XADD",
        "rq:results:bad-1",
        "*",
        "type",
        "2",
        "exc_string",
        "%%%",
    ]);
    redis.cmd(&[
        "ZADD",
        "rq:failed:ok",
        &(now_s() + 1000).to_string(),
        "bad-1",
    ]);
    redis.cmd(&["SET", "rq:results:bad-2", "x"]);
    redis.cmd(&[
        "ZADD",
        "rq:failed:ok",
        &(now_s() + 1000).to_string(),
        "bad-2",
    ]);

    let doc = snapshot_json(&url, &["--system", "rq"], "1s");
    let names: Vec<&str> = doc["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["bad", "ok"]);
    let bad = rq_queue(&doc, "bad");
    let problems = bad["problems"].as_array().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().unwrap().contains("rq:queue:bad")),
        "{bad:#}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.as_str().unwrap().contains("rq:wip:bad")),
        "{bad:#}"
    );
    assert!(
        bad["counts"].get("waiting").is_none(),
        "an unreadable figure is absent, not 0"
    );
    let ok = rq_queue(&doc, "ok");
    assert_eq!(ok["counts"]["waiting"], 2);
    // RQ's cleanup keeps entries scored below 0 and forever: so does qtop's count.
    assert_eq!(ok["counts"]["completed"], 2);
    assert_eq!(ok["oldest_waiting_age_s"], serde_json::Value::Null);
    let h = live_rq_workers(&doc["workers"]);
    assert_eq!(h.len(), 1);
    assert_eq!(h[0]["queues"], serde_json::json!(["ok"]));

    let list = qtop(
        &url,
        &["--system", "rq", "--queue", "ok", "dlq", "list", "--json"],
    );
    assert_eq!(list.as_array().map(Vec::len), Some(2));
    for job in list.as_array().unwrap() {
        assert_eq!(job["failed_reason"], "(job hash is missing)");
    }
    let bad_list = run_qtop(
        &[
            "--redis", &url, "--system", "rq", "--queue", "bad", "dlq", "list",
        ],
        T,
    );
    assert!(
        !bad_list.status.success(),
        "a failed registry of the wrong type is an error"
    );
    let stderr = String::from_utf8_lossy(&bad_list.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn rq_arriving_after_qtop_started_is_found_between_polls() {
    let redis = RedisServer::start();
    let url = redis.url();
    let scards = |r: &RedisServer| {
        let stats = r.cmd(&["INFO", "commandstats"]);
        stats
            .lines()
            .find_map(|l| l.strip_prefix("cmdstat_scard:calls="))
            .and_then(|rest| rest.split(',').next())
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let running = {
        let url = url.clone();
        std::thread::spawn(move || snapshot_json(&url, &["--system", "rq"], "9s"))
    };
    // qtop looked once and found nothing; RQ arrives afterwards.
    common::wait_until("qtop's first look for RQ", T, || scards(&redis) >= 1);
    write_rq1(&redis);
    let doc = running.join().expect("snapshot");
    let old = common::queue(&doc, "old");
    assert_eq!(old["system"], "rq", "{old:#}");
    assert_eq!(old["counts"]["waiting"], 1, "{old:#}");
}

#[test]
fn reading_rq_sends_no_write_and_costs_little_when_rq_is_absent() {
    let redis = RedisServer::start();
    let url = redis.url();
    // RQ absent: polls skip it; only discovery looked (SMEMBERS rq:queues, SCARD rq:workers).
    let empty = snapshot_json(&url, &["--system", "rq"], "0s");
    assert_eq!(empty["poll"]["round_trips"], 0, "{empty:#}");
    assert_eq!(empty["poll"]["commands"], 0, "{empty:#}");

    write_rq1(&redis);
    redis.cmd(&[
        "ACL",
        "SETUSER",
        "watcher",
        "on",
        ">pw",
        "~*",
        "&*",
        "+@all",
        "-@write",
        "-@dangerous",
        "+info",
        "+client|list",
    ]);
    redis.cmd(&["ACL", "LOG", "RESET"]);
    let watcher = format!("{url}?user=watcher&pass=pw");
    for args in [
        vec!["snapshot", "--json", "--window", "2s"],
        vec!["workers", "list", "--json"],
        vec!["--queue", "old", "dlq", "list", "--json"],
        vec!["--queue", "old", "dlq", "show", "j-bad", "--json"],
        vec!["--queue", "old", "dlq", "groups", "--json"],
        vec!["--queue", "old", "dlq", "export"],
    ] {
        let mut all = vec!["--redis", watcher.as_str(), "--system", "rq"];
        all.extend_from_slice(&args);
        let out = run_qtop(&all, T);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let denied = redis.cmd(&["ACL", "LOG"]);
    assert!(
        denied == "(empty array)" || denied.is_empty(),
        "refused commands: {denied}"
    );
}
