//! One file per subcommand that runs without a terminal UI.

pub mod advise;
pub mod demo;
pub mod dlq;
pub mod exporter;
pub mod produce;
pub mod snapshot;
pub mod worker;

use anyhow::{bail, Result};

use crate::cli::GlobalArgs;

/// The queue a single-queue command works on: the first `--queue`.
pub fn first_queue(global: &GlobalArgs, command: &str) -> Result<String> {
    let Some(queue) = global.queues.first() else {
        bail!("{command} needs a queue: pass --queue NAME");
    };
    check_queue_name(queue)?;
    Ok(queue.clone())
}

/// BullMQ queue names are non-empty and contain no `:` (the Node Queue constructor throws).
pub fn check_queue_name(queue: &str) -> Result<()> {
    if queue.is_empty() || queue.contains(':') {
        bail!("invalid queue name '{queue}': BullMQ queue names are non-empty and contain no ':'");
    }
    Ok(())
}

/// The first `--prefix` (default `bull`).
pub fn first_prefix(global: &GlobalArgs) -> String {
    global
        .prefixes
        .first()
        .cloned()
        .unwrap_or_else(|| "bull".to_string())
}
