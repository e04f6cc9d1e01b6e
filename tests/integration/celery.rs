//! Celery against real `celery worker` processes (Celery 5.5.3 / kombu 5.5.4 from PyPI,
//! tests/celery/requirements.txt) on the test's redis-server: qtop's depth equals the
//! broker's lists, its workers are those answering `celery inspect ping` with their active
//! tasks as busy, task events count what was sent, grow/shrink change the real pool and
//! stop makes the worker exit; reading sends no write and leaves a running late-ack task
//! alone (where a kombu client pushes it back), and BullMQ on the same Redis stays exact.

use crate::common;

use std::time::Duration;

use crate::common::celery::{
    broker_depth, celery_queue, celeryctl, celeryctl_with, live_celery_workers, send, CeleryWorker,
};
use crate::common::poller::{one_thread_runtime, poll, system_poller};
use common::{
    assert_counts_match, qtop_json, queue, run_qtop, snapshot_json, wait_for, wait_until,
    NodeScript, RedisServer, SCENARIO_QUEUES,
};
use qtop::model::{PollReport, RateSource, System};

const T: Duration = Duration::from_secs(60);

fn int(redis: &RedisServer, args: &[&str]) -> u64 {
    redis.cmd(args).trim().parse().unwrap_or(0)
}

/// `qtop args…` (a `workers` command with `--json`: no schema of its own), parsed.
fn workers_json(args: &[&str]) -> serde_json::Value {
    let out = run_qtop(args, T);
    assert!(
        out.status.success(),
        "qtop {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn pool_size(broker: &str, worker: &str) -> usize {
    let stats = celeryctl(broker, &["stats"]);
    stats[worker]["pool"]["processes"]
        .as_array()
        .map_or(0, Vec::len)
}

#[test]
fn depth_workers_and_busy_equal_celerys_own_and_bullmq_on_the_same_redis_stays_exact() {
    let redis = RedisServer::start_tcp();
    let url = redis.tcp_url();
    let mut scenario = NodeScript::new("scenario.js")
        .args(["--redis", &url])
        .spawn();
    let bull = scenario.wait_for_json("READY", T);

    // `low` has no worker: 3 messages at priority 0, 2 at priority 9 (another list).
    send(&url, "low", "tasks.nap", 3, Some("0"), None);
    send(&url, "low", "tasks.nap", 2, Some("0"), Some(9));
    // `celery`: two long tasks run on w1 (concurrency 2), three more wait prefetched.
    let worker = CeleryWorker::start(&url, "w1@qtop", &["celery"], 2, &[]);
    worker.wait_ready(&url, T);
    send(&url, "celery", "tasks.nap", 5, Some("60"), None);
    wait_until("2 tasks running and 3 prefetched", T, || {
        int(&redis, &["HLEN", "unacked"]) == 3 && broker_depth(&redis, "celery") == 0
    });

    let doc = snapshot_json(&url, &[], "3s");
    let active = celeryctl(&url, &["active"]);
    let ping = celeryctl(&url, &["ping"]);

    let low = celery_queue(&doc, "low");
    assert_eq!(low["counts"]["waiting"], broker_depth(&redis, "low"));
    assert_eq!(low["counts"]["waiting"], 5);
    assert_eq!(low["counts"]["reserved"], 0);
    // No enqueue time in Celery's messages: a lower bound, from qtop's first sighting of
    // the message next in line (seen at several polls of the 3 s window), never a fake 0.
    let age = low["oldest_waiting_age_s"].as_f64().unwrap();
    assert!(age > 0.0 && age < 30.0, "{low:#}");
    assert_eq!(low["oldest_is_lower_bound"], true);
    let celery = celery_queue(&doc, "celery");
    assert_eq!(celery["counts"]["waiting"], 0);
    assert_eq!(
        celery["counts"]["reserved"],
        int(&redis, &["HLEN", "unacked"])
    );
    // Two queues, and heartbeats name no queue: per-queue active and workers are unknown.
    assert!(celery["counts"].get("active").is_none(), "{celery:#}");
    assert_eq!(celery["workers"], serde_json::Value::Null);
    assert_eq!(celery["library"], "celery:5.5.3");
    assert_eq!(celery["oldest_is_lower_bound"], true);

    let ours = live_celery_workers(&doc["workers"]);
    let theirs: Vec<&String> = ping.as_object().unwrap().keys().collect();
    assert_eq!(
        ours.iter()
            .map(|w| w["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        theirs.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "qtop {ours:#?} vs ping {ping:#}"
    );
    let w1 = ours[0];
    assert_eq!(
        w1["busy"].as_u64(),
        active["w1@qtop"].as_array().map(|a| a.len() as u64)
    );
    assert_eq!(w1["busy"], 2);
    assert_eq!(w1["library"], "celery");
    assert!(w1["pid"].as_u64().is_some());
    assert!(w1["processed"].as_u64().is_some(), "{w1:#}");
    assert_eq!(w1["loadavg"].as_array().map(Vec::len), Some(3));
    assert!(w1["beat_age_s"].as_f64().is_some_and(|s| s < 4.0));

    for name in SCENARIO_QUEUES {
        let ours = queue(&doc, name);
        assert_eq!(ours["system"], "bullmq");
        assert_counts_match(ours, &bull[name], name);
    }
    assert!(scenario.stop(T).success());

    // 100 more queues with a message each: a poll stays two round trips at most.
    for i in 0..100 {
        let name = format!("extra{i}");
        let member = format!("{name}\x06\x16\x06\x16{name}");
        redis.cmd(&["SADD", &format!("_kombu.binding.{name}"), &member]);
        redis.cmd(&["LPUSH", &name, "{\"body\": \"W10=\", \"headers\": {}}"]);
    }
    let doc = snapshot_json(&url, &["--system", "celery"], "0s");
    let queues = doc["queues"].as_array().unwrap();
    assert_eq!(queues.len(), 102, "{doc:#}");
    assert_eq!(celery_queue(&doc, "extra7")["counts"]["waiting"], 1);
    assert!(
        doc["poll"]["round_trips"].as_u64().unwrap() <= 2,
        "{}",
        doc["poll"]
    );
}

#[test]
fn task_events_count_what_was_sent_and_time_it() {
    let redis = RedisServer::start_tcp();
    let broker = format!("{}/3", redis.tcp_url());
    let worker = CeleryWorker::start(&broker, "ev@qtop", &["celery"], 2, &["-E"]);
    worker.wait_ready(&broker, T);
    let runtime = one_thread_runtime();
    let mut poller = system_poller(&broker, System::Celery);
    poll(&runtime, &mut poller);
    runtime.block_on(poller.settle());
    let report = poll(&runtime, &mut poller);
    let base = report.queues[0].totals.unwrap_or_default();
    assert_eq!(report.workers.len(), 1, "{:?}", report.workers);
    // The only queue: its worker serves it.
    assert_eq!(report.workers[0].queue, "celery");

    send(&broker, "celery", "tasks.nap", 5, Some("0.2"), None);
    send(&broker, "celery", "tasks.boom", 3, None, None);
    let mut timed = 0;
    let totals = wait_for("8 tasks counted from task events", T, || {
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(300)).await });
        let report = poll(&runtime, &mut poller);
        let reading = &report.queues[0];
        assert_eq!(reading.key.system, System::Celery);
        timed += reading
            .timings
            .iter()
            .filter(|t| t.processing_ms.is_some_and(|ms| ms < 60_000))
            .count();
        let totals = reading.totals.unwrap_or_default();
        let done = (
            totals.completed - base.completed,
            totals.failed - base.failed,
        );
        if reading.rate_source == RateSource::Events && done == (5, 3) {
            Ok(totals)
        } else {
            Err((reading.rate_source, done))
        }
    });
    // task-failed events carry no runtime: the 5 that succeeded are timed.
    assert_eq!(timed, 5, "every succeeded task's runtime");
    assert!(totals.added >= base.added + 8, "{totals:?} vs {base:?}");
    let report = poll(&runtime, &mut poller);
    assert_eq!(
        report.queues[0].totals.map(|t| t.completed),
        Some(totals.completed)
    );

    // A second worker without -E: its tasks are in no task event. On one queue qtop counts
    // from the workers' processed counters instead, and says why.
    let silent = CeleryWorker::start(&broker, "silent@qtop", &["celery"], 2, &[]);
    silent.wait_ready(&broker, T);
    wait_for("both workers beating", T, || {
        let report = poll(&runtime, &mut poller);
        let live = report.workers.iter().filter(|w| !w.stale).count();
        if live == 2 {
            Ok(())
        } else {
            Err(live)
        }
    });
    let base = poll(&runtime, &mut poller).queues[0]
        .totals
        .unwrap_or_default();
    send(&broker, "celery", "tasks.nap", 24, Some("0.2"), None);
    // Counted from task events until the silent worker's beat shows its pool took tasks,
    // then from every worker's `processed`: a task whose event and whose beat fall on
    // either side of that switch can be counted twice or not at all, which is why these
    // rates are marked estimated. So: named, estimated, and the tasks counted within one
    // per pool slot (2 workers × 2).
    let mut named_and_estimated = false;
    wait_for("the silent worker named, the tasks counted", T, || {
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(300)).await });
        let report = poll(&runtime, &mut poller);
        let reading = &report.queues[0];
        let done = reading.totals.unwrap_or_default().completed - base.completed;
        let named = reading
            .problems
            .iter()
            .any(|p| p.contains("silent@qtop") && p.contains("-E"));
        named_and_estimated |= named && reading.rate_source == RateSource::Estimated;
        if named_and_estimated && done + 4 >= 24 {
            Ok(())
        } else {
            Err((reading.rate_source, named, done))
        }
    });
    drop(silent);
    drop(worker);

    // Two queues: events carry no queue, so each task is placed by the message qtop saw
    // (its id at a list's head, or in `unacked`) or by its task name seen in one queue.
    let broker = format!("{}/4", redis.tcp_url());
    send(&broker, "celery", "tasks.nap", 4, Some("0"), None);
    send(&broker, "low", "tasks.boom", 3, None, None);
    let mut poller = system_poller(&broker, System::Celery);
    poll(&runtime, &mut poller);
    poll(&runtime, &mut poller);
    let mut worker = CeleryWorker::start(&broker, "two@qtop", &["celery", "low"], 2, &["-E"]);
    let per_queue = |report: &PollReport, name: &str| {
        let reading = report.queues.iter().find(|q| q.key.name == name).unwrap();
        let totals = reading.totals.unwrap_or_default();
        (totals.completed, totals.failed)
    };
    wait_for("each queue's tasks counted in it", T, || {
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(300)).await });
        let report = poll(&runtime, &mut poller);
        let seen = (per_queue(&report, "celery"), per_queue(&report, "low"));
        if seen == ((4, 0), (0, 3)) {
            Ok(())
        } else {
            Err(seen)
        }
    });

    // kill -9: no worker-offline, the heartbeats stop; stale after Celery's expiry (2 × 2 s).
    worker.kill();
    wait_for("the killed worker to go stale", T, || {
        runtime.block_on(async { tokio::time::sleep(Duration::from_millis(500)).await });
        let report = poll(&runtime, &mut poller);
        let two = report
            .workers
            .iter()
            .find(|w| w.name == "two@qtop")
            .cloned();
        match two {
            Some(w) if w.stale && w.beat_age_s.is_some_and(|s| s > 4.0) => Ok(()),
            other => Err(other.map(|w| (w.stale, w.beat_age_s))),
        }
    });
}

