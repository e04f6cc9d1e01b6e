//! Redis, read-only: the shared connection, one reader per queue system behind one poll,
//! and the transport concerns all systems share (clusters, the lean RESP reader).
//! Nothing here imports the UI.

pub mod bullmq;
pub mod celery;
pub mod client_list;
pub mod cluster;
pub mod config;
pub mod conn;
pub mod connect;
pub mod dead_letters;
pub mod dlq_task;
pub mod job_task;
pub mod jobs;
pub mod lean;
pub mod link;
pub mod poller;
pub mod rq;
pub mod sidekiq;
pub mod task;
pub mod value;

pub use config::PollerConfig;
pub use connect::{ConnectError, RedisTarget};
pub use poller::Poller;
pub use task::{spawn_poller, SourceEvent};
