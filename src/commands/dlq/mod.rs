//! `qtop dlq …`: the dead-letter set (BullMQ's `failed`) from the command line. Which
//! action runs, on which queue; `read` prints, `write` retries and deletes.

use std::time::Duration;

use anyhow::{bail, Result};

mod read;
mod write;

use anyhow::Context;

use crate::actions::dead_letters;
use crate::actions::Writer;
use crate::cli::{DlqAction, DlqArgs, GlobalArgs};
use crate::model::clock::Zone;
use crate::model::{QueueKey, System};
use crate::source::dead_letters::DeadLetterReader;
use crate::text;
use read::{export, groups, list, show};
use write::{act, Act};

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
    scan_progress(&mut conn, &queue);
    dispatch(&mut conn, &queue, args, writer).await
}

/// Celery's failures are found by scanning the result backend's keyspace: on a terminal,
/// a progress line says how far it got, erased when done.
fn scan_progress(conn: &mut DeadLetterReader, queue: &QueueKey) {
    use std::io::IsTerminal;
    if queue.system != System::Celery || !std::io::stderr().is_terminal() {
        return;
    }
    conn.on_progress(|read, done| {
        if done {
            eprint!("\r\x1b[2K");
        } else {
            eprint!("\r\x1b[2Kreading Celery's result metas (celery-task-meta-*): {read} read");
        }
    });
}

async fn dispatch(
    conn: &mut DeadLetterReader,
    queue: &QueueKey,
    args: &DlqArgs,
    writer: Option<Writer>,
) -> Result<()> {
    let set = args.set;
    match (&args.action, writer) {
        (
            DlqAction::List {
                json,
                limit,
                offset,
            },
            _,
        ) => list(conn, queue, *json, *limit, *offset).await,
        (DlqAction::Show { id, json, full }, _) => show(conn, queue, id, *json, *full).await,
        (DlqAction::Groups { json }, _) => groups(conn, queue, *json).await,
        (
            DlqAction::Retry {
                selector,
                yes,
                json,
            },
            Some(writer),
        ) => {
            act(
                conn,
                &writer,
                queue,
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
                conn,
                &writer,
                queue,
                selector,
                *yes,
                *json,
                (Act::Delete, set),
            )
            .await
        }
        (DlqAction::Export { out }, _) => export(conn, queue, out.as_deref()).await,
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

/// The first line of `value`, at most `width` terminal columns (an ellipsis marks a cut).
fn clip(value: &str, width: usize) -> String {
    text::fit(value.lines().next().unwrap_or_default(), width)
}

/// Epoch ms as local time, or `-`.
fn local_time(ms: Option<i64>) -> String {
    Zone::Local.datetime(ms)
}
