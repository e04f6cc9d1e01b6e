//! `qtop workers …`: every system's workers, and what each system lets an operator do to
//! them remotely (quiet and stop a Sidekiq process, stop an RQ worker, grow, shrink or stop
//! a Celery pool). Controls ask first (or need `--yes`) and are refused by `--read-only`.

use std::io::Write;
use std::time::Duration;

use anyhow::{bail, Result};

use super::confirm;
use crate::actions::workers::{control, refusal};
use crate::actions::Writer;
use crate::cli::{GlobalArgs, WorkersAction, WorkersArgs};
use crate::model::{WorkerControl, WorkerInfo};
use crate::source::Poller;

pub async fn run(global: &GlobalArgs, args: &WorkersArgs) -> Result<()> {
    let target = global.target()?;
    let (wanted, name, by, yes, json) = match &args.action {
        WorkersAction::List { json } => {
            let workers = list(global).await?;
            return print_list(&workers, *json);
        }
        WorkersAction::Quiet { name, yes, json } => (WorkerControl::Quiet, name, 1, *yes, *json),
        WorkersAction::Stop {
            name,
            job,
            yes,
            json,
        } => {
            let control = if *job {
                WorkerControl::StopJob
            } else {
                WorkerControl::Stop
            };
            (control, name, 1, *yes, *json)
        }
        WorkersAction::Grow {
            name,
            by,
            yes,
            json,
        } => (WorkerControl::Grow, name, *by, *yes, *json),
        WorkersAction::Shrink {
            name,
            by,
            yes,
            json,
        } => (WorkerControl::Shrink, name, *by, *yes, *json),
    };
    // Refuse a write before touching Redis at all.
    let action = format!("{} worker {name}", wanted.name());
    let writer = Writer::new(target, global.read_only, &action)?;
    let workers = list(global).await?;
    let worker = find(&workers, name)?;
    if let Some(why) = refusal(worker, wanted) {
        bail!(why);
    }
    let what = match wanted {
        WorkerControl::Grow | WorkerControl::Shrink => {
            format!(
                "{} the pool of {} {} by {by}",
                wanted.name(),
                worker.system,
                worker.name
            )
        }
        WorkerControl::StopJob => format!(
            "stop the job {} worker {} is running",
            worker.system, worker.name
        ),
        _ => format!("{} {} worker {}", wanted.name(), worker.system, worker.name),
    };
    confirm(&what, yes, true)?;
    let outcome = control(&writer, worker, wanted, by).await?;
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &outcome)?;
        writeln!(out)?;
    } else {
        writeln!(out, "{}", outcome.message)?;
    }
    Ok(())
}

/// One poll: every system's workers.
async fn list(global: &GlobalArgs) -> Result<Vec<WorkerInfo>> {
    let mut poller = Poller::new(global.target()?, crate::cli::poller_config(global));
    let mut report = tokio::time::timeout(Duration::from_secs(30), poller.poll()).await??;
    // Workers heard only through heartbeats (Celery) need one heartbeat period.
    if poller.settle().await {
        report = tokio::time::timeout(Duration::from_secs(30), poller.poll()).await??;
    }
    Ok(report.workers)
}

/// The worker called `name` (exactly, else by a unique prefix).
fn find<'a>(workers: &'a [WorkerInfo], name: &str) -> Result<&'a WorkerInfo> {
    if let Some(worker) = workers.iter().find(|w| w.name == name) {
        return Ok(worker);
    }
    let matching: Vec<&WorkerInfo> = workers
        .iter()
        .filter(|w| !w.name.is_empty() && w.name.starts_with(name))
        .collect();
    match matching.as_slice() {
        [one] => Ok(one),
        [] => bail!("no worker named '{name}' (qtop workers list shows them)"),
        many => bail!(
            "'{name}' names {} workers: {}",
            many.len(),
            many.iter()
                .map(|w| w.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn print_list(workers: &[WorkerInfo], json: bool) -> Result<()> {
    let mut out = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, workers)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{:<8} {:<32} {:<24} {:>5} {:>5} {:>7}  QUEUES",
        "SYSTEM", "NAME", "ADDR", "BUSY", "CONC", "BEAT"
    )?;
    for w in workers {
        let queues = if w.queues.is_empty() {
            w.queue.clone()
        } else {
            w.queues.join(",")
        };
        let opt = |n: Option<u32>| n.map_or("-".to_string(), |n| n.to_string());
        let beat = w.beat_age_s.map_or("-".to_string(), |s| format!("{s:.0}s"));
        let mut line = format!(
            "{:<8} {:<32} {:<24} {:>5} {:>5} {:>7}  {queues}",
            w.system.name(),
            if w.name.is_empty() {
                "(unnamed)"
            } else {
                &w.name
            },
            w.addr,
            opt(w.busy),
            opt(w.concurrency),
            beat,
        );
        if let Some(state) = &w.state {
            line.push_str(&format!("  [{state}]"));
        }
        if w.stale {
            line.push_str("  (stale)");
        }
        writeln!(out, "{line}")?;
    }
    if workers.is_empty() {
        writeln!(out, "no workers found")?;
    }
    Ok(())
}
