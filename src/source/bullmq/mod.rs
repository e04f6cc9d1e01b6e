//! BullMQ's Redis layout: key names, connection names and tolerant reads, in one place.

pub mod clients;
pub mod keys;
pub mod read;

pub use keys::QueueId;
