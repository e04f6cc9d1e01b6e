//! BullMQ's writes, through its own scripts (the official crate).

pub mod dlq;
