//! qtop on a real Redis Cluster (3 masters, 3 replicas; tests/common/cluster.rs) with
//! queues written by the real `bullmq` npm package through an ioredis Cluster: the same
//! counts, rates and workers as on one Redis, every queue's node, the dead-letter commands,
//! `qtop produce`/`worker`/`demo`, and a master killed under the running poller.

use crate::common;

use std::collections::BTreeSet;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::{
    assert_counts_match, assert_rate, load_script, pid_alive, qtop_bin, queue, run_qtop,
    snapshot_json, NodeChild, NodeScript, RedisCluster, RedisServer, Resp, SCENARIO_QUEUES,
};
use qtop::source::{spawn_poller, PollerConfig, RedisTarget, SourceEvent};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

const T: Duration = Duration::from_secs(60);
/// A failover takes about two node timeouts (1 s each) plus the election.
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(20);

/// `qtop --redis <url> args…`, run to completion.
fn qtop(url: &str, args: &[&str]) -> Output {
    let mut all = vec!["--redis", url];
    all.extend_from_slice(args);
    run_qtop(&all, T)
}

/// `qtop --redis <url> args…`, which must succeed and print JSON (checked against its schema).
fn qtop_json(url: &str, args: &[&str]) -> Value {
    let mut all = vec!["--redis", url];
    all.extend_from_slice(args);
    common::qtop_json(&all)
}

/// `127.0.0.1:<port>`: how qtop names a cluster node.
fn addr(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// The JSON of inspect.js's `INSPECT {…}` line for one queue.
fn inspect(url: &str, cluster: bool, prefix: &str, queue: &str) -> Value {
    let mut script =
        NodeScript::new("inspect.js").args(["--redis", url, "--prefix", prefix, "--queue", queue]);
    if cluster {
        script = script.arg("--cluster");
    }
    let out = script.run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("INSPECT "))
        .unwrap_or_else(|| panic!("no INSPECT line in {stdout}"));
    serde_json::from_str(line).unwrap()
}

/// The names of the queues in a snapshot document, sorted.
fn queue_names(doc: &Value) -> BTreeSet<String> {
    doc["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            format!(
                "{}:{}",
                q["prefix"].as_str().unwrap(),
                q["name"].as_str().unwrap()
            )
        })
        .collect()
}

