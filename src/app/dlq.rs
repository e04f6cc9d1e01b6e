//! The dead-letter pane's state and `update`'s half for its data: the reader task's answers
//! and finished actions. Keys are in `dlq_input`.
//!
//! The pane never holds more than one page: it asks the reader (`Effect::WantDeadLetters`)
//! for `page_size` jobs from `offset`, and every change of what it wants bumps `seq`, so
//! answers to older wants are recognised and dropped.

use std::collections::BTreeSet;

use super::dlq_text::DetailText;
use super::layout;
use super::{App, Effect, Mode};
use crate::actions::dlq_op::{DlqDone, DlqOp, DlqRequest, DlqResult, DlqScope};
use crate::model::clock::Zone;
use crate::model::failures::{FailedJob, FailedJobDetail, FailureGroup};
use crate::model::QueueKey;
use crate::source::bullmq::dlq::FailedPage;
use crate::source::dlq_task::{DlqAnswer, DlqWant};

/// A line for the user under the list: an outcome, a refusal, an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub text: String,
    pub error: bool,
}

/// The job whose detail is open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DetailView {
    pub id: String,
    /// `None` until the reader answers.
    pub answer: Option<Option<Box<FailedJobDetail>>>,
    /// The answer as text, built once (and wrapped again on a resize).
    pub text: DetailText,
    /// First line shown.
    pub scroll: usize,
}

impl DetailView {
    pub fn new(id: String, zone: Zone, now_ms: i64, size: (u16, u16)) -> Self {
        let text = DetailText::build(&id, None, zone, now_ms, detail_width(size));
        Self {
            id,
            answer: None,
            text,
            scroll: 0,
        }
    }

    /// The reader's answer: the text is built now, once.
    pub fn answered(
        &mut self,
        answer: Option<Box<FailedJobDetail>>,
        zone: Zone,
        now_ms: i64,
        size: (u16, u16),
    ) {
        let width = detail_width(size);
        self.text = DetailText::build(&self.id, Some(answer.as_deref()), zone, now_ms, width);
        self.answer = Some(answer);
    }

    /// The furthest the detail scrolls at `size`.
    pub fn max_scroll(&self, size: (u16, u16)) -> usize {
        let height = layout::dlq_inner(size).height as usize;
        self.text.len().saturating_sub(height)
    }
}

