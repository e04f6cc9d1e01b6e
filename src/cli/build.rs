//! What each command's configuration is made of, from the flags. `runtime` and `commands`
//! both build from here, so neither needs the other.

use anyhow::{bail, Result};

use super::{DemoArgs, GlobalArgs};
use crate::demo::{DemoConfig, ProducerSettings, WorkDist};
use crate::source::bullmq::keys::check_queue_name;
use crate::source::PollerConfig;

/// The demo's queue when no --queue is given.
pub const DEFAULT_DEMO_QUEUE: &str = "demo";

/// What to poll: the --prefix and --queue flags.
pub fn poller_config(global: &GlobalArgs) -> PollerConfig {
    PollerConfig {
        systems: global.systems.clone(),
        prefixes: global.prefixes.clone(),
        sidekiq_namespaces: global.sidekiq_namespaces.clone(),
        queues: global.queues.clone(),
        ..PollerConfig::default()
    }
}

/// The queue a single-queue command works on: the first `--queue`, checked.
pub fn first_queue(global: &GlobalArgs, command: &str) -> Result<String> {
    let Some(queue) = global.queues.first() else {
        bail!("{command} needs a queue: pass --queue NAME");
    };
    check_queue_name(queue).map_err(anyhow::Error::msg)?;
    Ok(queue.clone())
}

/// The first `--prefix` (default `bull`).
pub fn first_prefix(global: &GlobalArgs) -> String {
    global
        .prefixes
        .first()
        .cloned()
        .unwrap_or_else(|| "bull".to_string())
}

/// The engine configuration the demo flags describe (headless and in the dashboard), its
/// queue name checked.
pub fn demo_config(global: &GlobalArgs, args: &DemoArgs) -> Result<DemoConfig> {
    let config = DemoConfig {
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
    };
    check_queue_name(&config.queue).map_err(anyhow::Error::msg)?;
    Ok(config)
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
        let config = demo_config(&cli.global, args).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config, DemoConfig::default());
    }

    #[test]
    fn a_demo_queue_name_with_a_colon_is_refused() {
        let cli = Cli::try_parse_from(["qtop", "--queue", "a:b", "demo"])
            .unwrap_or_else(|e| panic!("{e}"));
        let Some(Command::Demo(args)) = &cli.command else {
            panic!("not the demo command")
        };
        assert!(demo_config(&cli.global, args).is_err());
    }
}
