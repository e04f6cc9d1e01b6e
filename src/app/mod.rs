//! The dashboard's state and the one place it changes: `App::update(action) -> effects`.
//!
//! Data arrives as `Action::Source` (from the poller task) and time as `Action::Tick`, so
//! everything here runs without a terminal, Redis or a real clock, and is tested that way.
//!
//! # Extending (dead letters, the demo)
//! - A new screen is a `Mode` variant, a `Command` to open it, bindings in a keymap layer
//!   (`app::keymap`) whose `modes` name it, a pane file in `ui/` placed by `app::layout`.
//!   Help and the status bar follow from the bindings.
//! - Work for a task is an `Effect` variant returned by `update`; `runtime` runs it (send
//!   to the task's channel; for on-demand fetches keep only the newest request). Results
//!   come back as a new `Action` variant from one more `select!` arm in `runtime`.
//! - The demo (`qtop demo`): `app.demo = Some(DemoState)` and
//!   `app.keymap = Keymap::demo()` (its DEMO layer in front) with `Command::Demo(..)` bindings;
//!   its `+`/`-` then win over zoom, which stays on `z`/`Z`. Keys become `Effect::Demo`,
//!   the engine's status and events come back as `Action::Demo*`.

pub mod advisor;
pub mod chart_data;
pub mod columns;
pub mod confirm;
pub mod contexts;
mod data;
pub mod demo;
pub mod dlq;
mod dlq_actions;
mod dlq_input;
pub mod dlq_text;
mod dlq_update;
pub mod format;
pub mod jobs;
pub use dlq_actions::export_file_name;
pub use dlq_input::is_dlq_mode;
pub use jobs::is_jobs_mode;
#[doc(hidden)]
pub mod dlq_fixtures;
#[doc(hidden)]
pub mod fixtures;
#[doc(hidden)]
pub mod fixtures_mixed;
mod input;
pub mod job_text;
pub mod keymap;
pub mod layout;
mod panes;
pub mod queue_columns;
pub mod queue_text;
pub mod rows;
mod tracked;
pub mod worker_columns;
pub mod worker_controls;
pub mod workers;
pub mod workers_pane;

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::{KeyEvent, MouseEvent};

use crate::actions::dlq_op::{DlqDone, DlqRequest};
use crate::model::clock::Zone;
use crate::model::series::{Series, SeriesConfig};
use crate::model::{PollStats, QueueKey, WorkerControl};
use crate::source::dlq_task::{DlqAnswer, DlqWant};
use crate::source::job_task::{JobAnswer, JobWant};
use crate::source::SourceEvent;
use confirm::Confirm;
use contexts::{ContextEntry, ContextList};
use data::rate_window_ms;
use demo::{DemoCommand, DemoOp, DemoState, EventLog};
use dlq::DeadLetters;
use keymap::Keymap;
use rows::{QueueRow, Sort};
use tracked::{QuietBook, Tracked};
use workers::WorkersView;

/// Which screen (or overlay) has the keyboard. New screens (dead letters, confirm
/// dialogs, the demo's panes) are new variants here plus bindings in the keymap.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Queues table, charts and workers.
    Dashboard,
    /// One queue focused: its charts large and its workers.
    Queue,
    /// Typing a filter; other keys go to the text.
    Filter,
    Help,
    /// One queue's failed jobs, a page at a time.
    DeadLetters,
    /// One failed job in full.
    DeadLetterDetail,
    /// The failed jobs grouped by normalised reason.
    DeadLetterGroups,
    /// A yes/no question before a bulk or destructive action (`App::confirm`).
    Confirm,
    /// Typing the id of a job to open; other keys go to the text.
    JobPrompt,
    /// One job, any state, with its flow.
    Job,
    /// The queue's job schedulers.
    Schedulers,
    /// The contexts of the config file, to switch to another (`C`).
    Contexts,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Queues,
    Workers,
}