#[test]
fn grow_shrink_and_stop_change_the_real_worker() {
    let redis = RedisServer::start_tcp();
    let broker = format!("{}/2", redis.tcp_url());
    let mut worker = CeleryWorker::start(&broker, "pool@qtop", &["celery"], 1, &[]);
    worker.wait_ready(&broker, T);
    assert_eq!(pool_size(&broker, "pool@qtop"), 1);

    let list = workers_json(&["--redis", &broker, "workers", "list", "--json"]);
    let live = live_celery_workers(&list);
    assert_eq!(live.len(), 1, "{list:#}");
    assert_eq!(live[0]["name"], "pool@qtop");

    let out = workers_json(&[
        "--redis",
        &broker,
        "workers",
        "grow",
        "pool@qtop",
        "--by",
        "2",
        "--yes",
        "--json",
    ]);
    assert_eq!(out["control"], "grow");
    assert!(
        out["message"].as_str().unwrap().contains("pool will grow"),
        "{out:#}"
    );
    wait_until("the pool to grow to 3", T, || {
        pool_size(&broker, "pool@qtop") == 3
    });

    let refused = run_qtop(
        &[
            "--redis",
            &broker,
            "--read-only",
            "workers",
            "shrink",
            "pool@qtop",
            "--yes",
        ],
        T,
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("read-only"));
    let out = workers_json(&[
        "--redis",
        &broker,
        "workers",
        "shrink",
        "pool@qtop",
        "--yes",
        "--json",
    ]);
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .contains("pool will shrink"),
        "{out:#}"
    );
    wait_until("the pool to shrink to 2", T, || {
        pool_size(&broker, "pool@qtop") == 2
    });
    // The reply plumbing qtop bound for the occasion is gone.
    assert_eq!(
        int(&redis, &["EXISTS", "_kombu.binding.reply.celery.pidbox"]),
        0
    );

    let out = workers_json(&[
        "--redis",
        &broker,
        "workers",
        "stop",
        "pool@qtop",
        "--yes",
        "--json",
    ]);
    assert_eq!(out["control"], "stop");
    assert!(worker.wait_exit(T).success(), "{}", worker.log());
    let list = workers_json(&["--redis", &broker, "workers", "list", "--json"]);
    assert!(live_celery_workers(&list).is_empty(), "{list:#}");
}

