//! Each subcommand's flags.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::parse::*;

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Poll, wait a window, poll again, print the golden signals and exit
    Snapshot(SnapshotArgs),
    /// Dead letters (the failed set): list, show, group, retry, delete, export
    Dlq(DlqArgs),
    /// How many workers a queue needs: measure λ and S, apply M/M/c (Erlang C)
    Advise(AdviseArgs),
    /// Run a demo worker: a real BullMQ worker that simulates work (first --queue)
    Worker(WorkerArgs),
    /// Add demo jobs to a queue (first --queue): a fixed count, or paced at a rate
    Produce(ProduceArgs),
    /// Run the demo: a private Redis, a live producer and a pool of `qtop worker` processes
    Demo(DemoArgs),
    /// Every system's workers; quiet, stop, grow or shrink one where its system allows it
    Workers(WorkersArgs),
    /// Serve the figures to Prometheus: /metrics, /api/snapshot and /healthz
    Exporter(ExporterArgs),
    /// Any job, not only failed ones: show one (with its flow), search a state's jobs
    Job(super::JobArgs),
    /// The queue's job schedulers (and legacy repeatable jobs): schedule, next run, template
    Schedulers(super::SchedulersArgs),
    /// The config file of named contexts: where it is, and what a context sets
    Config(ConfigArgs),
    /// Print a shell completion script (e.g. `qtop completions bash > ~/.local/share/bash-completion/completions/qtop`)
    Completions(CompletionsArgs),
    /// Print qtop's man page (roff), e.g. `qtop man | man -l -`
    Man,
}

#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    pub action: ConfigAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ConfigAction {
    /// Print the config file's path (--config, else $XDG_CONFIG_HOME/qtop/config.toml, else
    /// ~/.config/qtop/config.toml), whether it exists or not
    Path,
    /// Print the settings in force with --context NAME (or QTOP_CONTEXT, or default_context)
    /// and where each comes from; passwords are shown as ***
    Show,
}

