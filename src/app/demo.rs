//! The demo's half of the dashboard state: its commands, what the engine last reported,
//! the event log, chart markers, and the autoscaler (fed once per poll report).
//!
//! The engine itself lives in the runtime; here keys become `Effect::Demo(DemoOp)` and the
//! engine's status and events come back as actions, so all of it is tested without one.

use std::collections::VecDeque;

use crate::demo::{DemoEvent, DemoEventKind, DemoStatus, WorkerState};
use crate::model::autoscale::{AutoscalePolicy, Autoscaler, Observation, ScaleDecision};
use crate::model::QueueKey;

/// What a demo key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DemoCommand {
    RateUp,
    RateDown,
    Burst,
    SpawnWorker,
    StopWorker,
    KillWorker,
    CycleFailRate,
    TogglePoison,
    CycleConcurrency,
    CycleWorkTime,
    ToggleAutoscale,
}

/// Work for the demo engine; the runtime calls the matching `DemoHandle` method.
#[derive(Clone, Debug, PartialEq)]
pub enum DemoOp {
    RateUp,
    RateDown,
    Burst(u64),
    SpawnWorker,
    StopWorker,
    KillWorker,
    SetFailRate(f64),
    TogglePoison,
    SetConcurrency(u32),
    SetWorkMs(f64),
    /// An autoscale decision: start or stop workers to go from `from` to `to`.
    ScaleTo {
        from: u32,
        to: u32,
    },
}

/// Jobs a `b` adds at once.
pub const BURST: u64 = 500;
/// `f` steps through these failure rates.
pub const FAIL_RATES: [f64; 4] = [0.0, 0.02, 0.10, 0.30];
/// `c` steps through these concurrencies of new workers.
pub const CONCURRENCIES: [u32; 5] = [1, 2, 4, 8, 16];
/// `w` steps through these mean work times (ms).
pub const WORK_MS: [f64; 5] = [20.0, 50.0, 100.0, 200.0, 500.0];
/// Lines kept in the event log and markers kept for the charts.
const LOG_KEEP: usize = 100;
const MARKERS_KEEP: usize = 200;

/// What a chart marker stands for (its glyph and colour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkerKind {
    ScaleUp,
    ScaleDown,
    Kill,
    Rate,
    Autoscale,
}

