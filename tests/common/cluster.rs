//! A private, throw-away Redis Cluster per test: 3 masters and 3 replicas.
//!
//! Six `redis-server` processes (cluster mode, no persistence, a short node
//! timeout so a failover takes about two seconds) listen on free loopback
//! ports whose cluster-bus port (+10000) is free too, and each also on a unix
//! socket in its own dir, which the harness uses to query one node directly.
//! `redis-cli --cluster create` joins them. Drop SIGKILLs and reaps every
//! process, also when the test panics; the temp dir goes with it.
//!
//! Slots are split by `redis-cli` in order: masters()[0] owns 0-5460,
//! [1] 5461-10922, [2] 10923-16383. So `{b}` (3300) lands on master 0,
//! `{c}` (7365) and `{bull}` (9263) on master 1, `{a}` (15495) on master 2;
//! `tag_per_master` computes such tags with CLUSTER KEYSLOT instead of
//! relying on this table.

use std::fs::File;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::redis_server::open_log;
use super::resp::{Conn, Resp};
use super::{poll_until, wait_for};

/// Masters and replicas `start` creates.
const MASTERS: usize = 3;
const NODES: usize = 6;
/// All hash slots of a Redis Cluster.
pub const SLOTS: u32 = 16384;
/// `cluster-node-timeout`: how long a node may be unreachable before it is
/// marked failed and its replica takes over.
const NODE_TIMEOUT_MS: u64 = 1000;
/// How long a fresh process gets to answer PING.
const READY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long `start` waits for the created cluster to become healthy.
const START_TIMEOUT: Duration = Duration::from_secs(20);
/// Tries per node when its port (or bus port) was taken before it could bind.
const BIND_TRIES: usize = 5;

/// One line of CLUSTER NODES, as seen by the node that was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub id: String,
    pub port: u16,
    /// `myself`, `master`, `slave`, `fail?`, `fail`, `handshake`, `noaddr`, …
    pub flags: Vec<String>,
    /// The id of the master this node replicates, for a replica.
    pub master_id: Option<String>,
    pub connected: bool,
    /// Owned slot ranges, inclusive (importing/migrating entries skipped).
    pub slots: Vec<(u32, u32)>,
}

impl NodeInfo {
    pub fn is_master(&self) -> bool {
        self.flags.iter().any(|f| f == "master")
    }

    /// Flagged `fail` or `fail?` by the node that was asked.
    pub fn is_failing(&self) -> bool {
        self.flags.iter().any(|f| f == "fail" || f == "fail?")
    }

    pub fn owns(&self, slot: u32) -> bool {
        self.slots.iter().any(|&(lo, hi)| lo <= slot && slot <= hi)
    }
}

/// One process of the cluster.
struct Node {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Node {
    fn socket(&self) -> PathBuf {
        self.dir.join("redis.sock")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("redis.log")
    }

