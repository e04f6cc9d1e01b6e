//! The dead-letter commands against jobs failed by a real Node BullMQ worker.

use crate::common;

use std::time::Duration;

use common::{run_qtop, NodeScript, RedisServer};
use serde_json::Value;

const T: Duration = Duration::from_secs(60);

/// A private Redis holding the scenario's queues; `billing` has 4 jobs that failed all 3
/// attempts with "card declined for order 1234", and 2 completed.
fn failed_by_node() -> RedisServer {
    let redis = RedisServer::start();
    let mut scenario = NodeScript::new("scenario.js")
        .args(["--redis", &redis.url()])
        .spawn();
    scenario.wait_for_json("READY", T);
    assert!(scenario.stop(T).success());
    redis
}

fn qtop(redis: &RedisServer, args: &[&str]) -> std::process::Output {
    let url = redis.url();
    let mut all = vec!["--redis", url.as_str()];
    all.extend_from_slice(args);
    run_qtop(&all, T)
}

/// `qtop --redis <url> args…` JSON, checked against its schema (`common::qtop_json`).
fn qtop_json(redis: &RedisServer, args: &[&str]) -> Value {
    let url = redis.url();
    let mut all = vec!["--redis", url.as_str()];
    all.extend_from_slice(args);
    common::qtop_json(&all)
}