impl MarkerKind {
    pub fn glyph(self) -> &'static str {
        match self {
            MarkerKind::ScaleUp => "+",
            MarkerKind::ScaleDown => "-",
            MarkerKind::Kill => "k",
            MarkerKind::Rate => "r",
            MarkerKind::Autoscale => "A",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ChartMarker {
    pub at_ms: i64,
    pub kind: MarkerKind,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct LogLine {
    pub at_ms: i64,
    pub text: String,
}

#[derive(Clone, Debug, Default)]
pub struct DemoState {
    pub queue: Option<QueueKey>,
    pub status: Option<DemoStatus>,
    /// `duplicates_suppressed` of the demo queue's `qtop:stats`.
    pub duplicates: Option<u64>,
    pub markers: VecDeque<ChartMarker>,
    /// Some while autoscaling is on.
    pub autoscaler: Option<Autoscaler>,
}

impl DemoState {
    pub fn new(queue: QueueKey) -> Self {
        Self {
            queue: Some(queue),
            ..Self::default()
        }
    }

    pub fn running_workers(&self) -> u32 {
        self.status.as_ref().map_or(0, |s| {
            s.workers
                .iter()
                .filter(|w| w.state == WorkerState::Running)
                .count() as u32
        })
    }

    pub fn mark(&mut self, at_ms: i64, kind: MarkerKind, label: impl Into<String>) {
        self.markers.push_back(ChartMarker {
            at_ms,
            kind,
            label: label.into(),
        });
        while self.markers.len() > MARKERS_KEEP {
            self.markers.pop_front();
        }
    }

    /// The op for a demo key, from the settings the engine last reported.
    pub fn op_for(&self, command: DemoCommand) -> Option<DemoOp> {
        let settings = self.status.as_ref().map(|s| &s.settings);
        Some(match command {
            DemoCommand::RateUp => DemoOp::RateUp,
            DemoCommand::RateDown => DemoOp::RateDown,
            DemoCommand::Burst => DemoOp::Burst(BURST),
            DemoCommand::SpawnWorker => DemoOp::SpawnWorker,
            DemoCommand::StopWorker => DemoOp::StopWorker,
            DemoCommand::KillWorker => DemoOp::KillWorker,
            DemoCommand::TogglePoison => DemoOp::TogglePoison,
            DemoCommand::CycleFailRate => {
                let now = settings.and_then(|s| s.fail_rate).unwrap_or(0.0);
                DemoOp::SetFailRate(next_after(&FAIL_RATES, now))
            }
            DemoCommand::CycleConcurrency => {
                let now = self.status.as_ref().map_or(0, |s| s.concurrency);
                let next = CONCURRENCIES
                    .iter()
                    .copied()
                    .find(|&c| c > now)
                    .unwrap_or(CONCURRENCIES[0]);
                DemoOp::SetConcurrency(next)
            }
            DemoCommand::CycleWorkTime => {
                let now = settings.and_then(|s| s.work_ms_mean).unwrap_or(0.0);
                DemoOp::SetWorkMs(next_after(&WORK_MS, now))
            }
            DemoCommand::ToggleAutoscale => return None,
        })
    }

    /// An engine event: a marker for scale and rate changes. Returns the log line, if any.
    pub fn on_event(&mut self, event: &DemoEvent) -> Option<String> {
        let at = event.at_ms;
        match &event.kind {
            DemoEventKind::Produced { total } => {
                if let Some(status) = &mut self.status {
                    status.produced = status.produced.max(*total);
                }
                return None;
            }
            DemoEventKind::WorkerSpawned { .. } => self.mark(at, MarkerKind::ScaleUp, "+1"),
            DemoEventKind::WorkerStopped { .. } => self.mark(at, MarkerKind::ScaleDown, "-1"),
            DemoEventKind::WorkerKilled { .. } => self.mark(at, MarkerKind::Kill, "kill"),
            DemoEventKind::RateChanged { rate } => {
                self.mark(at, MarkerKind::Rate, format!("{rate:.0}/s"))
            }
            _ => {}
        }
        Some(event.describe())
    }

    /// Feed one observation to the autoscaler, if it is on.
    pub fn autoscale(&mut self, observation: &Observation) -> Option<ScaleDecision> {
        let decision = self.autoscaler.as_mut()?.observe(observation)?;
        self.mark(
            decision.at_ms,
            MarkerKind::Autoscale,
            format!("{}→{}", decision.from, decision.to),
        );
        Some(decision)
    }

    pub fn toggle_autoscale(&mut self) -> bool {
        self.autoscaler = match self.autoscaler {
            Some(_) => None,
            None => Some(Autoscaler::new(AutoscalePolicy::default())),
        };
        self.autoscaler.is_some()
    }
}

/// The first value in `steps` above `now` (with a little tolerance), else the first.
fn next_after(steps: &[f64], now: f64) -> f64 {
    steps
        .iter()
        .copied()
        .find(|&v| v > now + 1e-9)
        .unwrap_or(steps[0])
}

/// The event log: newest last, a bounded number of lines.
#[derive(Clone, Debug, Default)]
pub struct EventLog {
    pub lines: VecDeque<LogLine>,
}

impl EventLog {
    pub fn push(&mut self, at_ms: i64, text: impl Into<String>) {
        self.lines.push_back(LogLine {
            at_ms,
            text: text.into(),
        });
        while self.lines.len() > LOG_KEEP {
            self.lines.pop_front();
        }
    }

    /// The newest `n` lines, newest first.
    pub fn latest(&self, n: usize) -> impl Iterator<Item = &LogLine> {
        self.lines.iter().rev().take(n)
    }
}
