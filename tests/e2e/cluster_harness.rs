//! Tests of the Redis Cluster harness (tests/common/cluster.rs) and of the
//! fixtures' `--cluster` mode (tests/node): real redis-server processes in
//! cluster mode, real failover, real bullmq through an ioredis Cluster.

use crate::common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{pid_alive, spawn_node, NodeScript, RedisCluster, RedisServer, SLOTS};
use serde_json::Value;

const NODE_TIMEOUT: Duration = Duration::from_secs(60);
/// A failover takes about two node timeouts (1 s each) plus the election.
const FAILOVER_TIMEOUT: Duration = Duration::from_secs(20);

#[test]
fn cluster_has_three_masters_covering_every_slot_and_drop_kills_it() {
    let started = Instant::now();
    let cluster = RedisCluster::start();
    eprintln!("cluster up in {:?}", started.elapsed());

    let nodes = cluster.cluster_nodes();
    assert_eq!(nodes.len(), 6, "{nodes:#?}");
    assert!(nodes.iter().all(|n| n.connected && !n.is_failing()));
    let masters = cluster.masters();
    assert_eq!(masters.len(), 3, "{nodes:#?}");
    // Every slot is owned by exactly one master, and every master by exactly one replica.
    let mut owners = vec![0u32; SLOTS as usize];
    for master in nodes.iter().filter(|n| n.is_master()) {
        for &(lo, hi) in &master.slots {
            (lo..=hi).for_each(|slot| owners[slot as usize] += 1);
        }
    }
    assert!(owners.iter().all(|&n| n == 1), "slots not covered once");
    let replicas: BTreeSet<u16> = masters
        .iter()
        .map(|&m| cluster.replica_of(m).expect("a replica per master"))
        .collect();
    assert_eq!(replicas.len(), 3);
    assert!(replicas.iter().all(|r| !masters.contains(r)));
    for port in cluster.live_ports() {
        let info = cluster.cmd(port, &["CLUSTER", "INFO"]);
        assert!(info.contains("cluster_state:ok"), "{port}: {info}");
        assert!(info.contains("cluster_slots_ok:16384"), "{port}: {info}");
        assert_eq!(cluster.cmd(port, &["CONFIG", "GET", "save"]), "save\n");
        assert_eq!(
            cluster.cmd(port, &["CONFIG", "GET", "cluster-node-timeout"]),
            "cluster-node-timeout\n1000"
        );
    }
    assert_eq!(
        cluster.seed_url(),
        format!("redis://127.0.0.1:{}", masters[0])
    );
    assert_eq!(cluster.node_urls().len(), 6);

    // `cmd` talks to one node (a foreign key is MOVED); `cli` follows redirections.
    let owner = cluster.master_of_key("{a}:k");
    let other = *masters.iter().find(|&&m| m != owner).unwrap();
    assert!(cluster
        .cmd(other, &["SET", "{a}:k", "v"])
        .starts_with("(error) MOVED"));
    assert_eq!(cluster.cli(&["SET", "{a}:k", "via-cli"]), "OK");
    assert_eq!(cluster.cmd(owner, &["GET", "{a}:k"]), "via-cli");
    assert_eq!(cluster.cli(&["GET", "{a}:k"]), "via-cli");

    let (pids, dir) = (cluster.pids(), cluster.dir().to_path_buf());
    assert_eq!(pids.len(), 6);
    drop(cluster);
    for pid in pids {
        assert!(
            !pid_alive(pid),
            "redis-server {pid} outlived its RedisCluster"
        );
    }
    assert!(!dir.exists(), "{} was left behind", dir.display());
}

