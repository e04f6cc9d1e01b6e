//! One file per subcommand that runs without a terminal UI.

pub mod advise;
pub mod config;
pub mod demo;
pub mod dlq;
pub mod exporter;
pub mod produce;
pub mod progress;
pub mod shell;
pub mod snapshot;
pub mod worker;
pub mod workers;

use std::io::{IsTerminal, Write};

use anyhow::{bail, Result};

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