    /// Spawns redis-server on `self.port` with this node's dir (and so its
    /// `nodes.conf`, which keeps its cluster identity across restarts), then
    /// waits for PING. Errors carry the log tail.
    fn spawn(&mut self) -> Result<(), String> {
        let (log, log_err) = open_log(&self.log_path())?;
        let child = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .arg("--unixsocket")
            .arg(self.socket())
            .args(["--unixsocketperm", "700"])
            .args(["--cluster-enabled", "yes"])
            .args(["--cluster-config-file", "nodes.conf"])
            .args(["--cluster-node-timeout", &NODE_TIMEOUT_MS.to_string()])
            // A replica whose link was down for a while may still take over:
            // tests kill and restart nodes in quick succession.
            .args(["--cluster-replica-validity-factor", "0"])
            .args(["--save", "", "--appendonly", "no"])
            // Replicas sync at once (the default waits 5 s for more replicas).
            .args(["--repl-diskless-sync-delay", "0"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .map_err(|e| {
                format!("cannot run redis-server ({e}); install it (apt-get install redis-server)")
            })?;
        self.child = Some(child);
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(Child::try_wait) {
                self.child = None;
                return Err(format!(
                    "redis-server on port {} exited during startup ({status}); log tail:\n{}",
                    self.port,
                    tail(&self.log_path(), 10)
                ));
            }
            let pong = Conn::connect(&self.socket()).and_then(|mut c| c.call(&["PING"]));
            if matches!(pong, Ok(Resp::Simple(ref s)) if s == "PONG") {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(format!(
                    "redis-server on port {} did not answer PING within {READY_TIMEOUT:?}; log tail:\n{}",
                    self.port,
                    tail(&self.log_path(), 10)
                ));
            }
            sleep(Duration::from_millis(10));
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn call(&self, args: &[&str]) -> std::io::Result<Resp> {
        Conn::connect(&self.socket())?.call(args)
    }
}

pub struct RedisCluster {
    nodes: Vec<Node>,
    // After `nodes`: `Drop for RedisCluster` kills the processes before the
    // dir is removed.
    dir: TempDir,
}

impl RedisCluster {
    /// Starts 6 nodes, creates the cluster (3 masters, 1 replica each) and
    /// waits until every node reports `cluster_state:ok` with all 16384
    /// slots and every replica is in sync. Takes about 2 s.
    pub fn start() -> RedisCluster {
        let dir = tempfile::Builder::new()
            .prefix("qtop-cluster-")
            .tempdir()
            .expect("create temp dir for the cluster");
        let ports = free_port_pairs(NODES);
        let mut cluster = RedisCluster {
            nodes: Vec::new(),
            dir,
        };
        for (index, port) in ports.into_iter().enumerate() {
            let node_dir = cluster.dir.path().join(format!("node{index}"));
            std::fs::create_dir(&node_dir).expect("create node dir");
            let mut node = Node {
                port,
                dir: node_dir,
                child: None,
            };
            // Another process may take the port (or its bus port) between
            // the check and redis binding it: retry on a new pair.
            let mut result = node.spawn();
            for _ in 1..BIND_TRIES {
                if result.is_ok() {
                    break;
                }
                let _ = std::fs::remove_file(node.dir.join("nodes.conf"));
                node.port = free_port_pairs(1)[0];
                result = node.spawn();
            }
            if let Err(msg) = result {
                panic!("cluster node {index}: {msg}");
            }
            cluster.nodes.push(node);
        }
        cluster.create();
        cluster.wait_healthy(START_TIMEOUT);
        cluster
    }

    /// `redis-cli --cluster create … --cluster-replicas 1`: the first three
    /// nodes become masters.
    fn create(&self) {
        let addrs: Vec<String> = self
            .nodes
            .iter()
            .map(|n| format!("127.0.0.1:{}", n.port))
            .collect();
        let out = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addrs)
            .args(["--cluster-replicas", "1", "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run redis-cli ({e}); install it (apt-get install redis-tools)")
            });
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("All 16384 slots covered"),
            "redis-cli --cluster create failed ({}):\n{stdout}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `redis://127.0.0.1:<port>` of the current master of slot 0 (a live
    /// node, also after a failover): what a client is given to discover the
    /// cluster from.
    pub fn seed_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.masters()[0])
    }

    /// `redis://127.0.0.1:<port>` of every running node.
    pub fn node_urls(&self) -> Vec<String> {
        self.live_ports()
            .into_iter()
            .map(|p| format!("redis://127.0.0.1:{p}"))
            .collect()
    }

    /// Ports of the running nodes, in creation order.
    pub fn live_ports(&self) -> Vec<u16> {
        self.nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| n.port)
            .collect()
    }