fn failed_ids(redis: &RedisServer, queue: &str) -> Vec<String> {
    let jobs = qtop_json(redis, &["--queue", queue, "dlq", "list", "--json"]);
    jobs.as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn list_show_and_groups_show_what_node_recorded() {
    let redis = failed_by_node();
    let jobs = qtop_json(&redis, &["--queue", "billing", "dlq", "list", "--json"]);
    let jobs = jobs.as_array().unwrap();
    assert_eq!(jobs.len(), 4);
    for job in jobs {
        assert_eq!(job["name"], "charge");
        assert_eq!(job["failed_reason"], "card declined for order 1234");
        assert_eq!(job["attempts_made"], 3);
        assert!(job["finished_on"].as_i64().unwrap() > 1_700_000_000_000);
    }
    // Newest first: finished_on never increases down the list.
    let times: Vec<i64> = jobs
        .iter()
        .map(|j| j["finished_on"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");

    let id = jobs[0]["id"].as_str().unwrap();
    let detail = qtop_json(&redis, &["--queue", "billing", "dlq", "show", id, "--json"]);
    assert_eq!(detail["id"], id);
    let traces = detail["stacktrace"].as_array().unwrap();
    assert_eq!(traces.len(), 3, "one stack trace per attempt");
    assert!(traces
        .iter()
        .all(|t| t.as_str().unwrap().contains("card declined")));
    assert_eq!(detail["attempts_started"], 3);
    assert_eq!(detail["processed_by"], "w-billing");
    assert_eq!(detail["data"]["kind"], "json");
    assert_eq!(detail["opts"]["kind"], "json");

    let groups = qtop_json(&redis, &["--queue", "billing", "dlq", "groups", "--json"]);
    let groups = groups.as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["reason"], "card declined for order <n>");
    assert_eq!(groups[0]["count"], 4);
    assert_eq!(groups[0]["first_seen"], *times.last().unwrap());
    assert_eq!(groups[0]["last_seen"], times[0]);

    let missing = qtop(&redis, &["--queue", "billing", "dlq", "show", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not in the failed set"));
}

#[test]
fn groups_separate_different_failures() {
    let redis = RedisServer::start();
    let mut conn = redis.conn();
    let reasons = [
        "card declined for order 17",
        "timeout after 3000ms",
        "card declined for order 99",
        "user 'ann' not found",
        "user 'bob' not found",
        "card declined for order 5",
    ];
    for (i, reason) in reasons.iter().enumerate() {
        let id = (i + 1).to_string();
        let at = (1_000 + i).to_string();
        conn.call(&[
            "HSET",
            &format!("bull:g:{id}"),
            "name",
            "n",
            "failedReason",
            reason,
            "atm",
            "1",
        ])
        .unwrap();
        conn.call(&["ZADD", "bull:g:failed", &at, &id]).unwrap();
    }
    let groups = qtop_json(&redis, &["--queue", "g", "dlq", "groups", "--json"]);
    let summary: Vec<(String, u64)> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["reason"].as_str().unwrap().to_string(),
                g["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("card declined for order <n>".to_string(), 3),
            ("user <q> not found".to_string(), 2),
            ("timeout after <n>ms".to_string(), 1),
        ]
    );
    // Acting on a group touches exactly its jobs.
    let group = groups[1]["id"].as_str().unwrap();
    let out = qtop(
        &redis,
        &["--queue", "g", "dlq", "delete", "--group", group, "--yes"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let left = failed_ids(&redis, "g");
    assert_eq!(left.len(), 4);
    assert!(!left.contains(&"4".to_string()) && !left.contains(&"5".to_string()));
}

#[test]
fn retry_leaves_a_job_exactly_as_bullmq_own_retry() {
    let redis = failed_by_node();
    let ids = failed_ids(&redis, "billing");
    let (ours, theirs) = (&ids[0], &ids[1]);
    let out = qtop(&redis, &["--queue", "billing", "dlq", "retry", ours]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    NodeScript::new("retry.js")
        .args([
            "--redis",
            &redis.url(),
            "--queue",
            "billing",
            "--id",
            theirs,
        ])
        .run();

    let fields = |id: &str| {
        let mut names: Vec<String> = redis
            .cmd(&["HKEYS", &format!("bull:billing:{id}")])
            .lines()
            .map(str::to_string)
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        fields(ours),
        fields(theirs),
        "same fields after both retries"
    );
    for field in ["atm", "ats", "failedReason", "finishedOn", "processedOn"] {
        let get = |id: &str| redis.cmd(&["HGET", &format!("bull:billing:{id}"), field]);
        assert_eq!(get(ours), get(theirs), "field {field}");
    }
    assert_eq!(
        redis.cmd(&["HGET", &format!("bull:billing:{ours}"), "failedReason"]),
        "(nil)"
    );
    // Both are waiting now, out of the failed set, and the marker wakes workers.
    let wait = redis.cmd(&["LRANGE", "bull:billing:wait", "0", "-1"]);
    assert!(
        wait.lines().any(|l| l == ours) && wait.lines().any(|l| l == theirs),
        "{wait}"
    );
    assert_eq!(redis.cmd(&["ZSCORE", "bull:billing:failed", ours]), "(nil)");
    assert_ne!(redis.cmd(&["ZCARD", "bull:billing:marker"]), "0");
}

#[test]
fn retry_all_makes_a_real_worker_process_them_again() {
    let redis = failed_by_node();
    let denied = qtop(&redis, &["--queue", "billing", "dlq", "retry", "--all"]);
    assert!(
        !denied.status.success(),
        "no terminal and no --yes: not confirmed"
    );
    assert_eq!(failed_ids(&redis, "billing").len(), 4);

    let outcome = qtop_json(
        &redis,
        &[
            "--queue", "billing", "dlq", "retry", "--all", "--yes", "--json",
        ],
    );
    assert_eq!(outcome["requested"], 4);
    assert_eq!(outcome["done"], 4);
    let mut drain = NodeScript::new("drain.js")
        .args([
            "--redis",
            &redis.url(),
            "--queue",
            "billing",
            "--expect",
            "4",
        ])
        .spawn();
    let done = drain.wait_for_json("DONE", T);
    assert_eq!(done["completed"].as_array().unwrap().len(), 4);
    assert_eq!(done["counts"]["failed"], 0);
    assert_eq!(done["counts"]["completed"], 6);
}

#[test]
fn delete_leaves_nothing_behind() {
    let redis = failed_by_node();
    let ids = failed_ids(&redis, "billing");
    let victim = &ids[0];
    redis.cmd(&[
        "RPUSH",
        &format!("bull:billing:{victim}:logs"),
        "a log line",
    ]);
    let out = qtop(
        &redis,
        &["--queue", "billing", "dlq", "delete", victim, "--yes"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for suffix in ["", ":logs", ":lock"] {
        let key = format!("bull:billing:{victim}{suffix}");
        assert_eq!(redis.cmd(&["EXISTS", &key]), "0", "{key} is left");
    }
    for set in ["failed", "completed", "delayed", "prioritized"] {
        assert_eq!(
            redis.cmd(&["ZSCORE", &format!("bull:billing:{set}"), victim]),
            "(nil)"
        );
    }
    for list in ["wait", "active"] {
        let items = redis.cmd(&["LRANGE", &format!("bull:billing:{list}"), "0", "-1"]);
        assert!(!items.lines().any(|l| l == victim), "{list}");
    }
    // A job that is not failed is never deleted by id.
    let completed = redis.cmd(&["ZRANGE", "bull:billing:completed", "0", "0"]);
    let out = qtop(
        &redis,
        &["--queue", "billing", "dlq", "delete", &completed, "--yes"],
    );
    assert!(!out.status.success());
    assert_eq!(
        redis.cmd(&["EXISTS", &format!("bull:billing:{completed}")]),
        "1"
    );

    let out = qtop(
        &redis,
        &["--queue", "billing", "dlq", "delete", "--all", "--yes"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(redis.cmd(&["ZCARD", "bull:billing:failed"]), "0");
    for id in &ids {
        assert_eq!(redis.cmd(&["EXISTS", &format!("bull:billing:{id}")]), "0");
    }
}

#[test]
fn read_only_refuses_every_write() {
    let redis = failed_by_node();
    let id = failed_ids(&redis, "billing")[0].clone();
    for args in [
        vec![
            "--read-only",
            "--queue",
            "billing",
            "dlq",
            "retry",
            "--all",
            "--yes",
        ],
        vec![
            "--read-only",
            "--queue",
            "billing",
            "dlq",
            "retry",
            id.as_str(),
        ],
        vec![
            "--queue",
            "billing",
            "dlq",
            "delete",
            "--all",
            "--yes",
            "--read-only",
        ],
    ] {
        let out = qtop(&redis, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("read-only"),
            "{args:?}"
        );
    }
    // The environment variable does the same.
    let out = std::process::Command::new(common::qtop_bin())
        .args([
            "--redis",
            &redis.url(),
            "--queue",
            "billing",
            "dlq",
            "delete",
            "--all",
            "--yes",
        ])
        .env("QTOP_READ_ONLY", "1")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        redis.cmd(&["ZCARD", "bull:billing:failed"]),
        "4",
        "nothing changed"
    );
}

#[test]
fn reading_needs_only_a_read_only_acl() {
    let redis = failed_by_node();
    redis.cmd(&[
        "ACL",
        "SETUSER",
        "reader",
        "on",
        ">pw",
        "~*",
        "&*",
        "-@all",
        "+@read",
        "+@connection",
        "+info",
    ]);
    let url = redis.url();
    let with_user = |args: &[&str]| {
        let mut all = vec!["--redis".to_string(), format!("{url}?user=reader&pass=pw")];
        all.extend(args.iter().map(|a| a.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        run_qtop(&all, T)
    };
    for args in [
        vec!["--queue", "billing", "dlq", "list", "--json"],
        vec!["--queue", "billing", "dlq", "groups"],
        vec!["--queue", "billing", "dlq", "export"],
        vec!["snapshot", "--window", "0s"],
    ] {
        let out = with_user(&args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn export_writes_every_job_as_json_lines() {
    let redis = failed_by_node();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dead.jsonl");
    let out = qtop(
        &redis,
        &[
            "--queue",
            "billing",
            "dlq",
            "export",
            "--out",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = common::read_export(&file);
    assert_eq!(lines.len(), 4);
    for line in &lines {
        assert_eq!(line["failed_reason"], "card declined for order 1234");
        assert_eq!(line["stacktrace"].as_array().unwrap().len(), 3);
        assert!(line["data"].is_object());
    }
}

#[test]
fn a_hundred_thousand_failed_jobs_page_without_loading_all() {
    let redis = RedisServer::start();
    // Made server-side in one script: 100,000 failed jobs.
    redis.cmd(&[
        "EVAL",
        "for i = 1, 100000 do \
           redis.call('HSET', 'bull:big:' .. i, 'name', 'n', 'failedReason', 'boom ' .. i, 'atm', '1') \
           redis.call('ZADD', 'bull:big:failed', 1700000000000 + i, i) \
         end return 1",
        "0",
    ]);
    let jobs = qtop_json(
        &redis,
        &["--queue", "big", "dlq", "list", "--json", "--limit", "3"],
    );
    let ids: Vec<&str> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["100000", "99999", "99998"]);
    let page = qtop_json(
        &redis,
        &[
            "--queue", "big", "dlq", "list", "--json", "--limit", "2", "--offset", "99998",
        ],
    );
    let ids: Vec<&str> = page
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["2", "1"]);
    let groups = qtop_json(&redis, &["--queue", "big", "dlq", "groups", "--json"]);
    assert_eq!(groups[0]["count"], 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_reader_serves_pages_details_and_groups() {
    use qtop::model::QueueKey;
    use qtop::source::dlq_task::{spawn_dlq_reader, DlqAnswer, DlqWant};
    use qtop::source::RedisTarget;

    let redis = failed_by_node();
    let cancel = tokio_util::sync::CancellationToken::new();
    let target = RedisTarget::parse(&redis.url(), false).unwrap();
    let (task, want, mut answers) = spawn_dlq_reader(target, cancel.clone());
    let queue = QueueKey::bullmq("bull", "billing");
    want.send_replace(DlqWant {
        seq: 1,
        queue: Some(queue.clone()),
        offset: 0,
        limit: 2,
        detail: None,
        groups: true,
        ..DlqWant::default()
    });
    async fn next(answers: &mut tokio::sync::mpsc::Receiver<DlqAnswer>) -> DlqAnswer {
        tokio::time::timeout(Duration::from_secs(10), answers.recv())
            .await
            .unwrap()
            .unwrap()
    }
    let DlqAnswer::Page { seq, page, .. } = next(&mut answers).await else {
        panic!("a page first")
    };
    assert_eq!((seq, page.total, page.jobs.len()), (1, 4, 2));
    let first_id = page.jobs[0].id.clone();
    let DlqAnswer::Groups {
        groups, scanned, ..
    } = next(&mut answers).await
    else {
        panic!("then groups")
    };
    assert_eq!((groups.len(), scanned), (1, 4));

    want.send_replace(DlqWant {
        seq: 1,
        queue: Some(queue),
        offset: 0,
        limit: 2,
        detail: Some(first_id.clone()),
        groups: true,
        ..DlqWant::default()
    });
    let DlqAnswer::Detail { detail, .. } = next(&mut answers).await else {
        panic!("only the detail is new")
    };
    let detail = detail.unwrap();
    assert_eq!(detail.job.id, first_id);
    assert_eq!(detail.stacktrace.len(), 3);
    cancel.cancel();
    task.await.unwrap();
}
