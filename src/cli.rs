//! The command line. Global flags work before or after a subcommand.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "qtop",
    version,
    about = "top for job queues: live golden signals of BullMQ queues on Redis",
    long_about = "top for job queues: a live terminal dashboard of BullMQ queues on Redis.\n\n\
        With no subcommand qtop opens the dashboard against --redis (default redis://127.0.0.1:6379)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub dashboard: DashboardArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Redis URL: redis://[user:password@]host:port[/db], rediss://… (TLS), unix:///path/to/socket.
    /// Repeat it to give several seed nodes of a Redis Cluster
    #[arg(
        long,
        env = "REDIS_URL",
        global = true,
        value_name = "URL",
        hide_env_values = true
    )]
    pub redis: Vec<String>,

    /// Redis is a Redis Cluster: qtop finds the masters from the seed node(s) and reads each.
    /// (A cluster is also recognised without it; with it, a server that is not one is an error.)
    /// Queues on a cluster need a hash-tagged prefix such as --prefix '{bull}'
    #[arg(long, global = true, env = "QTOP_CLUSTER", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub cluster: bool,

    /// Key prefix of the queues (repeatable)
    #[arg(
        long = "prefix",
        global = true,
        value_name = "PREFIX",
        default_value = "bull"
    )]
    pub prefixes: Vec<String>,

    /// Watch only this queue (repeatable); without it, queues are discovered with SCAN
    #[arg(long = "queue", global = true, value_name = "NAME")]
    pub queues: Vec<String>,

    /// Time between polls of Redis
    #[arg(long, global = true, default_value = "1s", value_parser = parse_duration, value_name = "DURATION")]
    pub interval: Duration,

    /// Refuse every write to Redis (retry, delete, scaling commands)
    #[arg(long, global = true, env = "QTOP_READ_ONLY", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub read_only: bool,

    /// Skip TLS certificate verification (rediss:// only; prints a warning)
    #[arg(long, global = true)]
    pub insecure: bool,

    /// CA certificate (PEM) to verify the server with, instead of the system's roots
    #[arg(long, global = true, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,

    /// Client certificate (PEM) for mutual TLS; goes with --tls-key
    #[arg(long, global = true, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// Client private key (PEM) for mutual TLS; goes with --tls-cert
    #[arg(long, global = true, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Write logs to this file (qtop never logs to the terminal it draws on)
    #[arg(long, global = true, env = "QTOP_LOG", value_name = "FILE")]
    pub log_file: Option<PathBuf>,

    /// A command that scales your workers, run without a shell with {n} replaced by the
    /// worker count: offered by the dashboard's advisor (after a confirmation) and run on
    /// each of the demo's autoscale decisions. Never with --read-only
    #[arg(long, global = true, env = "QTOP_SCALE_CMD", value_name = "'CMD {n}'", value_parser = parse_scale_cmd)]
    pub scale_cmd: Option<crate::actions::scale_cmd::ScaleCommand>,
}

/// Settings of the interactive dashboard (`qtop` with no subcommand).
#[derive(Debug, Clone, Args)]
pub struct DashboardArgs {
    /// Most frames drawn per second (the data tick is --interval; frames are drawn only when
    /// something changed)
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u16).range(1..=60), value_name = "N")]
    pub fps: u16,
    /// The mean wait in queue the advisor panel sizes the pool for (`t`/`T` halve/double it)
    #[arg(long, default_value = "2s", value_parser = parse_duration, value_name = "DURATION")]
    pub target_wait: Duration,
}

/// Where qtop looks when no --redis is given.
pub const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";

impl GlobalArgs {
    pub fn redis_url(&self) -> &str {
        self.redis
            .first()
            .map(String::as_str)
            .unwrap_or(DEFAULT_REDIS_URL)
    }

    /// Whether a --redis was given (the demo starts its own server otherwise).
    pub fn redis_given(&self) -> bool {
        !self.redis.is_empty()
    }

    /// The Redis target these flags describe (URL, TLS options, cluster seeds).
    pub fn target(&self) -> Result<crate::source::RedisTarget, crate::source::ConnectError> {
        let more = self
            .redis
            .iter()
            .skip(1)
            .map(|url| self.target_for(url))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self
            .target_for(self.redis_url())?
            .with_cluster(self.cluster)
            .with_seeds(more))
    }

    /// The same TLS options applied to another URL (the demo's embedded server, say).
    pub fn target_for(
        &self,
        url: &str,
    ) -> Result<crate::source::RedisTarget, crate::source::ConnectError> {
        let tls = crate::source::connect::TlsFiles {
            ca: self.tls_ca.clone(),
            cert: self.tls_cert.clone(),
            key: self.tls_key.clone(),
        };
        crate::source::RedisTarget::parse(url, self.insecure)?.with_tls_files(tls)
    }
}

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
    /// Serve the figures to Prometheus: /metrics, /api/snapshot and /healthz
    Exporter(crate::commands::exporter::ExporterArgs),
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

fn parse_number(text: &str) -> Result<f64, String> {
    let value: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a number"))?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("'{text}' is not a finite number"))
    }
}