    /// Ports of all six nodes, running or not, in creation order.
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|n| n.port).collect()
    }

    /// Pids of the running nodes.
    pub fn pids(&self) -> Vec<u32> {
        self.nodes
            .iter()
            .filter_map(|n| n.child.as_ref().map(Child::id))
            .collect()
    }

    /// The temp dir holding `node<i>/` (socket, `nodes.conf`, `redis.log`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// CLUSTER NODES as seen by the first running node.
    pub fn cluster_nodes(&self) -> Vec<NodeInfo> {
        let port = *self
            .live_ports()
            .first()
            .expect("no cluster node is running");
        self.cluster_nodes_from(port)
    }

    /// CLUSTER NODES as seen by the node on `port`.
    pub fn cluster_nodes_from(&self, port: u16) -> Vec<NodeInfo> {
        parse_cluster_nodes(&self.cmd(port, &["CLUSTER", "NODES"]))
    }

    /// Ports of the masters that own slots, ordered by their first slot (so
    /// index 0 owns slot 0), as seen by the first running node. Right after a
    /// kill this may still list the dead master: call `wait_healthy` first.
    pub fn masters(&self) -> Vec<u16> {
        let mut masters: Vec<NodeInfo> = self
            .cluster_nodes()
            .into_iter()
            .filter(|n| n.is_master() && !n.is_failing() && !n.slots.is_empty())
            .collect();
        masters.sort_by_key(|n| n.slots.iter().map(|s| s.0).min());
        masters.into_iter().map(|n| n.port).collect()
    }

    /// Port of the replica of the master on `master_port` (None if it has none).
    pub fn replica_of(&self, master_port: u16) -> Option<u16> {
        let nodes = self.cluster_nodes();
        let master = nodes.iter().find(|n| n.port == master_port)?;
        nodes
            .iter()
            .find(|n| n.master_id.as_deref() == Some(&master.id) && !n.is_failing())
            .map(|n| n.port)
    }

    /// CLUSTER KEYSLOT `key`.
    pub fn keyslot(&self, key: &str) -> u32 {
        let port = *self
            .live_ports()
            .first()
            .expect("no cluster node is running");
        let reply = self.cmd_resp(port, &["CLUSTER", "KEYSLOT", key]);
        reply
            .as_int()
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or_else(|| panic!("CLUSTER KEYSLOT {key}: {reply:?}"))
    }

    /// Port of the master that owns `slot`.
    pub fn master_of_slot(&self, slot: u32) -> u16 {
        self.cluster_nodes()
            .into_iter()
            .find(|n| n.is_master() && !n.is_failing() && n.owns(slot))
            .unwrap_or_else(|| panic!("no live master owns slot {slot}"))
            .port
    }

    /// Port of the master that holds `key` (hash tags respected).
    pub fn master_of_key(&self, key: &str) -> u16 {
        self.master_of_slot(self.keyslot(key))
    }

    /// One hash tag per master, in `masters()` order: the first of `a`…`z`
    /// (then `t0`, `t1`, …) whose slot that master owns. A BullMQ prefix
    /// `{tag}` (or a queue name `{tag}` under a plain prefix) then puts a
    /// queue on that master. With the slot split `redis-cli` makes this is
    /// `["b", "c", "a"]`.
    pub fn tag_per_master(&self) -> Vec<String> {
        let masters = self.masters();
        let nodes = self.cluster_nodes();
        let owner = |slot: u32| {
            nodes
                .iter()
                .find(|n| n.is_master() && !n.is_failing() && n.owns(slot))
                .map(|n| n.port)
        };
        let candidates = ('a'..='z')
            .map(String::from)
            .chain((0..1000).map(|i| format!("t{i}")));
        let mut tags: Vec<Option<String>> = vec![None; masters.len()];
        for tag in candidates {
            let port = owner(self.keyslot(&format!("{{{tag}}}")));
            if let Some(i) = masters.iter().position(|&m| Some(m) == port) {
                tags[i].get_or_insert(tag);
            }
            if tags.iter().all(Option::is_some) {
                break;
            }
        }
        tags.into_iter()
            .map(|t| t.expect("a tag for every master"))
            .collect()
    }

    /// One command on the node on `port` over its unix socket, without
    /// following redirections (a key on another master gives
    /// `(error) MOVED <slot> 127.0.0.1:<port>`). Readable reply as
    /// `RedisServer::cmd`; I/O failures (node down) panic.
    pub fn cmd(&self, port: u16, args: &[&str]) -> String {
        self.cmd_resp(port, args).to_string()
    }

    /// Like `cmd` but returns the parsed reply.
    pub fn cmd_resp(&self, port: u16, args: &[&str]) -> Resp {
        self.node(port)
            .call(args)
            .unwrap_or_else(|e| panic!("{args:?} on cluster node {port}: {e}"))
    }

    /// `redis-cli -c` on a live master: the command goes to whichever node
    /// owns its keys (MOVED/ASK followed). Returns redis-cli's raw output,
    /// trimmed (one line per array element).
    pub fn cli(&self, args: &[&str]) -> String {
        let port = self.masters()[0];
        let out = Command::new("redis-cli")
            .args(["-c", "-h", "127.0.0.1", "-p", &port.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run redis-cli ({e})"));
        assert!(
            out.status.success(),
            "redis-cli -c {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    }

    /// SIGKILLs `masters()[index]` (a crash; its replica takes over after
    /// the node timeout) and returns its port. Replication is asynchronous:
    /// for no lost writes, `wait_replicated` first, with writes held
    /// (`CLIENT PAUSE <ms> WRITE` on that master) if clients are writing.
    pub fn kill_master(&mut self, index: usize) -> u16 {
        let masters = self.masters();
        let port = *masters
            .get(index)
            .unwrap_or_else(|| panic!("no master {index}: masters are {masters:?}"));
        self.kill_node(port);
        port
    }

    /// SIGKILLs the node on `port` and reaps it.
    pub fn kill_node(&mut self, port: u16) {
        self.node_mut(port).kill();
    }

    /// Starts the node on `port` again after a kill, with its old identity
    /// (`nodes.conf`) and no data; it rejoins the cluster, as a replica if
    /// its slots were taken over meanwhile. Waits for PING only: call
    /// `wait_healthy` to wait for it to be in sync.
    pub fn restart_node(&mut self, port: u16) {
        let node = self.node_mut(port);
        assert!(node.child.is_none(), "node {port} is still running");
        if let Err(msg) = node.spawn() {
            panic!("restart of cluster node {port} failed: {msg}");
        }
    }

    /// Waits until the cluster is usable again and returns how long that
    /// took; panics with every node's view after `timeout`. Healthy means:
    /// every running node says `cluster_state:ok` with all 16384 slots ok,
    /// all of them agree which port owns which slots, and every running
    /// replica's link to its master is up.
    pub fn wait_healthy(&self, timeout: Duration) -> Duration {
        let started = Instant::now();
        match poll_until(timeout, || self.health_problem().map_or(Ok(()), Err)) {
            Ok(()) => started.elapsed(),
            Err(problem) => panic!(
                "cluster not healthy after {timeout:?}: {problem}\n{}",
                self.describe()
            ),
        }
    }

    /// Waits until every replica has applied everything its master has
    /// (replication offsets equal), so a failover loses no write made
    /// before this call.
    pub fn wait_replicated(&self, timeout: Duration) {
        wait_for("every replica to catch up", timeout, || {
            let lagging: Vec<String> = self
                .masters()
                .into_iter()
                .filter_map(|port| {
                    let info = self.cmd(port, &["INFO", "replication"]);
                    let offset = info_field(&info, "master_repl_offset")?;
                    let replicas: Vec<&str> = info
                        .lines()
                        .filter(|l| l.starts_with("slave") && l.contains("offset="))
                        .collect();
                    let synced = !replicas.is_empty()
                        && replicas
                            .iter()
                            .all(|l| l.contains(&format!("offset={offset},")));
                    (!synced).then(|| format!("master {port} at {offset}: {replicas:?}"))
                })
                .collect();
            if lagging.is_empty() {
                Ok(())
            } else {
                Err(lagging)
            }
        })
    }

    /// The last `n` lines of the log of the node on `port`.
    pub fn log_tail(&self, port: u16, n: usize) -> String {
        tail(&self.node(port).log_path(), n)
    }

    /// What is wrong with the cluster right now, if anything.
    fn health_problem(&self) -> Option<String> {
        let mut first_map: Option<(u16, SlotMap)> = None;
        for port in self.live_ports() {
            let node = self.node(port);
            let info = match node.call(&["CLUSTER", "INFO"]) {
                Ok(reply) => reply.to_string(),
                Err(e) => return Some(format!("node {port}: {e}")),
            };
            if info_field(&info, "cluster_state") != Some("ok") {
                return Some(format!("node {port}: not cluster_state:ok"));
            }
            if info_field(&info, "cluster_slots_ok") != Some("16384") {
                return Some(format!("node {port}: not all slots ok"));
            }
            let nodes = match node.call(&["CLUSTER", "NODES"]) {
                Ok(reply) => parse_cluster_nodes(&reply.to_string()),
                Err(e) => return Some(format!("node {port}: {e}")),
            };
            let map = slot_map(&nodes);
            match &first_map {
                None => first_map = Some((port, map)),
                Some((other, expected)) if *expected != map => {
                    return Some(format!(
                        "nodes {other} and {port} disagree on slot owners: {expected:?} vs {map:?}"
                    ))
                }
                Some(_) => {}
            }
            let me = nodes.iter().find(|n| n.flags.iter().any(|f| f == "myself"));
            if me.is_some_and(|n| !n.is_master()) {
                let repl = node
                    .call(&["INFO", "replication"])
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                if info_field(&repl, "master_link_status") != Some("up") {
                    return Some(format!("replica {port}: link to its master not up"));
                }
            }
        }
        None
    }

    /// Every running node's CLUSTER INFO state and CLUSTER NODES, for
    /// failure messages.
    fn describe(&self) -> String {
        let mut out = String::new();
        for port in self.live_ports() {
            let view = self
                .node(port)
                .call(&["CLUSTER", "NODES"])
                .map(|r| r.to_string())
                .unwrap_or_else(|e| e.to_string());
            out.push_str(&format!("--- node {port}:\n{view}\n"));
        }
        out
    }

    fn node(&self, port: u16) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.port == port)
            .unwrap_or_else(|| panic!("no cluster node on port {port}"))
    }

    fn node_mut(&mut self, port: u16) -> &mut Node {
        self.nodes
            .iter_mut()
            .find(|n| n.port == port)
            .unwrap_or_else(|| panic!("no cluster node on port {port}"))
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        // SIGKILL: nothing is persisted, so there is nothing to shut down cleanly.
        for node in &mut self.nodes {
            node.kill();
        }
    }
}

/// Parses CLUSTER NODES:
/// `<id> <ip:port@bus> <flags> <master|-> <ping> <pong> <epoch> <link> <slot>…`
pub fn parse_cluster_nodes(text: &str) -> Vec<NodeInfo> {
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 8 {
                return None;
            }
            let addr = fields[1].split('@').next()?;
            let port = addr.rsplit_once(':')?.1.parse().ok()?;
            let slots = fields[8..]
                .iter()
                .filter(|s| !s.starts_with('['))
                .filter_map(|s| match s.split_once('-') {
                    Some((lo, hi)) => Some((lo.parse().ok()?, hi.parse().ok()?)),
                    None => s.parse().ok().map(|n| (n, n)),
                })
                .collect();
            Some(NodeInfo {
                id: fields[0].to_string(),
                port,
                flags: fields[2].split(',').map(str::to_string).collect(),
                master_id: (fields[3] != "-").then(|| fields[3].to_string()),
                connected: fields[7] == "connected",
                slots,
            })
        })
        .collect()
}

