//! The writing side of `qtop dlq`: retry and delete, through a `Writer` that `--read-only`
//! cannot make, confirmed on the terminal (or by `--yes`) before anything changes.

use std::io::{IsTerminal, Write};

use anyhow::{bail, Result};
use redis::aio::MultiplexedConnection;

use crate::actions::{self, Writer};
use crate::cli::Selector;
use crate::source::bullmq::QueueId;
use crate::source::dlq;
use crate::source::dlq_export::BATCH;

#[derive(Clone, Copy)]
pub(super) enum Act {
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

pub(super) async fn act(
    conn: &mut MultiplexedConnection,
    writer: &Writer,
    queue: &QueueId,
    selector: &Selector,
    yes: bool,
    json: bool,
    what: Act,
) -> Result<()> {
    let verb = what.verb();
    if selector.all {
        let total: u64 = redis::cmd("ZCARD")
            .arg(queue.failed())
            .query_async(conn)
            .await?;
        confirm(
            &format!("{verb} all {total} failed jobs of {queue}"),
            yes,
            total > 0,
        )?;
        let done = match what {
            Act::Retry => actions::dlq::retry_all(writer, queue).await?,
            Act::Delete => actions::dlq::delete_all(writer, queue).await?,
        };
        let outcome = actions::dlq::Outcome {
            requested: total,
            done,
            skipped: Vec::new(),
        };
        return report(&outcome, what.past(), json);
    }
    let ids: Vec<String> = match &selector.group {
        Some(group) => dlq::failed_ids_in_group(conn, queue, group, BATCH).await?,
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
        Act::Retry => actions::dlq::retry_jobs(writer, queue, &ids).await?,
        Act::Delete => actions::dlq::delete_jobs(writer, queue, &ids).await?,
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

fn report(outcome: &actions::dlq::Outcome, past: &str, json: bool) -> Result<()> {
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

/// Ask on the terminal, or require `--yes` when there is none (scripts).
fn confirm(question: &str, yes: bool, needed: bool) -> Result<()> {
    if yes || !needed {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        bail!("not confirmed: {question}? Pass --yes to confirm without a terminal");
    }
    eprint!("{question}? [y/N] ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes") {
        Ok(())
    } else {
        bail!("cancelled: nothing changed")
    }
}
