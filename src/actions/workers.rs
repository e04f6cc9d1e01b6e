//! Remote control of a system's worker processes, exactly as the system's own tools do it
//! (Sidekiq's signals list, RQ's pub/sub commands, Celery's broadcast control messages).
//! Every control needs a [`Writer`], which `--read-only` cannot make. BullMQ's workers take
//! no commands through Redis: asking is refused with the reason.
//!
//! Adding a system: one arm in [`control`], its writes under `actions/<system>/`.

use anyhow::bail;
use serde::Serialize;

use super::Writer;
use crate::model::{System, WorkerControl, WorkerInfo};

/// What a control did, in words for the operator and fields for scripts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ControlOutcome {
    pub worker: String,
    pub system: System,
    pub control: WorkerControl,
    /// What was sent and what to expect (`TSTP queued: the process goes quiet at its next
    /// heartbeat, within 10 s`).
    pub message: String,
}

/// Why `control` cannot be asked of `worker` (its system has no such command), if it cannot.
pub fn refusal(worker: &WorkerInfo, control: WorkerControl) -> Option<String> {
    if worker.system.controls().contains(&control) {
        return None;
    }
    Some(match worker.system {
        System::Bullmq => format!(
            "{} is a BullMQ worker: BullMQ workers take no commands through Redis; stop it where \
             it runs (its process manager, or `kill`); qtop's own demo workers: the demo's keys",
            display_name(worker)
        ),
        system => format!("{system} workers cannot be asked to {}", control.name()),
    })
}

fn display_name(worker: &WorkerInfo) -> &str {
    if worker.name.is_empty() {
        &worker.addr
    } else {
        &worker.name
    }
}

/// Ask `worker` to quiet, stop, grow or shrink (`by` processes for grow and shrink).
pub async fn control(
    writer: &Writer,
    worker: &WorkerInfo,
    control: WorkerControl,
    by: u32,
) -> anyhow::Result<ControlOutcome> {
    if let Some(why) = refusal(worker, control) {
        bail!(why);
    }
    if worker.system == System::Sidekiq {
        return sidekiq_control(writer, worker, control).await;
    }
    if worker.system == System::Rq {
        return super::rq::workers::control(writer, worker, control).await;
    }
    if worker.system == System::Celery {
        return super::celery::control::control(writer, worker, control, by).await;
    }
    bail!(
        "qtop cannot control {} workers yet ({} {})",
        worker.system,
        control.name(),
        display_name(worker)
    )
}

/// `Process#quiet!` / `#stop!`: the process acts at its next heartbeat (5 s in 6.x, 10 s
/// from 7.0).
async fn sidekiq_control(
    writer: &Writer,
    worker: &WorkerInfo,
    control: WorkerControl,
) -> anyhow::Result<ControlOutcome> {
    let keys = crate::source::sidekiq::Keys::new(worker.prefix.clone());
    let (signal, effect) = match control {
        WorkerControl::Quiet => ("TSTP", "stops fetching jobs and finishes the running ones"),
        _ => (
            "TERM",
            "shuts down (jobs still running after its -t timeout go back to their queue)",
        ),
    };
    super::sidekiq::signal(writer, &keys, &worker.name, signal).await?;
    Ok(ControlOutcome {
        worker: worker.name.clone(),
        system: worker.system,
        control,
        message: format!(
            "{signal} queued for {}: it {effect} at its next heartbeat, within 10 s",
            worker.name
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bullmq_workers_are_refused_with_the_reason() {
        let worker = WorkerInfo {
            name: "w1".into(),
            ..WorkerInfo::default()
        };
        let why = refusal(&worker, WorkerControl::Stop).unwrap_or_default();
        assert!(why.contains("take no commands"), "{why}");
        let sidekiq = WorkerInfo {
            system: System::Sidekiq,
            ..worker
        };
        assert_eq!(refusal(&sidekiq, WorkerControl::Quiet), None);
        assert!(refusal(&sidekiq, WorkerControl::Grow).is_some());
    }
}