/// A number ≥ 0.
pub fn parse_non_negative(text: &str) -> Result<f64, String> {
    let value = parse_number(text)?;
    if value < 0.0 {
        return Err(format!("'{text}' must not be negative"));
    }
    Ok(value)
}

/// A number > 0.
pub fn parse_positive(text: &str) -> Result<f64, String> {
    let value = parse_number(text)?;
    if value <= 0.0 {
        return Err(format!("'{text}' must be greater than 0"));
    }
    Ok(value)
}

/// A probability in [0, 1].
pub fn parse_probability(text: &str) -> Result<f64, String> {
    let value = parse_number(text)?;
    if !(0.0..=1.0).contains(&value) {
        return Err(format!("'{text}' must be between 0 and 1"));
    }
    Ok(value)
}

fn parse_scale_cmd(text: &str) -> Result<crate::actions::scale_cmd::ScaleCommand, String> {
    crate::actions::scale_cmd::ScaleCommand::parse(text)
}

/// Parse `500ms`, `5s`, `2m`, `1h`, `1.5s` or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (try 500ms, 5s, 2m, 1h)"))?;
    let seconds = match unit.trim() {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" | "min" => value * 60.0,
        "h" => value * 3600.0,
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{text}' (use ms, s, m or h)"
            ))
        }
    };
    if !seconds.is_finite() || !(0.0..=365.0 * 86400.0).contains(&seconds) {
        return Err(format!("'{text}' is out of range"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn global_flags_work_before_and_after_the_subcommand() {
        for args in [
            vec!["qtop", "--redis", "redis://h:1", "snapshot", "--json"],
            vec!["qtop", "snapshot", "--json", "--redis", "redis://h:1"],
        ] {
            let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(cli.global.redis, ["redis://h:1"]);
            assert!(matches!(cli.command, Some(Command::Snapshot(ref s)) if s.json));
        }
    }

    #[test]
    fn fps_defaults_to_10_and_is_bounded() {
        let cli = Cli::try_parse_from(["qtop"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.dashboard.fps, 10);
        let cli = Cli::try_parse_from(["qtop", "--fps", "30"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.dashboard.fps, 30);
        assert!(Cli::try_parse_from(["qtop", "--fps", "0"]).is_err());
        assert!(Cli::try_parse_from(["qtop", "--fps", "500"]).is_err());
    }

    #[test]
    fn demo_subcommands_parse() {
        let cli = Cli::try_parse_from([
            "qtop",
            "--queue",
            "q",
            "worker",
            "--concurrency",
            "4",
            "--work-dist",
            "fixed",
            "--fail-rate",
            "0.5",
            "--lock-duration",
            "2s",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let Some(Command::Worker(args)) = cli.command else {
            panic!("not a worker command")
        };
        assert_eq!(args.concurrency, 4);
        assert_eq!(args.lock_duration, Duration::from_secs(2));
        assert_eq!(cli.global.queues, vec!["q"]);
        for bad in [
            vec!["qtop", "produce"],
            vec!["qtop", "produce", "--count", "1", "--rate", "2"],
            vec!["qtop", "produce", "--count", "1", "--duration", "2s"],
            vec!["qtop", "produce", "--rate", "0"],
            vec!["qtop", "worker", "--fail-rate", "1.5"],
            vec!["qtop", "worker", "--concurrency", "0"],
        ] {
            assert!(
                Cli::try_parse_from(&bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        let cli = Cli::try_parse_from(["qtop", "produce", "--rate", "5", "--duration", "2s"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(cli.command, Some(Command::Produce(ref p)) if p.rate == Some(5.0)));
    }

    #[test]
    fn target_wait_and_scale_cmd_parse() {
        let cli = Cli::try_parse_from(["qtop"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.dashboard.target_wait, Duration::from_secs(2));
        assert!(cli.global.scale_cmd.is_none());
        let cli = Cli::try_parse_from([
            "qtop",
            "--target-wait",
            "500ms",
            "demo",
            "--target-wait",
            "1s",
            "--scale-cmd",
            "kubectl scale --replicas={n}",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.dashboard.target_wait, Duration::from_millis(500));
        let Some(Command::Demo(demo)) = &cli.command else {
            panic!("not the demo command")
        };
        assert_eq!(demo.target_wait, Some(Duration::from_secs(1)));
        let argv = cli.global.scale_cmd.map(|c| c.argv(3)).unwrap_or_default();
        assert_eq!(argv, ["kubectl", "scale", "--replicas=3"]);
        // A template without {n} is refused when parsing, not when first used.
        assert!(Cli::try_parse_from(["qtop", "--scale-cmd", "scale up"]).is_err());
    }

    #[test]
    fn prefix_defaults_to_bull_and_repeats() {
        let cli = Cli::try_parse_from(["qtop", "snapshot"]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.global.prefixes, vec!["bull"]);
        let cli = Cli::try_parse_from(["qtop", "--prefix", "a", "--prefix", "b", "snapshot"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(cli.global.prefixes, vec!["a", "b"]);
    }
}
