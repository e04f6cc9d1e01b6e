//! Running effects without blocking the loop: a `DlqWant` replaces what the dead-letter
//! reader reads next; dead-letter actions, worker controls and --scale-cmd runs are
//! background tasks, demo
//! commands are queued on the engine's handle; results come back as `Action`s.

use std::collections::HashMap;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use crate::actions::dlq_op::{self, DlqDone, DlqRequest};
use crate::source::dlq_task::{spawn_dlq_reader, DlqAnswer, DlqWant};
use crate::source::job_task::{spawn_job_reader, JobAnswer, JobWant};

use crate::actions::scale_cmd::ScaleCommand;
use crate::actions::Writer;
use crate::app::demo::DemoOp;
use crate::app::worker_controls::{ControlDone, ControlRequest};
use crate::app::{Action, Effect};
use crate::cli::GlobalArgs;
use crate::demo::{connect_checked, DemoHandle};
use crate::source::bullmq::keys::QueueId;
use crate::source::RedisTarget;

/// How often the demo's `duplicates_suppressed` is read.
const DUPLICATES_EVERY: Duration = Duration::from_secs(1);

pub struct Tasks {
    /// Scale-cmd runs and the demo's counters.
    pub results: mpsc::UnboundedReceiver<Action>,
    sender: mpsc::UnboundedSender<Action>,
    demo: Option<DemoHandle>,
    scale_cmd: Option<ScaleCommand>,
    read_only: bool,
    cancel: CancellationToken,
    target: RedisTarget,
    dlq_reader: JoinHandle<()>,
    dlq_want: watch::Sender<DlqWant>,
    pub dlq_answers: mpsc::Receiver<DlqAnswer>,
    job_reader: JoinHandle<()>,
    job_want: watch::Sender<JobWant>,
    pub job_answers: mpsc::Receiver<JobAnswer>,
    pub actions: JoinSet<DlqDone>,
    /// The request of each running action, to answer for it even if its task panics.
    running: HashMap<tokio::task::Id, DlqRequest>,
}

impl Tasks {
    /// Starts the dead-letter reader on `target`; it reads only what the screen wants.
    pub fn new(global: &GlobalArgs, target: RedisTarget) -> Self {
        let (sender, results) = mpsc::unbounded_channel();
        let cancel = CancellationToken::new();
        let (dlq_reader, dlq_want, dlq_answers) = spawn_dlq_reader(target.clone(), cancel.clone());
        let (job_reader, job_want, job_answers) = spawn_job_reader(target.clone(), cancel.clone());
        Self {
            results,
            sender,
            demo: None,
            scale_cmd: global.scale_cmd.clone(),
            read_only: global.read_only,
            cancel,
            target,
            dlq_reader,
            dlq_want,
            dlq_answers,
            job_reader,
            job_want,
            job_answers,
            actions: JoinSet::new(),
            running: HashMap::new(),
        }
    }

    /// Stop the reader and the counters; a running action (a retry half done) gets up to
    /// `grace` to finish. Scale-cmd runs already started finish on their own.
    pub async fn shutdown(mut self, grace: Duration) {
        self.cancel.cancel();
        let _ = tokio::time::timeout(grace, async {
            let _ = (&mut self.dlq_reader).await;
            let _ = (&mut self.job_reader).await;
            while self.actions.join_next().await.is_some() {}
        })
        .await;
    }

    /// A finished action task as an action; a panicked one still answers, as an error.
    pub fn done(
        &mut self,
        joined: Result<(tokio::task::Id, DlqDone), tokio::task::JoinError>,
    ) -> Option<Action> {
        match joined {
            Ok((id, done)) => {
                self.running.remove(&id);
                Some(Action::ActionDone(done))
            }
            Err(error) => {
                let request = self.running.remove(&error.id())?;
                Some(Action::ActionDone(DlqDone {
                    request,
                    result: Err(format!("the action stopped: {error}")),
                }))
            }
        }
    }

    pub fn with_demo(mut self, handle: DemoHandle) -> Self {
        self.demo = Some(handle);
        self
    }

    /// Start what an effect asks for; never waits for it.
    pub fn run(&mut self, effect: Effect) {
        match effect {
            // The event loop handles these itself.
            Effect::Quit | Effect::SwitchContext(_) | Effect::Copy(_) => {}
            Effect::WantDeadLetters(want) => {
                self.dlq_want.send_replace(want);
            }
            Effect::WantJobs(want) => {
                self.job_want.send_replace(want);
            }
            Effect::DeadLetterAction(request) => {
                let target = self.target.clone();
                let read_only = self.read_only;
                let task = request.clone();
                let handle = self
                    .actions
                    .spawn(async move { dlq_op::run(target, read_only, task).await });
                self.running.insert(handle.id(), request);
            }
            Effect::Demo(op) => {
                if let Some(demo) = &self.demo {
                    apply(demo, op);
                }
            }
            Effect::RunScaleCmd { workers } => self.run_scale_cmd(workers),
            Effect::WorkerControl(request) => self.run_worker_control(request),
        }
    }

    /// Send a worker its control (the Writer refuses it under --read-only) and answer with
    /// what the system's own tools would say.
    fn run_worker_control(&self, request: Box<ControlRequest>) {
        let target = self.target.clone();
        let read_only = self.read_only;
        let results = self.sender.clone();
        tokio::spawn(async move {
            let ControlRequest { worker, control } = *request;
            let result = async {
                let writer = Writer::new(target, read_only, "control workers")?;
                crate::actions::workers::control(&writer, &worker, control, 1).await
            }
            .await
            .map(|outcome| outcome.message)
            .map_err(|e| format!("{e:#}"));
            match &result {
                Ok(message) => tracing::info!(worker = %worker.name, %message, "worker control"),
                Err(error) => {
                    tracing::warn!(worker = %worker.name, %error, "worker control failed")
                }
            }
            let name = if worker.name.is_empty() {
                worker.addr.clone()
            } else {
                worker.name.clone()
            };
            let _ = results.send(Action::WorkerControlDone(ControlDone {
                worker: name,
                control,
                result,
            }));
        });
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
