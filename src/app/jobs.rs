//! The job views: `o` asks for a job id and shows that job (any state, its flow), `c` lists
//! the selected queue's job schedulers (Enter opens a scheduler's next job). The reads run
//! in `source::job_task`; each poll report refreshes the open view once the previous read
//! has answered, so a slow read never piles up.
//!
//! ```text
//! Dashboard/Queue ──o──▶ JobPrompt ──Enter──▶ Job ──Esc──▶ (Schedulers, if from there) ▶ back
//!        └────────c────▶ Schedulers ──Enter──▶ Job
//! ```

use super::dlq_text::LineKind;
use super::job_text::JobText;
use super::{layout, App, Command, Effect, Mode};
use crate::model::jobs::JobDetail;
use crate::model::schedulers::{SchedulerKind, SchedulerList};
use crate::model::QueueKey;
use crate::source::job_task::{JobAnswer, JobWant, JobWhat};

/// Modes that draw the job views.
pub fn is_jobs_mode(mode: Mode) -> bool {
    matches!(mode, Mode::JobPrompt | Mode::Job | Mode::Schedulers)
}

/// Longest job id the prompt takes.
const MAX_ID: usize = 512;

/// One job on screen.
#[derive(Clone, Debug, Default)]
pub struct JobPane {
    pub id: String,
    /// `None` until the first answer; `Some(None)`: no such job.
    pub answer: Option<Option<Box<JobDetail>>>,
    pub text: JobText,
    pub scroll: usize,
}

/// The queue's schedulers on screen.
#[derive(Clone, Debug, Default)]
pub struct SchedulersPane {
    /// `None` until the first answer.
    pub list: Option<SchedulerList>,
    pub selected: usize,
    pub offset: usize,
}

/// The job views' state while one is open.
#[derive(Clone, Debug)]
pub struct JobsView {
    pub queue: QueueKey,
    /// Where closing the views returns to (Dashboard or Queue).
    pub origin: Mode,
    /// The id being typed (`Mode::JobPrompt`).
    pub input: String,
    pub job: Option<JobPane>,
    pub schedulers: Option<SchedulersPane>,
    /// The last read failed: why.
    pub error: Option<String>,
    seq: u64,
    /// A read is out: no refresh until it answers.
    pending: bool,
}

impl JobsView {
    fn new(queue: QueueKey, origin: Mode) -> Self {
        Self {
            queue,
            origin,
            input: String::new(),
            job: None,
            schedulers: None,
            error: None,
            seq: 0,
            pending: false,
        }
    }
}

impl App {
    /// Commands of the job views; `None` leaves `command` to the others.
    pub(super) fn on_jobs_command(&mut self, command: Command) -> Option<Vec<Effect>> {
        match command {
            Command::OpenJob => return Some(self.open_job_prompt()),
            Command::Schedulers => return Some(self.open_schedulers()),
            _ => {}
        }
        if !is_jobs_mode(self.mode) || self.jobs.is_none() {
            return None;
        }
        let effects = match (self.mode, command) {
            (Mode::JobPrompt, Command::JobIdAccept) => self.accept_job_id(),
            (Mode::JobPrompt, Command::JobIdCancel) => self.cancel_job_id(),
            (Mode::JobPrompt, Command::JobIdBackspace) => {
                if let Some(view) = self.jobs.as_mut() {
                    view.input.pop();
                }
                Vec::new()
            }
            (Mode::Job, c) if is_motion(c) => {
                self.scroll_job(c);
                Vec::new()
            }
            (Mode::Schedulers, c) if is_motion(c) => {
                self.move_scheduler(c);
                Vec::new()
            }
            (Mode::Schedulers, Command::Focus) => self.open_next_job(),
            (Mode::Job | Mode::Schedulers, Command::Back) => self.jobs_back(),
            (_, Command::Quit | Command::Help) => return None,
            _ => Vec::new(),
        };
        Some(effects)
    }

    /// A character typed into the job id prompt.
    pub(super) fn job_id_push(&mut self, c: char) {
        if let Some(view) = self.jobs.as_mut() {
            if view.input.chars().count() < MAX_ID && !c.is_control() {
                view.input.push(c);
            }
        }
    }

