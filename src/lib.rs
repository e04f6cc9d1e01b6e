//! qtop: `top` for job queues. The library behind the `qtop` binary.
//!
//! Layers: `source` reads Redis, `model` is pure data, `demo` runs the demo's Redis, producer
//! and worker processes, `commands` are the non-interactive subcommands. The data side never
//! imports a UI.

pub mod cli;
pub mod commands;
pub mod demo;
pub mod model;
pub mod source;

use anyhow::Result;

use cli::{Cli, Command};

/// Run qtop as the command line asks.
pub async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Some(Command::Snapshot(args)) => commands::snapshot::run(&cli.global, args).await,
        Some(Command::Worker(args)) => commands::worker::run(&cli.global, args).await,
        Some(Command::Produce(args)) => commands::produce::run(&cli.global, args).await,
        Some(Command::Demo(args)) => commands::demo::run(&cli.global, args).await,
        None => anyhow::bail!("the dashboard is not built yet: use `qtop snapshot`"),
    }
}
