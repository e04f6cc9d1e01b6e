//! The monitor's connection to Redis, shared by every queue system's reader: one Redis or
//! every master of a cluster (`Link`), plus the lean connection the hot reads go through
//! when it can be opened, and what the current poll has cost so far.

use std::time::Duration;

use redis::{Pipeline, Value};

use super::cluster::LinkError;
use super::connect::{ConnectError, RedisTarget};
use super::lean::value::to_value;
use super::lean::{Batch, LeanConn, Replies};
use super::link::{info_field, Link};
use crate::model::{ClusterNodeReading, ClusterReading};

/// Round trips and commands since the cost was last taken.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cost {
    pub round_trips: u32,
    pub commands: u64,
    /// Commands in the largest single round trip.
    pub largest: u64,
}

impl Cost {
    fn add(&mut self, commands: u64) {
        self.round_trips += 1;
        self.commands += commands;
        self.largest = self.largest.max(commands);
    }
}

pub struct Conn {
    target: RedisTarget,
    timeout: Duration,
    link: Option<Link>,
    /// Pipelines go through this when it could be opened (a single Redis; a cluster's
    /// link holds one per master).
    lean: Option<LeanConn>,
    /// Cluster nodes seen so far: reconnection tries them after the seeds.
    known_nodes: Vec<String>,
    redis_version: String,
    /// `INFO server`'s `run_id`: a new one after a reconnection means another server
    /// process (restarted, or failed over).
    run_id: Option<String>,
    cost: Cost,
}

impl Conn {
    pub fn new(target: RedisTarget, timeout: Duration) -> Self {
        Self {
            target,
            timeout,
            link: None,
            lean: None,
            known_nodes: Vec::new(),
            redis_version: String::new(),
            run_id: None,
            cost: Cost::default(),
        }
    }

    pub fn target(&self) -> &RedisTarget {
        &self.target
    }

    pub fn redis_version(&self) -> &str {
        &self.redis_version
    }

    /// The server process's `run_id`, as read at the last connection.
    pub fn run_id(&self) -> Option<&str> {
        self.run_id.as_deref()
    }

