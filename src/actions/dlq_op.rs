//! The dashboard's dead-letter actions as one request type and one async function, run in
//! a background task by `runtime` (the UI never awaits them): retry or delete some jobs, a
//! failure group or all of them, or export the set to a file.

use std::path::PathBuf;
use std::time::Duration;

use super::dead_letters::{self, Outcome};
use super::Writer;
use crate::model::QueueKey;
use crate::source::dead_letters::{DeadLetterReader, DlqSet};
use crate::source::RedisTarget;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Which failed jobs an action touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DlqScope {
    Jobs(Vec<String>),
    /// A failure group by id: its jobs are looked up when the action runs.
    Group {
        id: String,
    },
    All,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DlqOp {
    Retry(DlqScope),
    Delete(DlqScope),
    /// Every failed job as JSON lines into `file` (relative: the current directory).
    Export {
        file: PathBuf,
    },
}

impl DlqOp {
    /// `retry`, `delete`, `export`.
    pub fn verb(&self) -> &'static str {
        match self {
            DlqOp::Retry(_) => "retry",
            DlqOp::Delete(_) => "delete",
            DlqOp::Export { .. } => "export",
        }
    }

    /// `retried`, `deleted`, `exported`.
    pub fn past(&self) -> &'static str {
        match self {
            DlqOp::Retry(_) => "retried",
            DlqOp::Delete(_) => "deleted",
            DlqOp::Export { .. } => "exported",
        }
    }

    pub fn writes(&self) -> bool {
        !matches!(self, DlqOp::Export { .. })
    }
}

/// An action for one queue, on one of its failure sets (Sidekiq's retry set, or the dead
/// letters every system has).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DlqRequest {
    pub queue: QueueKey,
    pub op: DlqOp,
    pub set: DlqSet,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DlqResult {
    Changed(Outcome),
    Exported { path: PathBuf, jobs: u64 },
}

/// What became of a request; errors are text, for the pane to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DlqDone {
    pub request: DlqRequest,
    pub result: Result<DlqResult, String>,
}

/// Run `request` to the end. Writes need a [`Writer`], refused in read-only mode.
pub async fn run(target: RedisTarget, read_only: bool, request: DlqRequest) -> DlqDone {
    let result = execute(&target, read_only, &request)
        .await
        .map_err(|error| format!("{error:#}"));
    DlqDone { request, result }
}

async fn execute(
    target: &RedisTarget,
    read_only: bool,
    request: &DlqRequest,
) -> anyhow::Result<DlqResult> {
    let queue = &request.queue;
    let set = request.set;
    let (scope, retry) = match &request.op {
        DlqOp::Export { file } => return export(target, queue, set, file).await,
        DlqOp::Retry(scope) => (scope, true),
        DlqOp::Delete(scope) => (scope, false),
    };
    let action = format!("{} failed jobs", request.op.verb());
    let writer = Writer::new(target.clone(), read_only, &action)?;
    dead_letters::check_supported(queue)?;
    let ids = match scope {
        DlqScope::Jobs(ids) => ids.clone(),
        DlqScope::Group { id } => {
            let mut reader =
                DeadLetterReader::open_set(target, queue, set, CONNECT_TIMEOUT).await?;
            reader.ids_in_group(id).await?
        }
        DlqScope::All => {
            let mut reader =
                DeadLetterReader::open_set(target, queue, set, CONNECT_TIMEOUT).await?;
            let total = reader.total().await?;
            let done = if retry {
                dead_letters::retry_all_in(&writer, queue, set).await?
            } else {
                dead_letters::delete_all_in(&writer, queue, set).await?
            };
            return Ok(DlqResult::Changed(Outcome {
                requested: total.max(done),
                done,
                skipped: Vec::new(),
            }));
        }
    };
    let outcome = if retry {
        dead_letters::retry_jobs_in(&writer, queue, set, &ids).await?
    } else {
        dead_letters::delete_jobs_in(&writer, queue, set, &ids).await?
    };
    Ok(DlqResult::Changed(outcome))
}

async fn export(
    target: &RedisTarget,
    queue: &QueueKey,
    set: DlqSet,
    file: &std::path::Path,
) -> anyhow::Result<DlqResult> {
    use anyhow::Context;
    let path = std::env::current_dir()
        .map(|dir| dir.join(file))
        .unwrap_or_else(|_| file.to_path_buf());
    let mut reader = DeadLetterReader::open_set(target, queue, set, CONNECT_TIMEOUT).await?;
    // `create_new`: never overwrite a file that is already there.
    let created = std::fs::File::create_new(&path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    let mut sink = std::io::BufWriter::new(created);
    let jobs = reader.export(&mut sink).await?;
    Ok(DlqResult::Exported { path, jobs })
}