/// Columns the detail's text wraps at for a terminal of `size`.
pub fn detail_width(size: (u16, u16)) -> usize {
    layout::dlq_inner(size).width as usize
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupsView {
    pub groups: Vec<FailureGroup>,
    /// Failed jobs the groups were computed from (the reader stops at a limit).
    pub scanned: u64,
}

pub use super::confirm::{Confirm, OnYes};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetters {
    pub queue: QueueKey,
    /// Where Esc returns to (dashboard or queue mode).
    pub from: Mode,
    pub seq: u64,
    pub offset: u64,
    pub page_size: u64,
    /// The newest page read; shown only while its offset is the wanted one.
    pub page: Option<FailedPage>,
    /// Selected row among the shown (filtered) rows of the page.
    pub row: usize,
    /// Select the last row when the next page arrives (moving up past the top).
    pub select_last: bool,
    /// Filters the loaded page by name or reason, case-insensitively.
    pub filter: String,
    pub marks: BTreeSet<String>,
    pub detail: Option<DetailView>,
    pub show_groups: bool,
    pub groups: Option<GroupsView>,
    pub group_row: usize,
    pub notice: Option<Notice>,
    /// The action running in the background, if any (one at a time).
    pub running: Option<DlqRequest>,
    /// The poller's failed count a refresh was last asked for.
    pub refreshed_for: Option<u64>,
}

impl DeadLetters {
    pub fn new(queue: QueueKey, from: Mode, page_size: u64) -> Self {
        Self {
            queue,
            from,
            seq: 0,
            offset: 0,
            page_size: page_size.max(1),
            page: None,
            row: 0,
            select_last: false,
            filter: String::new(),
            marks: BTreeSet::new(),
            detail: None,
            show_groups: false,
            groups: None,
            group_row: 0,
            notice: None,
            running: None,
            refreshed_for: None,
        }
    }

    pub fn want(&self) -> DlqWant {
        DlqWant {
            seq: self.seq,
            queue: Some(self.queue.clone()),
            offset: self.offset,
            limit: self.page_size,
            detail: self.detail.as_ref().map(|d| d.id.clone()),
            groups: self.show_groups,
        }
    }

    /// The page, if it is the one wanted (not a stale one while the next loads).
    pub fn current_page(&self) -> Option<&FailedPage> {
        self.page.as_ref().filter(|p| p.offset == self.offset)
    }

    pub fn total(&self) -> Option<u64> {
        self.page.as_ref().map(|p| p.total)
    }

    /// The rows shown: the current page, filtered.
    pub fn shown(&self) -> Vec<&FailedJob> {
        let needle = self.filter.to_lowercase();
        self.current_page()
            .map(|p| {
                p.jobs
                    .iter()
                    .filter(|j| {
                        needle.is_empty()
                            || j.name.to_lowercase().contains(&needle)
                            || j.failed_reason.to_lowercase().contains(&needle)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn selected_job(&self) -> Option<&FailedJob> {
        self.shown().get(self.row).copied()
    }

    pub fn selected_group(&self) -> Option<&FailureGroup> {
        self.groups.as_ref()?.groups.get(self.group_row)
    }

    fn clamp_rows(&mut self) {
        let shown = self.shown().len();
        if self.select_last {
            self.row = shown.saturating_sub(1);
            self.select_last = false;
        }
        self.row = self.row.min(shown.saturating_sub(1));
        let groups = self.groups.as_ref().map_or(0, |g| g.groups.len());
        self.group_row = self.group_row.min(groups.saturating_sub(1));
    }

    fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: false,
        });
    }

    fn error(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: true,
        });
    }
}

/// `1 failed job`, `4 failed jobs`.
pub fn failed_jobs(n: u64) -> String {
    if n == 1 {
        "1 failed job".to_string()
    } else {
        format!("{n} failed jobs")
    }
}

/// The past tense shown when an action is done.
fn done_text(done: &DlqDone) -> (String, bool) {
    let verb = done.request.op.verb();
    match &done.result {
        Err(error) => (format!("{verb} failed: {error}"), true),
        Ok(DlqResult::Exported { path, jobs }) => (
            format!("exported {} to {}", failed_jobs(*jobs), path.display()),
            false,
        ),
        Ok(DlqResult::Changed(outcome)) => {
            let past = done.request.op.past();
            let mut text = format!("{past} {} of {}", outcome.done, outcome.requested);
            if let Some(first) = outcome.skipped.first() {
                text.push_str(&format!(
                    "; {} skipped (job {}: {})",
                    outcome.skipped.len(),
                    first.id,
                    first.reason
                ));
            }
            (text, !outcome.skipped.is_empty())
        }
    }
}

impl App {
    /// Bump `seq` and tell the reader what the pane wants now.
    pub(super) fn dlq_want(&mut self) -> Vec<Effect> {
        match self.dead_letters.as_mut() {
            Some(dl) => {
                dl.seq += 1;
                vec![Effect::WantDeadLetters(dl.want())]
            }
            None => Vec::new(),
        }
    }

    /// Rows the list can show at the current size.
    pub(super) fn dlq_page_size(&self) -> u64 {
        super::layout::dlq_list_rows(self.size).max(1) as u64
    }

    pub(super) fn dlq_resized(&mut self) -> Vec<Effect> {
        let size = self.dlq_page_size();
        let width = detail_width(self.size);
        if let Some(view) = self.dead_letters.as_mut().and_then(|d| d.detail.as_mut()) {
            view.text.rewrap(width);
        }
        match self.dead_letters.as_mut() {
            Some(dl) if dl.page_size != size => {
                dl.page_size = size;
                self.dlq_want()
            }
            _ => Vec::new(),
        }
    }

    /// After a poll: re-read the list when the queue's failed count moved.
    pub(super) fn dlq_after_report(&mut self) -> Vec<Effect> {
        let (zone, now_ms) = (self.zone, self.now_ms);
        if let Some(view) = self.dead_letters.as_mut().and_then(|d| d.detail.as_mut()) {
            // The ages in the header move on; the body stays as built.
            if let Some(Some(detail)) = &view.answer {
                view.text.refresh_header(detail, zone, now_ms);
            }
        }
        let Some(dl) = self.dead_letters.as_ref() else {
            return Vec::new();
        };
        let failed = self
            .view
            .rows
            .iter()
            .find(|r| r.key == dl.queue)
            .and_then(|r| r.counts)
            .and_then(|c| c.failed);
        let stale = failed.is_some_and(|n| Some(n) != dl.total() && Some(n) != dl.refreshed_for);
        if !stale || dl.show_groups || dl.page.is_none() {
            return Vec::new();
        }
        if let Some(dl) = self.dead_letters.as_mut() {
            dl.refreshed_for = failed;
        }
        self.dlq_want()
    }

    pub(super) fn on_dlq_answer(&mut self, answer: DlqAnswer) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_mut() else {
            return Vec::new();
        };
        match answer {
            DlqAnswer::Page { seq, page, .. } if seq == dl.seq => {
                // Past the end (jobs were retried or deleted): go to the last page.
                if page.jobs.is_empty() && page.total > 0 && dl.offset >= page.total {
                    dl.offset = page.total.saturating_sub(dl.page_size);
                    dl.select_last = true;
                    dl.page = Some(page);
                    return self.dlq_want();
                }
                dl.page = Some(page);
                dl.clamp_rows();
            }
            DlqAnswer::Detail { seq, detail, .. } if seq == dl.seq => {
                if let Some(view) = dl.detail.as_mut() {
                    view.answered(detail, self.zone, self.now_ms, self.size);
                }
            }
            DlqAnswer::Groups {
                seq,
                groups,
                scanned,
                ..
            } if seq == dl.seq => {
                dl.groups = Some(GroupsView { groups, scanned });
                dl.clamp_rows();
            }
            DlqAnswer::Error { seq, message } if seq == dl.seq => {
                dl.error(format!("cannot read the failed jobs: {message}"));
            }
            // An answer to an older want.
            _ => {}
        }
        Vec::new()
    }

    pub(super) fn on_dlq_done(&mut self, done: DlqDone) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_mut() else {
            return Vec::new();
        };
        if dl.queue != done.request.queue {
            return Vec::new();
        }
        dl.running = None;
        let (text, error) = done_text(&done);
        dl.notice = Some(Notice { text, error });
        if !done.request.op.writes() {
            return Vec::new();
        }
        if let DlqOp::Retry(DlqScope::Jobs(ids)) | DlqOp::Delete(DlqScope::Jobs(ids)) =
            &done.request.op
        {
            for id in ids {
                dl.marks.remove(id);
            }
        }
        if matches!(
            done.request.op,
            DlqOp::Retry(DlqScope::All) | DlqOp::Delete(DlqScope::All)
        ) {
            dl.marks.clear();
        }
        // The open job is gone from the failed set: back to the list.
        if dl.detail.is_some() && done.result.is_ok() {
            dl.detail = None;
            if self.mode == Mode::DeadLetterDetail {
                self.mode = Mode::DeadLetters;
            }
        }
        self.dlq_want()
    }

    /// Start `request` unless one is running; says what it is doing.
    pub(super) fn dlq_start(&mut self, request: DlqRequest) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_mut() else {
            return Vec::new();
        };
        if let Some(running) = &dl.running {
            let text = format!("wait: the {} is still running", running.op.verb());
            dl.error(text);
            return Vec::new();
        }
        let doing = match &request.op {
            DlqOp::Retry(_) => "retrying …",
            DlqOp::Delete(_) => "deleting …",
            DlqOp::Export { .. } => "exporting …",
        };
        dl.info(doing);
        dl.running = Some(request.clone());
        vec![Effect::DeadLetterAction(request)]
    }

    pub(super) fn dlq_notice(&mut self, text: impl Into<String>, error: bool) {
        if let Some(dl) = self.dead_letters.as_mut() {
            if error {
                dl.error(text);
            } else {
                dl.info(text);
            }
        }
    }
}
