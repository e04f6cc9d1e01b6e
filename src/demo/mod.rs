//! The demo engine: an embedded redis-server, a live producer, and a pool of `qtop worker`
//! processes, driven by [`DemoHandle`] commands and reporting [`DemoEvent`]s.
//!
//! Data side only: nothing here imports ratatui, crossterm or the UI.

pub mod api;
pub mod beat;
pub mod child;
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

use anyhow::Result;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::source::RedisTarget;

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

/// Check that Redis answers (one clear line if not), then open a connection that reconnects
/// by itself.
pub async fn connect_checked(target: &RedisTarget) -> Result<ConnectionManager> {
    target.connect(CONNECT_TIMEOUT).await?;
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(CONNECT_TIMEOUT))
        .set_response_timeout(Some(CONNECT_TIMEOUT));
    let client = target.client()?;
    ConnectionManager::new_with_config(client, config)
        .await
        .map_err(|e| target.classify(&e).into())
}
