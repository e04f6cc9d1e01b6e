//! `qtop demo` with a screen: start the engine (its own redis-server unless --redis), watch
//! its Redis with the same dashboard plus the demo's key layer, strip and markers, and shut
//! it all down on every way out: `q`, Ctrl-C, SIGTERM, SIGHUP, an error, a panic in the
//! dashboard. Should qtop die anyway, the workers' stdin lifelines and redis-server's guard
//! stop them.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use anyhow::Result;
use futures_util::FutureExt;

use super::tasks::Tasks;
use super::{dashboard, new_app, require_terminal, DemoFeeds};
use crate::cli::demo_config;
use crate::cli::{DashboardArgs, DemoArgs, GlobalArgs};
use crate::demo::Demo;
use crate::model::QueueKey;
use crate::source::bullmq::keys::QueueId;

/// Stopping workers (grace, then SIGKILL) and redis-server takes a few seconds at most.
const DEMO_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);

pub async fn run_demo(
    global: &GlobalArgs,
    dashboard_args: &DashboardArgs,
    args: &DemoArgs,
) -> Result<()> {
    require_terminal("run `qtop demo --headless` for one status line per second")?;
    let config = demo_config(global, args)?;
    eprintln!(
        "qtop demo: starting {} and {} worker{}…",
        if config.redis_url.is_some() {
            "the producer"
        } else {
            "redis-server, the producer"
        },
        config.initial_workers,
        if config.initial_workers == 1 { "" } else { "s" }
    );
    let (handle, events) = Demo::start(config).await?;
    // A panic in the dashboard (the terminal is restored by then) still shuts the demo down
    // in order below, before it goes on unwinding.
    let outcome = AssertUnwindSafe(async {
        let status = handle.status();
        let target = global.target_for(&status.redis_url)?;
        let mut dashboard_args = dashboard_args.clone();
        if let Some(wait) = args.target_wait {
            dashboard_args.target_wait = wait;
        }
        let mut app = new_app(global, &dashboard_args, &target);
        app.enable_demo(QueueKey::bullmq(
            status.prefix.clone(),
            status.queue.clone(),
        ));
        let tasks = Tasks::new(global, target.clone()).with_demo(handle.clone());
        tasks.watch_duplicates(
            target.clone(),
            QueueId::new(status.prefix.clone(), status.queue.clone()),
        );
        let feeds = DemoFeeds {
            events,
            status: handle.watch_status(),
        };
        let session = super::session::Session::start(global, target, app, tasks);
        dashboard(&dashboard_args, session, Some(feeds), None, None).await
    })
    .catch_unwind()
    .await;
    // The terminal is restored by now; say what is happening while the workers stop.
    eprintln!("qtop demo: stopping the workers and redis-server…");
    if tokio::time::timeout(DEMO_SHUTDOWN_TIMEOUT, handle.shutdown())
        .await
        .is_err()
    {
        eprintln!("qtop demo: shutdown timed out; remaining processes are killed on exit");
    }
    eprintln!(
        "qtop demo: stopped, {} jobs produced",
        handle.status().produced
    );
    match outcome {
        Ok(result) => result,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}
