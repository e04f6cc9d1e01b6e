//! Remote controls of the selected worker (workers pane): quiet, stop, stop its job, grow
//! or shrink its pool, each only where its system has it (`System::controls`). Every one
//! is asked first (`Mode::Confirm`), refused under `--read-only`, and run by the runtime
//! as `Effect::WorkerControl` through `actions::workers::control`, which answers with
//! `Action::WorkerControlDone`. Outcomes and refusals go to the status line.
//!
//! BullMQ's workers take no commands through Redis: the keys say so instead of acting.
//! qtop's own demo workers keep the demo's keys (`k` kills, `-` stops).

use super::confirm::{Confirm, OnYes};
use super::workers::{WorkerHealth, WorkerRow};
use super::{App, Command, Effect, Mode, Pane};
use crate::model::{System, WorkerControl, WorkerInfo};

/// How long a note stays in the status line.
const NOTE_MS: i64 = 8_000;

/// A control to send, as confirmed.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlRequest {
    pub worker: WorkerInfo,
    pub control: WorkerControl,
}

/// What a control did: the system's outcome in words, or why it failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlDone {
    pub worker: String,
    pub control: WorkerControl,
    pub result: Result<String, String>,
}

/// A line for the status bar, until `until_ms`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusNote {
    pub text: String,
    pub error: bool,
    pub until_ms: i64,
}

/// The verb as the dialog and the notes say it.
pub fn verb(control: WorkerControl) -> &'static str {
    match control {
        WorkerControl::Quiet => "quiet",
        WorkerControl::Stop => "stop",
        WorkerControl::StopJob => "stop the job of",
        WorkerControl::Grow => "grow the pool of",
        WorkerControl::Shrink => "shrink the pool of",
    }
}

/// What the worker will do, for the dialog.
fn effect(system: System, control: WorkerControl) -> &'static str {
    match (system, control) {
        (_, WorkerControl::Quiet) => "it stops fetching jobs and finishes the running ones",
        (System::Sidekiq, WorkerControl::Stop) => {
            "it shuts down; jobs still running after its timeout go back to their queue"
        }
        (System::Rq, WorkerControl::Stop) => "it finishes its current job, if any, then exits",
        (_, WorkerControl::Stop) => "it shuts down",
        (_, WorkerControl::StopJob) => "the job it runs now is stopped; the worker goes on",
        (_, WorkerControl::Grow) => "one more pool process",
        (_, WorkerControl::Shrink) => "one pool process less",
    }
}

/// Why `control` cannot be asked of `row`'s worker, in a few words (help and the status
/// bar dim the key with it); `None` if it can.
pub fn unavailable(row: Option<&WorkerRow>, control: WorkerControl) -> Option<&'static str> {
    let Some(row) = row else {
        return Some("select a worker");
    };
    if row.key.system.controls().contains(&control) {
        return None;
    }
    Some(match row.key.system {
        System::Bullmq => "BullMQ workers take no remote commands",
        System::Sidekiq => "not for Sidekiq",
        System::Rq => "not for RQ",
        System::Celery => "not for Celery",
    })
}

/// A control's word in the status bar.
fn short_label(control: WorkerControl) -> &'static str {
    match control {
        WorkerControl::Quiet => "quiet",
        WorkerControl::Stop => "stop",
        WorkerControl::StopJob => "stop job",
        WorkerControl::Grow => "pool +1",
        WorkerControl::Shrink => "pool -1",
    }
}

impl App {
    /// The status bar's keys: with a worker selected in the workers pane, the controls its
    /// system accepts come first (the help overlay lists them all, with the reasons).
    pub fn status_keys(&self) -> Vec<super::keymap::Entry> {
        let mut keys = Vec::new();
        if self.selected_worker().is_some() {
            keys.extend(
                self.keymap
                    .help(self.mode)
                    .into_iter()
                    .filter_map(|mut entry| match entry.command {
                        Command::WorkerControl(control)
                            if self.unavailable(entry.command).is_none() =>
                        {
                            entry.text = short_label(control);
                            Some(entry)
                        }
                        _ => None,
                    }),
            );
        }
        keys.extend(self.keymap.status(self.mode));
        keys
    }

    /// The worker under the cursor of the workers pane, when that pane has the focus.
    pub fn selected_worker(&self) -> Option<&WorkerRow> {
        if self.focus != Pane::Workers {
            return None;
        }
        self.worker_rows().get(self.worker_selected).copied()
    }

    /// The status line's note, while it lasts.
    pub fn status_note(&self) -> Option<&StatusNote> {
        self.status_note
            .as_ref()
            .filter(|note| self.now_ms < note.until_ms)
    }

    pub(super) fn note(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        self.log.push(self.now_ms, text.clone());
        self.status_note = Some(StatusNote {
            text,
            error,
            until_ms: self.now_ms + NOTE_MS,
        });
    }

    /// A control key: refused with the reason, or asked first.
    pub(super) fn on_worker_control(&mut self, control: WorkerControl) -> Vec<Effect> {
        let Some(row) = self.selected_worker() else {
            self.note(
                format!(
                    "{}: select a worker in the workers pane first (Tab)",
                    control.name()
                ),
                true,
            );
            return Vec::new();
        };
        let name = display_name(row);
        let Some(info) = row.info.clone() else {
            // A qtop worker known from its heartbeat only.
            self.note(
                format!("{name} is a qtop worker: the demo's keys stop (-) or kill (k) it"),
                true,
            );
            return Vec::new();
        };
        if let Some(why) = crate::actions::workers::refusal(&info, control) {
            self.note(why, true);
            return Vec::new();
        }
        if row.health == WorkerHealth::Vanished {
            self.note(
                format!("{name} is gone: nothing to {}", verb(control)),
                true,
            );
            return Vec::new();
        }
        if self.read_only {
            self.note(
                format!(
                    "read-only: {} is disabled (--read-only / QTOP_READ_ONLY); nothing changed",
                    control.name()
                ),
                true,
            );
            return Vec::new();
        }
        let mut question = format!(
            "{} {} worker {name}",
            capitalised(verb(control)),
            info.system
        );
        if let (Some(host), Some(pid)) = (&info.host, info.pid) {
            question.push_str(&format!(" ({host} pid {pid})"));
        }
        if control == WorkerControl::StopJob {
            if let Some(job) = &info.current_job {
                question.push_str(&format!(", job {job}"));
            }
        }
        question.push_str(&format!(": {}", effect(info.system, control)));
        self.confirm = Some(Confirm {
            question,
            on_yes: OnYes::WorkerControl(Box::new(ControlRequest {
                worker: info,
                control,
            })),
        });
        if self.mode != Mode::Confirm {
            self.back = self.mode;
        }
        self.mode = Mode::Confirm;
        Vec::new()
    }

    pub(super) fn on_worker_control_done(&mut self, done: ControlDone) {
        match done.result {
            Ok(message) => self.note(message, false),
            Err(error) => self.note(
                format!("{} {}: {error}", verb(done.control), done.worker),
                true,
            ),
        }
    }
}

fn display_name(row: &WorkerRow) -> String {
    if row.name.is_empty() {
        row.addr.clone()
    } else {
        row.name.clone()
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}
