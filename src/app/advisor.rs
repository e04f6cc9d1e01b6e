//! The advisor panel's state (target wait, the advice for the selected queue), the
//! scale-cmd confirmation, the demo's keys, and the autoscaler fed on each report.

use super::confirm::{Confirm, OnYes};
use super::demo::{DemoCommand, DemoOp, DemoState};
use super::{App, Effect, Mode};
use crate::app::keymap::Keymap;
use crate::model::advisor::inputs_from;
use crate::model::autoscale::Observation;
use crate::model::capacity::{advise, Advice, Bottleneck};
use crate::model::QueueKey;

/// `t`/`T` keep the target wait between these.
const TARGET_WAIT_MS: (f64, f64) = (10.0, 600_000.0);

/// What the advisor panel shows for one queue.
#[derive(Clone, Debug, PartialEq)]
pub struct AdvisorView {
    pub key: QueueKey,
    pub advice: Advice,
    /// Workers consuming the queue now (connections and heartbeats).
    pub workers: u32,
    /// Workers the recommendation amounts to (slots ÷ slots per worker).
    pub recommended_workers: Option<u32>,
}

/// Whether the advisor can run --scale-cmd, and if not, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScaleCmdState {
    NotSet,
    ReadOnly,
    Ready,
}

impl App {
    /// Turn this dashboard into the demo's: its key layer, its queue selected first.
    pub fn enable_demo(&mut self, queue: QueueKey) {
        self.keymap = Keymap::demo();
        self.preferred = Some(queue.clone());
        // A one-minute window: the effect of a key shows within seconds.
        self.zoom = 0;
        self.demo = Some(DemoState::new(queue));
    }

    pub fn scale_cmd_state(&self) -> ScaleCmdState {
        match (&self.scale_cmd, self.read_only) {
            (None, _) => ScaleCmdState::NotSet,
            (Some(_), true) => ScaleCmdState::ReadOnly,
            (Some(_), false) => ScaleCmdState::Ready,
        }
    }

    /// The advice for the selected queue, from the same data `qtop advise` uses.
    pub fn advisor(&self) -> Option<AdvisorView> {
        let key = self.selected.as_ref()?;
        let tracked = self.tracked.get(key)?;
        let now = self.latest_taken_at_ms;
        // Unknown (CLIENT LIST forbidden) counts as none here; the advisor says so.
        // Quiet and suspended workers take no new jobs: they are no capacity.
        let workers = self
            .latest_workers
            .count_for(key)
            .unwrap_or(0)
            .saturating_sub(self.latest_workers.resting_for(key)) as u64;
        let inputs = inputs_from(
            &self.heartbeats,
            workers,
            key,
            &tracked.history(&self.quiet),
            now,
            self.rate_window_ms(),
            self.target_wait_ms,
        );
        let advice = advise(&inputs);
        // Scaling workers is offered only when workers are what limits the queue.
        let workers_limit = advice.bottleneck == Bottleneck::Workers;
        let recommended_workers =
            advice
                .recommended_capacity
                .filter(|_| workers_limit)
                .map(|slots| {
                    let per_worker = if workers > 0 && advice.capacity > 0 {
                        (advice.capacity as f64 / workers as f64).max(1.0)
                    } else {
                        1.0
                    };
                    (slots as f64 / per_worker).ceil().max(1.0) as u32
                });
        Some(AdvisorView {
            key: key.clone(),
            advice,
            workers: workers as u32,
            recommended_workers,
        })
    }

    /// What the demo engine and the background tasks report.
    pub(super) fn on_task_result(&mut self, action: super::Action) {
        use super::Action;
        match action {
            Action::DemoStatus(status) => {
                if let Some(demo) = &mut self.demo {
                    demo.status = Some(*status);
                }
            }
            Action::DemoEvent(event) => {
                let line = self.demo.as_mut().and_then(|d| d.on_event(&event));
                if let Some(line) = line {
                    self.log.push(event.at_ms, line);
                }
            }
            Action::DemoDuplicates(n) => {
                if let Some(demo) = &mut self.demo {
                    demo.duplicates = Some(n);
                }
            }
            Action::ScaleCmdDone { workers, result } => {
                let line = match result {
                    Ok((code, first)) => format!(
                        "scale-cmd n={workers}: exit {}{}",
                        code.map_or("by signal".to_string(), |c| c.to_string()),
                        if first.is_empty() {
                            String::new()
                        } else {
                            format!(" · {first}")
                        }
                    ),
                    Err(error) => format!("scale-cmd n={workers}: {error}"),
                };
                self.log.push(self.now_ms, line);
            }
            _ => {}
        }
    }

