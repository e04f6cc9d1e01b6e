//! RQ's writes, command for command as RQ's own Python API sends them
//! (../shared/rq-model.md §6): `FailedJobRegistry.requeue`, `FailedJobRegistry.remove(…,
//! delete_job=True)`, and the pub/sub commands of `rq.command`. RQ has no server-side
//! scripts, so qtop sends the same commands; real RQ workers then pick retried jobs up.

pub mod dlq;
pub mod workers;

use std::time::Duration;

use super::Writer;

const TIMEOUT: Duration = Duration::from_secs(10);

/// A connection for RQ's writes.
async fn connect(writer: &Writer) -> anyhow::Result<redis::aio::MultiplexedConnection> {
    Ok(crate::source::rq::connect(writer.target(), TIMEOUT).await?)
}
