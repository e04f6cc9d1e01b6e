//! Logs go to `--log-file` (env `QTOP_LOG`) or nowhere: never to the terminal qtop draws
//! on. The level comes from `QTOP_LOG_LEVEL` (default `info`); the official bullmq crate's
//! own logs land in the same file.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use tracing_subscriber::EnvFilter;

/// Start logging to `path` (appending). Without a path nothing is logged.
pub fn init(path: Option<&Path>) -> Result<()> {
    let Some(path) = path else {
        return Ok(());
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open the log file {}", path.display()))?;
    let filter =
        EnvFilter::try_from_env("QTOP_LOG_LEVEL").unwrap_or_else(|_| EnvFilter::new("info"));
    // A second init (tests run `qtop::run` more than once) keeps the first subscriber.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .try_init();
    Ok(())
}
