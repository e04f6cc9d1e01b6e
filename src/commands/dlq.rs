//! `qtop dlq …`: the dead-letter set (BullMQ's `failed`) from the command line.

use std::io::{BufWriter, Write};
use std::time::Duration;

use anyhow::{bail, Context, Result};

use super::confirm;
use crate::actions::dead_letters::{self, Outcome};
use crate::actions::Writer;
use crate::cli::{DlqAction, DlqArgs, GlobalArgs, Selector};
use crate::model::clock::Zone;
use crate::model::failures::{group_failures, FailedJob, Payload};
use crate::model::{QueueKey, System};
use crate::source::dead_letters::{DeadLetterReader, DlqSet, BATCH, DEFAULT_MAX_PAYLOAD};

const TIMEOUT: Duration = Duration::from_secs(10);

pub async fn run(global: &GlobalArgs, args: &DlqArgs) -> Result<()> {
    let queue = the_queue(global)?;
    let target = global.target()?;
    // Refuse a write before touching Redis at all.
    let writer = match &args.action {
        DlqAction::Retry { .. } => Some(Writer::new(
            target.clone(),
            global.read_only,
            "retry failed jobs",
        )?),
        DlqAction::Delete { .. } => Some(Writer::new(
            target.clone(),
            global.read_only,
            "delete failed jobs",
        )?),
        _ => None,
    };
    if writer.is_some() {
        dead_letters::check_supported(&queue)?;
    }
    let set = args.set;
    let mut conn = DeadLetterReader::open_set(&target, &queue, set, TIMEOUT).await?;
    match (&args.action, writer) {
        (
            DlqAction::List {
                json,
                limit,
                offset,
            },
            _,
        ) => list(&mut conn, &queue, *json, *limit, *offset).await,
        (DlqAction::Show { id, json, full }, _) => show(&mut conn, &queue, id, *json, *full).await,
        (DlqAction::Groups { json }, _) => groups(&mut conn, &queue, *json).await,
        (
            DlqAction::Retry {
                selector,
                yes,
                json,
            },
            Some(writer),
        ) => {
            act(
                &mut conn,
                &writer,
                &queue,
                selector,
                *yes,
                *json,
                (Act::Retry, set),
            )
            .await
        }
        (
            DlqAction::Delete {
                selector,
                yes,
                json,
            },
            Some(writer),
        ) => {
            act(
                &mut conn,
                &writer,
                &queue,
                selector,
                *yes,
                *json,
                (Act::Delete, set),
            )
            .await
        }
        (DlqAction::Export { out }, _) => export(&mut conn, &queue, out.as_deref()).await,
        (DlqAction::Retry { .. } | DlqAction::Delete { .. }, None) => {
            bail!("internal: a write without a writer")
        }
    }
}

/// `dlq` works on exactly one queue: the `--queue` of the first `--system` (BullMQ by
/// default; under the first `--prefix`).
fn the_queue(global: &GlobalArgs) -> Result<QueueKey> {
    if global.queues.len() > 1 {
        bail!(
            "qtop dlq works on one queue at a time; got --queue {}",
            global.queues.join(", --queue ")
        );
    }
    let system = global.systems.first().copied().unwrap_or_default();
    let name = match system {
        System::Bullmq => crate::cli::first_queue(global, "qtop dlq")?,
        _ => global
            .queues
            .first()
            .cloned()
            .context("qtop dlq needs a queue: pass --queue NAME")?,
    };
    let prefix = match system {
        System::Bullmq => crate::cli::first_prefix(global),
        System::Sidekiq => global
            .sidekiq_namespaces
            .first()
            .cloned()
            .unwrap_or_default(),
        _ => String::new(),
    };
    Ok(QueueKey::new(system, prefix, name))
}

async fn list(
    conn: &mut DeadLetterReader,
    queue: &QueueKey,
    json: bool,
    limit: u64,
    offset: u64,
) -> Result<()> {
    let page = conn.page(offset, limit).await?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &page.jobs)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} failed jobs in {queue}; showing {} from #{}",
        page.total,
        page.jobs.len(),
        offset + 1
    )?;
    writeln!(
        out,
        "{:<12} {:<16} {:<20} {:>8}  REASON",
        "ID", "NAME", "FAILED AT", "ATTEMPTS"
    )?;
    for job in &page.jobs {
        writeln!(
            out,
            "{:<12} {:<16} {:<20} {:>8}  {}",
            clip(&job.id, 12),
            clip(&job.name, 16),
            local_time(job.finished_on),
            job.attempts_made,
            clip(job.reason_line(), 100)
        )?;
    }
    Ok(())
}