/// Asserts the snapshot's `redis.cluster`: six nodes, three masters up, every slot covered.
fn assert_six_nodes_three_masters(doc: &Value, cluster: &RedisCluster) {
    let nodes = doc["redis"]["cluster"]["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 6, "{:#}", doc["redis"]);
    let masters: BTreeSet<String> = nodes
        .iter()
        .filter(|n| n["role"] == "master" && n["up"] == true)
        .map(|n| n["addr"].as_str().unwrap().to_string())
        .collect();
    let expected: BTreeSet<String> = cluster.masters().into_iter().map(addr).collect();
    assert_eq!(masters, expected, "{:#}", doc["redis"]);
    assert!(nodes.iter().all(|n| n["up"] == true), "{:#}", doc["redis"]);
    let slots: u64 = nodes.iter().map(|n| n["slots"].as_u64().unwrap()).sum();
    assert_eq!(slots, 16384, "{:#}", doc["redis"]);
    assert_eq!(doc["redis"]["cluster"]["uncovered_slots"], 0);
}

#[test]
fn scenario_counts_and_workers_on_the_cluster_equal_a_single_node_run() {
    let single = RedisServer::start();
    let cluster = RedisCluster::start();
    let seed = cluster.seed_url();
    let mut on_single = NodeScript::new("scenario.js")
        .args(["--redis", &single.url(), "--prefix", "{bull}"])
        .spawn();
    let mut on_cluster = NodeScript::new("scenario.js")
        .args(["--redis", &seed, "--cluster", "--prefix", "{bull}"])
        .spawn();
    let single_ready = on_single.wait_for_json("READY ", T);
    let cluster_ready = on_cluster.wait_for_json("READY ", T);

    let on_one = snapshot_json(&single.url(), &["--prefix", "{bull}"], "0s");
    let on_many = snapshot_json(&seed, &["--prefix", "{bull}"], "0s");
    let names = SCENARIO_QUEUES;
    let expected: BTreeSet<String> = names.iter().map(|n| format!("{{bull}}:{n}")).collect();
    assert_eq!(queue_names(&on_one), expected);
    assert_eq!(queue_names(&on_many), expected);

    let owner = addr(cluster.master_of_key("{bull}"));
    for name in names {
        let (one, many) = (queue(&on_one, name), queue(&on_many, name));
        // What BullMQ itself counted, on either.
        assert_counts_match(one, &single_ready[name], name);
        assert_counts_match(many, &cluster_ready[name], name);
        assert_eq!(one["counts"], many["counts"], "{name}");
        assert_eq!(one["paused"], many["paused"], "{name}");
        assert_eq!(one["workers"], many["workers"], "{name} workers");
        assert_eq!(one["unlocked_active"], many["unlocked_active"], "{name}");
        assert_eq!(one["node"], Value::Null, "{name} on one Redis");
        assert_eq!(many["node"], owner.as_str(), "{name} node");
    }
    // The held job's worker is found once on the cluster too, with the same name.
    assert_eq!(queue(&on_many, "reports")["workers"], 1);
    let reports_workers = |doc: &Value| -> Vec<Value> {
        doc["workers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["queue"] == "reports")
            .map(|w| w["name"].clone())
            .collect()
    };
    assert_eq!(reports_workers(&on_many), vec![Value::from("w-reports")]);
    assert_eq!(reports_workers(&on_many), reports_workers(&on_one));

    assert_eq!(on_one["redis"]["cluster"], Value::Null);
    assert_six_nodes_three_masters(&on_many, &cluster);

    for node in [&mut on_single, &mut on_cluster] {
        let status = node.stop(T);
        assert!(status.success(), "{status}: {}", node.stderr());
    }
}

#[test]
fn queues_on_every_master_are_found_with_their_node_in_few_round_trips() {
    let cluster = RedisCluster::start();
    let seed = cluster.seed_url();
    let masters = cluster.masters();
    let tags = cluster.tag_per_master();
    // Per master: a queue `q` under the prefix `{tag}`, and a queue `{tag}` under `bull`.
    let targets: Vec<(String, String)> = tags
        .iter()
        .flat_map(|t| {
            [
                (format!("{{{t}}}"), "q".to_string()),
                ("bull".into(), format!("{{{t}}}")),
            ]
        })
        .collect();
    let mut producers: Vec<NodeChild> = targets
        .iter()
        .map(|(prefix, name)| {
            load_script(&seed, name, "20", "0.2")
                .args(["--cluster", "--no-worker", "--prefix", prefix])
                .spawn()
        })
        .collect();
    for producer in &mut producers {
        assert_eq!(producer.wait_for_line("ADDED ", T), "4");
        assert!(producer.wait_exit(T).success(), "{}", producer.stderr());
    }

    let mut prefix_flags = vec!["--prefix".to_string(), "bull".to_string()];
    for t in &tags {
        prefix_flags.extend(["--prefix".to_string(), format!("{{{t}}}")]);
    }
    let prefix_flags: Vec<&str> = prefix_flags.iter().map(String::as_str).collect();
    let doc = snapshot_json(&seed, &prefix_flags, "0s");
    let expected: BTreeSet<String> = targets.iter().map(|(p, n)| format!("{p}:{n}")).collect();
    assert_eq!(queue_names(&doc), expected, "{doc:#}");
    for (tag, &master) in tags.iter().zip(&masters) {
        for (prefix, name) in [
            (format!("{{{tag}}}"), "q".to_string()),
            ("bull".into(), format!("{{{tag}}}")),
        ] {
            let q = doc["queues"]
                .as_array()
                .unwrap()
                .iter()
                .find(|q| q["prefix"] == prefix.as_str() && q["name"] == name.as_str())
                .unwrap();
            assert_eq!(q["node"], addr(master).as_str(), "{prefix}:{name}");
            assert_eq!(q["counts"]["waiting"], 4, "{prefix}:{name}");
        }
    }
    assert_six_nodes_three_masters(&doc, &cluster);
    // One pipeline per master, sent together: the round trips do not grow with the
    // queues (6 here, 3 with `bull` alone).
    let round_trips = doc["poll"]["round_trips"].as_u64().unwrap();
    assert!((1..=3).contains(&round_trips), "{:#}", doc["poll"]);
    let fewer = snapshot_json(&seed, &["--prefix", "bull"], "0s");
    assert_eq!(fewer["queues"].as_array().unwrap().len(), 3);
    assert_eq!(
        fewer["poll"]["round_trips"], round_trips,
        "{:#}",
        fewer["poll"]
    );
}

#[test]
fn rates_on_the_cluster_match_a_load_of_known_rate() {
    let cluster = RedisCluster::start();
    let seed = cluster.seed_url();
    let prefix = format!("{{{}}}", cluster.tag_per_master()[1]);
    // 40 jobs/s for 10 s, with a worker, as tests/monitor_bullmq.rs does on one Redis
    // (2 s longer, for `advise` after the snapshot).
    let mut load = load_script(&seed, "steady", "40", "10")
        .args(["--cluster", "--prefix", &prefix])
        .args(["--work-ms", "5", "--concurrency", "4"])
        .spawn();
    // Let the load settle (worker connected, producer paced) before measuring.
    common::wait_until("the first jobs completed", T, || {
        let key = format!("{prefix}:steady:completed");
        cluster.cli(&["ZCARD", &key]).parse::<u64>().unwrap_or(0) >= 20
    });
    let doc = snapshot_json(&seed, &["--prefix", &prefix], "4s");
    let steady = queue(&doc, "steady");
    assert_eq!(
        steady["node"],
        addr(cluster.master_of_key(&prefix)).as_str()
    );
    assert_rate(steady, "added_per_s", 40.0, 0.1);
    assert_rate(steady, "completed_per_s", 40.0, 0.15);
    assert_eq!(steady["rates"]["failed_per_s"], 0.0);
    assert_eq!(steady["rates"]["source"], "events");
    let processing = &steady["latency_ms"]["processing"];
    assert!(processing["count"].as_u64().unwrap() > 50, "{processing}");
    assert!(processing["p50"].as_u64().unwrap() >= 5, "{processing}");

    // `advise` measures the same arrivals and service times on the cluster.
    let advice = qtop_json(
        &seed,
        &[
            "--prefix", &prefix, "--queue", "steady", "advise", "--json", "--window", "2s",
        ],
    );
    assert_eq!(advice["queue"], "steady");
    let lambda = advice["arrival_per_s"].as_f64().unwrap();
    assert!((lambda - 40.0).abs() <= 4.0, "{advice:#}");
    let service = advice["service_time_ms"].as_f64().unwrap();
    assert!((5.0..200.0).contains(&service), "{advice:#}");

    let done = load.wait_for_json("DONE ", T);
    assert_eq!(done["completed"], 400, "{done}");
}

#[test]
fn dlq_lists_and_retries_jobs_failed_by_bullmq_on_the_cluster() {
    let cluster = RedisCluster::start();
    let seed = cluster.seed_url();
    let mut scenario = NodeScript::new("scenario.js")
        .args(["--redis", &seed, "--cluster", "--prefix", "{bull}"])
        .spawn();
    let ready = scenario.wait_for_json("READY ", T);
    assert!(scenario.stop(T).success(), "{}", scenario.stderr());
    assert_eq!(ready["billing"]["failed"], 4);
    fn with<'a>(more: &[&'a str]) -> Vec<&'a str> {
        let mut all = vec!["--prefix", "{bull}", "--queue", "billing", "dlq"];
        all.extend_from_slice(more);
        all
    }

    let jobs = qtop_json(&seed, &with(&["list", "--json"]));
    let jobs = jobs.as_array().unwrap();
    assert_eq!(jobs.len(), 4, "{jobs:#?}");
    for job in jobs {
        assert_eq!(job["name"], "charge");
        assert_eq!(job["failed_reason"], "card declined for order 1234");
        assert_eq!(job["attempts_made"], 3);
    }
    let ids: Vec<&str> = jobs.iter().map(|j| j["id"].as_str().unwrap()).collect();
    let detail = qtop_json(&seed, &with(&["show", ids[0], "--json"]));
    assert_eq!(detail["processed_by"], "w-billing");

    // --read-only refuses, and nothing moves.
    for args in [with(&["retry", "--all", "--yes"]), with(&["retry", ids[0]])] {
        let mut args = args;
        args.insert(0, "--read-only");
        let out = qtop(&seed, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("read-only"), "{args:?}: {stderr}");
    }
    assert_eq!(
        inspect(&seed, true, "{bull}", "billing")["counts"]["failed"],
        4
    );

    // One job, then the rest: BullMQ sees them waiting again.
    let out = qtop(&seed, &with(&["retry", ids[0]]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let counts = inspect(&seed, true, "{bull}", "billing")["counts"].clone();
    assert_eq!(
        (counts["failed"].as_u64(), counts["waiting"].as_u64()),
        (Some(3), Some(1)),
        "{counts}"
    );
    let out = qtop(&seed, &with(&["retry", "--all", "--yes"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = inspect(&seed, true, "{bull}", "billing");
    assert_eq!(after["counts"]["failed"], 0, "{after}");
    assert_eq!(after["counts"]["waiting"], 4, "{after}");
    let left = qtop_json(&seed, &with(&["list", "--json"]));
    assert_eq!(left.as_array().unwrap().len(), 0, "{left}");
}

/// `qtop --redis <url> args…` with piped stdin (its lifeline) and line-read stdout.
fn spawn_qtop(url: &str, args: &[&str]) -> NodeChild {
    let mut command = Command::new(qtop_bin());
    command
        .args(["--redis", url])
        .args(args)
        .env_remove("REDIS_URL")
        .env_remove("QTOP_READ_ONLY");
    NodeChild::spawn_command(format!("qtop {args:?}"), command)
}

#[test]
fn qtop_produce_and_worker_run_on_the_cluster_and_refuse_an_untagged_prefix() {
    let cluster = RedisCluster::start();
    let seed = cluster.seed_url();
    let out = qtop(
        &seed,
        &[
            "--prefix",
            "{bull}",
            "--queue",
            "work",
            "produce",
            "--count",
            "200",
            "--work-ms",
            "1",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("added 200 jobs to {bull}:work"),
        "{stdout}"
    );
    let owner = cluster.master_of_key("{bull}");
    assert_eq!(cluster.cmd(owner, &["LLEN", "{bull}:work:wait"]), "200");

    let mut worker = spawn_qtop(
        &seed,
        &[
            "--prefix",
            "{bull}",
            "--queue",
            "work",
            "worker",
            "--concurrency",
            "8",
        ],
    );
    common::wait_until("200 jobs completed", T, || {
        cluster
            .cmd_resp(owner, &["ZCARD", "{bull}:work:completed"])
            .as_int()
            == Some(200)
    });
    // BullMQ agrees, and so does qtop's snapshot (which lists the worker).
    let counts = inspect(&seed, true, "{bull}", "work")["counts"].clone();
    assert_eq!(counts["completed"], 200, "{counts}");
    assert_eq!(counts["waiting"], 0, "{counts}");
    let doc = snapshot_json(&seed, &["--prefix", "{bull}"], "0s");
    let work = queue(&doc, "work");
    assert_eq!(work["counts"]["completed"], 200);
    assert_eq!(work["workers"], 1, "{work:#}");
    assert_eq!(work["node"], addr(owner).as_str());
    let status = worker.stop(T);
    assert!(status.success(), "{status}: {}", worker.stderr());

    // No hash tag: both explain and fail, and nothing is written.
    for args in [
        vec![
            "--prefix", "bull", "--queue", "work", "produce", "--count", "5",
        ],
        vec!["--prefix", "bull", "--queue", "work", "worker"],
    ] {
        let out = qtop(&seed, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} succeeded");
        assert!(stderr.contains("hash-tagged prefix"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let keys: Vec<Resp> = cluster
        .masters()
        .into_iter()
        .flat_map(|m| match cluster.cmd_resp(m, &["KEYS", "bull:*"]) {
            Resp::Array(keys) => keys,
            other => panic!("KEYS: {other:?}"),
        })
        .collect();
    assert!(keys.is_empty(), "an untagged prefix wrote keys: {keys:?}");
}

/// The next `Report` from the poller that satisfies `check`, within `within`; the events
/// skipped on the way are returned too.
fn report_where(
    rt: &tokio::runtime::Runtime,
    rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>,
    within: Duration,
    mut check: impl FnMut(&qtop::model::PollReport) -> bool,
) -> (Box<qtop::model::PollReport>, Vec<String>) {
    let deadline = Instant::now() + within;
    let mut skipped = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = rt
            .block_on(async { tokio::time::timeout(left, rx.recv()).await })
            .unwrap_or_else(|_| panic!("no matching report within {within:?}; saw {skipped:#?}"))
            .expect("the poller task ended");
        match event {
            SourceEvent::Report(report) if check(&report) => return (report, skipped),
            SourceEvent::Report(report) => skipped.push(format!(
                "report: {:?}",
                report
                    .queues
                    .iter()
                    .map(|q| (&q.key.name, &q.node, q.counts.as_ref().map(|c| c.waiting)))
                    .collect::<Vec<_>>()
            )),
            other => skipped.push(format!("{other:?}")),
        }
    }
}

#[test]
fn the_poller_follows_a_master_failover_without_panicking() {
    let mut cluster = RedisCluster::start();
    let prefix = format!("{{{}}}", cluster.tag_per_master()[0]);
    let seed = cluster.seed_url();
    let added = load_script(&seed, "jobs", "40", "0.25")
        .args(["--cluster", "--no-worker", "--prefix", &prefix])
        .run();
    assert!(String::from_utf8_lossy(&added.stdout).contains("ADDED 10\n"));
    let old_master = cluster.master_of_key(&prefix);
    let replica = cluster.replica_of(old_master).expect("a replica");
    cluster.wait_replicated(Duration::from_secs(10));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let target = RedisTarget::parse(&seed, false).unwrap().with_cluster(true);
    let config = PollerConfig {
        prefixes: vec![prefix.clone()],
        ..PollerConfig::default()
    };
    let cancel = CancellationToken::new();
    let (task, mut rx) = {
        let _entered = rt.enter();
        spawn_poller(target, config, Duration::from_millis(200), cancel.clone())
    };
    let waiting_on = |report: &qtop::model::PollReport, node: u16| {
        report.queues.iter().any(|q| {
            q.key.name == "jobs"
                && q.node.as_deref() == Some(addr(node).as_str())
                && q.counts.as_ref().and_then(|c| c.waiting) == Some(10)
        })
    };
    report_where(&rt, &mut rx, T, |r| waiting_on(r, old_master));

    let all_nodes = cluster.node_urls();
    // The poller's only seed dies: it must follow the failover through the nodes it knows.
    assert_eq!(seed, format!("redis://{}", addr(old_master)));
    let killed = cluster.kill_master(0);
    assert_eq!(killed, old_master);
    // A snapshot right after the kill either works or says what is wrong in one line,
    // given the dead seed alone or every node as a seed.
    let mut every_seed: Vec<&str> = Vec::new();
    for url in &all_nodes {
        every_seed.extend(["--redis", url.as_str()]);
    }
    for seeds in [vec!["--redis", seed.as_str()], every_seed] {
        let mut args = seeds;
        args.extend(["--prefix", &prefix, "snapshot", "--json", "--window", "0s"]);
        let out = run_qtop(&args, T);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("backtrace"),
            "{stderr}"
        );
        if out.status.success() {
            let doc: Value = serde_json::from_slice(&out.stdout).expect("snapshot JSON");
            eprintln!("snapshot right after the kill: {:?}", queue_names(&doc));
        } else {
            assert_eq!(out.status.code(), Some(1), "{stderr}");
            assert_eq!(stderr.trim().lines().count(), 1, "not one line: {stderr}");
            eprintln!("snapshot right after the kill: {}", stderr.trim());
        }
    }

    cluster.wait_healthy(FAILOVER_TIMEOUT);
    assert_eq!(cluster.master_of_key(&prefix), replica);
    // Reports resume with the queue on the promoted replica and its jobs intact; the
    // dead master is listed as down.
    let (report, skipped) = report_where(&rt, &mut rx, T, |r| waiting_on(r, replica));
    eprintln!("events until the failover was followed: {skipped:#?}");
    let nodes = &report.cluster.as_ref().expect("cluster reading").nodes;
    let up_masters: BTreeSet<&str> = nodes
        .iter()
        .filter(|n| n.role == "master" && n.up)
        .map(|n| n.addr.as_str())
        .collect();
    let expected: Vec<String> = cluster.masters().into_iter().map(addr).collect();
    assert_eq!(
        up_masters,
        expected.iter().map(String::as_str).collect(),
        "{nodes:#?}"
    );
    assert!(
        nodes.iter().all(|n| n.addr != addr(killed) || !n.up),
        "{nodes:#?}"
    );

    // The old master comes back (as a replica): all six nodes up again.
    cluster.restart_node(killed);
    cluster.wait_healthy(FAILOVER_TIMEOUT);
    report_where(&rt, &mut rx, T, |r| {
        waiting_on(r, replica)
            && r.cluster
                .as_ref()
                .is_some_and(|c| c.nodes.len() == 6 && c.nodes.iter().all(|n| n.up))
    });

    assert!(!task.is_finished(), "the poller task ended");
    cancel.cancel();
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), task).await })
        .expect("the poller stops when cancelled")
        .expect("the poller task did not panic");
}

#[test]
fn headless_demo_runs_on_the_cluster_and_leaves_no_worker_behind() {
    let cluster = RedisCluster::start();
    let seed = cluster.seed_url();
    let out = qtop(
        &seed,
        &[
            "--prefix",
            "{demo}",
            "demo",
            "--headless",
            "--workers",
            "2",
            "--duration",
            "8s",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("demo: queue {demo}:demo on "),
        "{stdout}"
    );
    let workers: Vec<u32> = stdout
        .lines()
        .filter_map(|l| l.split("started (pid ").nth(1))
        .map(|pid| pid.trim_end_matches(')').parse().unwrap())
        .collect();
    assert_eq!(workers.len(), 2, "{stdout}");
    let completed = stdout
        .lines()
        .filter(|l| l.starts_with("produced="))
        .filter_map(|l| {
            l.split("completed=")
                .nth(1)?
                .split(' ')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .max()
        .unwrap_or(0);
    assert!(completed > 0, "no job completed:\n{stdout}");
    let produced: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("demo: stopped, "))
        .and_then(|rest| rest.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no stop line:\n{stdout}"));
    assert!(produced >= completed, "{stdout}");
    // The jobs are really on the cluster, on the master that owns `{demo}`.
    let owner = cluster.master_of_key("{demo}");
    let on_cluster = cluster
        .cmd_resp(owner, &["ZCARD", "{demo}:demo:completed"])
        .as_int()
        .unwrap();
    assert!(on_cluster >= completed as i64, "{on_cluster} < {completed}");
    common::wait_until(
        "the demo's workers to exit",
        Duration::from_secs(10),
        || workers.iter().all(|&pid| !pid_alive(pid)),
    );

    // Without a hash tag the demo explains instead of starting.
    let out = qtop(
        &seed,
        &["--prefix", "demo", "demo", "--headless", "--duration", "2s"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains("hash-tagged prefix"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_master_is_polled_through_its_own_lean_connection() {
    let cluster = RedisCluster::start();
    let tags = cluster.tag_per_master();
    // Per master: a queue `q` under the prefix `{tag}` with as many waiting jobs as its index.
    for (i, tag) in tags.iter().enumerate() {
        let key = format!("{{{tag}}}:q:wait");
        let port = cluster.master_of_key(&key);
        for j in 0..=i {
            cluster.cmd(port, &["LPUSH", &key, &j.to_string()]);
        }
        let events = format!("{{{tag}}}:q:events");
        cluster.cmd(port, &["XADD", &events, "*", "event", "drained"]);
    }
    let target = RedisTarget::parse(&cluster.seed_url(), false).unwrap();
    let config = PollerConfig {
        prefixes: tags.iter().map(|t| format!("{{{t}}}")).collect(),
        ..PollerConfig::default()
    };
    let mut poller = qtop::source::Poller::new(target, config);
    for _ in 0..2 {
        let report = poller.poll().await.unwrap();
        for (i, tag) in tags.iter().enumerate() {
            let prefix = format!("{{{tag}}}");
            let q = report
                .queues
                .iter()
                .find(|q| q.key.prefix == prefix && q.key.name == "q")
                .unwrap_or_else(|| panic!("{prefix}:q"));
            assert_eq!(
                q.counts.as_ref().unwrap().waiting,
                Some(i as u64 + 1),
                "{prefix}"
            );
        }
    }
    // Each master holds one `qtop:poll` connection, the lean one.
    for port in cluster.masters() {
        let clients = cluster.cmd(port, &["CLIENT", "LIST"]);
        let lean = clients
            .lines()
            .filter(|l| l.contains("name=qtop:poll"))
            .count();
        assert_eq!(lean, 1, "master {port}: {clients}");
    }
}
