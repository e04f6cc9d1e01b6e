//! Celery's writes: remote-control broadcasts (`pool_grow`, `pool_shrink`, `shutdown`)
//! published as `celery control` publishes them (../shared/celery-model.md §6), without
//! being a kombu client (kombu's clients also restore old `unacked` messages: a write qtop
//! must not make).

pub mod control;
