//! Writes to Redis: retrying and deleting jobs. Every write goes through a [`Writer`],
//! which cannot be made in `--read-only` mode, so no code path can write by accident.
//! Job state changes run BullMQ's own scripts through the official `bullmq` crate, so a
//! retried job is left exactly as BullMQ's own retry leaves it.

pub mod bullmq;
pub mod celery;
pub mod dead_letters;
pub mod dlq_op;
pub mod rq;
pub mod scale_cmd;
pub mod sidekiq;
pub mod workers;

use ::bullmq::options::{QueueOptions, RedisConnectionOptions, TlsCerts};
use ::bullmq::Queue;

use crate::source::bullmq::QueueId;
use crate::source::link::resolve_cluster;
use crate::source::RedisTarget;

/// Why a write was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOnlyRefusal {
    pub action: String,
}

impl std::fmt::Display for ReadOnlyRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "refused to {}: qtop is in read-only mode (--read-only, QTOP_READ_ONLY or read_only = true in the context)",
            self.action
        )
    }
}

impl std::error::Error for ReadOnlyRefusal {}

/// Permission to write, and the connection settings to do it with.
#[derive(Clone, Debug)]
pub struct Writer {
    target: RedisTarget,
}

impl Writer {
    /// `Err` in read-only mode, naming the refused `action`.
    pub fn new(
        target: RedisTarget,
        read_only: bool,
        action: &str,
    ) -> Result<Self, ReadOnlyRefusal> {
        if read_only {
            return Err(ReadOnlyRefusal {
                action: action.to_string(),
            });
        }
        Ok(Self { target })
    }

    /// Where writes go (for systems whose writes qtop sends itself, like RQ's).
    pub fn target(&self) -> &RedisTarget {
        &self.target
    }

    /// A bullmq-official queue handle for `queue`. (Constructing one records
    /// `library=bullmq-official:…` in the queue's meta hash, as the crate does for every
    /// producer; that is the only side effect.)
    pub async fn queue(&self, queue: &QueueId) -> Result<Queue, ::bullmq::Error> {
        let options = QueueOptions {
            connection: bullmq_connection(&resolve_cluster(&self.target).await),
            prefix: queue.prefix.to_string(),
            ..QueueOptions::default()
        };
        Queue::with_options(&queue.name, options).await
    }
}

/// The official crate's connection options for a target (URL, TLS certificates).
pub fn bullmq_connection(target: &RedisTarget) -> RedisConnectionOptions {
    let tls_certs = target.tls_certificates().map(|certs| TlsCerts {
        root_cert: certs.root_cert.clone(),
        client_cert: certs.client_tls.as_ref().map(|c| c.client_cert.clone()),
        client_key: certs.client_tls.as_ref().map(|c| c.client_key.clone()),
    });
    let cluster_nodes = if target.wants_cluster() {
        target.seeds().iter().map(|s| s.connection_url()).collect()
    } else {
        Vec::new()
    };
    RedisConnectionOptions {
        url: target.connection_url(),
        tls_certs,
        cluster_nodes,
        ..RedisConnectionOptions::default()
    }
}
