//! The dead-letter pane's state. `update`'s half for its data (the reader task's answers,
//! finished actions) is in `dlq_update`, keys in `dlq_input`.
//!
//! The pane never holds more than one page: it asks the reader (`Effect::WantDeadLetters`)
//! for `page_size` jobs from `offset`, and every change of what it wants bumps `seq`, so
//! answers to older wants are recognised and dropped.

use std::collections::BTreeSet;

use super::dlq_text::DetailText;
use super::layout::{self, Screen};
use super::Mode;
use crate::actions::dlq_op::DlqRequest;
use crate::model::clock::Zone;
use crate::model::failures::{FailedJob, FailedJobDetail, FailureGroup};
use crate::model::QueueKey;
use crate::source::bullmq::dlq::FailedPage;
use crate::source::dead_letters::DlqSet;
use crate::source::dlq_task::DlqWant;

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
    pub fn new(id: String, zone: Zone, now_ms: i64, screen: Screen) -> Self {
        let text = DetailText::build(&id, None, zone, now_ms, detail_width(screen));
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
        screen: Screen,
    ) {
        let width = detail_width(screen);
        self.text = DetailText::build(&self.id, Some(answer.as_deref()), zone, now_ms, width);
        self.answer = Some(answer);
    }

    /// The furthest the detail scrolls on `screen`.
    pub fn max_scroll(&self, screen: Screen) -> usize {
        let height = layout::dlq_inner(screen).height as usize;
        self.text.len().saturating_sub(height)
    }
}

/// Columns the detail's text wraps at on `screen`.
pub fn detail_width(screen: Screen) -> usize {
    layout::dlq_inner(screen).width as usize
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
    /// Which failure set is shown: the dead letters, or Sidekiq's retry set (`v`).
    pub set: DlqSet,
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
            set: DlqSet::Dead,
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
            set: self.set,
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

    /// What the pane shows, in words: `dead letters`, or `retry set` (Sidekiq's failed
    /// attempts that will run again).
    pub fn set_name(&self) -> &'static str {
        match self.set {
            DlqSet::Dead => "dead letters",
            DlqSet::Retry => "retry set",
        }
    }

    pub fn selected_job(&self) -> Option<&FailedJob> {
        self.shown().get(self.row).copied()
    }

    pub fn selected_group(&self) -> Option<&FailureGroup> {
        self.groups.as_ref()?.groups.get(self.group_row)
    }

    pub(super) fn clamp_rows(&mut self) {
        let shown = self.shown().len();
        if self.select_last {
            self.row = shown.saturating_sub(1);
            self.select_last = false;
        }
        self.row = self.row.min(shown.saturating_sub(1));
        let groups = self.groups.as_ref().map_or(0, |g| g.groups.len());
        self.group_row = self.group_row.min(groups.saturating_sub(1));
    }

    pub(super) fn info(&mut self, text: impl Into<String>) {
        self.notice = Some(Notice {
            text: text.into(),
            error: false,
        });
    }

    pub(super) fn error(&mut self, text: impl Into<String>) {
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