/// What a key can ask for. The keymap maps keys to these; `Copy` so keymap tables are
/// `const`. Extensions add variants (e.g. `Demo(DemoCommand)`, `DeadLetters`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Quit,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    NextPane,
    PrevPane,
    Focus,
    Back,
    Filter,
    ClearFilter,
    FilterAccept,
    FilterCancel,
    FilterBackspace,
    CycleSort,
    ReverseSort,
    ToggleAllQueues,
    ZoomIn,
    ZoomOut,
    Freeze,
    /// The advisor panel on / off.
    ToggleAdvisor,
    /// Halve / double the advisor's target wait.
    TargetWaitDown,
    TargetWaitUp,
    /// Offer to run --scale-cmd with the advisor's recommendation (asks first).
    ApplyScale,
    Demo(DemoCommand),
    /// Open the selected queue's dead letters.
    DeadLetters,
    ToggleGroups,
    /// Sidekiq: the dead set / the retry set in the dead-letter pane.
    ToggleRetrySet,
    Mark,
    Retry,
    RetryAll,
    Delete,
    DeleteAll,
    Export,
    ConfirmYes,
    ConfirmNo,
    /// Ask for a job id and open that job (`app::jobs`).
    OpenJob,
    /// The selected queue's job schedulers.
    Schedulers,
    JobIdAccept,
    JobIdCancel,
    JobIdBackspace,
    /// Open (or close) the context list.
    Contexts,
    /// Copy the selected worker's or queue's name, or the failed job's id (OSC 52).
    Copy,
    /// Copy the failed job as JSON.
    CopyJson,
    /// Ask the selected worker to quiet, stop, stop its job, grow or shrink (asks first).
    WorkerControl(WorkerControl),
}

impl Command {
    /// Commands that write to Redis: refused, and shown unavailable, in read-only mode.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Command::Retry
                | Command::RetryAll
                | Command::Delete
                | Command::DeleteAll
                | Command::WorkerControl(_)
        )
    }
}

#[derive(Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Command(Command),
    Source(SourceEvent),
    /// Wall-clock time, ms since the epoch.
    Tick(i64),
    Resize(u16, u16),
    /// The demo engine's latest status.
    DemoStatus(Box<crate::demo::DemoStatus>),
    DemoEvent(crate::demo::DemoEvent),
    /// `duplicates_suppressed` of the demo queue.
    DemoDuplicates(u64),
    /// A --scale-cmd run ended: exit code and first output line, or why it could not run.
    ScaleCmdDone {
        workers: u32,
        result: Result<(Option<i32>, String), String>,
    },
    /// An answer of the dead-letter reader task.
    DeadLetters(DlqAnswer),
    /// A dead-letter action finished.
    ActionDone(DlqDone),
    /// An answer of the job reader task.
    Jobs(JobAnswer),
    /// A worker control finished (`Effect::WorkerControl`).
    WorkerControlDone(worker_controls::ControlDone),
}

/// Work for the event loop.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Quit,
    Demo(DemoOp),
    /// Run --scale-cmd with n = `workers`, in the background.
    RunScaleCmd {
        workers: u32,
    },
    /// Tell the dead-letter reader what to read now (newest wins).
    WantDeadLetters(DlqWant),
    /// Run a dead-letter action in a background task; it answers with `ActionDone`.
    DeadLetterAction(DlqRequest),
    /// Tell the job reader what to read now (newest wins).
    WantJobs(JobWant),
    /// Watch the config file's context of this name instead: a new poller, a fresh `App`.
    SwitchContext(String),
    /// Put this text on the clipboard through the terminal (OSC 52).
    Copy(String),
    /// Send a remote control to a worker in a background task; it answers with
    /// `Action::WorkerControlDone`.
    WorkerControl(Box<worker_controls::ControlRequest>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting { attempt: u32 },
    Connected,
    Disconnected { error: String, retry_at_ms: i64 },
}

/// Chart windows `+`/`-` step through.
pub const ZOOMS_MS: [i64; 5] = [60_000, 300_000, 900_000, 1_800_000, 3_600_000];

/// The derived picture the screen draws: rebuilt on each report unless frozen.
#[derive(Clone, Debug, Default)]
pub struct View {
    pub rows: Vec<QueueRow>,
    pub workers: WorkersView,
    pub taken_at_ms: i64,
}

