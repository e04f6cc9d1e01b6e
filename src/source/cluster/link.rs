//! A connection to every master of a Redis Cluster. One pipeline in, one round trip per
//! node (in parallel), replies back in the pipeline's order. Redirects (`MOVED`, `ASK`)
//! are followed once and make the topology be re-read before the next pipeline; a node
//! that stops answering fails the pipeline, and the caller reconnects (which re-reads the
//! topology from any reachable node, so a failover is followed).

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use redis::aio::MultiplexedConnection;
use redis::{Cmd, Pipeline, Value};

use super::route::{self, Destination, Part};
use super::slot::key_slot;
use super::topology::Topology;
use crate::source::connect::{ConnectError, RedisTarget};
use crate::source::lean::value::to_value;
use crate::source::lean::{Batch, LeanConn};
use crate::source::value::as_string;

pub struct ClusterLink {
    /// Where to (re)learn the topology: the seeds given, then every node seen.
    seeds: Vec<RedisTarget>,
    timeout: Duration,
    topology: Topology,
    conns: HashMap<String, MultiplexedConnection>,
    /// Each master's lean connection (`lean/`): pipelines go through it, replies decoded by
    /// hand instead of by redis-rs. A node that refused one is read through redis-rs.
    lean: HashMap<String, LeanConn>,
    no_lean: HashSet<String>,
    stale: bool,
    refreshed_at: Option<Instant>,
}

/// The topology is re-read this often anyway, so the header shows nodes going down and up.
const REFRESH_EVERY: Duration = Duration::from_secs(5);

/// Why a cluster pipeline failed, and whether the connection should be rebuilt.
#[derive(Debug)]
pub struct LinkError {
    pub error: ConnectError,
    pub lost: bool,
}

