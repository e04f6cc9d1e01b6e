//! qtop: `top` for job queues. The library behind the `qtop` binary.
//!
//! Layers: `source` reads Redis, `model` is pure data, `demo` runs the demo's Redis, producer
//! and worker processes, `commands` are the non-interactive subcommands; `app`, `ui` and
//! `runtime` are the dashboard. The data side never imports the UI.

pub mod actions;
pub mod app;
pub mod cli;
pub mod commands;
pub mod demo;
pub mod logging;
pub mod model;
pub mod runtime;
pub mod source;
pub mod ui;

use anyhow::Result;

use cli::{Cli, Command};

/// Run qtop as the command line asks.
pub async fn run(cli: Cli) -> Result<()> {
    install_tls_provider();
    logging::init(cli.global.log_file.as_deref())?;
    tracing::info!("qtop {} starting", env!("CARGO_PKG_VERSION"));
    if cli.global.insecure && cli.global.redis_url().starts_with("rediss://") {
        eprintln!("qtop: warning: --insecure: the Redis server's TLS certificate is NOT verified");
    }
    match &cli.command {
        Some(Command::Snapshot(args)) => commands::snapshot::run(&cli.global, args).await,
        Some(Command::Dlq(args)) => commands::dlq::run(&cli.global, args).await,
        Some(Command::Advise(args)) => commands::advise::run(&cli.global, args).await,
        Some(Command::Worker(args)) => commands::worker::run(&cli.global, args).await,
        Some(Command::Produce(args)) => commands::produce::run(&cli.global, args).await,
        Some(Command::Workers(args)) => commands::workers::run(&cli.global, args).await,
        Some(Command::Job(args)) => commands::job::run(&cli.global, args).await,
        Some(Command::Schedulers(args)) => commands::schedulers::run(&cli.global, args).await,
        Some(Command::Demo(args)) if args.headless => {
            commands::demo::run_headless(&cli.global, args).await
        }
        Some(Command::Demo(args)) => runtime::run_demo(&cli.global, &cli.dashboard, args).await,
        None => runtime::run(&cli.global, &cli.dashboard).await,
    }
}

/// rustls needs one process-wide crypto provider; qtop uses ring. Installing twice (tests
/// call `run` repeatedly) is harmless, so the result is ignored.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
