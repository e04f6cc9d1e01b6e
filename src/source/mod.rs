//! Redis: connection, discovery, pipelined polling, events tail, CLIENT LIST.
//! Read-only by design; nothing here imports the UI.

pub mod bullmq;
pub mod client_list;
pub mod cluster;
pub mod connect;
pub mod dlq;
pub mod dlq_export;
pub mod dlq_task;
pub mod events;
pub mod lean;
pub mod link;
pub mod poller;
pub mod task;
pub mod value;
pub mod workers;

pub use connect::{ConnectError, RedisTarget};
pub use poller::{Poller, PollerConfig};
pub use task::{spawn_poller, SourceEvent};
