//! Celery on a Redis broker (kombu's Redis transport): key names, message envelopes, the
//! reader of its queues and `unacked` hash, and the events listener that brings workers'
//! heartbeats and task events (../shared/celery-model.md). Read-only, and never a kombu
//! consumer: kombu clients restore old `unacked` messages to their queues, qtop must not.

pub mod events;
pub mod keys;
pub mod listener;
pub mod message;
pub mod queue;
pub mod reader;
pub mod unacked;
pub mod workers;

pub use reader::CeleryReader;
