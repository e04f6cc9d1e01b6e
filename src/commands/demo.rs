//! `qtop demo --headless`: the demo engine alone, one status line per second (for scripts
//! and CI). The demo with the dashboard is `runtime::run_demo`.

use std::io::Write;
use std::time::Duration;

use crate::demo::DemoConn;
use anyhow::Result;

use crate::cli::{demo_config, DemoArgs, GlobalArgs};
use crate::demo::lifeline::stop_requests;
use crate::demo::{connect_checked, Demo};
use crate::source::bullmq::keys::QueueId;
use crate::source::RedisTarget;

pub async fn run_headless(global: &GlobalArgs, args: &DemoArgs) -> Result<()> {
    let config = demo_config(global, args)?;
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

/// `produced=… waiting=… active=… delayed=… completed=… failed=… workers=…`. Everything is
/// read from Redis in one pipeline, `produced` (the queue's job-id counter) last: a job
/// counted anywhere was added before it, so produced ≥ completed + failed always holds
/// (the producer's own counter moves only when a batch of adds returns, after some of its
/// jobs may already have completed).
async fn status_line(
    conn: &mut DemoConn,
    queue: &QueueId,
    status: &crate::demo::DemoStatus,
) -> String {
    let counts: redis::RedisResult<(u64, u64, u64, u64, u64, Option<u64>)> = redis::pipe()
        .llen(queue.wait())
        .llen(queue.active())
        .zcard(queue.delayed())
        .zcard(queue.completed())
        .zcard(queue.failed())
        .get(queue.id_counter())
        .query_async(conn)
        .await;
    let running = status
        .workers
        .iter()
        .filter(|w| w.state == crate::demo::WorkerState::Running)
        .count();
    match counts {
        Ok((waiting, active, delayed, completed, failed, added)) => format!(
            "produced={} waiting={waiting} active={active} delayed={delayed} \
             completed={completed} failed={failed} workers={running}",
            added.unwrap_or(status.produced).max(status.produced)
        ),
        Err(error) => format!(
            "produced={} workers={running} redis_error=\"{error}\"",
            status.produced
        ),
    }
}
