//! What the poller talks to: one Redis, or every master of a Redis Cluster. A cluster is
//! recognised from the server itself (`INFO cluster`), so `--redis` pointed at any cluster
//! node works without `--cluster`; `--cluster` makes a non-cluster server an error.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{Cmd, Pipeline, Value};

use super::cluster::{key_slot, queue_keys_share_a_slot, ClusterLink, LinkError, Topology};
use super::connect::{ConnectError, RedisTarget};
use super::value::as_string;

// One per poller, so the unboxed `Single` variant's size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Link {
    Single {
        conn: MultiplexedConnection,
        target: RedisTarget,
    },
    Cluster(Box<ClusterLink>),
}

impl Link {
    /// Connect to the target (the first seed that answers) and, for a cluster, to every
    /// master. Returns the link and the server's `INFO server` text.
    pub async fn open(
        target: &RedisTarget,
        timeout: Duration,
    ) -> Result<(Self, String), ConnectError> {
        let mut last_error = None;
        for seed in target.seeds() {
            match open_seed(target, &seed, timeout).await {
                Ok(opened) => return Ok(opened),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error.unwrap_or_else(|| ConnectError::InvalidUrl("no Redis URL".into())))
    }

    /// Run a pipeline. On a cluster, per-command errors come back in place.
    pub async fn query(&mut self, pipe: &Pipeline) -> Result<Vec<Value>, LinkError> {
        match self {
            Self::Single { conn, target } => pipe
                .query_async::<Vec<Value>>(conn)
                .await
                .map_err(|e| single_error(target, &e)),
            Self::Cluster(link) => link.query(pipe).await,
        }
    }

    /// Name the main connection(s) for `CLIENT LIST` (never the lean ones).
    pub async fn set_name(&mut self, name: &str) {
        match self {
            Self::Single { conn, .. } => {
                let mut cmd = redis::cmd("CLIENT");
                cmd.arg("SETNAME").arg(name);
                // An ACL that forbids it is no problem.
                let _ = cmd.query_async::<Value>(conn).await;
            }
            Self::Cluster(link) => link.set_name(name).await,
        }
    }

    /// Nodes that each hold part of the keyspace (SCAN runs on each): `None` for one Redis.
    pub fn scan_nodes(&self) -> Vec<Option<String>> {
        match self {
            Self::Single { .. } => vec![None],
            Self::Cluster(link) => link.master_addrs().into_iter().map(Some).collect(),
        }
    }

    /// One command to one node (`None`: the single Redis).
    pub async fn query_node(&mut self, node: Option<&str>, cmd: &Cmd) -> Result<Value, LinkError> {
        match (self, node) {
            (Self::Cluster(link), Some(addr)) => link.query_node(addr, cmd).await,
            (Self::Single { conn, target }, _) => cmd
                .query_async::<Value>(conn)
                .await
                .map_err(|e| single_error(target, &e)),
            (Self::Cluster(_), None) => Err(LinkError {
                error: ConnectError::Other("cluster".into(), "no node named".into()),
                lost: false,
            }),
        }
    }

    pub fn topology(&self) -> Option<&Topology> {
        match self {
            Self::Single { .. } => None,
            Self::Cluster(link) => Some(link.topology()),
        }
    }

    /// The master that serves a key (a cluster only).
    pub fn node_of(&self, key: &str) -> Option<&str> {
        match self {
            Self::Single { .. } => None,
            Self::Cluster(link) => link.node_of(key),
        }
    }
}

fn single_error(target: &RedisTarget, e: &redis::RedisError) -> LinkError {
    LinkError {
        error: target.classify(e),
        lost: e.is_io_error() || e.is_connection_dropped() || e.is_timeout(),
    }
}

async fn open_seed(
    target: &RedisTarget,
    seed: &RedisTarget,
    timeout: Duration,
) -> Result<(Link, String), ConnectError> {
    let mut conn = seed.connect(timeout).await?;
    let mut pipe = redis::pipe();
    pipe.cmd("INFO").arg("server");
    pipe.cmd("INFO").arg("cluster");
    let (server, cluster): (String, String) = pipe
        .query_async(&mut conn)
        .await
        .map_err(|e| seed.classify(&e))?;
    if !is_cluster(&cluster) {
        if target.wants_cluster() {
            return Err(not_a_cluster(seed));
        }
        let target = seed.clone();
        return Ok((Link::Single { conn, target }, server));
    }
    let mut seeds = vec![seed.clone()];
    seeds.extend(
        target
            .seeds()
            .into_iter()
            .filter(|s| s.display() != seed.display()),
    );
    let link = ClusterLink::connect(seeds, timeout).await?;
    Ok((Link::Cluster(Box::new(link)), server))
}

/// The first line of `INFO server` that starts with `field:`.
pub fn info_field(info: &str, field: &str) -> Option<String> {
    info.lines().find_map(|line| {
        line.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(|value| value.trim().to_string())
    })
}

/// A connection for the commands on `key` (and the keys sharing its slot): the Redis
/// itself, or on a cluster the master that holds the slot. `on_cluster` may refuse a cluster
/// first (BullMQ refuses a prefix without a hash tag).
pub async fn connect_for_key(
    target: &RedisTarget,
    key: &str,
    timeout: Duration,
    on_cluster: impl Fn(&RedisTarget) -> Result<(), ConnectError>,
) -> Result<MultiplexedConnection, ConnectError> {
    let mut last_error = None;
    for seed in target.seeds() {
        match key_conn_via(target, &seed, key, timeout, &on_cluster).await {
            Ok(conn) => return Ok(conn),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| ConnectError::InvalidUrl("no Redis URL".into())))
}

async fn key_conn_via(
    target: &RedisTarget,
    seed: &RedisTarget,
    key: &str,
    timeout: Duration,
    on_cluster: &impl Fn(&RedisTarget) -> Result<(), ConnectError>,
) -> Result<MultiplexedConnection, ConnectError> {
    let mut conn = seed.connect(timeout).await?;
    let info: String = redis::cmd("INFO")
        .arg("cluster")
        .query_async(&mut conn)
        .await
        .map_err(|e| seed.classify(&e))?;
    if !is_cluster(&info) {
        if target.wants_cluster() {
            return Err(not_a_cluster(seed));
        }
        return Ok(conn);
    }
    on_cluster(seed)?;
    let nodes: Value = redis::cmd("CLUSTER")
        .arg("NODES")
        .query_async(&mut conn)
        .await
        .map_err(|e| seed.classify(&e))?;
    let topology = Topology::parse(&as_string(&nodes).unwrap_or_default());
    let slot = key_slot(key.as_bytes());
    let Some(owner) = topology.owner(slot) else {
        return Err(ConnectError::Other(
            seed.display().to_string(),
            format!("no master serves the slot of {key} (failover in progress?)"),
        ));
    };
    seed.for_node(&owner.addr)?.connect(timeout).await
}

/// Whether `INFO cluster` says the server is a cluster node.
pub fn is_cluster(info: &str) -> bool {
    info.lines().any(|line| line.trim() == "cluster_enabled:1")
}

fn not_a_cluster(seed: &RedisTarget) -> ConnectError {
    ConnectError::Other(
        seed.display().to_string(),
        "--cluster was given but this server is not a Redis Cluster node (cluster_enabled:0)"
            .into(),
    )
}

/// On a cluster, BullMQ's scripts need every key of a queue in one slot: refuse a prefix
/// and queue name without a hash tag, saying how to fix it.
pub fn check_hash_tag(at: &RedisTarget, prefix: &str, name: &str) -> Result<(), ConnectError> {
    if queue_keys_share_a_slot(prefix, name) {
        return Ok(());
    }
    Err(ConnectError::Other(
        at.display().to_string(),
        format!(
            "this is a Redis Cluster, and the keys of queue '{name}' with prefix '{prefix}' would \
             spread over several slots; BullMQ's scripts need each queue in one slot. Use a \
             hash-tagged prefix such as --prefix '{{{prefix}}}' (or a queue name in braces)"
        ),
    ))
}

/// The target, marked as a cluster when the server says it is one (for clients such as the
/// official BullMQ crate that must be told). Unreachable: unchanged (the caller's own
/// connection will report the error).
pub async fn resolve_cluster(target: &RedisTarget) -> RedisTarget {
    if target.wants_cluster() {
        return target.clone();
    }
    let Ok(mut conn) = target.connect(Duration::from_secs(5)).await else {
        return target.clone();
    };
    let info: String = redis::cmd("INFO")
        .arg("cluster")
        .query_async(&mut conn)
        .await
        .unwrap_or_default();
    target.clone().with_cluster(is_cluster(&info))
}