/// (first slot, last slot, owner port) for every live master's ranges, sorted.
type SlotMap = Vec<(u32, u32, u16)>;

fn slot_map(nodes: &[NodeInfo]) -> SlotMap {
    let mut map: SlotMap = nodes
        .iter()
        .filter(|n| n.is_master() && !n.is_failing())
        .flat_map(|n| n.slots.iter().map(move |&(lo, hi)| (lo, hi, n.port)))
        .collect();
    map.sort_unstable();
    map
}

/// The value of `field:` in INFO-style `field:value` lines.
fn info_field<'a>(info: &'a str, field: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        line.trim_end()
            .strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
    })
}

/// `count` distinct loopback ports that were free a moment ago, each with its
/// cluster-bus port (+10000) free too. All are held until all are chosen, so
/// they differ from each other.
fn free_port_pairs(count: usize) -> Vec<u16> {
    let mut held = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..1000 {
        if ports.len() == count {
            break;
        }
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let Some(bus) = port.checked_add(10000) else {
            continue;
        };
        if let Ok(bus_listener) = TcpListener::bind(("127.0.0.1", bus)) {
            ports.push(port);
            held.push((listener, bus_listener));
        }
    }
    assert_eq!(
        ports.len(),
        count,
        "no free loopback port pairs (port, port+10000)"
    );
    ports
}

fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
