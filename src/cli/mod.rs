//! The command line. Global flags work before or after a subcommand.
//!
//! `mod.rs` holds the global flags, `commands` each subcommand's flags, `parse` the value
//! parsers, `build` what each command's configuration is made of (so `runtime` and
//! `commands` never need each other), `contexts` the contexts file and `setup` how a
//! context meets the command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser};

mod build;
mod commands;
pub mod contexts;
mod jobs;
mod parse;
pub mod setup;

pub use build::*;
pub use commands::*;
pub use jobs::*;
pub use parse::*;
pub use setup::{Origin, Setup};

/// `qtop --version`: the package version, and the commit when built from git.
pub const VERSION: &str = env!("QTOP_VERSION");

#[derive(Debug, Parser)]
#[command(
    name = "qtop",
    version = VERSION,
    about = "top for job queues: live golden signals of BullMQ, Sidekiq, RQ and Celery queues on Redis",
    long_about = "top for job queues: a live terminal dashboard of the BullMQ, Sidekiq, RQ and Celery queues on a Redis.\n\n\
        With no subcommand qtop opens the dashboard against --redis (default redis://127.0.0.1:6379)."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(flatten)]
    pub dashboard: DashboardArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Which arguments were given, the contexts file and the context in force (filled by
    /// `parse_args` and `setup::prepare`).
    #[arg(skip)]
    pub setup: Setup,
}

impl Cli {
    /// Parse the process's arguments, remembering which were given (a context fills the
    /// rest); `--help`, `--version` and usage errors exit here as clap does.
    pub fn parse_args() -> Self {
        Self::try_parse_args_from(std::env::args_os()).unwrap_or_else(|e| e.exit())
    }

    pub fn try_parse_args_from<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Self::command().try_get_matches_from(args)?;
        let mut cli = Self::from_arg_matches(&matches)?;
        cli.setup.given = setup::Given::from_matches(&matches);
        Ok(cli)
    }
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Use this context of the config file: its Redis, prefixes, queues, TLS files… (flags
    /// given here still win; a read_only context stays read-only)
    #[arg(long, global = true, env = "QTOP_CONTEXT", value_name = "NAME", value_hint = clap::ValueHint::Other)]
    pub context: Option<String>,

    /// The config file [default: $XDG_CONFIG_HOME/qtop/config.toml, else
    /// ~/.config/qtop/config.toml]
    #[arg(long, global = true, value_name = "FILE", value_hint = clap::ValueHint::FilePath)]
    pub config: Option<PathBuf>,

    /// Redis URL: redis://[user:password@]host:port[/db], rediss://… (TLS), unix:///path/to/socket
    /// (a password: unix://:password@/path/to/socket or ?pass=). Repeat it to give several seed nodes of a Redis Cluster
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

    /// Read only this queue system (repeatable: bullmq, sidekiq, rq, celery); without it,
    /// every system found on the Redis is shown
    #[arg(long = "system", global = true, value_name = "NAME", value_parser = parse_system)]
    pub systems: Vec<crate::model::System>,

    /// Key prefix of the queues (repeatable)
    #[arg(
        long = "prefix",
        global = true,
        value_name = "PREFIX",
        default_value = "bull"
    )]
    pub prefixes: Vec<String>,

    /// Sidekiq apps that wrap their client in redis-namespace: read the keys under NAME:
    /// (repeatable; give '' for the keys without a namespace too). Default: no namespace
    #[arg(long = "sidekiq-namespace", global = true, value_name = "NAME")]
    pub sidekiq_namespaces: Vec<String>,

    /// Celery's Redis result backend, where failed tasks are read (`qtop dlq`), when it is
    /// not the broker's Redis and db (say redis://host:6379/1). Default: the --redis URL
    #[arg(
        long = "celery-backend",
        env = "QTOP_CELERY_BACKEND",
        global = true,
        value_name = "URL"
    )]
    pub celery_backend: Option<String>,

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

    // The help is built by scale_cmd_help(): clap reads `{n}` in help text as a line break.
    #[arg(long, global = true, env = "QTOP_SCALE_CMD", value_name = "'CMD {n}'", value_parser = parse_scale_cmd, help = scale_cmd_help())]
    pub scale_cmd: Option<crate::actions::scale_cmd::ScaleCommand>,
}

/// `--scale-cmd`'s help. Clap turns every `{n}` of a help text into a line break and has no
/// escape for it, so the `n` is styled as a literal: the style's escape codes keep the
/// braces apart from it while clap lays the text out, and are dropped (or shown as bold)
/// when it prints. Users read `{n}`.
fn scale_cmd_help() -> clap::builder::StyledStr {
    let literal = clap::builder::styling::Style::new().bold();
    let n = format!("{{{literal}n{literal:#}}}");
    format!(
        "A command that scales your workers, run without a shell with {n} replaced by the \
         worker count: offered by the dashboard's advisor (after a confirmation) and run on \
         each of the demo's autoscale decisions. Never with --read-only"
    )
    .into()
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
        let target = self
            .target_for(self.redis_url())?
            .with_cluster(self.cluster)
            .with_seeds(more);
        match &self.celery_backend {
            Some(url) => Ok(target.with_celery_backend(self.target_for(url)?)),
            None => Ok(target),
        }
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
    fn the_scale_cmd_help_shows_its_placeholder() {
        use clap::CommandFactory;
        for help in [
            Cli::command().render_help().to_string(),
            Cli::command().render_long_help().to_string(),
        ] {
            let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
            assert!(
                flat.contains("run without a shell with {n} replaced by the worker count"),
                "{help}"
            );
        }
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
