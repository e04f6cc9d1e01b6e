//! RQ (Python's Redis Queue): key names, the reader that polls its queues and workers, the
//! dead-letter reader (FailedJobRegistry), all in one place (../shared/rq-model.md).
//! Read-only: RQ's own counts clean up as they read; qtop reaches the same figures by
//! filtering instead.

pub mod cursor;
pub mod keys;
pub mod queue;
pub mod reader;
pub mod state;
pub mod workers;

pub use reader::RqReader;