#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Clone, Args)]
pub struct WorkersArgs {
    #[command(subcommand)]
    pub action: WorkersAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum WorkersAction {
    /// List every worker of every system (one poll)
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stop fetching new jobs, finish the running ones (Sidekiq)
    Quiet {
        name: String,
        /// Do not ask (needed without a terminal)
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
    /// Shut the worker down (Sidekiq, RQ, Celery); with --job stop only its current job (RQ)
    Stop {
        name: String,
        /// Stop only the job it runs now, not the worker (RQ's stop-job command: the job
        /// goes to the failed registry, the worker goes on)
        #[arg(long)]
        job: bool,
        /// Do not ask (needed without a terminal)
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
    /// Add processes to the worker's pool (Celery)
    Grow {
        name: String,
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
        by: u32,
        /// Do not ask (needed without a terminal)
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove processes from the worker's pool (Celery)
    Shrink {
        name: String,
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
        by: u32,
        /// Do not ask (needed without a terminal)
        #[arg(long)]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct AdviseArgs {
    #[arg(long)]
    pub json: bool,
    /// How long to measure arrivals and service times
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub window: Duration,
    /// The mean wait in queue to size the pool for
    #[arg(long, default_value = "2s", value_parser = parse_duration, value_name = "DURATION")]
    pub target_wait: Duration,
}

#[derive(Debug, Clone, Args)]
pub struct DlqArgs {
    /// Which set: `dead` (the dead letters: BullMQ's failed set, Sidekiq's dead set) or
    /// `retry` (Sidekiq's retry set: failed attempts that will run again)
    #[arg(long, default_value = "dead", value_parser = |s: &str| s.parse::<crate::source::dead_letters::DlqSet>())]
    pub set: crate::source::dead_letters::DlqSet,
    #[command(subcommand)]
    pub action: DlqAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum DlqAction {
    /// Failed jobs, newest first
    List {
        #[arg(long)]
        json: bool,
        /// How many jobs
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// Skip this many of the newest
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// One failed job: data, options, reason, every stack trace, attempts, timestamps
    Show {
        id: String,
        #[arg(long)]
        json: bool,
        /// Load payloads of any size (default: up to 1 MiB each)
        #[arg(long)]
        full: bool,
    },
    /// Failure groups: reasons with their varying parts (numbers, ids, quotes) taken out
    Groups {
        #[arg(long)]
        json: bool,
    },
    /// Move failed jobs back to wait, as BullMQ's own retry does
    Retry {
        #[command(flatten)]
        selector: Selector,
        /// Confirm a bulk retry without asking
        #[arg(long, short = 'y')]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
    /// Delete failed jobs with everything they left in Redis
    Delete {
        #[command(flatten)]
        selector: Selector,
        /// Confirm without asking
        #[arg(long, short = 'y')]
        yes: bool,
        #[arg(long)]
        json: bool,
    },
    /// Every failed job as JSON lines (all fields, stack traces included)
    Export {
        /// Write to this file instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Which failed jobs an action applies to: ids, one group, or all.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct Selector {
    /// Job ids
    pub ids: Vec<String>,
    /// Every job of a failure group (its id from `qtop dlq groups`, or its reason)
    #[arg(long)]
    pub group: Option<String>,
    /// Every failed job of the queue
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Clone, Args)]
pub struct WorkerArgs {
    /// Jobs processed at once
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// Mean simulated work per job, unless the job's data says (`work_ms`)
    #[arg(long, default_value_t = 50.0, value_parser = parse_non_negative, value_name = "MS")]
    pub work_ms: f64,
    /// Distribution of work times around the mean, unless the job's data says (`work_dist`)
    #[arg(long, value_enum, default_value_t = crate::demo::WorkDist::Exp)]
    pub work_dist: crate::demo::WorkDist,
    /// Probability that an attempt fails, unless the job's data says (`fail_rate`)
    #[arg(long, default_value_t = 0.0, value_parser = parse_probability, value_name = "P")]
    pub fail_rate: f64,
    /// Lock duration: a crashed worker's jobs are recovered after about this long
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_duration: Duration,
    /// Time between stalled-job checks
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub stalled_interval: Duration,
    /// Worker name (`qtop-` is put in front if missing); default qtop-<host>-<pid>
    #[arg(long)]
    pub name: Option<String>,
    /// Do not stop on stdin EOF (stdin from /dev/null is ignored anyway)
    #[arg(long)]
    pub ignore_stdin: bool,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("amount").required(true).args(["count", "rate"])))]
pub struct ProduceArgs {
    /// Add this many jobs at once (in batches of 1000)
    #[arg(long)]
    pub count: Option<u64>,
    /// Add jobs at this rate per second, until --duration or Ctrl-C
    #[arg(long, value_parser = parse_positive, value_name = "PER_S")]
    pub rate: Option<f64>,
    /// With --rate: stop after this long (adds round(rate × duration) jobs)
    #[arg(long, requires = "rate", conflicts_with = "count", value_parser = parse_duration, value_name = "DURATION")]
    pub duration: Option<Duration>,
    /// Put `work_ms` into each job (otherwise each worker uses its own --work-ms)
    #[arg(long, value_parser = parse_non_negative, value_name = "MS")]
    pub work_ms: Option<f64>,
    /// Put `fail_rate` into each job (otherwise each worker uses its own --fail-rate)
    #[arg(long, value_parser = parse_probability, value_name = "P")]
    pub fail_rate: Option<f64>,
    /// Attempts per job before it lands in `failed`
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub attempts: u32,
    /// Exponential backoff base between attempts (0: retry at once)
    #[arg(long, default_value_t = 200)]
    pub backoff_ms: u64,
}

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// No screen: print one status line per second (for scripts and CI)
    #[arg(long)]
    pub headless: bool,
    /// Stop after this long (default: until Ctrl-C or SIGTERM)
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub duration: Option<Duration>,
    /// Worker processes at the start
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=64))]
    pub workers: u32,
    /// Concurrency of each worker
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub concurrency: u32,
    /// Jobs added per second at the start
    #[arg(long, default_value_t = 40.0, value_parser = parse_non_negative, value_name = "PER_S")]
    pub rate: f64,
    /// Mean simulated work per job at the start
    #[arg(long, default_value_t = 50.0, value_parser = parse_non_negative, value_name = "MS")]
    pub work_ms: f64,
    /// Probability that an attempt fails at the start
    #[arg(long, default_value_t = 0.02, value_parser = parse_probability, value_name = "P")]
    pub fail_rate: f64,
    /// Lock duration of the demo's workers (short, so a killed worker's jobs come back fast)
    #[arg(long, default_value = "4s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_duration: Duration,
    /// Stalled-check interval of the demo's workers
    #[arg(long, default_value = "2s", value_parser = parse_duration, value_name = "DURATION")]
    pub stalled_interval: Duration,
    /// The mean wait in queue the advisor panel sizes the pool for (default 2s)
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub target_wait: Option<Duration>,
}

#[derive(Debug, Clone, Args)]
pub struct SnapshotArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// Time between the two polls that rates and latencies are measured over
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub window: Duration,
}

/// Where `qtop exporter` listens by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:9464";

#[derive(Debug, Clone, Args)]
pub struct ExporterArgs {
    /// Address to serve /metrics, /api/snapshot and /healthz on (port 0: any free port)
    #[arg(long, default_value = DEFAULT_LISTEN, value_name = "HOST:PORT")]
    pub listen: String,
    /// Window of the rates and latency percentiles in /api/snapshot and of the advisor's
    /// measurements (qtop_queue_recommended_workers)
    #[arg(long, default_value = "1m", value_parser = parse_duration, value_name = "DURATION")]
    pub window: Duration,
    /// The mean wait in queue qtop_queue_recommended_workers sizes the pool for
    #[arg(long, default_value = "2s", value_parser = parse_duration, value_name = "DURATION")]
    pub target_wait: Duration,
}