pub struct App {
    pub target: String,
    pub interval: Duration,
    pub keymap: Keymap,
    pub color: bool,
    pub mode: Mode,
    /// Where Help and Filter return to.
    pub back: Mode,
    pub focus: Pane,
    pub connection: Connection,
    pub redis_version: Option<String>,
    /// The Redis Cluster's nodes, when Redis is one.
    pub cluster: Option<crate::model::ClusterReading>,
    pub last_poll: Option<PollStats>,
    pub now_ms: i64,
    pub size: (u16, u16),
    pub zoom: usize,
    pub frozen_at_ms: Option<i64>,
    pub filter: String,
    pub sort: Sort,
    pub chart_all: bool,
    pub selected: Option<QueueKey>,
    pub table_offset: usize,
    pub worker_selected: usize,
    pub worker_offset: usize,
    pub view: View,
    /// Indices into `view.rows`, filtered and sorted.
    pub visible: Vec<usize>,
    pub has_data: bool,
    /// Writes (retry, delete) are refused; their keys show as unavailable.
    pub read_only: bool,
    /// The zone timestamps are shown in (tests pin UTC).
    pub zone: Zone,
    /// The dead-letter pane's state, while it is open.
    pub dead_letters: Option<DeadLetters>,
    /// The question `Mode::Confirm` asks.
    pub confirm: Option<Confirm>,
    /// The job views' state, while one is open.
    pub jobs: Option<jobs::JobsView>,
    /// Each queue's state is boxed inside `Tracked`: a map node holds eleven entries, often
    /// half empty (10,000 queues of unboxed state were 29 MB of map nodes).
    tracked: BTreeMap<QueueKey, Tracked>,
    /// What quiet queues share instead of a history each.
    quiet: QuietBook,
    total: Series,
    /// Always current, even while frozen, so vanished workers are tracked correctly.
    latest_workers: WorkersView,
    latest_taken_at_ms: i64,
    /// The last report's qtop heartbeats: the advisor's declared capacity.
    heartbeats: Vec<(QueueKey, crate::model::Heartbeat)>,
    /// Selected when it appears, until the user selects something else (the demo queue).
    pub preferred: Option<QueueKey>,
    pub advisor_shown: bool,
    pub target_wait_ms: f64,
    /// --scale-cmd, if given (the runtime runs it; the advisor offers it).
    pub scale_cmd: Option<crate::actions::scale_cmd::ScaleCommand>,
    /// Set in `qtop demo`.
    pub demo: Option<DemoState>,
    pub log: EventLog,
    /// The config file's context in force, by name (the header shows it).
    pub context: Option<String>,
    /// Every context of the config file (`C` lists them).
    pub contexts: Vec<ContextEntry>,
    /// The context list, while it is open.
    pub context_list: Option<ContextList>,
    /// A short confirmation (a copy) and when it goes: see `App::flash`.
    pub flash_note: Option<(String, i64)>,
    /// A worker control's outcome or refusal, in the status line for a few seconds.
    pub status_note: Option<worker_controls::StatusNote>,
}

impl App {
    pub fn new(target: impl Into<String>, interval: Duration, now_ms: i64) -> Self {
        let series_config = SeriesConfig::for_interval(interval.as_millis() as i64);
        Self {
            target: target.into(),
            interval,
            keymap: Keymap::dashboard(),
            color: true,
            mode: Mode::Dashboard,
            back: Mode::Dashboard,
            focus: Pane::Queues,
            connection: Connection::Connecting { attempt: 1 },
            redis_version: None,
            cluster: None,
            last_poll: None,
            now_ms,
            size: (80, 24),
            zoom: 1,
            frozen_at_ms: None,
            filter: String::new(),
            sort: Sort::default(),
            chart_all: false,
            selected: None,
            table_offset: 0,
            worker_selected: 0,
            worker_offset: 0,
            view: View::default(),
            visible: Vec::new(),
            has_data: false,
            read_only: false,
            zone: Zone::Local,
            dead_letters: None,
            confirm: None,
            jobs: None,
            total: Series::new(&series_config),
            tracked: BTreeMap::new(),
            quiet: QuietBook::new(
                series_config,
                rows::LATENCY_BUCKET_MS,
                rate_window_ms(interval) + rows::LATENCY_BUCKET_MS,
            ),
            latest_workers: WorkersView::default(),
            latest_taken_at_ms: now_ms,
            heartbeats: Vec::new(),
            preferred: None,
            advisor_shown: true,
            target_wait_ms: 2_000.0,
            scale_cmd: None,
            demo: None,
            log: EventLog::default(),
            context: None,
            contexts: Vec::new(),
            context_list: None,
            flash_note: None,
            status_note: None,
        }
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Key(key) => return self.on_key(key),
            Action::Mouse(mouse) => return self.on_mouse(mouse),
            Action::Command(command) => return self.on_command(command),
            Action::Source(event) => {
                let mut effects = self.on_source(event);
                effects.extend(self.dlq_after_report());
                effects.extend(self.jobs_after_report());
                return effects;
            }
            Action::Tick(now_ms) => self.now_ms = now_ms,
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.keep_selection_visible();
                self.jobs_resized();
                return self.dlq_resized();
            }
            action @ (Action::DemoStatus(_)
            | Action::DemoEvent(_)
            | Action::DemoDuplicates(_)
            | Action::ScaleCmdDone { .. }) => self.on_task_result(action),
            Action::DeadLetters(answer) => return self.on_dlq_answer(answer),
            Action::ActionDone(done) => return self.on_dlq_done(done),
            Action::Jobs(answer) => return self.on_jobs_answer(answer),
            Action::WorkerControlDone(done) => self.on_worker_control_done(done),
        }
        Vec::new()
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_demo;
#[cfg(test)]
mod tests_mixed;
#[cfg(test)]
mod tests_quiet;
#[cfg(test)]
mod tests_workers;

#[cfg(test)]
mod dlq_tests;
#[cfg(test)]
mod tests_contexts;