    pub(super) fn on_advisor_command(&mut self, command: super::Command) -> Vec<Effect> {
        use super::Command;
        match command {
            Command::ToggleAdvisor => self.advisor_shown = !self.advisor_shown,
            Command::TargetWaitDown => {
                self.target_wait_ms = (self.target_wait_ms / 2.0).max(TARGET_WAIT_MS.0)
            }
            Command::TargetWaitUp => {
                self.target_wait_ms = (self.target_wait_ms * 2.0).min(TARGET_WAIT_MS.1)
            }
            Command::ApplyScale => self.offer_scale(),
            Command::ConfirmYes => {
                let on_yes = self.confirm.take().map(|c| c.on_yes);
                self.mode = self.back;
                return match on_yes {
                    Some(OnYes::RunScaleCmd { workers }) => vec![Effect::RunScaleCmd { workers }],
                    Some(OnYes::WorkerControl(request)) => vec![Effect::WorkerControl(request)],
                    // Dead-letter questions are answered by the dead-letter screens.
                    Some(OnYes::DeadLetters(_)) | None => Vec::new(),
                };
            }
            Command::ConfirmNo => {
                match self.confirm.take().map(|c| c.on_yes) {
                    Some(OnYes::WorkerControl(request)) => self.note(
                        format!(
                            "cancelled: nothing sent to {}",
                            if request.worker.name.is_empty() {
                                &request.worker.addr
                            } else {
                                &request.worker.name
                            }
                        ),
                        false,
                    ),
                    Some(_) => self.log.push(self.now_ms, "scale-cmd: cancelled"),
                    None => {}
                }
                self.mode = self.back;
            }
            _ => {}
        }
        Vec::new()
    }

    fn offer_scale(&mut self) {
        let template = match self.scale_cmd_state() {
            ScaleCmdState::NotSet => {
                self.log
                    .push(self.now_ms, "no --scale-cmd given: nothing to apply");
                return;
            }
            ScaleCmdState::ReadOnly => {
                self.log
                    .push(self.now_ms, "scale-cmd refused: qtop runs --read-only");
                return;
            }
            ScaleCmdState::Ready => self.scale_cmd.clone(),
        };
        let advisor = self.advisor();
        let Some(workers) = advisor.as_ref().and_then(|a| a.recommended_workers) else {
            let why = match advisor.map(|a| a.advice.bottleneck) {
                Some(Bottleneck::RateLimit) => {
                    "scale-cmd: not run: the queue's rate limit, not its workers, limits it"
                }
                Some(Bottleneck::GlobalConcurrency) => {
                    "scale-cmd: not run: the queue's global concurrency, not its workers, limits it"
                }
                _ => "scale-cmd: no recommendation yet (no service time)",
            };
            self.log.push(self.now_ms, why);
            return;
        };
        let command = template.map(|t| t.display(workers)).unwrap_or_default();
        self.confirm = Some(Confirm {
            question: format!("Run `{command}` (n = {workers})"),
            on_yes: OnYes::RunScaleCmd { workers },
        });
        if self.mode != Mode::Confirm {
            self.back = self.mode;
        }
        self.mode = Mode::Confirm;
    }

    pub(super) fn on_demo_command(&mut self, command: DemoCommand) -> Vec<Effect> {
        let Some(demo) = &mut self.demo else {
            return Vec::new();
        };
        if command == DemoCommand::ToggleAutoscale {
            let on = demo.toggle_autoscale();
            let line = if on { "autoscale on" } else { "autoscale off" };
            self.log.push(self.now_ms, line);
            return Vec::new();
        }
        demo.op_for(command).map(Effect::Demo).into_iter().collect()
    }

    /// After a report: one observation for the autoscaler, and its decision applied.
    pub(super) fn autoscale(&mut self, now_ms: i64) -> Vec<Effect> {
        let Some(demo) = &self.demo else {
            return Vec::new();
        };
        let (Some(key), Some(status)) = (&demo.queue, &demo.status) else {
            return Vec::new();
        };
        if demo.autoscaler.is_none() {
            return Vec::new();
        }
        let Some(tracked) = self.tracked.get(key) else {
            return Vec::new();
        };
        let history = tracked.history(&self.quiet);
        let stats = history.stats(now_ms, self.rate_window_ms());
        let observation = Observation {
            now_ms,
            workers: demo.running_workers(),
            concurrency: status.concurrency,
            backlog: history.counts().map_or(0, |c| c.backlog()),
            oldest_wait_s: history.oldest_waiting_age_s(now_ms).unwrap_or(0.0),
            arrival_per_s: stats.added_per_s,
            service_time_ms: (stats.processing.count > 0).then_some(stats.processing.mean),
        };
        let Some(demo) = &mut self.demo else {
            return Vec::new();
        };
        let Some(decision) = demo.autoscale(&observation) else {
            return Vec::new();
        };
        self.log.push(
            decision.at_ms,
            format!(
                "autoscale {} → {} workers: {}",
                decision.from, decision.to, decision.reason
            ),
        );
        let mut effects = vec![Effect::Demo(DemoOp::ScaleTo {
            from: decision.from,
            to: decision.to,
        })];
        match self.scale_cmd_state() {
            ScaleCmdState::Ready => effects.push(Effect::RunScaleCmd {
                workers: decision.to,
            }),
            ScaleCmdState::ReadOnly => self
                .log
                .push(decision.at_ms, "scale-cmd not run: qtop runs --read-only"),
            ScaleCmdState::NotSet => {}
        }
        effects
    }
}
