//! The writing side of `qtop dlq`: retry and delete, through a `Writer` that `--read-only`
//! cannot make, confirmed on the terminal (or by `--yes`) before anything changes.

use std::io::Write;

use anyhow::{bail, Result};

use crate::actions::dead_letters::{self, Outcome};
use crate::actions::Writer;
use crate::cli::Selector;
use crate::commands::confirm;
use crate::model::QueueKey;
use crate::source::dead_letters::{DeadLetterReader, DlqSet};

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