    fn open_job_prompt(&mut self) -> Vec<Effect> {
        match self.mode {
            Mode::Dashboard | Mode::Queue => {
                let Some(queue) = self.selected.clone() else {
                    return Vec::new();
                };
                self.jobs = Some(JobsView::new(queue, self.mode));
            }
            Mode::Job | Mode::Schedulers => {}
            _ => return Vec::new(),
        }
        if let Some(view) = self.jobs.as_mut() {
            view.input.clear();
        }
        self.mode = Mode::JobPrompt;
        Vec::new()
    }

    fn open_schedulers(&mut self) -> Vec<Effect> {
        match self.mode {
            Mode::Dashboard | Mode::Queue => {
                let Some(queue) = self.selected.clone() else {
                    return Vec::new();
                };
                self.jobs = Some(JobsView::new(queue, self.mode));
            }
            Mode::Job => {}
            _ => return Vec::new(),
        }
        let Some(view) = self.jobs.as_mut() else {
            return Vec::new();
        };
        view.job = None;
        view.schedulers = Some(SchedulersPane::default());
        self.mode = Mode::Schedulers;
        self.jobs_want(JobWhat::Schedulers)
    }

    fn accept_job_id(&mut self) -> Vec<Effect> {
        let id = self
            .jobs
            .as_ref()
            .map(|v| v.input.trim().to_string())
            .unwrap_or_default();
        if id.is_empty() {
            return self.cancel_job_id();
        }
        self.show_job(id)
    }

    fn show_job(&mut self, id: String) -> Vec<Effect> {
        let width = layout::dlq_inner(self.dlq_screen()).width as usize;
        let (zone, now_ms) = (self.zone, self.now_ms);
        let Some(view) = self.jobs.as_mut() else {
            return Vec::new();
        };
        let note = (
            LineKind::Note,
            format!("reading job {id} of {} …", view.queue),
        );
        view.job = Some(JobPane {
            text: JobText::build(None, note, zone, now_ms, width),
            id: id.clone(),
            ..JobPane::default()
        });
        self.mode = Mode::Job;
        self.jobs_want(JobWhat::Job(id))
    }

    fn cancel_job_id(&mut self) -> Vec<Effect> {
        let Some(view) = self.jobs.as_ref() else {
            return Vec::new();
        };
        self.mode = if view.job.is_some() {
            Mode::Job
        } else if view.schedulers.is_some() {
            Mode::Schedulers
        } else {
            return self.close_jobs();
        };
        Vec::new()
    }

    /// Esc: from a job opened in the schedulers back to them, else out of the views.
    fn jobs_back(&mut self) -> Vec<Effect> {
        let from_schedulers =
            self.mode == Mode::Job && self.jobs.as_ref().is_some_and(|v| v.schedulers.is_some());
        if from_schedulers {
            if let Some(view) = self.jobs.as_mut() {
                view.job = None;
            }
            self.mode = Mode::Schedulers;
            return self.jobs_want(JobWhat::Schedulers);
        }
        self.close_jobs()
    }

    fn close_jobs(&mut self) -> Vec<Effect> {
        let origin = self.jobs.take().map_or(Mode::Dashboard, |v| v.origin);
        self.mode = origin;
        self.back = origin;
        vec![Effect::WantJobs(JobWant::default())]
    }

    /// Ask the reader for `what` under a new sequence number.
    fn jobs_want(&mut self, what: JobWhat) -> Vec<Effect> {
        let Some(view) = self.jobs.as_mut() else {
            return Vec::new();
        };
        view.seq += 1;
        view.pending = true;
        vec![Effect::WantJobs(JobWant {
            seq: view.seq,
            queue: Some(view.queue.clone()),
            what,
        })]
    }

    /// What the open view shows, to read again.
    fn current_want(&self) -> Option<JobWhat> {
        let view = self.jobs.as_ref()?;
        match self.screen() {
            Mode::Job => view.job.as_ref().map(|j| JobWhat::Job(j.id.clone())),
            Mode::Schedulers => Some(JobWhat::Schedulers),
            _ => None,
        }
    }

