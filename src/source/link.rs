//! What the poller talks to: one Redis, or every master of a Redis Cluster. A cluster is
//! recognised from the server itself (`INFO cluster`), so `--redis` pointed at any cluster
//! node works without `--cluster`; `--cluster` makes a non-cluster server an error.

use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{Cmd, Pipeline, Value};

use super::cluster::{ClusterLink, LinkError, Topology};
use super::connect::{ConnectError, RedisTarget};

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
    let enabled = cluster
        .lines()
        .any(|line| line.trim() == "cluster_enabled:1");
    if !enabled {
        if target.wants_cluster() {
            return Err(ConnectError::Other(
                seed.display().to_string(),
                "--cluster was given but this server is not a Redis Cluster node (cluster_enabled:0)"
                    .into(),
            ));
        }
        let target = seed.clone();
        return Ok((Link::Single { conn, target }, server));
    }
    let mut seeds = vec![seed.clone()];
    seeds.extend(target.seeds().into_iter().filter(|s| s.display() != seed.display()));
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