#[test]
fn scenario_on_the_cluster_reports_what_it_reports_on_one_node() {
    let single = RedisServer::start();
    let cluster = RedisCluster::start();
    let seed = cluster.seed_url();
    // Both at once: they are independent and each takes a few seconds.
    let mut on_single = spawn_node(
        "scenario.js",
        &["--redis", &single.url(), "--prefix", "{bull}"],
    );
    let mut on_cluster = spawn_node(
        "scenario.js",
        &["--redis", &seed, "--cluster", "--prefix", "{bull}"],
    );
    let mut single_ready = on_single.wait_for_json("READY ", NODE_TIMEOUT);
    let mut cluster_ready = on_cluster.wait_for_json("READY ", NODE_TIMEOUT);
    assert_eq!(cluster_ready["pid"], on_cluster.pid());
    for ready in [&mut single_ready, &mut cluster_ready] {
        ready.as_object_mut().unwrap().remove("pid");
    }
    assert_eq!(cluster_ready, single_ready);
    // And they are the scenario's real counts, not two equal failures.
    assert_eq!(cluster_ready["emails"]["waiting-children"], 1);
    assert_eq!(cluster_ready["reports"]["active"], 1);
    assert_eq!(cluster_ready["billing"]["failed"], 4);
    assert_eq!(cluster_ready["paused-q"]["isPaused"], true);

    // `{bull}` puts every queue on one master; the others hold nothing.
    let owner = cluster.master_of_key("{bull}");
    assert_eq!(cluster.cmd(owner, &["LLEN", "{bull}:emails:wait"]), "5");
    assert_eq!(cluster.cmd(owner, &["ZCARD", "{bull}:billing:failed"]), "4");
    for master in cluster.masters().into_iter().filter(|&m| m != owner) {
        assert_eq!(cluster.cmd(master, &["DBSIZE"]), "0", "master {master}");
    }
    // The held job's worker named its connections (`CLIENT SETNAME`, what
    // getWorkers reads) on whichever nodes ioredis picked, not necessarily
    // the one that owns `{bull}`: a cluster's CLIENT LIST must come from
    // every node. BullMQ's own getWorkers still finds the worker once.
    let name = "name={bull}:cmVwb3J0cw==:w:w-reports";
    let named_on: Vec<u16> = cluster
        .live_ports()
        .into_iter()
        .filter(|&p| cluster.cmd(p, &["CLIENT", "LIST"]).contains(name))
        .collect();
    eprintln!(
        "w-reports connections named on {named_on:?}; masters {:?}; {{bull}} on {owner}",
        cluster.masters()
    );
    assert!(!named_on.is_empty(), "no node has a client {name}");
    let workers = |url: &str, cluster_flag: &[&str]| {
        let out = NodeScript::new("inspect.js")
            .args(["--redis", url, "--prefix", "{bull}", "--queue", "reports"])
            .args(cluster_flag.iter().copied())
            .run();
        inspect_json(&out.stdout)["workers"].clone()
    };
    let expected = serde_json::json!(["{bull}:cmVwb3J0cw==:w:w-reports"]);
    assert_eq!(workers(&single.url(), &[]), expected);
    assert_eq!(workers(&seed, &["--cluster"]), expected);

    for node in [&mut on_single, &mut on_cluster] {
        let status = node.stop(NODE_TIMEOUT);
        assert!(status.success(), "{status}: {}", node.stderr());
    }
}

#[test]
fn hash_tags_put_queues_on_every_master() {
    let cluster = RedisCluster::start();
    let masters = cluster.masters();
    let tags = cluster.tag_per_master();
    assert_eq!(tags.len(), 3);
    for (tag, &master) in tags.iter().zip(&masters) {
        assert_eq!(
            cluster.master_of_key(&format!("{{{tag}}}")),
            master,
            "{tag}"
        );
    }

    // One queue per master, as a prefix tag (`{b}:q:wait`) and as a queue-name
    // tag under a plain prefix (`bull:{b}:wait`).
    let seed = cluster.seed_url();
    let mut producers: Vec<_> = tags
        .iter()
        .flat_map(|tag| {
            let by_prefix = [
                "--prefix".to_string(),
                format!("{{{tag}}}"),
                "--queue".into(),
                "q".into(),
            ];
            let by_name = [
                "--prefix".to_string(),
                "bull".into(),
                "--queue".into(),
                format!("{{{tag}}}"),
            ];
            [by_prefix, by_name]
        })
        .map(|target| {
            NodeScript::new("load.js")
                .args(["--redis", &seed, "--cluster", "--no-worker"])
                .args(["--rate", "20", "--duration", "0.2"])
                .args(target)
                .spawn()
        })
        .collect();
    for producer in &mut producers {
        assert_eq!(producer.wait_for_line("ADDED ", NODE_TIMEOUT), "4");
        assert!(
            producer.wait_exit(NODE_TIMEOUT).success(),
            "{}",
            producer.stderr()
        );
    }

    // Each master holds its tag's two queues, read without redirection.
    for (tag, &master) in tags.iter().zip(&masters) {
        let by_prefix = format!("{{{tag}}}:q:wait");
        let by_name = format!("bull:{{{tag}}}:wait");
        assert_eq!(
            cluster.cmd(master, &["LLEN", &by_prefix]),
            "4",
            "{by_prefix}"
        );
        assert_eq!(cluster.cmd(master, &["LLEN", &by_name]), "4", "{by_name}");
        let meta = format!("bull:{{{tag}}}:meta");
        assert_eq!(cluster.cmd(master, &["EXISTS", &meta]), "1", "{meta}");
    }
    let distinct: BTreeSet<u16> = tags
        .iter()
        .map(|t| cluster.master_of_key(&format!("bull:{{{t}}}:wait")))
        .collect();
    assert_eq!(distinct.len(), 3, "queues on {distinct:?}");

    // counts_loop.js finds the queues of one prefix by scanning every master.
    let mut counts = spawn_node(
        "counts_loop.js",
        &["--redis", &seed, "--cluster", "--prefix", "bull"],
    );
    assert_eq!(counts.wait_for_line("READY ", NODE_TIMEOUT), "3");
    assert!(counts.stop(NODE_TIMEOUT).success(), "{}", counts.stderr());
}

