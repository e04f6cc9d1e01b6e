//! BullMQ (Node, Python and the official Rust crate share one layout): key names,
//! connection names, the reader that polls its queues, the dead-letter reader, all in one
//! place (../shared/bullmq-model.md).

pub mod clients;
pub mod counts;
pub mod dlq;
pub mod dlq_export;
pub mod events;
pub mod heads;
pub mod interval;
pub mod job;
pub mod keys;
pub mod lean_xread;
pub mod meta;
pub mod read;
pub mod reader;
pub mod timing;
pub mod workers;

pub use keys::QueueId;
pub use reader::BullReader;
