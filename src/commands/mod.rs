//! One file per subcommand that runs without a terminal UI.

pub mod advise;
pub mod config;
pub mod demo;
pub mod dlq;
pub mod exporter;
pub mod job;
pub mod produce;
pub mod progress;
pub mod schedulers;
pub mod shell;
pub mod snapshot;
pub mod worker;
pub mod workers;

use std::io::{IsTerminal, Write};

use anyhow::{bail, Context, Result};

use crate::cli::GlobalArgs;
use crate::model::{QueueKey, System};

/// Ask on the terminal, or require `--yes` when there is none (scripts).
pub fn confirm(question: &str, yes: bool, needed: bool) -> Result<()> {
    if yes || !needed {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("not confirmed: {question}? Pass --yes to confirm without a terminal");
    }
    eprint!("{question}? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        bail!("cancelled: nothing changed")
    }
}

/// The one queue a command works on: the `--queue` of the first `--system` (BullMQ by
/// default, under the first `--prefix`).
pub fn one_queue(global: &GlobalArgs, command: &str) -> Result<QueueKey> {
    if global.queues.len() > 1 {
        bail!(
            "{command} works on one queue at a time; got --queue {}",
            global.queues.join(", --queue ")
        );
    }
    let system = global.systems.first().copied().unwrap_or_default();
    let name = match system {
        System::Bullmq => crate::cli::first_queue(global, command)?,
        _ => global
            .queues
            .first()
            .cloned()
            .with_context(|| format!("{command} needs a queue: pass --queue NAME"))?,
    };
    let prefix = match system {
        System::Bullmq => crate::cli::first_prefix(global),
        _ => String::new(),
    };
    Ok(QueueKey::new(system, prefix, name))
}
