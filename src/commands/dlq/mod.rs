//! `qtop dlq …`: the dead-letter set (BullMQ's `failed`) from the command line. Which
//! action runs, on which queue; `read` prints, `write` retries and deletes.

use std::time::Duration;

use anyhow::{bail, Result};

mod read;
mod write;

use crate::actions::Writer;
use crate::cli::{DlqAction, DlqArgs, GlobalArgs};
use crate::model::clock::Zone;
use crate::source::bullmq::QueueId;
use crate::source::link::connect_to_queue;
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
    let mut conn = connect_to_queue(&target, &queue, TIMEOUT).await?;
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
                Act::Retry,
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
                Act::Delete,
            )
            .await
        }
        (DlqAction::Export { out }, _) => export(&mut conn, &queue, out.as_deref()).await,
        (DlqAction::Retry { .. } | DlqAction::Delete { .. }, None) => {
            bail!("internal: a write without a writer")
        }
    }
}

/// `dlq` works on exactly one queue: the `--queue` under the first `--prefix`.
fn the_queue(global: &GlobalArgs) -> Result<QueueId> {
    if global.queues.len() > 1 {
        bail!(
            "qtop dlq works on one queue at a time; got --queue {}",
            global.queues.join(", --queue ")
        );
    }
    let name = crate::cli::first_queue(global, "qtop dlq")?;
    Ok(QueueId::new(crate::cli::first_prefix(global), name))
}

/// The first line of `value`, at most `width` terminal columns (an ellipsis marks a cut).
fn clip(value: &str, width: usize) -> String {
    text::fit(value.lines().next().unwrap_or_default(), width)
}

/// Epoch ms as local time, or `-`.
fn local_time(ms: Option<i64>) -> String {
    Zone::Local.datetime(ms)
}
