//! Sidekiq (Ruby): key names, tolerant job and heartbeat parsers, the reader that polls its
//! queues, processes and job sets, and the dead-letter reader, all in one place
//! (../shared/sidekiq-model.md). Read-only; its writes live in `actions/sidekiq/`.

pub mod dlq;
pub mod job;
pub mod keys;
pub mod process;
pub mod rates;
pub mod reader;
mod readings;
mod round_trips;
pub mod zsets;

pub use keys::{JobSet, Keys};
pub use reader::SidekiqReader;