#[test]
fn killing_a_master_promotes_its_replica_and_keeps_the_queue_data() {
    let mut cluster = RedisCluster::start();
    let tag = cluster.tag_per_master().remove(0);
    let prefix = format!("{{{tag}}}");
    let seed = cluster.seed_url();
    let added = NodeScript::new("load.js")
        .args(["--redis", &seed, "--cluster", "--prefix", &prefix])
        .args(["--queue", "jobs", "--rate", "40", "--duration", "0.25"])
        .arg("--no-worker")
        .run();
    assert!(String::from_utf8_lossy(&added.stdout).contains("ADDED 10\n"));
    let old_master = cluster.master_of_key(&prefix);
    let replica = cluster.replica_of(old_master).expect("a replica");
    cluster.wait_replicated(Duration::from_secs(10));
    let old_pids = cluster.pids();

    let killed = cluster.kill_master(0);
    assert_eq!(killed, old_master);
    assert_eq!(cluster.live_ports().len(), 5);
    assert!(
        old_pids.iter().filter(|&&p| !pid_alive(p)).count() == 1,
        "exactly one redis-server must be gone"
    );
    let took = cluster.wait_healthy(FAILOVER_TIMEOUT);
    eprintln!("failover took {took:?}");

    let masters = cluster.masters();
    assert_eq!(masters.len(), 3, "{masters:?}");
    assert!(masters.contains(&replica) && !masters.contains(&killed));
    assert_eq!(cluster.master_of_key(&prefix), replica);
    let wait_key = format!("{prefix}:jobs:wait");
    assert_eq!(cluster.cmd(replica, &["LLEN", &wait_key]), "10");
    assert_eq!(cluster.cli(&["LLEN", &wait_key]), "10");
    // BullMQ, connecting after the failover through any live node, reads it too.
    let seed = cluster.seed_url();
    let inspect = NodeScript::new("inspect.js")
        .args(["--redis", &seed, "--cluster", "--prefix", &prefix])
        .args(["--queue", "jobs"])
        .run();
    let inspected = inspect_json(&inspect.stdout);
    assert_eq!(inspected["counts"]["waiting"], 10, "{inspected}");

    // The old master comes back as a replica of the node that replaced it.
    cluster.restart_node(killed);
    cluster.wait_healthy(FAILOVER_TIMEOUT);
    let nodes = cluster.cluster_nodes();
    let new_master_id = &nodes.iter().find(|n| n.port == replica).unwrap().id;
    let back = nodes.iter().find(|n| n.port == killed).unwrap();
    assert!(!back.is_master(), "{back:?}");
    assert_eq!(back.master_id.as_ref(), Some(new_master_id));
    assert_eq!(cluster.live_ports().len(), 6);
}

/// The JSON of inspect.js's `INSPECT {…}` line.
fn inspect_json(stdout: &[u8]) -> Value {
    let stdout = String::from_utf8_lossy(stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("INSPECT "))
        .unwrap_or_else(|| panic!("no INSPECT line in {stdout}"));
    serde_json::from_str(line).unwrap()
}

#[test]
fn a_bullmq_producer_and_worker_ride_out_a_failover() {
    let mut cluster = RedisCluster::start();
    let prefix = format!("{{{}}}", cluster.tag_per_master().remove(0));
    // 100 jobs over 5 s, processed as they come; the queue's master dies after
    // the first ones and its replica takes over (about 2 s) while both run.
    let mut load = common::load_script(&cluster.seed_url(), "steady", "20", "5")
        .args(["--cluster", "--prefix", &prefix, "--work-ms", "5"])
        .spawn();
    let owner = cluster.master_of_key(&prefix);
    let completed_key = format!("{prefix}:steady:completed");
    common::wait_until("a few jobs completed", NODE_TIMEOUT, || {
        cluster.cmd_resp(owner, &["ZCARD", &completed_key]).as_int() >= Some(5)
    });
    // Replication is asynchronous: a write acknowledged just before the kill
    // may never reach the replica, and a lost job would leave load.js waiting
    // for it. Held writes (CLIENT PAUSE) are never run on the old master;
    // ioredis sends them again to the new one.
    assert_eq!(
        cluster.cmd(owner, &["CLIENT", "PAUSE", "5000", "WRITE"]),
        "OK"
    );
    cluster.wait_replicated(Duration::from_secs(5));
    let killed = cluster.kill_master(0);
    assert_eq!(killed, owner);
    cluster.wait_healthy(FAILOVER_TIMEOUT);

    assert_eq!(load.wait_for_line("ADDED ", NODE_TIMEOUT), "100");
    let done = load.wait_for_json("DONE ", NODE_TIMEOUT);
    assert!(load.wait_exit(NODE_TIMEOUT).success(), "{}", load.stderr());
    assert_eq!(done["completed"], 100, "{done}");
    assert_eq!(done["counts"]["completed"], 100, "{done}");
    let new_owner = cluster.master_of_key(&prefix);
    assert_ne!(new_owner, killed);
    assert_eq!(cluster.cmd(new_owner, &["ZCARD", &completed_key]), "100");
}
