//! `qtop demo`: the dashboard with the demo (`runtime::run_demo`); `--headless` runs the
//! engine alone and prints one status line per second (for scripts and CI).

use std::io::Write;
use std::time::Duration;

use crate::demo::DemoConn;
use anyhow::Result;

use crate::cli::{DashboardArgs, DemoArgs, GlobalArgs};
use crate::demo::lifeline::stop_requests;
use crate::demo::{connect_checked, Demo, DemoConfig, ProducerSettings, WorkDist};
use crate::source::bullmq::keys::QueueId;
use crate::source::RedisTarget;

use super::first_prefix;

/// The demo's queue when no --queue is given.
pub const DEFAULT_DEMO_QUEUE: &str = "demo";

/// The engine configuration the demo flags describe (shared with the UI's `qtop demo`).
pub fn demo_config(global: &GlobalArgs, args: &DemoArgs) -> DemoConfig {
    DemoConfig {
        redis_url: global.redis.first().cloned(),
        prefix: first_prefix(global),
        queue: global
            .queues
            .first()
            .cloned()
            .unwrap_or_else(|| DEFAULT_DEMO_QUEUE.to_string()),
        initial_workers: args.workers,
        concurrency: args.concurrency,
        lock_duration: args.lock_duration,
        stalled_interval: args.stalled_interval,
        settings: ProducerSettings {
            rate_per_s: args.rate,
            work_ms_mean: Some(args.work_ms),
            work_dist: Some(WorkDist::Exp),
            fail_rate: Some(args.fail_rate),
            ..ProducerSettings::default()
        },
        qtop_exe: None,
    }
}

pub async fn run(global: &GlobalArgs, dashboard: &DashboardArgs, args: &DemoArgs) -> Result<()> {
    if !args.headless {
        return crate::runtime::run_demo(global, dashboard, args).await;
    }
    let config = demo_config(global, args);
    super::check_queue_name(&config.queue)?;
    // Signal handlers first, so a Ctrl-C during startup still shuts down cleanly.
    let mut stop = stop_requests(false)?;
    let (demo, mut events) = Demo::start(config).await?;
    let status = demo.status();
    let target = RedisTarget::parse(&status.redis_url, global.insecure)?;
    // The display form: a --redis URL may carry a password.
    println!(
        "demo: queue {}:{} on {} (Ctrl-C to stop)",
        status.prefix,
        status.queue,
        target.display()
    );
    let queue = QueueId::new(status.prefix.clone(), status.queue.clone());
    let mut conn = connect_checked(&target).await?;
    let deadline = args.duration.map(|d| tokio::time::Instant::now() + d);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        let until_deadline = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = stop.recv() => break,
            _ = until_deadline => break,
            Some(event) = events.recv() => {
                if !matches!(event.kind, crate::demo::DemoEventKind::Produced { .. }) {
                    println!("event: {}", event.describe());
                }
            }
            _ = tick.tick() => {
                let line = status_line(&mut conn, &queue, &demo.status()).await;
                println!("{line}");
                let _ = std::io::stdout().flush();
            }
        }
    }
    demo.shutdown().await;
    while let Ok(event) = events.try_recv() {
        if !matches!(event.kind, crate::demo::DemoEventKind::Produced { .. }) {
            println!("event: {}", event.describe());
        }
    }
    println!("demo: stopped, {} jobs produced", demo.status().produced);
    Ok(())
}

/// `produced=… waiting=… active=… delayed=… completed=… failed=… workers=…`
async fn status_line(
    conn: &mut DemoConn,
    queue: &QueueId,
    status: &crate::demo::DemoStatus,
) -> String {
    let counts: redis::RedisResult<(u64, u64, u64, u64, u64)> = redis::pipe()
        .llen(queue.wait())
        .llen(queue.active())
        .zcard(queue.delayed())
        .zcard(queue.completed())
        .zcard(queue.failed())
        .query_async(conn)
        .await;
    let running = status
        .workers
        .iter()
        .filter(|w| w.state == crate::demo::WorkerState::Running)
        .count();
    match counts {
        Ok((waiting, active, delayed, completed, failed)) => format!(
            "produced={} waiting={waiting} active={active} delayed={delayed} \
             completed={completed} failed={failed} workers={running}",
            status.produced
        ),
        Err(error) => format!(
            "produced={} workers={running} redis_error=\"{error}\"",
            status.produced
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    #[test]
    fn the_demo_flags_default_to_the_engine_defaults() {
        let cli = Cli::try_parse_from(["qtop", "demo"]).unwrap_or_else(|e| panic!("{e}"));
        let Some(Command::Demo(args)) = &cli.command else {
            panic!("not the demo command")
        };
        assert_eq!(demo_config(&cli.global, args), DemoConfig::default());
    }
}
