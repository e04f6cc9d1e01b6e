//! The demo engine: an embedded redis-server, a live producer, and a pool of `qtop worker`
//! processes, driven by [`DemoHandle`] commands and reporting [`DemoEvent`]s.
//!
//! Data side only: nothing here imports ratatui, crossterm or the UI.

pub mod api;
pub mod beat;
pub mod child;
pub mod conn;
mod control;
pub mod embedded;
pub mod engine;
pub mod failure;
pub mod job;
pub mod lifeline;
pub mod pace;
pub mod pool;
pub mod processor;
pub mod producer;
pub mod random;
pub mod scale;
pub mod worker;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClientBuilder;

use crate::source::bullmq::QueueId;
use crate::source::link::is_cluster;
use crate::source::RedisTarget;

pub use conn::DemoConn;

pub use api::{DemoConfig, DemoEvent, DemoEventKind, DemoHandle, DemoStatus};
pub use embedded::EmbeddedRedis;
pub use engine::Demo;
pub use job::{DemoJobData, WorkDist};
pub use pool::{PoolConfig, PoolWorker, WorkerPool, WorkerState};
pub use producer::ProducerSettings;

/// How long a first connection may take before the command gives up with a clear error.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Wall-clock milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// What qtop's producer and workers are, in a queue's meta hash: the official crate writes
/// `library = bullmq-official:0.1.0` whatever its version (1.4.4, pinned in Cargo.toml), so
/// qtop writes the real one after the crate opened the queue.
pub const BULLMQ_LIBRARY: &str = "bullmq-official:1.4.4";

/// Put [`BULLMQ_LIBRARY`] in the queue's meta hash (after the crate wrote its own).
pub async fn stamp_library(conn: &mut DemoConn, queue: &QueueId) -> Result<()> {
    redis::cmd("HSET")
        .arg(queue.meta())
        .arg("library")
        .arg(BULLMQ_LIBRARY)
        .query_async::<()>(conn)
        .await
        .with_context(|| format!("writing the library of {queue}"))
}

/// Check that Redis answers (one clear line if not), then open a connection that reconnects
/// by itself: to the one Redis, or through redis-rs's cluster client when the server is a
/// Redis Cluster node (recognised from `INFO cluster`; `--cluster` insists on one).
pub async fn connect_checked(target: &RedisTarget) -> Result<DemoConn> {
    let mut probe = target.connect(CONNECT_TIMEOUT).await?;
    let info: String = redis::cmd("INFO")
        .arg("cluster")
        .query_async(&mut probe)
        .await
        .unwrap_or_default();
    if is_cluster(&info) {
        let urls: Vec<String> = target.seeds().iter().map(|s| s.connection_url()).collect();
        let mut builder = ClusterClientBuilder::new(urls)
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(CONNECT_TIMEOUT);
        if let Some(certs) = target.tls_certificates() {
            builder = builder.certs(certs.clone());
        }
        let client = builder.build().map_err(|e| target.classify(&e))?;
        let conn = client
            .get_async_connection()
            .await
            .map_err(|e| target.classify(&e))?;
        return Ok(DemoConn::Cluster(conn));
    }
    if target.wants_cluster() {
        anyhow::bail!(
            "{}: --cluster was given but this server is not a Redis Cluster node (cluster_enabled:0)",
            target.display()
        );
    }
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(CONNECT_TIMEOUT));
    let client = target.client()?;
    let manager = ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|e| target.classify(&e))?;
    Ok(DemoConn::Single(manager))
}

/// The official crate's connection options for a URL, on one Redis or a cluster.
pub fn bullmq_options(url: &str, cluster: bool) -> bullmq::options::RedisConnectionOptions {
    let options = bullmq::options::RedisConnectionOptions::new().url(url);
    if cluster {
        options.cluster_nodes([url])
    } else {
        options
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_library_stamp_names_the_pinned_crate() {
        let version = super::BULLMQ_LIBRARY.trim_start_matches("bullmq-official:");
        let manifest = include_str!("../../Cargo.toml");
        assert!(
            manifest.contains(&format!("bullmq-official = \"={version}\"")),
            "Cargo.toml pins another bullmq-official than {version}"
        );
    }
}