    pub fn is_connected(&self) -> bool {
        self.link.is_some()
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self.link, Some(Link::Cluster(_)))
    }

    /// Connect (or reconnect): one Redis, or every master of a cluster; read the server
    /// version and name the connection.
    pub async fn connect(&mut self) -> Result<(), ConnectError> {
        let target = self.target.with_known_nodes(&self.known_nodes);
        let (mut link, info) = Link::open(&target, self.timeout).await?;
        self.redis_version = info_field(&info, "redis_version").unwrap_or_else(|| "unknown".into());
        self.run_id = info_field(&info, "run_id");
        // Lets operators see qtop in CLIENT LIST.
        link.set_name("qtop:monitor").await;
        tracing::info!(redis = %self.target.display(), version = %self.redis_version, "connected");
        if let Link::Cluster(cluster) = &link {
            self.known_nodes = cluster.known_addrs();
        }
        // QTOP_LEAN=off: everything through redis-rs (an escape hatch, and a comparison).
        let lean_off = super::cluster::link::lean_off();
        self.lean = match &link {
            Link::Single { .. } if lean_off => None,
            Link::Single { .. } => match LeanConn::open(&target, self.timeout).await {
                Ok(lean) => lean,
                Err(error) => {
                    // A second connection refused (maxclients, an ACL): redis-rs reads everything.
                    tracing::warn!(%error, "no second connection: reading through the main one");
                    None
                }
            },
            Link::Cluster(_) => None,
        };
        self.link = Some(link);
        Ok(())
    }

    /// Drop the connection after an error so the next call reconnects.
    pub fn disconnect(&mut self) {
        self.link = None;
        self.lean = None;
    }

    pub fn link(&mut self) -> Result<&mut Link, ConnectError> {
        let at = self.target.display().to_string();
        self.link
            .as_mut()
            .ok_or_else(|| ConnectError::Other(at, "not connected".into()))
    }

    /// The link as it is (for reading the topology), if connected.
    pub fn link_ref(&self) -> Option<&Link> {
        self.link.as_ref()
    }

    /// What the current poll has cost so far, and start counting afresh.
    pub fn take_cost(&mut self) -> Cost {
        std::mem::take(&mut self.cost)
    }

    /// Count one round trip of `commands` sent outside [`Self::run`] (a node's SCAN).
    pub fn count(&mut self, commands: u64) {
        self.cost.add(commands);
    }

    pub fn has_lean(&self) -> bool {
        self.lean.is_some()
    }

    /// After a poll: the lean connection keeps no reply buffer far larger than the last
    /// reply.
    pub fn release_spare(&mut self) {
        if let Some(lean) = self.lean.as_mut() {
            lean.release_spare();
        }
    }

    /// Send a pipeline: through the lean connection when there is one (its replies are read
    /// by hand, several times cheaper than redis-rs's decoder), else through the link.
    /// The lean path answers server errors in place, as an `ignore_errors()` pipeline does:
    /// every pipeline sent here sets it, except a redis-rs XREAD, which only runs without
    /// a lean connection.
    pub async fn run(&mut self, pipe: &Pipeline) -> Result<Vec<Value>, ConnectError> {
        if self.lean.is_some() {
            let batch = Batch::from_pipeline(pipe);
            let replies = self.exchange_lean(&batch).await?;
            return Ok(match replies {
                Some(replies) => (0..batch.len())
                    .map(|i| replies.get(i).map(to_value).unwrap_or(Value::Nil))
                    .collect(),
                None => Vec::new(),
            });
        }
        self.count(pipe.len() as u64);
        match self.link()?.query(pipe).await {
            Ok(values) => Ok(values),
            Err(LinkError { error, lost }) => {
                if lost {
                    self.disconnect();
                }
                Err(error)
            }
        }
    }

    /// Send a batch through the lean connection; its replies stay bytes. `None` when there
    /// is no lean connection. An error drops the connection (a half-read reply leaves it
    /// unusable).
    pub async fn exchange_lean(
        &mut self,
        batch: &Batch,
    ) -> Result<Option<Replies<'_>>, ConnectError> {
        let Some(lean) = self.lean.as_mut() else {
            return Ok(None);
        };
        self.cost.add(batch.len() as u64);
        if let Err(error) = lean.send(batch).await {
            self.disconnect();
            return Err(error);
        }
        Ok(self.lean.as_ref().map(LeanConn::replies))
    }

    /// One command to one node (`None`: the single Redis), as SCAN needs.
    pub async fn query_node(
        &mut self,
        node: Option<&str>,
        cmd: &redis::Cmd,
    ) -> Result<Value, ConnectError> {
        // Not counted: discovery is background work between polls, not part of a poll's cost.
        // A single Redis: through the lean connection when there is one (a SCAN reply is
        // hundreds of keys); a server error then comes back as a value, not an error.
        if node.is_none() && self.lean.is_some() {
            let mut pipe = redis::pipe();
            pipe.add_command(cmd.clone());
            let batch = Batch::from_pipeline(&pipe);
            let cost = self.cost;
            let value = match self.exchange_lean(&batch).await? {
                Some(replies) => replies.get(0).map(to_value).unwrap_or(Value::Nil),
                None => Value::Nil,
            };
            self.cost = cost;
            return Ok(value);
        }
        match self.link()?.query_node(node, cmd).await {
            Ok(reply) => Ok(reply),
            Err(LinkError { error, lost }) => {
                if lost {
                    self.disconnect();
                }
                Err(error)
            }
        }
    }

    /// The nodes a keyspace SCAN must visit (`[None]` for a single Redis).
    pub fn scan_nodes(&self) -> Vec<Option<String>> {
        self.link.as_ref().map(Link::scan_nodes).unwrap_or_default()
    }

    /// On a cluster: the master (`host:port`) serving `key`.
    pub fn node_of(&self, key: &str) -> Option<&str> {
        self.link
            .as_ref()
            .filter(|link| matches!(link, Link::Cluster(_)))
            .and_then(|link| link.node_of(key))
    }

    /// After a poll: remember the cluster's nodes for the next reconnection.
    pub fn remember_nodes(&mut self) {
        if let Some(Link::Cluster(cluster)) = &self.link {
            self.known_nodes = cluster.known_addrs();
        }
    }

    /// The cluster's nodes as last read (`None` for a single Redis).
    pub fn cluster_reading(&self) -> Option<ClusterReading> {
        let topology = self.link.as_ref()?.topology()?;
        let addr_of = |id: &str| {
            topology
                .nodes
                .iter()
                .find(|n| n.id == id)
                .map(|n| n.addr.clone())
        };
        Some(ClusterReading {
            nodes: topology
                .nodes
                .iter()
                .map(|node| ClusterNodeReading {
                    addr: node.addr.clone(),
                    role: if node.master { "master" } else { "replica" }.to_string(),
                    up: node.up,
                    slots: node.slot_count(),
                    replica_of: node.master_id.as_deref().and_then(addr_of),
                })
                .collect(),
            uncovered_slots: topology.uncovered_slots(),
        })
    }
}
