//! Keys of the dead-letter screens and the confirm dialog: `update`'s half for them.
//! Bulk or destructive actions ask first (`Mode::Confirm`); writes are refused in
//! read-only mode with a notice, and no effect.

use super::dlq::{DeadLetters, DetailView};
use super::{App, Command, Effect, Mode};
use crate::source::dead_letters::DlqSet;

/// Modes that draw the dead-letter pane.
pub fn is_dlq_mode(mode: Mode) -> bool {
    matches!(
        mode,
        Mode::DeadLetters | Mode::DeadLetterDetail | Mode::DeadLetterGroups
    )
}

impl App {
    /// The screen under any overlay (help, filter, confirm).
    pub fn screen(&self) -> Mode {
        match self.mode {
            Mode::Help | Mode::Filter | Mode::Confirm | Mode::Contexts => self.back,
            mode => mode,
        }
    }

    /// Commands of the dead-letter screens; `None` leaves `command` to the dashboard.
    pub(super) fn on_dlq_command(&mut self, command: Command) -> Option<Vec<Effect>> {
        if command == Command::DeadLetters {
            return Some(self.open_dead_letters());
        }
        let screen = self.screen();
        if !is_dlq_mode(screen) || self.dead_letters.is_none() {
            return None;
        }
        if self.mode == Mode::Confirm {
            return Some(self.on_confirm(command));
        }
        if self.mode == Mode::Filter {
            return self.on_dlq_filter(command);
        }
        if command.writes() && self.read_only {
            self.dlq_notice(
                format!(
                    "read-only: {} is disabled (--read-only / QTOP_READ_ONLY); nothing changed",
                    verb_of(command)
                ),
                true,
            );
            return Some(Vec::new());
        }
        if self.mode == Mode::Help {
            return None;
        }
        let effects = match (self.mode, command) {
            (Mode::DeadLetters, Command::Up) => self.list_move(-1),
            (Mode::DeadLetters, Command::Down) => self.list_move(1),
            (Mode::DeadLetters, Command::PageUp) => self.list_page(-1),
            (Mode::DeadLetters, Command::PageDown) => self.list_page(1),
            (Mode::DeadLetters, Command::Top) => self.list_end(false),
            (Mode::DeadLetters, Command::Bottom) => self.list_end(true),
            (Mode::DeadLetters, Command::Focus) => self.open_detail(),
            (Mode::DeadLetters, Command::Mark) => {
                self.toggle_mark();
                self.list_move(1)
            }
            (Mode::DeadLetters, Command::Filter) => {
                self.back = Mode::DeadLetters;
                self.mode = Mode::Filter;
                Vec::new()
            }
            (Mode::DeadLetterDetail, c) if is_motion(c) => {
                self.scroll_detail(c);
                Vec::new()
            }
            (Mode::DeadLetterGroups, c) if is_motion(c) => {
                self.move_group(c);
                Vec::new()
            }
            (Mode::DeadLetters | Mode::DeadLetterGroups, Command::ToggleGroups) => {
                self.toggle_groups()
            }
            (Mode::DeadLetters, Command::ToggleRetrySet) => self.toggle_retry_set(),
            (_, Command::Back) => self.dlq_back(),
            (_, Command::Retry) => self.act_on_selection(true),
            (_, Command::Delete) => self.act_on_selection(false),
            (_, Command::RetryAll) => self.act_on_all(true),
            (_, Command::DeleteAll) => self.act_on_all(false),
            (_, Command::Export) => self.export(),
            (_, Command::Quit | Command::Help) => return None,
            _ => Vec::new(),
        };
        Some(effects)
    }

    fn open_dead_letters(&mut self) -> Vec<Effect> {
        if !matches!(self.mode, Mode::Dashboard | Mode::Queue) {
            return Vec::new();
        }
        let Some(key) = self.selected.clone() else {
            return Vec::new();
        };
        let page_size = self.dlq_page_size();
        self.dead_letters = Some(DeadLetters::new(key, self.mode, page_size));
        self.mode = Mode::DeadLetters;
        self.back = Mode::DeadLetters;
        self.dlq_want()
    }

