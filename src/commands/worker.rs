//! `qtop worker`: run one demo worker until stopped (see `demo::worker`).

use anyhow::Result;

use crate::cli::{GlobalArgs, WorkerArgs};
use crate::demo::job::WorkDefaults;
use crate::demo::lifeline::stdin_is_lifeline;
use crate::demo::worker::{run_worker, worker_name, WorkerConfig};

use crate::cli::{first_prefix, first_queue};

pub async fn run(global: &GlobalArgs, args: &WorkerArgs) -> Result<()> {
    let config = WorkerConfig {
        redis_url: global.redis_url().to_string(),
        insecure: global.insecure,
        prefix: first_prefix(global),
        queue: first_queue(global, "qtop worker")?,
        name: worker_name(args.name.as_deref()),
        concurrency: args.concurrency,
        defaults: WorkDefaults {
            work_ms: args.work_ms,
            work_dist: args.work_dist,
            fail_rate: args.fail_rate,
        },
        lock_duration: args.lock_duration,
        stalled_interval: args.stalled_interval,
        watch_stdin: !args.ignore_stdin && stdin_is_lifeline(),
    };
    run_worker(config).await
}