impl ClusterLink {
    /// Learn the topology through the first seed that answers and connect to every master.
    pub async fn connect(seeds: Vec<RedisTarget>, timeout: Duration) -> Result<Self, ConnectError> {
        let mut link = Self {
            seeds,
            timeout,
            topology: Topology::default(),
            conns: HashMap::new(),
            lean: HashMap::new(),
            no_lean: HashSet::new(),
            stale: true,
            refreshed_at: None,
        };
        link.refresh().await?;
        Ok(link)
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// The address of the master serving a key.
    pub fn node_of(&self, key: &str) -> Option<&str> {
        self.topology
            .owner(key_slot(key.as_bytes()))
            .map(|n| n.addr.as_str())
    }

    /// Masters serving slots, in address order (SCAN runs on each).
    pub fn master_addrs(&self) -> Vec<String> {
        self.topology.masters().map(|n| n.addr.clone()).collect()
    }

    fn target_for(&self, addr: &str) -> Result<RedisTarget, ConnectError> {
        let seed = self
            .seeds
            .first()
            .ok_or_else(|| ConnectError::InvalidUrl("no cluster seed".into()))?;
        seed.for_node(addr)
    }

    async fn conn(&mut self, addr: &str) -> Result<MultiplexedConnection, ConnectError> {
        if let Some(conn) = self.conns.get(addr) {
            return Ok(conn.clone());
        }
        let conn = self.target_for(addr)?.connect(self.timeout).await?;
        self.conns.insert(addr.to_string(), conn.clone());
        Ok(conn)
    }

    /// A master that does not answer, said as what it means for the operator.
    fn node_down(&self, addr: &str, error: ConnectError) -> ConnectError {
        let cause = match &error {
            ConnectError::Refused(_) => "connection refused".to_string(),
            ConnectError::Timeout(_) => "no answer".to_string(),
            other => other.to_string(),
        };
        let slots = self
            .topology
            .nodes
            .iter()
            .find(|n| n.addr == addr)
            .map_or(0, |n| n.slot_count());
        ConnectError::Other(
            format!("cluster node {addr}"),
            format!(
                "a master serving {slots} slots is unreachable ({cause}); its queues cannot be \
                 read until it is back or a replica takes over"
            ),
        )
    }

    /// Re-read `CLUSTER NODES` from a node we know (masters first), else from a seed.
    pub async fn refresh(&mut self) -> Result<(), ConnectError> {
        // Nodes we hold a connection to first, masters before replicas.
        let mut known: Vec<(bool, bool, String)> = self
            .topology
            .nodes
            .iter()
            .filter(|n| n.up)
            .map(|n| (!self.conns.contains_key(&n.addr), !n.master, n.addr.clone()))
            .collect();
        known.sort();
        let known: Vec<String> = known.into_iter().map(|(_, _, addr)| addr).collect();
        let mut last_error = None;
        for addr in known {
            let text = match self.conn(&addr).await {
                Ok(mut conn) => cluster_nodes(&mut conn).await.ok(),
                Err(error) => {
                    last_error = Some(error);
                    None
                }
            };
            if let Some(text) = text {
                if self.adopt(Topology::parse(&text)) {
                    return Ok(());
                }
            }
            self.conns.remove(&addr);
        }
        for seed in self.seeds.clone() {
            let read = async {
                let mut conn = seed.connect(self.timeout).await?;
                cluster_nodes(&mut conn)
                    .await
                    .map_err(|e| seed.classify(&e))
            };
            match read.await {
                Ok(text) => {
                    if self.adopt(Topology::parse(&text)) {
                        return Ok(());
                    }
                    last_error = Some(ConnectError::Other(
                        seed.display().to_string(),
                        "the cluster has no master serving slots yet".into(),
                    ));
                }
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| ConnectError::InvalidUrl("no cluster seed".into())))
    }

    /// Use a freshly read topology if it has masters; drop connections to former masters.
    fn adopt(&mut self, topology: Topology) -> bool {
        if topology.masters().next().is_none() {
            return false;
        }
        let masters: Vec<String> = topology.masters().map(|m| m.addr.clone()).collect();
        self.conns.retain(|addr, _| masters.contains(addr));
        self.lean.retain(|addr, _| masters.contains(addr));
        self.topology = topology;
        self.stale = false;
        self.refreshed_at = Some(Instant::now());
        true
    }

    /// Every node address the cluster last named (to reconnect through after a failover).
    pub fn known_addrs(&self) -> Vec<String> {
        self.topology.nodes.iter().map(|n| n.addr.clone()).collect()
    }

    /// Run a pipeline over the cluster; per-command errors come back in place (as with
    /// `ignore_errors`), so one bad key never hides the other replies.
    pub async fn query(&mut self, pipe: &Pipeline) -> Result<Vec<Value>, LinkError> {
        let due = self
            .refreshed_at
            .is_none_or(|at| at.elapsed() >= REFRESH_EVERY);
        if self.stale || due {
            if let Err(error) = self.refresh().await {
                // Keep serving from the last topology while nodes can still answer.
                if self.stale {
                    return Err(LinkError { error, lost: false });
                }
            }
        }
        let plan = route::plan(pipe);
        // Group parts by node.
        let mut by_node: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, part) in plan.parts.iter().enumerate() {
            let addrs: Vec<String> = match part.destination {
                Destination::Slot(slot) => match self.topology.owner(slot) {
                    Some(node) => vec![node.addr.clone()],
                    None => {
                        self.stale = true;
                        return Err(LinkError {
                            error: ConnectError::Other(
                                "cluster".into(),
                                format!("no master serves slot {slot} (failover in progress?)"),
                            ),
                            lost: true,
                        });
                    }
                },
                Destination::EveryMaster => self.master_addrs(),
            };
            for addr in addrs {
                match by_node.iter_mut().find(|(a, _)| *a == addr) {
                    Some((_, parts)) => parts.push(i),
                    None => by_node.push((addr, vec![i])),
                }
            }
        }
        let mut work = Vec::new();
        for (addr, parts) in &by_node {
            let conn = match self.conn(addr).await {
                Ok(conn) => conn,
                Err(error) => {
                    self.stale = true;
                    let error = self.node_down(addr, error);
                    return Err(LinkError { error, lost: true });
                }
            };
            let mut node_pipe = redis::pipe();
            node_pipe.ignore_errors();
            for &i in parts {
                node_pipe.add_command(plan.parts[i].cmd.clone());
            }
            let lean = self.lean_conn(addr).await;
            work.push((addr.clone(), conn, lean, node_pipe));
        }
        let replies = join_all(work.into_iter().map(
            |(addr, mut conn, lean, node_pipe)| async move {
                match lean {
                    Some(mut lean) => {
                        let reply = read_lean(&mut lean, &node_pipe).await;
                        (addr, reply.map_err(NodeError::Lean), Some(lean))
                    }
                    None => {
                        let reply = node_pipe.query_async::<Vec<Value>>(&mut conn).await;
                        (addr, reply.map_err(NodeError::Redis), None)
                    }
                }
            },
        ))
        .await;
        // Replies per (part, node), in the order parts were planned.
        let mut part_replies: Vec<Vec<Value>> = vec![Vec::new(); plan.parts.len()];
        for ((addr, reply, lean), (_, parts)) in replies.into_iter().zip(&by_node) {
            if let Some(lean) = lean {
                if reply.is_ok() {
                    self.lean.insert(addr.clone(), lean);
                }
            }
            let values = match reply {
                Ok(values) => values,
                Err(NodeError::Lean(error)) => {
                    // A half-read reply leaves the connection unusable: it was dropped.
                    self.stale = true;
                    self.conns.remove(&addr);
                    let error = self.node_down(&addr, error);
                    return Err(LinkError { error, lost: true });
                }
                Err(NodeError::Redis(e)) => {
                    self.stale = true;
                    let target = self.target_for(&addr).ok();
                    let error = match target {
                        Some(target) => target.classify(&e),
                        None => ConnectError::Other(addr.clone(), e.to_string()),
                    };
                    self.conns.remove(&addr);
                    let lost = e.is_io_error() || e.is_connection_dropped() || e.is_timeout();
                    let error = if lost {
                        self.node_down(&addr, error)
                    } else {
                        error
                    };
                    return Err(LinkError { error, lost });
                }
            };
            for (&i, value) in parts.iter().zip(values) {
                part_replies[i].push(value);
            }
        }
        for (i, replies) in part_replies.iter_mut().enumerate() {
            for reply in replies.iter_mut() {
                if let Some(redirect) = Redirect::of(reply) {
                    self.stale = true;
                    if let Some(value) = self.follow(&redirect, &plan.parts[i]).await {
                        *reply = value;
                    }
                }
            }
        }
        let mut by_command: Vec<Vec<Value>> = vec![Vec::new(); plan.merges.len()];
        for (part, replies) in plan.parts.iter().zip(part_replies) {
            if let Some(slot) = by_command.get_mut(part.index) {
                slot.extend(replies);
            }
        }
        Ok(plan
            .merges
            .iter()
            .zip(by_command)
            .map(|(kind, replies)| route::merge(*kind, replies))
            .collect())
    }

