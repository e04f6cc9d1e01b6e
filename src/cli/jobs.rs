//! Flags of `qtop job …` and `qtop schedulers`.

use clap::{Args, Subcommand};

#[derive(Debug, Clone, Args)]
pub struct JobArgs {
    #[command(subcommand)]
    pub action: JobAction,
}

#[derive(Debug, Clone, Subcommand)]
pub enum JobAction {
    /// One job in any state: state, timeline, attempts, data, opts, return value, failure,
    /// stack traces, logs, its flow's parents and children
    Show {
        id: String,
        #[arg(long)]
        json: bool,
        /// Load payloads of any size (default: up to 1 MiB each)
        #[arg(long)]
        full: bool,
        /// Levels of the flow's children to read
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(0..=20))]
        depth: u32,
        /// Children read per kind (unprocessed, processed, ignored, failed) per job
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(0..=10_000))]
        max_children: u64,
        /// Log lines read (the newest)
        #[arg(long, default_value_t = 100)]
        log_lines: u64,
    },
    /// Jobs of one state whose name, id, failure reason or data contains a text
    Search {
        /// waiting, active, prioritized, delayed, completed, failed or waiting-children
        #[arg(long)]
        state: String,
        /// The job's name contains this
        #[arg(long)]
        name: Option<String>,
        /// The job's id contains this
        #[arg(long)]
        id: Option<String>,
        /// Its failure reason contains this
        #[arg(long)]
        reason: Option<String>,
        /// Its data (as stored: JSON text) contains this
        #[arg(long)]
        data: Option<String>,
        /// Match without regard to case
        #[arg(long, short = 'i')]
        ignore_case: bool,
        /// Most matches listed
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
        limit: u64,
        /// Most jobs examined: the search stops there and says so
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
        max_examined: u64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct SchedulersArgs {
    #[arg(long)]
    pub json: bool,
    /// Most schedulers listed (the soonest to run)
    #[arg(long, default_value_t = 1000)]
    pub limit: u64,
}
