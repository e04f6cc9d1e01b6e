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
pub mod text;
pub mod ui;

use anyhow::Result;

use cli::{Cli, Command};

/// Run qtop as the command line asks. A problem with the contexts file or the chosen
/// context is a [`cli::contexts::ConfigError`] (exit status 2), found before anything starts.
pub async fn run(mut cli: Cli) -> Result<()> {
    // What needs neither a context nor Redis (`config path` works with a broken file).
    match &cli.command {
        Some(Command::Completions(args)) => return commands::shell::completions(args.shell),
        Some(Command::Man) => return commands::shell::man(),
        Some(Command::Config(args)) if matches!(args.action, cli::ConfigAction::Path) => {
            return commands::config::path(&cli.global);
        }
        _ => {}
    }
    cli::setup::prepare(&mut cli, &cli::setup::process_env)?;
    commands::config::warnings(&cli.setup);
    if let Some(Command::Config(_)) = &cli.command {
        return commands::config::show(&cli);
    }
    install_tls_provider();
    logging::init(cli.global.log_file.as_deref())?;
    tracing::info!("qtop {} starting", env!("CARGO_PKG_VERSION"));
    if cli.global.insecure && cli.global.redis_url().starts_with("rediss://") {
        eprintln!("qtop: warning: --insecure: the Redis server's TLS certificate is NOT verified");
    }
    refuse_writes_when_read_only(&cli)?;
    match &cli.command {
        Some(Command::Snapshot(args)) => commands::snapshot::run(&cli.global, args).await,
        Some(Command::Dlq(args)) => commands::dlq::run(&cli.global, args).await,
        Some(Command::Advise(args)) => commands::advise::run(&cli.global, args).await,
        Some(Command::Worker(args)) => commands::worker::run(&cli.global, args).await,
        Some(Command::Produce(args)) => commands::produce::run(&cli.global, args).await,
        Some(Command::Exporter(args)) => commands::exporter::run(&cli.global, args).await,
        Some(Command::Workers(args)) => commands::workers::run(&cli.global, args).await,
        Some(Command::Job(args)) => commands::job::run(&cli.global, args).await,
        Some(Command::Schedulers(args)) => commands::schedulers::run(&cli.global, args).await,
        Some(Command::Demo(args)) if args.headless => {
            commands::demo::run_headless(&cli.global, args).await
        }
        Some(Command::Demo(args)) => runtime::run_demo(&cli.global, &cli.dashboard, args).await,
        Some(Command::Config(_) | Command::Completions(_) | Command::Man) => Ok(()),
        None => runtime::run(&cli.global, &cli.dashboard, &cli.setup).await,
    }
}

/// `qtop worker`, `qtop produce` and a demo on a Redis of your own write jobs: refused in
/// read-only mode (a read-only context is a production one), before anything connects.
fn refuse_writes_when_read_only(cli: &Cli) -> Result<()> {
    let action = match &cli.command {
        Some(Command::Worker(_)) => "run a worker (it moves jobs in Redis)",
        Some(Command::Produce(_)) => "produce jobs",
        Some(Command::Demo(_)) if cli.global.redis_given() => {
            "run the demo on this Redis (its producer and workers write to it)"
        }
        _ => return Ok(()),
    };
    if cli.global.read_only {
        return Err(actions::ReadOnlyRefusal {
            action: action.to_string(),
        }
        .into());
    }
    Ok(())
}

/// rustls needs one process-wide crypto provider; qtop uses ring. Installing twice (tests
/// call `run` repeatedly) is harmless, so the result is ignored.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