async fn show(
    conn: &mut DeadLetterReader,
    queue: &QueueKey,
    id: &str,
    json: bool,
    full: bool,
) -> Result<()> {
    let max = if full { u64::MAX } else { DEFAULT_MAX_PAYLOAD };
    let Some(detail) = conn.detail(id, max).await? else {
        bail!("job {id} is not in the failed set of {queue}");
    };
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &detail)?;
        writeln!(out)?;
        return Ok(());
    }
    let job = &detail.job;
    writeln!(out, "job {} ({}) in {queue}", job.id, job.name)?;
    writeln!(out, "failed at   {}", local_time(job.finished_on))?;
    writeln!(out, "created     {}", local_time(job.timestamp))?;
    writeln!(out, "started     {}", local_time(job.processed_on))?;
    writeln!(
        out,
        "attempts    {} made, {} started, {} stalls",
        job.attempts_made,
        detail
            .attempts_started
            .map_or("?".into(), |n| n.to_string()),
        detail.stalled_count.unwrap_or(0)
    )?;
    if let Some(worker) = &detail.processed_by {
        writeln!(out, "worker      {worker}")?;
    }
    writeln!(out, "reason      {}", job.failed_reason)?;
    writeln!(out, "data        {}", payload_text(&detail.data))?;
    writeln!(out, "opts        {}", payload_text(&detail.opts))?;
    for (n, trace) in detail.stacktrace.iter().enumerate() {
        writeln!(
            out,
            "stack trace {} of {}:\n{trace}",
            n + 1,
            detail.stacktrace.len()
        )?;
    }
    if detail.stacktrace_unreadable {
        writeln!(out, "stack trace: unreadable (not a JSON array of strings)")?;
    }
    for line in &detail.logs {
        writeln!(out, "log         {line}")?;
    }
    Ok(())
}

/// The shared display text; a field too large to load says how to load it here.
fn payload_text(payload: &Payload) -> String {
    match payload {
        Payload::TooLarge { bytes } => format!("({bytes} bytes: not loaded; --full loads it)"),
        other => other.display_text(),
    }
}

async fn all_failed(conn: &mut DeadLetterReader) -> Result<Vec<FailedJob>> {
    let mut jobs = Vec::new();
    conn.scan(BATCH, |page| {
        jobs.extend_from_slice(page);
        true
    })
    .await?;
    Ok(jobs)
}

async fn groups(conn: &mut DeadLetterReader, queue: &QueueKey, json: bool) -> Result<()> {
    let jobs = all_failed(conn).await?;
    let groups = group_failures(&jobs);
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &groups)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} failed jobs in {queue}, {} groups",
        jobs.len(),
        groups.len()
    )?;
    writeln!(
        out,
        "{:<8} {:>7} {:<20} {:<20}  REASON",
        "GROUP", "COUNT", "FIRST", "LAST"
    )?;
    for group in &groups {
        writeln!(
            out,
            "{:<8} {:>7} {:<20} {:<20}  {}",
            group.id,
            group.count,
            local_time(group.first_seen),
            local_time(group.last_seen),
            clip(&group.reason, 100)
        )?;
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum Act {
    Retry,
    Delete,
}

impl Act {
    fn verb(self) -> &'static str {
        match self {
            Self::Retry => "retry",
            Self::Delete => "delete",
        }
    }

    fn past(self) -> &'static str {
        match self {
            Self::Retry => "retried",
            Self::Delete => "deleted",
        }
    }
}

async fn act(
    conn: &mut DeadLetterReader,
    writer: &Writer,
    queue: &QueueKey,
    selector: &Selector,
    yes: bool,
    json: bool,
    (what, set): (Act, DlqSet),
) -> Result<()> {
    let verb = what.verb();
    if selector.all {
        let total = conn.total().await?;
        confirm(
            &format!("{verb} all {total} failed jobs of {queue}"),
            yes,
            total > 0,
        )?;
        let done = match what {
            Act::Retry => dead_letters::retry_all_in(writer, queue, set).await?,
            Act::Delete => dead_letters::delete_all_in(writer, queue, set).await?,
        };
        let outcome = Outcome {
            requested: total,
            done,
            skipped: Vec::new(),
        };
        return report(&outcome, what.past(), json);
    }
    let ids: Vec<String> = match &selector.group {
        Some(group) => conn.ids_in_group(group).await?,
        None => selector.ids.clone(),
    };
    if ids.is_empty() {
        bail!("no failed jobs match: give job ids, --group ID (see `qtop dlq groups`) or --all");
    }
    // One retry is an ordinary action; several, or any delete, is confirmed first.
    let needs_confirmation = ids.len() > 1 || matches!(what, Act::Delete);
    if needs_confirmation {
        confirm(
            &format!("{verb} {} failed jobs of {queue}", ids.len()),
            yes,
            true,
        )?;
    }
    let outcome = match what {
        Act::Retry => dead_letters::retry_jobs_in(writer, queue, set, &ids).await?,
        Act::Delete => dead_letters::delete_jobs_in(writer, queue, set, &ids).await?,
    };
    report(&outcome, what.past(), json)?;
    if !outcome.skipped.is_empty() {
        bail!(
            "{} of {} jobs were not {}",
            outcome.skipped.len(),
            outcome.requested,
            what.past()
        );
    }
    Ok(())
}

fn report(outcome: &Outcome, past: &str, json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, outcome)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{past} {} of {} jobs", outcome.done, outcome.requested)?;
        for skipped in &outcome.skipped {
            writeln!(out, "  skipped {}: {}", skipped.id, skipped.reason)?;
        }
    }
    Ok(())
}

async fn export(
    conn: &mut DeadLetterReader,
    queue: &QueueKey,
    out: Option<&std::path::Path>,
) -> Result<()> {
    let mut sink: Box<dyn Write> = match out {
        Some(path) => Box::new(BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    let written = conn.export(&mut sink).await?;
    eprintln!("exported {written} failed jobs of {queue}");
    Ok(())
}

/// The first line of `text`, at most `width` characters (an ellipsis marks a cut).
fn clip(text: &str, width: usize) -> String {
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() <= width {
        return line.to_string();
    }
    let kept: String = line.chars().take(width.saturating_sub(1)).collect();
    format!("{kept}…")
}

/// Epoch ms as local time, or `-`.
fn local_time(ms: Option<i64>) -> String {
    Zone::Local.datetime(ms)
}
