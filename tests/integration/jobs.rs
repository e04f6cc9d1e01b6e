//! `qtop job show|search` and `qtop schedulers` against jobs, flows and job schedulers made
//! by real BullMQ (Node 6.7; 5.x and 3.x for legacy repeatable jobs), the truth taken from
//! BullMQ's own API: `job.getState()`, the job's fields, `getJobLogs`, `getDependencies()`,
//! `getJobSchedulers()`, `getJobs()`. (Longer than most: one fixture, jobs.js, serves
//! every test of the three commands.)

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{run_qtop, NodeChild, NodeScript, RedisServer};
use serde_json::Value;

const T: Duration = Duration::from_secs(90);

/// A private Redis with jobs.js's queues, the fixture still running (it holds one job
/// active), and its truth.
fn jobs_fixture() -> (RedisServer, NodeChild, Value) {
    let redis = RedisServer::start();
    let mut fixture = NodeScript::new("jobs.js")
        .args(["--redis", &redis.url()])
        .spawn();
    let truth = fixture.wait_for_json("READY", T);
    (redis, fixture, truth)
}

fn qtop(redis: &RedisServer, args: &[&str]) -> std::process::Output {
    let url = redis.url();
    let mut all = vec!["--redis", url.as_str()];
    all.extend_from_slice(args);
    run_qtop(&all, T)
}

