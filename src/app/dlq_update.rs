//! `update`'s half for the dead-letter pane's data: what the reader answers (pages, a job's
//! detail, groups), what a finished action did, a new poll report (the failed set moved)
//! and a resize (a new page size, the detail wrapped again).

use super::dlq::{detail_width, failed_jobs, GroupsView, Notice};
use super::layout::Screen;
use super::{App, Effect, Mode};
use crate::actions::dlq_op::{DlqDone, DlqOp, DlqRequest, DlqResult, DlqScope};
use crate::source::dead_letters::DlqSet;
use crate::source::dlq_task::DlqAnswer;

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

    /// What the dead-letter screens' geometry depends on, now.
    pub fn dlq_screen(&self) -> Screen {
        Screen {
            size: self.size,
            demo: self.demo.is_some(),
        }
    }

    /// Rows the list can show at the current size.
    pub(super) fn dlq_page_size(&self) -> u64 {
        super::layout::dlq_list_rows(self.dlq_screen()).max(1) as u64
    }

    pub(super) fn dlq_resized(&mut self) -> Vec<Effect> {
        let size = self.dlq_page_size();
        let width = detail_width(self.dlq_screen());
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
            .find(|r| *r.key() == dl.queue)
            .and_then(|r| r.counts())
            .and_then(|c| match dl.set {
                DlqSet::Dead => c.failed,
                DlqSet::Retry => c.retry,
            });
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
        let screen = self.dlq_screen();
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
                    view.answered(detail, self.zone, self.now_ms, screen);
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