#[test]
fn reading_sends_no_write_and_leaves_a_running_late_ack_task_alone() {
    let redis = RedisServer::start_tcp();
    let url = redis.tcp_url();
    // Celery absent: a poll costs nothing.
    let empty = snapshot_json(&url, &["--system", "celery"], "0s");
    assert_eq!(empty["poll"]["round_trips"], 0, "{empty:#}");
    assert_eq!(empty["poll"]["commands"], 0, "{empty:#}");

    // A late-ack task runs (its message stays in `unacked` meanwhile), with a visibility
    // timeout of 1 s: any kombu client now would push it back to the queue.
    let fast = [("CELERY_VISIBILITY", "1")];
    let _worker = CeleryWorker::start(&url, "late@qtop", &["celery"], 1, &[]);
    wait_until("the worker's bindings", T, || {
        int(&redis, &["EXISTS", "_kombu.binding.celery.pidbox"]) == 1
    });
    send(&url, "celery", "tasks.late_nap", 1, Some("60"), None);
    wait_until("the late-ack task to run", T, || {
        int(&redis, &["HLEN", "unacked"]) == 1 && broker_depth(&redis, "celery") == 0
    });
    std::thread::sleep(Duration::from_millis(1500)); // older than the visibility timeout

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
    let doc = snapshot_json(&watcher, &["--system", "celery"], "3s");
    let celery = celery_queue(&doc, "celery");
    assert_eq!(celery["counts"]["reserved"], 1, "{celery:#}");
    assert_eq!(
        celery["counts"]["active"], 1,
        "one queue: heartbeats' active is its"
    );
    assert_eq!(celery["workers"], 1);
    // No task events: throughput from the workers' processed counters, which count
    // failures too: failures are absent, not 0.
    assert_eq!(celery["rates"]["source"], "estimated");
    assert!(celery["rates"]["completed_per_s"].is_number(), "{celery:#}");
    assert!(celery["rates"]["failed_per_s"].is_null(), "{celery:#}");
    assert!(celery["rates"]["error_rate"].is_null(), "{celery:#}");
    let list = workers_json(&[
        "--redis", &watcher, "--system", "celery", "workers", "list", "--json",
    ]);
    assert_eq!(live_celery_workers(&list)[0]["busy"], 1);
    let denied = redis.cmd(&["ACL", "LOG"]);
    assert!(
        denied == "(empty array)" || denied.is_empty(),
        "refused commands: {denied}"
    );
    assert_eq!(broker_depth(&redis, "celery"), 0, "qtop requeued nothing");
    assert_eq!(int(&redis, &["HLEN", "unacked"]), 1);
    let redelivered = || redis.cmd(&["HVALS", "unacked"]).contains("redelivered");
    assert!(!redelivered());

    // What qtop avoids: a kombu consumer (here a second worker) restores the running task
    // to its queue at start, and it is fetched again (marked redelivered): it will run twice.
    let _second = CeleryWorker::start_with_env(&url, "second@qtop", &["celery"], 1, &[], &fast);
    wait_until("kombu to push the task back", T, || {
        redelivered()
            || redis
                .cmd(&["LRANGE", "celery", "0", "-1"])
                .contains("redelivered")
    });
}

