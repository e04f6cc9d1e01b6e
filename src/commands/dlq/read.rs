//! The reading side of `qtop dlq`: list, show, groups and export print what the failed
//! set holds; nothing here writes to Redis.

use std::io::{BufWriter, Write};

use anyhow::{bail, Context, Result};

use super::{clip, local_time};
use crate::model::failures::{group_failures, FailedJob, Payload};
use crate::model::QueueKey;
use crate::source::dead_letters::{DeadLetterReader, BATCH, DEFAULT_MAX_PAYLOAD};
use crate::text;

pub(super) async fn list(
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
        // Padded by display width: a CJK or emoji name lines up like an ASCII one.
        writeln!(
            out,
            "{} {} {:<20} {:>8}  {}",
            text::pad(&text::fit_middle(&job.id, 12), 12),
            text::pad(&clip(&job.name, 16), 16),
            local_time(job.finished_on),
            job.attempts_made,
            clip(job.reason_line(), 100)
        )?;
    }
    Ok(())
}

pub(super) async fn show(
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
    // What a system does not keep (RQ and Sidekiq count no stalls) is left out, not 0.
    let mut attempts = format!("attempts    {} made", job.attempts_made);
    if let Some(started) = detail.attempts_started {
        attempts.push_str(&format!(", {started} started"));
    }
    if let Some(stalls) = detail.stalled_count {
        attempts.push_str(&format!(", {stalls} stalls"));
    }
    writeln!(out, "{attempts}")?;
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

pub(super) async fn groups(
    conn: &mut DeadLetterReader,
    queue: &QueueKey,
    json: bool,
) -> Result<()> {
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

pub(super) async fn export(
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
