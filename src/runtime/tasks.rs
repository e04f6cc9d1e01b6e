//! Running effects without blocking the loop: demo commands are queued on the engine's
//! handle; --scale-cmd runs and the demo's duplicate counter are background tasks whose
//! results come back as `Action`s.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::actions::scale_cmd::ScaleCommand;
use crate::app::demo::DemoOp;
use crate::app::{Action, Effect};
use crate::cli::GlobalArgs;
use crate::demo::{connect_checked, DemoHandle};
use crate::source::bullmq::keys::QueueId;
use crate::source::RedisTarget;

/// How often the demo's `duplicates_suppressed` is read.
const DUPLICATES_EVERY: Duration = Duration::from_secs(1);

pub struct Tasks {
    pub results: mpsc::UnboundedReceiver<Action>,
    sender: mpsc::UnboundedSender<Action>,
    demo: Option<DemoHandle>,
    scale_cmd: Option<ScaleCommand>,
    read_only: bool,
    cancel: CancellationToken,
}

impl Tasks {
    pub fn new(global: &GlobalArgs) -> Self {
        let (sender, results) = mpsc::unbounded_channel();
        Self {
            results,
            sender,
            demo: None,
            scale_cmd: global.scale_cmd.clone(),
            read_only: global.read_only,
            cancel: CancellationToken::new(),
        }
    }

    pub fn with_demo(mut self, handle: DemoHandle) -> Self {
        self.demo = Some(handle);
        self
    }

    /// Stop the background tasks (scale-cmd runs already started finish on their own).
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn run(&self, effect: Effect) {
        match effect {
            Effect::Quit => {}
            Effect::Demo(op) => {
                if let Some(demo) = &self.demo {
                    apply(demo, op);
                }
            }
            Effect::RunScaleCmd { workers } => self.run_scale_cmd(workers),
        }
    }

    fn run_scale_cmd(&self, workers: u32) {
        let Some(command) = self.scale_cmd.clone() else {
            return;
        };
        let read_only = self.read_only;
        let results = self.sender.clone();
        tokio::spawn(async move {
            let result = command
                .run(workers, read_only)
                .await
                .map_err(|e| format!("{e:#}"));
            match &result {
                Ok((code, first)) => {
                    tracing::info!(workers, ?code, first_line = %first, "scale-cmd ran")
                }
                Err(error) => tracing::warn!(workers, %error, "scale-cmd did not run"),
            }
            let _ = results.send(Action::ScaleCmdDone { workers, result });
        });
    }

    /// Read the demo queue's `duplicates_suppressed` once a second.
    pub fn watch_duplicates(&self, target: RedisTarget, queue: QueueId) {
        let results = self.sender.clone();
        let cancel = self.cancel.clone();
        tokio::spawn(async move {
            let Ok(mut conn) = connect_checked(&target).await else {
                return;
            };
            let field = crate::demo::processor::DUPLICATES_FIELD;
            let mut tick = tokio::time::interval(DUPLICATES_EVERY);
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tick.tick() => {}
                }
                let read: redis::RedisResult<Option<u64>> = redis::cmd("HGET")
                    .arg(queue.qtop_stats())
                    .arg(field)
                    .query_async(&mut conn)
                    .await;
                if let Ok(count) = read {
                    if results
                        .send(Action::DemoDuplicates(count.unwrap_or(0)))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        });
    }
}

fn apply(demo: &DemoHandle, op: DemoOp) {
    match op {
        DemoOp::RateUp => demo.rate_up(),
        DemoOp::RateDown => demo.rate_down(),
        DemoOp::Burst(n) => demo.burst(n),
        DemoOp::SpawnWorker => demo.spawn_worker(),
        DemoOp::StopWorker => demo.stop_worker(),
        DemoOp::KillWorker => demo.kill_worker(),
        DemoOp::SetFailRate(p) => demo.set_fail_rate(p),
        DemoOp::TogglePoison => demo.toggle_poison(),
        DemoOp::SetConcurrency(n) => demo.set_concurrency(n),
        DemoOp::SetWorkMs(ms) => demo.set_work_ms(ms),
        DemoOp::ScaleTo { from, to } => {
            tracing::info!(from, to, "demo autoscale");
            crate::demo::scale::scale_to(demo, from, to)
        }
    }
}