    /// Send one part again where a redirect points; `None` if that fails too (the caller
    /// then keeps the redirect error in place).
    async fn follow(&mut self, redirect: &Redirect, part: &Part) -> Option<Value> {
        let mut conn = self.conn(&redirect.addr).await.ok()?;
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        if redirect.ask {
            pipe.cmd("ASKING");
        }
        pipe.add_command(part.cmd.clone());
        let mut values = pipe.query_async::<Vec<Value>>(&mut conn).await.ok()?;
        values.pop()
    }

    /// The lean connection to `addr`, taken out of the map (put back after a good
    /// exchange), or `None`: that node reads through redis-rs.
    async fn lean_conn(&mut self, addr: &str) -> Option<LeanConn> {
        if let Some(lean) = self.lean.remove(addr) {
            return Some(lean);
        }
        if self.no_lean.contains(addr) || lean_off() {
            return None;
        }
        let target = self.target_for(addr).ok()?;
        match LeanConn::open(&target, self.timeout).await {
            Ok(Some(lean)) => Some(lean),
            Ok(None) => None,
            Err(error) => {
                // Refused (maxclients, an ACL): not asked again until reconnection.
                tracing::warn!(%error, node = addr, "no second connection to this node");
                self.no_lean.insert(addr.to_string());
                None
            }
        }
    }

    /// Name every master's main (redis-rs) connection, as operators see it in `CLIENT
    /// LIST`; the lean ones name themselves. A refusal (an ACL) is no problem.
    pub async fn set_name(&mut self, name: &str) {
        for addr in self.master_addrs() {
            if let Ok(mut conn) = self.conn(&addr).await {
                let mut cmd = redis::cmd("CLIENT");
                cmd.arg("SETNAME").arg(name);
                let _ = cmd.query_async::<Value>(&mut conn).await;
            }
        }
    }

    /// One command to one master (by address), e.g. a SCAN step.
    pub async fn query_node(&mut self, addr: &str, cmd: &Cmd) -> Result<Value, LinkError> {
        let mut conn = match self.conn(addr).await {
            Ok(conn) => conn,
            Err(error) => {
                self.stale = true;
                let error = self.node_down(addr, error);
                return Err(LinkError { error, lost: true });
            }
        };
        match cmd.query_async::<Value>(&mut conn).await {
            Ok(value) => Ok(value),
            Err(e) => {
                self.stale = true;
                self.conns.remove(addr);
                let lost = e.is_io_error() || e.is_connection_dropped() || e.is_timeout();
                let error = match self.target_for(addr) {
                    Ok(target) => target.classify(&e),
                    Err(error) => error,
                };
                let error = if lost {
                    self.node_down(addr, error)
                } else {
                    error
                };
                Err(LinkError { error, lost })
            }
        }
    }
}

/// Why a node's part of a pipeline failed.
enum NodeError {
    Redis(redis::RedisError),
    Lean(ConnectError),
}

/// A node's pipeline through its lean connection; replies as redis-rs values.
async fn read_lean(lean: &mut LeanConn, pipe: &Pipeline) -> Result<Vec<Value>, ConnectError> {
    let batch = Batch::from_pipeline(pipe);
    let replies = lean.exchange(&batch).await?;
    Ok((0..batch.len())
        .map(|i| replies.get(i).map(to_value).unwrap_or(Value::Nil))
        .collect())
}

/// `QTOP_LEAN=off`: everything through redis-rs.
pub fn lean_off() -> bool {
    std::env::var("QTOP_LEAN").is_ok_and(|v| v == "off" || v == "0")
}

async fn cluster_nodes(conn: &mut MultiplexedConnection) -> Result<String, redis::RedisError> {
    let reply: Value = redis::cmd("CLUSTER").arg("NODES").query_async(conn).await?;
    Ok(as_string(&reply).unwrap_or_default())
}

/// `MOVED 3999 127.0.0.1:6381` or `ASK 3999 127.0.0.1:6381`.
struct Redirect {
    addr: String,
    ask: bool,
}

impl Redirect {
    fn of(value: &Value) -> Option<Self> {
        let Value::ServerError(error) = value else {
            return None;
        };
        let ask = match error.code() {
            "MOVED" => false,
            "ASK" => true,
            _ => return None,
        };
        let addr = error.details()?.split_whitespace().nth(1)?.to_string();
        Some(Self { addr, ask })
    }
}