    /// `v`: Sidekiq's dead set ⇄ its retry set (failed attempts that will run again), read
    /// from the top; marks and the filter belong to the set they were made in.
    fn toggle_retry_set(&mut self) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_mut() else {
            return Vec::new();
        };
        if dl.queue.system != crate::model::System::Sidekiq {
            dl.info(format!(
                "{} keeps no retry set: failed jobs are its dead letters",
                dl.queue.system
            ));
            return Vec::new();
        }
        dl.set = match dl.set {
            DlqSet::Dead => DlqSet::Retry,
            DlqSet::Retry => DlqSet::Dead,
        };
        dl.offset = 0;
        dl.row = 0;
        dl.page = None;
        dl.marks.clear();
        dl.filter.clear();
        dl.groups = None;
        dl.refreshed_for = None;
        dl.notice = None;
        self.dlq_want()
    }

    fn dlq_back(&mut self) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_mut() else {
            return Vec::new();
        };
        match self.mode {
            Mode::DeadLetterDetail => {
                dl.detail = None;
                self.mode = Mode::DeadLetters;
                self.dlq_want()
            }
            Mode::DeadLetterGroups => self.toggle_groups(),
            _ if !dl.filter.is_empty() => {
                dl.filter.clear();
                Vec::new()
            }
            _ => {
                self.mode = dl.from;
                self.back = dl.from;
                self.dead_letters = None;
                Vec::new()
            }
        }
    }

    fn on_dlq_filter(&mut self, command: Command) -> Option<Vec<Effect>> {
        let dl = self.dead_letters.as_mut()?;
        match command {
            Command::FilterAccept => self.mode = Mode::DeadLetters,
            Command::FilterCancel => {
                dl.filter.clear();
                self.mode = Mode::DeadLetters;
            }
            Command::FilterBackspace => {
                dl.filter.pop();
            }
            _ => return None,
        }
        Some(Vec::new())
    }

    /// A character typed into the dead-letter filter.
    pub(super) fn dlq_filter_push(&mut self, c: char) {
        if let Some(dl) = self.dead_letters.as_mut() {
            dl.filter.push(c);
            dl.row = 0;
        }
    }

    fn list_move(&mut self, delta: isize) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_mut() else {
            return Vec::new();
        };
        let shown = dl.shown().len();
        let loaded = dl.current_page().map_or(0, |p| p.jobs.len() as u64);
        let total = dl.total().unwrap_or(0);
        if delta > 0 {
            if dl.row + 1 < shown {
                dl.row += 1;
            } else if dl.current_page().is_some() && dl.offset + loaded < total {
                dl.offset += loaded.max(1);
                dl.row = 0;
                return self.dlq_want();
            }
        } else if dl.row > 0 {
            dl.row -= 1;
        } else if dl.offset > 0 && dl.current_page().is_some() {
            dl.offset = dl.offset.saturating_sub(dl.page_size);
            dl.select_last = true;
            return self.dlq_want();
        }
        Vec::new()
    }

    fn list_page(&mut self, direction: isize) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_mut() else {
            return Vec::new();
        };
        let total = dl.total().unwrap_or(0);
        let next = if direction > 0 {
            (dl.offset + dl.page_size < total).then_some(dl.offset + dl.page_size)
        } else {
            (dl.offset > 0).then(|| dl.offset.saturating_sub(dl.page_size))
        };
        match next {
            Some(offset) => {
                dl.offset = offset;
                self.dlq_want()
            }
            None => {
                dl.row = if direction > 0 {
                    dl.shown().len().saturating_sub(1)
                } else {
                    0
                };
                Vec::new()
            }
        }
    }

    fn list_end(&mut self, last: bool) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_mut() else {
            return Vec::new();
        };
        let total = dl.total().unwrap_or(0);
        let offset = if last {
            total.saturating_sub(dl.page_size)
        } else {
            0
        };
        dl.select_last = last;
        if !last {
            dl.row = 0;
        }
        if offset == dl.offset {
            if last {
                dl.row = dl.shown().len().saturating_sub(1);
                dl.select_last = false;
            }
            return Vec::new();
        }
        dl.offset = offset;
        self.dlq_want()
    }

    fn open_detail(&mut self) -> Vec<Effect> {
        let screen = self.dlq_screen();
        let Some(dl) = self.dead_letters.as_mut() else {
            return Vec::new();
        };
        let Some(id) = dl.selected_job().map(|j| j.id.clone()) else {
            return Vec::new();
        };
        dl.detail = Some(DetailView::new(id, self.zone, self.now_ms, screen));
        self.mode = Mode::DeadLetterDetail;
        self.dlq_want()
    }

    fn scroll_detail(&mut self, command: Command) {
        let Some(max) = self
            .dead_letters
            .as_ref()
            .and_then(|d| d.detail.as_ref())
            .map(|view| view.max_scroll(self.dlq_screen()))
        else {
            return;
        };
        let page = super::layout::dlq_list_rows(self.dlq_screen()).max(1);
        let Some(view) = self.dead_letters.as_mut().and_then(|d| d.detail.as_mut()) else {
            return;
        };
        view.scroll = match command {
            Command::Up => view.scroll.saturating_sub(1),
            Command::Down => view.scroll + 1,
            Command::PageUp => view.scroll.saturating_sub(page),
            Command::PageDown => view.scroll + page,
            Command::Top => 0,
            _ => max,
        }
        .min(max);
    }

    fn move_group(&mut self, command: Command) {
        let page = super::layout::dlq_list_rows(self.dlq_screen()).max(1);
        let Some(dl) = self.dead_letters.as_mut() else {
            return;
        };
        let count = dl.groups.as_ref().map_or(0, |g| g.groups.len());
        let last = count.saturating_sub(1);
        dl.group_row = match command {
            Command::Up => dl.group_row.saturating_sub(1),
            Command::Down => dl.group_row + 1,
            Command::PageUp => dl.group_row.saturating_sub(page),
            Command::PageDown => dl.group_row + page,
            Command::Top => 0,
            _ => last,
        }
        .min(last);
    }

    fn toggle_groups(&mut self) -> Vec<Effect> {
        let Some(dl) = self.dead_letters.as_mut() else {
            return Vec::new();
        };
        dl.show_groups = !dl.show_groups;
        self.mode = if dl.show_groups {
            Mode::DeadLetterGroups
        } else {
            Mode::DeadLetters
        };
        self.dlq_want()
    }

    fn toggle_mark(&mut self) {
        let Some(dl) = self.dead_letters.as_mut() else {
            return;
        };
        if let Some(id) = dl.selected_job().map(|j| j.id.clone()) {
            if !dl.marks.remove(&id) {
                dl.marks.insert(id);
            }
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

fn verb_of(command: Command) -> &'static str {
    match command {
        Command::Retry | Command::RetryAll => "retry",
        _ => "delete",
    }
}
