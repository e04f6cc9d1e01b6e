//! RQ (Python's Redis Queue): key names, the reader that polls its queues and workers, the
//! dead-letter reader (FailedJobRegistry), all in one place (../shared/rq-model.md).
//! Read-only: RQ's own counts clean up as they read; qtop reaches the same figures by
//! filtering instead.

pub mod cursor;
pub mod dlq;
pub mod keys;
pub mod queue;
pub mod reader;
pub mod results;
pub mod state;
mod timing;
pub mod workers;

pub use reader::RqReader;

/// A connection for RQ's keys (dead letters, writes). RQ does not run on a Redis Cluster
/// (its MULTI blocks span slots), so a cluster is refused with that reason.
pub async fn connect(
    target: &crate::source::RedisTarget,
    timeout: std::time::Duration,
) -> Result<redis::aio::MultiplexedConnection, crate::source::ConnectError> {
    crate::source::link::connect_for_key(target, keys::QUEUES, timeout, |seed| {
        Err(crate::source::ConnectError::Other(
            seed.display().to_string(),
            "RQ does not run on a Redis Cluster (its transactions span hash slots)".into(),
        ))
    })
    .await
}
