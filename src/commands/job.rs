//! `qtop job show|search`: any job of a queue, not only failed ones.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};

use super::one_queue;
use crate::app::job_text;
use crate::cli::{GlobalArgs, JobAction, JobArgs};
use crate::model::clock::Zone;
use crate::model::jobs::{SearchProgress, SearchQuery, SearchResult, SearchStop, ShowLimits};
use crate::model::QueueKey;
use crate::source::jobs::JobReader;

const TIMEOUT: Duration = Duration::from_secs(10);

/// Data above this is not searched (as `show` does not load it without `--full`).
const SEARCH_MAX_PAYLOAD: u64 = 1 << 20;

pub async fn run(global: &GlobalArgs, args: &JobArgs) -> Result<()> {
    let queue = one_queue(global, "qtop job")?;
    let target = global.target()?;
    let mut reader = JobReader::open(&target, &queue, TIMEOUT).await?;
    match &args.action {
        JobAction::Show {
            id,
            json,
            full,
            depth,
            max_children,
            log_lines,
        } => {
            let limits = ShowLimits {
                max_payload: if *full {
                    u64::MAX
                } else {
                    ShowLimits::default().max_payload
                },
                log_lines: *log_lines,
                depth: *depth,
                max_children: *max_children,
                ..ShowLimits::default()
            };
            show(&mut reader, &queue, id, &limits, *json).await
        }
        JobAction::Search {
            state,
            name,
            id,
            reason,
            data,
            ignore_case,
            limit,
            max_examined,
            json,
        } => {
            let query = SearchQuery {
                state: state.clone(),
                name: name.clone(),
                id: id.clone(),
                reason: reason.clone(),
                data: data.clone(),
                ignore_case: *ignore_case,
                limit: *limit,
                max_examined: *max_examined,
                max_payload: SEARCH_MAX_PAYLOAD,
            };
            search(&mut reader, &query, *json).await
        }
    }
}

async fn show(
    reader: &mut JobReader,
    queue: &QueueKey,
    id: &str,
    limits: &ShowLimits,
    json: bool,
) -> Result<()> {
    let Some(detail) = reader.show(id, limits).await? else {
        bail!("no job {id} in {queue}");
    };
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &detail)?;
        writeln!(out)?;
        return Ok(());
    }
    let now = chrono::Utc::now().timestamp_millis();
    let lines = job_text::header(&detail, Zone::Local, now)
        .into_iter()
        .chain(job_text::body(&detail, "--full"));
    for (_, line) in lines {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

async fn search(reader: &mut JobReader, query: &SearchQuery, json: bool) -> Result<()> {
    let mut progress = Progress::new();
    let result = reader.search(query, |p| progress.update(p)).await?;
    progress.finish();
    let result = match result {
        Ok(result) => result,
        Err(why) => bail!(why),
    };
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &result)?;
        writeln!(out)?;
        return Ok(());
    }
    print_result(&mut out, &result)
}

fn print_result(out: &mut impl Write, result: &SearchResult) -> Result<()> {
    writeln!(
        out,
        "{} among {} of {} {} jobs in {}:{}{}",
        plural(result.matches.len() as u64, "match", "matches"),
        result.examined,
        result.total,
        result.state,
        result.prefix,
        result.queue,
        match result.stopped {
            Some(SearchStop::Limit) => " (stopped at --limit)",
            Some(SearchStop::MaxExamined) => " (stopped at --max-examined: more not searched)",
            None => "",
        }
    )?;
    if result.skipped_large > 0 {
        writeln!(
            out,
            "{} jobs not searched: their data is over 1 MiB",
            result.skipped_large
        )?;
    }
    if result.missing > 0 {
        writeln!(out, "{} ids listed without a job hash", result.missing)?;
    }
    if result.matches.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "{:<24} {:<20} {:<19} {:>8}  REASON",
        "ID", "NAME", "CREATED", "ATTEMPTS"
    )?;
    for job in &result.matches {
        let reason = job.failed_reason.as_deref().unwrap_or_default();
        writeln!(
            out,
            "{:<24} {:<20} {:<19} {:>8}  {}",
            clip(&job.id, 24),
            clip(job.name.as_deref().unwrap_or("?"), 20),
            Zone::Local.datetime(job.timestamp),
            job.attempts_made,
            clip(reason.lines().next().unwrap_or_default(), 80)
        )?;
    }
    Ok(())
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let kept: String = text.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// Progress of a search that reads job hashes, on stderr: rewritten in place on a terminal,
/// a line a second otherwise (never on stdout, which a script may be reading).
struct Progress {
    terminal: bool,
    last: Option<Instant>,
    printed: Option<SearchProgress>,
    latest: Option<SearchProgress>,
}

impl Progress {
    fn new() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            last: None,
            printed: None,
            latest: None,
        }
    }

    fn update(&mut self, progress: SearchProgress) {
        self.latest = Some(progress);
        let every = Duration::from_millis(if self.terminal { 100 } else { 1000 });
        let due = self.last.is_none_or(|t| t.elapsed() >= every);
        if due {
            self.last = Some(Instant::now());
            self.print(progress, false);
        }
    }

    fn print(&mut self, p: SearchProgress, last: bool) {
        let text = format!(
            "examined {} of {} jobs, {}",
            p.examined,
            p.total,
            plural(p.matches, "match", "matches")
        );
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r\x1b[2K{text}{}", if last { "\n" } else { "" })
        } else {
            writeln!(err, "{text}")
        };
        self.printed = Some(p);
    }

    /// The last count, unless it is already on screen (a terminal always gets its newline).
    fn finish(&mut self) {
        match self.latest {
            Some(p) if self.terminal || self.printed != Some(p) => self.print(p, true),
            _ => {}
        }
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
