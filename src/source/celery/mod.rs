//! Celery on a Redis broker (kombu's Redis transport): key names, message envelopes, the
//! reader of its queues and `unacked` hash, and the events listener that brings workers'
//! heartbeats and task events (../shared/celery-model.md). Read-only, and never a kombu
//! consumer: kombu clients restore old `unacked` messages to their queues, qtop must not.

mod discovery;
pub mod dlq;
pub mod events;
pub mod keys;
pub mod listener;
pub mod message;
pub mod probe;
pub mod queue;
mod rates;
pub mod reader;
pub mod unacked;
pub mod workers;

pub use reader::CeleryReader;

/// A connection for Celery's keys (failed tasks in the result backend). kombu's Redis
/// transport does not run on a Redis Cluster, so a cluster is refused with that reason.
pub async fn connect(
    target: &crate::source::RedisTarget,
    timeout: std::time::Duration,
) -> Result<redis::aio::MultiplexedConnection, crate::source::ConnectError> {
    crate::source::link::connect_for_key(target, keys::UNACKED, timeout, |seed| {
        Err(crate::source::ConnectError::Other(
            seed.display().to_string(),
            "Celery's Redis transport does not run on a Redis Cluster".into(),
        ))
    })
    .await
}