#[test]
fn failed_tasks_in_the_result_backend_are_listed_shown_and_grouped_read_only() {
    let redis = RedisServer::start_tcp();
    let url = redis.tcp_url();
    // The result backend in another db than the broker, as Celery's guides often set it.
    let backend_url = format!("{url}/5");
    let backend = [("CELERY_BACKEND", backend_url.as_str())];
    let _worker =
        CeleryWorker::start_with_env(&url, "dlq@qtop", &["celery", "low"], 2, &[], &backend);
    let sent = |queue: &str, task: &str, count: &str, arg: &str| -> Vec<String> {
        let ids = celeryctl_with(&url, &backend, &["send", queue, task, count, "--arg", arg]);
        ids.as_array()
            .unwrap()
            .iter()
            .map(|id| id.as_str().unwrap().to_string())
            .collect()
    };
    let failed = sent("celery", "tasks.boom", "2", "card declined");
    sent("low", "tasks.boom", "1", "elsewhere");
    sent("celery", "tasks.nap", "1", "0");
    wait_until("4 results", T, || {
        let mut conn = redis.conn();
        conn.call(&["SELECT", "5"]).unwrap();
        let keys = conn.call(&["KEYS", "celery-task-meta-*"]).unwrap();
        keys.to_string().lines().count() == 4
    });

    // Without --celery-backend qtop reads the broker's db, which holds no result.
    let none = qtop_json(&[
        "--redis", &url, "--queue", "celery", "dlq", "list", "--json", "--system", "celery",
    ]);
    assert_eq!(none.as_array().map(Vec::len), Some(0), "{none:#}");

    // `--system` after the command: the harness then sees `dlq list` and checks the JSON
    // against its schema.
    let with = |more: &[&str]| -> Vec<String> {
        let head = [
            "--redis",
            url.as_str(),
            "--celery-backend",
            backend_url.as_str(),
            "--queue",
            "celery",
        ];
        let tail = ["--system", "celery"];
        head.iter()
            .chain(more)
            .chain(&tail)
            .map(|s| s.to_string())
            .collect()
    };
    let args = with(&["dlq", "list", "--json"]);
    let list = qtop_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let text = list.to_string();
    for id in &failed {
        assert!(text.contains(id.as_str()), "{id} missing: {list:#}");
    }
    assert!(
        !text.contains("elsewhere"),
        "low's failure is not celery's: {list:#}"
    );
    assert!(text.contains("ValueError: card declined"), "{list:#}");
    let args = with(&["dlq", "show", &failed[0], "--json"]);
    let show = qtop_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(show.to_string().contains("Traceback"), "{show:#}");
    assert!(show.to_string().contains("tasks.boom"), "{show:#}");
    let args = with(&["dlq", "groups", "--json"]);
    let groups = qtop_json(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(groups.to_string().contains("\"count\":2"), "{groups:#}");
    // The export is checked against its schema by the harness.
    let args = with(&["dlq", "export"]);
    let out = run_qtop(&args.iter().map(String::as_str).collect::<Vec<_>>(), T);
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        assert_eq!(
            line["hash"]["task_id"], line["id"],
            "each line's own meta: {line:#}"
        );
    }
    let args = with(&["dlq", "retry", &failed[0], "--yes"]);
    let refused = run_qtop(&args.iter().map(String::as_str).collect::<Vec<_>>(), T);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("no dead-letter set"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