    /// After a poll: read the open view again, unless a read is still out.
    pub(super) fn jobs_after_report(&mut self) -> Vec<Effect> {
        if self.jobs.as_ref().is_none_or(|v| v.pending) {
            return Vec::new();
        }
        match self.current_want() {
            Some(what) => self.jobs_want(what),
            None => Vec::new(),
        }
    }

    pub(super) fn on_jobs_answer(&mut self, answer: JobAnswer) -> Vec<Effect> {
        let width = layout::dlq_inner(self.dlq_screen()).width as usize;
        let (zone, now_ms) = (self.zone, self.now_ms);
        let Some(view) = self.jobs.as_mut() else {
            return Vec::new();
        };
        if answer.seq() != view.seq {
            return Vec::new();
        }
        view.pending = false;
        match answer {
            JobAnswer::Job { detail, .. } => {
                view.error = None;
                if let Some(pane) = view.job.as_mut() {
                    let note = (
                        LineKind::Warn,
                        format!("no job {} in {}", pane.id, view.queue),
                    );
                    pane.text = JobText::build(detail.as_deref(), note, zone, now_ms, width);
                    pane.answer = Some(detail);
                }
            }
            JobAnswer::Schedulers { list, .. } => {
                view.error = None;
                if let Some(pane) = view.schedulers.as_mut() {
                    let count = list.as_ref().map_or(0, |l| l.schedulers.len());
                    pane.selected = pane.selected.min(count.saturating_sub(1));
                    pane.list = list;
                }
            }
            JobAnswer::Error { message, .. } => view.error = Some(message),
        }
        Vec::new()
    }

    pub(super) fn jobs_resized(&mut self) {
        let width = layout::dlq_inner(self.dlq_screen()).width as usize;
        if let Some(pane) = self.jobs.as_mut().and_then(|v| v.job.as_mut()) {
            pane.text.rewrap(width);
        }
    }

    fn jobs_page(&self) -> usize {
        layout::dlq_list_rows(self.dlq_screen()).max(1)
    }

    fn scroll_job(&mut self, command: Command) {
        let page = self.jobs_page();
        let height = layout::dlq_inner(self.dlq_screen()).height as usize;
        let Some(pane) = self.jobs.as_mut().and_then(|v| v.job.as_mut()) else {
            return;
        };
        let max = pane.text.len().saturating_sub(height);
        pane.scroll = step(pane.scroll, command, page, max);
    }

    fn move_scheduler(&mut self, command: Command) {
        let page = self.jobs_page();
        let Some(pane) = self.jobs.as_mut().and_then(|v| v.schedulers.as_mut()) else {
            return;
        };
        let count = pane.list.as_ref().map_or(0, |l| l.schedulers.len());
        pane.selected = step(pane.selected, command, page, count.saturating_sub(1));
        if pane.selected < pane.offset {
            pane.offset = pane.selected;
        } else if pane.selected >= pane.offset + page {
            pane.offset = pane.selected + 1 - page;
        }
    }

    /// Enter on a scheduler: its next job (`repeat:<id>:<next run>`, as BullMQ names it).
    fn open_next_job(&mut self) -> Vec<Effect> {
        let next = self
            .jobs
            .as_ref()
            .and_then(|v| v.schedulers.as_ref())
            .and_then(|p| p.list.as_ref()?.schedulers.get(p.selected))
            .filter(|s| s.kind == SchedulerKind::Scheduler)
            .and_then(|s| Some(format!("repeat:{}:{}", s.id, s.next_run?)));
        match next {
            Some(id) => self.show_job(id),
            None => Vec::new(),
        }
    }
}

fn is_motion(command: Command) -> bool {
    matches!(
        command,
        Command::Up
            | Command::Down
            | Command::PageUp
            | Command::PageDown
            | Command::Top
            | Command::Bottom
    )
}

/// A position moved by a motion, kept within `0..=max`.
fn step(at: usize, command: Command, page: usize, max: usize) -> usize {
    match command {
        Command::Up => at.saturating_sub(1),
        Command::Down => at + 1,
        Command::PageUp => at.saturating_sub(page),
        Command::PageDown => at + page,
        Command::Top => 0,
        _ => max,
    }
    .min(max)
}

#[cfg(test)]
#[path = "jobs_tests.rs"]
mod tests;
