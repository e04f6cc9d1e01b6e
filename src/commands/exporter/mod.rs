//! `qtop exporter`: the monitor's figures for Prometheus. One poller reads Redis at
//! `--interval`; each poll is published, and HTTP requests serve the latest one:
//!
//! ```text
//! poller ──SourceEvent──▶ Shared::apply ──▶ ExporterState ──publish──▶ Arc<Published>
//!                                                                        │ encoded once
//! GET /metrics ──────────────────────────────────────────────────────────┘ per poll and format
//! GET /api/snapshot   the JSON of `qtop snapshot --json`, from the same state
//! GET /healthz        200 while the last poll succeeded, 503 and why otherwise
//! ```

mod cache;
mod counters;
mod http;
mod metrics;
mod published;
mod state;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::signal::unix::{signal, SignalKind};
use tokio_util::sync::CancellationToken;

use crate::cli::poller_config;
use crate::cli::GlobalArgs;
use crate::source::spawn_poller;

pub use counters::{Buckets, QueueCounters, BUCKETS_S};
pub use http::{negotiate, router, Shared};
pub use metrics::encode;
pub use published::{Format, JobState, Published, QueueGauges, QueueSeries, WorkerBusy};
pub use state::{job_states, system_of, ExporterState, Health};

/// Where `qtop exporter` listens unless told otherwise: loopback only, so exposing the
/// figures to the network is a decision (`--listen 0.0.0.0:9464`).
pub use crate::cli::{ExporterArgs, DEFAULT_LISTEN};

/// How long the poller gets to stop after a signal.
const STOP_GRACE: Duration = Duration::from_secs(2);

pub async fn run(global: &GlobalArgs, args: &ExporterArgs) -> Result<()> {
    let target = global.target()?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr().context("the listening address")?;
    let mut terminate = signal(SignalKind::terminate()).context("installing SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("installing SIGINT")?;

    let state = ExporterState::new(
        i64::try_from(args.window.as_millis()).unwrap_or(i64::MAX),
        args.target_wait.as_secs_f64() * 1000.0,
    );
    let shared = Arc::new(Shared::new(state, global.interval));
    let cancel = CancellationToken::new();
    let redis = target.display().to_string();
    let (poller, mut events) = spawn_poller(
        target,
        poller_config(global),
        global.interval,
        cancel.clone(),
    );
    let consumer = tokio::spawn({
        let shared = Arc::clone(&shared);
        async move {
            while let Some(event) = events.recv().await {
                shared.apply(event);
            }
        }
    });
    // One line on stdout, so a supervisor (or a test) knows the address (`--listen …:0`).
    let every = global.interval;
    println!(
        "qtop exporter: serving http://{addr}/metrics, /api/snapshot, /healthz; \
         polling {redis} every {every:?}"
    );
    tracing::info!(%addr, %redis, "exporter listening");

    let stop = cancel.clone();
    axum::serve(listener, router(shared))
        .with_graceful_shutdown(async move {
            tokio::select! {
                _ = terminate.recv() => {}
                _ = interrupt.recv() => {}
                _ = stop.cancelled() => {}
            }
        })
        .await
        .context("serving HTTP")?;
    cancel.cancel();
    let _ = tokio::time::timeout(STOP_GRACE, async {
        let _ = poller.await;
        let _ = consumer.await;
    })
    .await;
    Ok(())
}
