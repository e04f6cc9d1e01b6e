//! qtop: `top` for job queues. The library behind the `qtop` binary.
//!
//! Layers: `source` reads Redis, `model` is pure data, `commands` are the non-interactive
//! subcommands; `app`, `ui` and `runtime` are the dashboard. The data side never imports
//! the UI.

pub mod app;
pub mod cli;
pub mod commands;
pub mod model;
pub mod runtime;
pub mod source;
pub mod ui;

use anyhow::Result;

use cli::{Cli, Command};

/// Run qtop as the command line asks.
pub async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Some(Command::Snapshot(args)) => commands::snapshot::run(&cli.global, args).await,
        None => runtime::run(&cli.global, &cli.dashboard).await,
    }
}