fn qtop_json(redis: &RedisServer, args: &[&str]) -> Value {
    let out = qtop(redis, args);
    assert!(
        out.status.success(),
        "qtop {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "qtop {args:?} is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn show(redis: &RedisServer, queue: &str, id: &str, extra: &[&str]) -> Value {
    let mut args = vec!["--queue", queue, "job", "show", id, "--json"];
    args.extend_from_slice(extra);
    qtop_json(redis, &args)
}

/// BullMQ's JSON value of a field qtop reports as a payload.
fn payload_json(payload: &Value) -> Option<Value> {
    (payload["kind"] == "json")
        .then(|| serde_json::from_str(payload["text"].as_str().unwrap()).unwrap())
}

#[test]
fn show_tells_what_bullmq_says_of_a_job_in_every_state() {
    let (redis, mut fixture, truth) = jobs_fixture();
    let jobs = truth["jobs"].as_object().unwrap();
    let mut states = BTreeSet::new();
    for (label, theirs) in jobs {
        let queue = theirs["queue"].as_str().unwrap();
        let id = theirs["id"].as_str().unwrap();
        let ours = show(&redis, queue, id, &[]);
        states.insert(theirs["state"].as_str().unwrap().to_string());
        assert_eq!(ours["state"], theirs["state"], "{label} state");
        assert_eq!(ours["id"], theirs["id"], "{label}");
        assert_eq!(ours["name"], theirs["name"], "{label} name");
        assert_eq!(ours["timestamp"], theirs["timestamp"], "{label} timestamp");
        assert_eq!(ours["delay"], theirs["delay"], "{label} delay");
        assert_eq!(
            ours["processed_on"], theirs["processedOn"],
            "{label} processedOn"
        );
        assert_eq!(
            ours["finished_on"], theirs["finishedOn"],
            "{label} finishedOn"
        );
        assert_eq!(
            ours["attempts"]["made"], theirs["attemptsMade"],
            "{label} atm"
        );
        assert_eq!(
            ours["attempts"]["started"], theirs["attemptsStarted"],
            "{label} ats"
        );
        assert_eq!(
            ours["failed_reason"], theirs["failedReason"],
            "{label} reason"
        );
        assert_eq!(
            ours["stacktrace"], theirs["stacktrace"],
            "{label} stack traces"
        );
        assert_eq!(
            ours["processed_by"], theirs["processedBy"],
            "{label} worker"
        );
        assert_eq!(ours["logs"], theirs["logs"]["logs"], "{label} logs");
        assert_eq!(
            ours["logs_total"], theirs["logs"]["count"],
            "{label} log count"
        );
        let value = payload_json(&ours["return_value"]).unwrap_or(Value::Null);
        assert_eq!(value, theirs["returnvalue"], "{label} return value");
        match theirs["parentKey"].as_str() {
            Some(parent) => assert_eq!(ours["parents"][0]["key"], parent, "{label} parent"),
            None => assert_eq!(ours["parents"], serde_json::json!([]), "{label} parents"),
        }
        assert_eq!(ours["problems"], serde_json::json!([]), "{label}: {ours:#}");
    }
    // Every state getState() can answer for a live job was covered.
    for state in [
        "waiting",
        "active",
        "prioritized",
        "delayed",
        "completed",
        "failed",
        "waiting-children",
    ] {
        assert!(states.contains(state), "no job in {state}: {states:?}");
    }

    // Jobs ahead: the order BullMQ's getJobs walks them (the next to run first).
    let wait = truth["waitOrder"].as_array().unwrap();
    for (n, id) in wait.iter().enumerate() {
        let ours = show(&redis, "jobs", id.as_str().unwrap(), &["--log-lines", "0"]);
        assert_eq!(ours["ahead"], n, "waiting job {id}");
    }
    for (n, id) in truth["prioritizedOrder"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let ours = show(&redis, "jobs", id.as_str().unwrap(), &[]);
        assert_eq!(ours["ahead"], wait.len() + n, "prioritized job {id}");
    }
    for (n, id) in truth["delayedOrder"].as_array().unwrap().iter().enumerate() {
        let ours = show(&redis, "jobs", id.as_str().unwrap(), &[]);
        assert_eq!(ours["ahead"], n, "delayed job {id}");
        let theirs = &jobs[&format!("jobs/{}", id.as_str().unwrap())];
        let due = theirs["timestamp"].as_i64().unwrap() + theirs["delay"].as_i64().unwrap();
        assert_eq!(ours["due"], due, "delayed job {id} due");
    }
    // The LIFO job went to the head of the line.
    assert_eq!(
        jobs[&format!("jobs/{}", wait[0].as_str().unwrap())]["name"],
        "lifo"
    );

    // The active job's lock is held by its live worker.
    let active = jobs.values().find(|j| j["state"] == "active").unwrap();
    let ours = show(&redis, "jobs", active["id"].as_str().unwrap(), &[]);
    assert!(ours["lock_ttl_ms"].as_i64().unwrap() > 0, "{ours:#}");

    // A 5 MB payload is reported by its size, loaded only with --full.
    let big = truth["big"].as_str().unwrap();
    let bytes = jobs[&format!("jobs/{big}")]["dataBytes"].as_u64().unwrap();
    let ours = show(&redis, "jobs", big, &[]);
    assert_eq!(ours["data"]["kind"], "too_large");
    assert_eq!(ours["data"]["bytes"], bytes);
    let full = show(&redis, "jobs", big, &["--full"]);
    let data = payload_json(&full["data"]).unwrap();
    assert_eq!(data["blob"].as_str().unwrap().len(), 5 * 1024 * 1024);
    let text = qtop(&redis, &["--queue", "jobs", "job", "show", big]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&format!("({bytes} bytes: not loaded; --full loads it)")),
        "{text}"
    );

    let missing = qtop(&redis, &["--queue", "jobs", "job", "show", "nope"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no job nope in bull:jobs"));
    assert!(fixture.stop(T).success());
}

/// The keys of one kind of children in qtop's tree.
fn kind_keys(children: &Value, kind: &str) -> BTreeSet<String> {
    children["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["dependency"] == kind)
        .map(|n| n["key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_flow_reads_as_get_dependencies_says() {
    let (redis, mut fixture, truth) = jobs_fixture();
    let flows = truth["flows"].as_object().unwrap();
    assert_eq!(flows.len(), 3);
    for (key, theirs) in flows {
        let (_, queue_and_id) = key.split_once(':').unwrap();
        let (queue, id) = queue_and_id.split_once(':').unwrap();
        let ours = show(&redis, queue, id, &[]);
        assert_eq!(ours["state"], theirs["state"], "{key}");
        let children = &ours["children"];
        for kind in ["processed", "unprocessed", "ignored", "failed"] {
            assert_eq!(children[kind], theirs["counts"][kind], "{key} {kind} count");
        }
        let deps = &theirs["deps"];
        let object_keys =
            |v: &Value| -> BTreeSet<String> { v.as_object().unwrap().keys().cloned().collect() };
        let array_keys = |v: &Value| -> BTreeSet<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|k| k.as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(
            kind_keys(children, "processed"),
            object_keys(&deps["processed"]),
            "{key}"
        );
        assert_eq!(
            kind_keys(children, "ignored"),
            object_keys(&deps["ignored"]),
            "{key}"
        );
        assert_eq!(
            kind_keys(children, "unprocessed"),
            array_keys(&deps["unprocessed"]),
            "{key}"
        );
        assert_eq!(
            kind_keys(children, "failed"),
            array_keys(&deps["failed"]),
            "{key}"
        );
        for node in children["nodes"].as_array().unwrap() {
            let child_key = node["key"].as_str().unwrap();
            let their_child = &theirs["children"][child_key];
            assert_eq!(node["state"], their_child["state"], "{child_key}");
            assert_eq!(node["name"], their_child["name"], "{child_key}");
            match node["dependency"].as_str().unwrap() {
                "processed" => assert_eq!(
                    payload_json(&node["return_value"]).unwrap(),
                    theirs["childrenValues"][child_key],
                    "{child_key} value"
                ),
                "ignored" => assert_eq!(
                    node["failed_reason"], theirs["ignored"][child_key],
                    "{child_key} reason"
                ),
                _ => {}
            }
        }
        assert_eq!(children["truncated"], false, "{key}");
    }

    // The root's tree goes down to the grandchild; the grandchild's parents up to the root.
    let (root_key, _) = flows
        .iter()
        .find(|(_, f)| f["counts"]["processed"] == 2)
        .unwrap();
    let root_id = root_key.rsplit(':').next().unwrap();
    let root = show(&redis, "flows", root_id, &[]);
    let pending = root["children"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["dependency"] == "unprocessed")
        .unwrap();
    let grandkid = &pending["children"]["nodes"][0];
    assert_eq!(grandkid["name"], "grandkid");
    assert_eq!(grandkid["state"], "waiting");
    let grandkid_id = grandkid["id"].as_str().unwrap();
    let up = show(&redis, "flow-pending", grandkid_id, &[]);
    let parents: Vec<&str> = up["parents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        parents,
        [pending["key"].as_str().unwrap(), root_key.as_str()]
    );
    assert_eq!(up["parents"][1]["state"], "waiting-children");

    // Bounded: no listing below --depth 0, one child per kind with --max-children 1.
    let shallow = show(&redis, "flows", root_id, &["--depth", "0"]);
    assert_eq!(shallow["children"]["nodes"], serde_json::json!([]));
    assert_eq!(shallow["children"]["processed"], 2);
    assert_eq!(shallow["children"]["truncated"], true);
    let narrow = show(&redis, "flows", root_id, &["--max-children", "1"]);
    assert_eq!(kind_keys(&narrow["children"], "processed").len(), 1);
    assert_eq!(narrow["children"]["truncated"], true);
    let one_level = show(&redis, "flows", root_id, &["--depth", "1"]);
    let pending = one_level["children"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["dependency"] == "unprocessed")
        .unwrap();
    assert_eq!(pending["children"]["unprocessed"], 1);
    assert_eq!(pending["children"]["nodes"], serde_json::json!([]));

    // A parent failed by its child: waiting again, with the deferred failure.
    let (failed_parent, _) = flows
        .iter()
        .find(|(_, f)| f["counts"]["failed"] == 1)
        .unwrap();
    let ours = show(
        &redis,
        "flows2",
        failed_parent.rsplit(':').next().unwrap(),
        &[],
    );
    let child = ours["children"]["nodes"][0]["key"].as_str().unwrap();
    assert_eq!(ours["deferred_failure"], format!("child {child} failed"));

    let text = qtop(&redis, &["--queue", "flows", "job", "show", root_id]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("── children (1 unprocessed, 2 processed, 1 ignored)"),
        "{text}"
    );
    assert!(text.contains("(grandkid) waiting [unprocessed]"), "{text}");
    assert!(fixture.stop(T).success());
}

#[test]
fn schedulers_are_listed_as_get_job_schedulers_lists_them() {
    let (redis, mut fixture, truth) = jobs_fixture();
    let ours = qtop_json(&redis, &["--queue", "sched", "schedulers", "--json"]);
    let theirs = truth["schedulers"]["sched"].as_array().unwrap();
    assert_eq!(ours["total"], theirs.len());
    assert_eq!(ours["truncated"], false);
    let ours_by_id: BTreeMap<&str, &Value> = ours["schedulers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s))
        .collect();
    assert_eq!(ours_by_id.len(), theirs.len());
    for their in theirs {
        let id = their["key"].as_str().unwrap();
        let our = ours_by_id[id];
        assert_eq!(our["kind"], "scheduler", "{id}");
        assert_eq!(our["name"], their["name"], "{id}");
        assert_eq!(our["next_run"], their["next"], "{id}");
        assert_eq!(our["iteration_count"], their["iterationCount"], "{id}");
        for (field, their_field) in [
            ("every", "every"),
            ("pattern", "pattern"),
            ("tz", "tz"),
            ("limit", "limit"),
            ("offset", "offset"),
        ] {
            let want = their.get(their_field).cloned().unwrap_or(Value::Null);
            assert_eq!(our[field], want, "{id} {field}");
        }
        let data = payload_json(&our["template_data"]);
        assert_eq!(data.as_ref(), their["template"].get("data"), "{id} data");
        let opts = payload_json(&our["template_opts"]);
        if let Some(their_opts) = their["template"].get("opts") {
            let opts = opts.unwrap();
            for (k, v) in their_opts.as_object().unwrap() {
                assert_eq!(&opts[k], v, "{id} opts.{k}");
            }
        }
        assert_eq!(our["problems"], serde_json::json!([]), "{id}");
    }
    // Soonest first.
    let next: Vec<i64> = ours["schedulers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["next_run"].as_i64().unwrap())
        .collect();
    assert!(next.windows(2).all(|w| w[0] <= w[1]), "{next:?}");
    let limited = qtop_json(
        &redis,
        &["--queue", "sched", "schedulers", "--json", "--limit", "1"],
    );
    assert_eq!(limited["schedulers"].as_array().unwrap().len(), 1);
    assert_eq!(limited["truncated"], true);

    let text = qtop(&redis, &["--queue", "sched", "schedulers"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("3 job schedulers in bull:sched"), "{text}");
    assert!(text.contains("cron 0 3 * * * (Europe/…"), "{text}");
    assert!(text.contains("every 5s"), "{text}");
    assert!(fixture.stop(T).success());
}

#[test]
fn legacy_repeatable_jobs_are_listed_as_their_own_version_lists_them() {
    let redis = RedisServer::start();
    for version in ["v3", "v5"] {
        let queue = format!("legacy-{version}");
        let out = NodeScript::new("legacy_repeat.js")
            .args([
                "--redis",
                &redis.url(),
                "--version",
                version,
                "--queue",
                &queue,
            ])
            .run();
        let truth = String::from_utf8_lossy(&out.stdout);
        let truth: Value = serde_json::from_str(
            truth
                .lines()
                .find_map(|l| l.strip_prefix("READY "))
                .unwrap_or_else(|| panic!("no READY: {truth}")),
        )
        .unwrap();
        let ours = qtop_json(&redis, &["--queue", &queue, "schedulers", "--json"]);
        let theirs = truth.as_array().unwrap();
        assert_eq!(ours["total"], theirs.len(), "{version}");
        for their in theirs {
            let our = ours["schedulers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["id"] == their["key"])
                .unwrap_or_else(|| panic!("{version}: {their} not in {ours:#}"));
            assert_eq!(our["kind"], "repeatable", "{version}");
            assert_eq!(our["name"], their["name"], "{version}");
            assert_eq!(our["next_run"], their["next"], "{version}");
            assert_eq!(our["tz"], their["tz"], "{version}");
            // v3 reads an interval back as the key's "pattern"; BullMQ 6 (and qtop) tell a
            // numeric suffix as `every`.
            let number = |v: &Value| v.as_str().and_then(|s| s.parse::<u64>().ok());
            match number(&their["every"]).or(number(&their["pattern"])) {
                Some(every) => {
                    assert_eq!(our["every"], every, "{version}");
                    assert_eq!(our["pattern"], Value::Null, "{version}");
                }
                None => assert_eq!(our["pattern"], their["pattern"], "{version}"),
            }
        }
    }
}

#[test]
fn search_walks_a_state_in_pages_and_stops_where_told() {
    let redis = RedisServer::start();
    let out = NodeScript::new("search_jobs.js")
        .args(["--redis", &redis.url()])
        .run();
    let truth = String::from_utf8_lossy(&out.stdout);
    let truth: Value = serde_json::from_str(
        truth
            .lines()
            .find_map(|l| l.strip_prefix("READY "))
            .unwrap(),
    )
    .unwrap();
    let waiting = truth["waiting"].as_array().unwrap();
    let failed = truth["failed"].as_array().unwrap();
    let ids = |result: &Value| -> Vec<String> {
        result["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_string())
            .collect()
    };
    let truth_ids = |jobs: &[Value], keep: &dyn Fn(&Value) -> bool| -> Vec<String> {
        jobs.iter()
            .filter(|j| keep(j))
            .map(|j| j["id"].as_str().unwrap().to_string())
            .collect()
    };
    let search = |args: &[&str]| {
        let mut all = vec!["job", "search", "--json"];
        all.extend_from_slice(args);
        let out = qtop(&redis, &all);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let result: Value = serde_json::from_slice(&out.stdout).unwrap();
        (result, String::from_utf8_lossy(&out.stderr).into_owned())
    };

    // By name, over every page of 1,200 jobs, in the order they will run.
    let (result, progress) = search(&[
        "--queue", "many", "--state", "waiting", "--name", "invoice", "--limit", "1000",
    ]);
    assert_eq!(
        ids(&result),
        truth_ids(waiting, &|j| j["name"] == "invoice")
    );
    assert_eq!(
        (result["examined"].as_u64(), result["total"].as_u64()),
        (Some(1200), Some(1200))
    );
    assert_eq!(result["stopped"], Value::Null);
    assert!(
        progress.contains("examined 1200 of 1200 jobs"),
        "{progress}"
    );

    // By data, stopped by --max-examined: the matches among the first 700 walked.
    let (result, _) = search(&[
        "--queue",
        "many",
        "--state",
        "wait",
        "--data",
        "needle",
        "--limit",
        "1000",
        "--max-examined",
        "700",
    ]);
    let first_700: Vec<Value> = waiting[..700].to_vec();
    assert_eq!(
        ids(&result),
        truth_ids(&first_700, &|j| j["tag"]
            .as_str()
            .unwrap()
            .starts_with("needle"))
    );
    assert_eq!(result["examined"], 700);
    assert_eq!(result["stopped"], "max_examined");

    // By id alone: no job hash is read, so no progress either.
    let (result, progress) = search(&["--queue", "many", "--state", "waiting", "--id", "99"]);
    assert_eq!(
        ids(&result),
        truth_ids(waiting, &|j| j["id"].as_str().unwrap().contains("99"))
    );
    assert!(progress.is_empty(), "{progress}");

    // The failed set by reason, newest first; --limit stops it.
    let timeouts = truth_ids(failed, &|j| {
        j["failedReason"].as_str().unwrap().contains("timeout")
    });
    let (result, _) = search(&[
        "--queue", "fails", "--state", "failed", "--reason", "TIMEOUT", "-i", "--limit", "1000",
    ]);
    assert_eq!(ids(&result), timeouts);
    let (result, _) = search(&[
        "--queue", "fails", "--state", "failed", "--reason", "timeout", "--limit", "5",
    ]);
    assert_eq!(ids(&result), timeouts[..5]);
    assert_eq!(result["stopped"], "limit");
    assert!(result["matches"][0]["failed_reason"]
        .as_str()
        .unwrap()
        .contains("timeout"));
    let (result, _) = search(&[
        "--queue", "fails", "--state", "failed", "--reason", "TIMEOUT", "--limit", "1000",
    ]);
    assert_eq!(
        ids(&result),
        Vec::<String>::new(),
        "case matters without -i"
    );

    let refused = qtop(
        &redis,
        &["--queue", "fails", "job", "search", "--state", "done"],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("waiting-children"));
}

#[test]
fn a_search_leaves_payloads_over_the_limit_unsearched_and_says_so() {
    let (redis, mut fixture, truth) = jobs_fixture();
    let big = truth["big"].as_str().unwrap();
    let result = qtop_json(
        &redis,
        &[
            "--queue", "jobs", "job", "search", "--state", "waiting", "--data", "xxxx", "--json",
        ],
    );
    assert_eq!(result["skipped_large"], 1);
    assert!(result["matches"]
        .as_array()
        .unwrap()
        .iter()
        .all(|m| m["id"] != big));
    assert!(fixture.stop(T).success());
}

#[test]
fn garbage_in_job_hashes_is_reported_never_a_panic() {
    let redis = RedisServer::start();
    let mut conn = redis.conn();
    let cmds: &[&[&str]] = &[
        &[
            "HSET",
            "bull:g:1",
            "name",
            "n",
            "timestamp",
            "abc",
            "atm",
            "1e400",
            "stacktrace",
            "not json",
            "parent",
            "{{",
            "parentKey",
            "nocolon",
            "data",
            "\u{1}binary\u{ff}",
            "opts",
            "[1,2",
        ],
        &["LPUSH", "bull:g:wait", "1", "2", "0:123"],
        // A key of the wrong type where job 2's hash should be, and an id with no hash.
        &["LPUSH", "bull:g:2", "x"],
        &["ZADD", "bull:g:failed", "100", "3"],
        // A parent whose children sets are garbage: a string, a cycle, unparseable keys.
        &["HSET", "bull:g:4", "name", "parent", "timestamp", "1"],
        &["ZADD", "bull:g:waiting-children", "1", "4"],
        &[
            "SADD",
            "bull:g:4:dependencies",
            "bull:g:4",
            "nocolon",
            "bull:g:",
            "bull:other:9",
        ],
        &["SET", "bull:g:4:processed", "not a hash"],
        &["HSET", "bull:g:4:failed", "bull:g:5", "x"],
        // Schedulers: a hash of garbage, an id without its hash, a key of the wrong type.
        &[
            "ZADD",
            "bull:g:repeat",
            "5",
            "s1",
            "6",
            "gone",
            "7",
            "wrongtype",
        ],
        &[
            "HSET",
            "bull:g:repeat:s1",
            "every",
            "soon",
            "ic",
            "x",
            "data",
            "{bad",
        ],
        &["SET", "bull:g:repeat:wrongtype", "1"],
    ];
    for cmd in cmds {
        conn.call(cmd).unwrap();
    }
    let ok = |args: &[&str]| -> Value {
        let mut all = vec!["--queue", "g"];
        all.extend_from_slice(args);
        qtop_json(&redis, &all)
    };
    let one = ok(&["job", "show", "1", "--json"]);
    assert_eq!(one["state"], "waiting");
    assert_eq!(one["timestamp"], Value::Null);
    assert_eq!(one["stacktrace_unreadable"], true);
    assert_eq!(one["opts"]["kind"], "raw");
    let problems = one["problems"].to_string();
    assert!(problems.contains("timestamp is not a number"), "{problems}");
    assert!(
        problems.contains("parent fields are unreadable"),
        "{problems}"
    );

    let two = ok(&["job", "show", "2", "--json"]);
    assert!(
        two["problems"].to_string().contains("not a hash"),
        "{two:#}"
    );
    let three = ok(&["job", "show", "3", "--json"]);
    assert_eq!(three["state"], "failed");
    assert!(
        three["problems"].to_string().contains("missing"),
        "{three:#}"
    );

    let four = ok(&["job", "show", "4", "--json", "--depth", "5"]);
    assert_eq!(four["state"], "waiting-children");
    assert!(
        four["problems"].to_string().contains("WRONGTYPE"),
        "{four:#}"
    );
    let nodes = four["children"]["nodes"].as_array().unwrap();
    assert_eq!(four["children"]["unprocessed"], 4);
    assert!(
        nodes.iter().any(|n| n["key"] == "bull:g:4"),
        "the cycle is listed: {four:#}"
    );

    for state in ["waiting", "failed", "waiting-children", "delayed"] {
        let result = ok(&["job", "search", "--state", state, "--name", "n", "--json"]);
        assert!(result["examined"].as_u64().is_some(), "{result:#}");
    }
    let waiting = ok(&["job", "search", "--state", "waiting", "--id", "", "--json"]);
    assert_eq!(
        waiting["examined"], 2,
        "the 0: marker is not a job: {waiting:#}"
    );

    let schedulers = ok(&["schedulers", "--json"]);
    let list = schedulers["schedulers"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    let kind = |id: &str| list.iter().find(|s| s["id"] == id).unwrap()["kind"].clone();
    assert_eq!(kind("gone"), "orphan");
    assert!(list.iter().all(|s| s["problems"].as_array().is_some()));
    let text = qtop(&redis, &["--queue", "g", "schedulers"]);
    assert!(text.status.success());
    let text = qtop(&redis, &["--queue", "g", "job", "show", "4"]);
    assert!(
        text.status.success(),
        "{}",
        String::from_utf8_lossy(&text.stderr)
    );
}
