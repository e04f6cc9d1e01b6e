//! Keys, mouse and selection: `update`'s half for input. Hit-testing uses the same
//! `ui::layout` the renderer draws with.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use super::{App, Command, Effect, Mode, Pane, Sort, ZOOMS_MS};

impl App {
    pub(super) fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if let Some(command) = self.keymap.lookup(self.mode, &key) {
            return self.on_command(command);
        }
        if self.mode == Mode::JobPrompt {
            if let KeyCode::Char(c) = key.code {
                if !key.modifiers.contains(KeyModifiers::CONTROL) {
                    self.job_id_push(c);
                }
            }
        }
        if self.mode == Mode::Filter {
            if let KeyCode::Char(c) = key.code {
                if !key.modifiers.contains(KeyModifiers::CONTROL) {
                    if self.back == Mode::DeadLetters {
                        self.dlq_filter_push(c);
                    } else {
                        self.filter.push(c);
                        self.refilter();
                    }
                }
            }
        }
        Vec::new()
    }

    pub(super) fn on_command(&mut self, command: Command) -> Vec<Effect> {
        if let Some(effects) = self.on_toolbox_command(command) {
            return effects;
        }
        if let Some(effects) = self.on_dlq_command(command) {
            return effects;
        }
        if let Some(effects) = self.on_jobs_command(command) {
            return effects;
        }
        match command {
            Command::Quit => return vec![Effect::Quit],
            Command::Help => {
                if self.mode == Mode::Help {
                    self.mode = self.back;
                } else {
                    self.back = self.mode;
                    self.mode = Mode::Help;
                }
            }
            Command::Back => match self.mode {
                Mode::Help => self.mode = self.back,
                Mode::Queue => {
                    self.mode = Mode::Dashboard;
                    self.back = Mode::Dashboard;
                }
                _ => {}
            },
            Command::Focus => {
                if self.selected.is_some() {
                    self.mode = Mode::Queue;
                    self.back = Mode::Queue;
                    self.worker_selected = 0;
                    self.worker_offset = 0;
                }
            }
            Command::Up => self.move_selection(-1),
            Command::Down => self.move_selection(1),
            Command::PageUp => self.move_selection(-(self.page() as isize)),
            Command::PageDown => self.move_selection(self.page() as isize),
            Command::Top => self.move_selection(isize::MIN / 2),
            Command::Bottom => self.move_selection(isize::MAX / 2),
            Command::NextPane | Command::PrevPane => {
                self.focus = match self.focus {
                    Pane::Queues => Pane::Workers,
                    Pane::Workers => Pane::Queues,
                };
            }
            Command::Filter => {
                self.back = self.mode;
                self.mode = Mode::Filter;
            }
            Command::ClearFilter => {
                self.filter.clear();
                self.refilter();
            }
            Command::FilterAccept => self.mode = self.back,
            Command::FilterCancel => {
                self.filter.clear();
                self.refilter();
                self.mode = self.back;
            }
            Command::FilterBackspace => {
                self.filter.pop();
                self.refilter();
            }
            Command::CycleSort => {
                // The next column the table has (Name always applies, so this ends).
                let mut column = self.sort.column.next();
                while !self.column_applies(column) {
                    column = column.next();
                }
                self.sort = Sort {
                    column,
                    descending: column.descending_by_default(),
                };
                self.refilter();
            }
            Command::ReverseSort => {
                self.sort.descending = !self.sort.descending;
                self.refilter();
            }
            Command::ToggleAllQueues => self.chart_all = !self.chart_all,
            Command::ZoomIn => self.zoom = self.zoom.saturating_sub(1),
            Command::ZoomOut => self.zoom = (self.zoom + 1).min(ZOOMS_MS.len() - 1),
            Command::ToggleAdvisor
            | Command::TargetWaitDown
            | Command::TargetWaitUp
            | Command::ApplyScale
            | Command::ConfirmYes
            | Command::ConfirmNo => return self.on_advisor_command(command),
            Command::Demo(command) => return self.on_demo_command(command),
            Command::WorkerControl(control) => return self.on_worker_control(control),
            Command::Freeze => {
                self.frozen_at_ms = match self.frozen_at_ms {
                    Some(_) => None,
                    None => Some(self.now_ms),
                };
                if self.frozen_at_ms.is_none() {
                    self.rebuild_view();
                }
            }
            // Dead-letter commands outside its screens do nothing.
            Command::DeadLetters
            | Command::ToggleGroups
            | Command::ToggleRetrySet
            | Command::Mark
            | Command::Retry
            | Command::RetryAll
            | Command::Delete
            | Command::DeleteAll
            | Command::Export
            | Command::Contexts
            | Command::Copy
            | Command::CopyJson => {}
            // Job-view commands outside their screens do nothing.
            Command::OpenJob
            | Command::Schedulers
            | Command::JobIdAccept
            | Command::JobIdCancel
            | Command::JobIdBackspace => {}
        }
        Vec::new()
    }

    pub(super) fn on_mouse(&mut self, mouse: MouseEvent) -> Vec<Effect> {
        // A question or the context list is open: what it is about must not change under it.
        if matches!(self.mode, Mode::Confirm | Mode::Contexts) {
            return Vec::new();
        }
        // The job views: the wheel moves like the arrow keys.
        if super::jobs::is_jobs_mode(self.screen()) {
            return match mouse.kind {
                MouseEventKind::ScrollUp => self.on_command(Command::Up),
                MouseEventKind::ScrollDown => self.on_command(Command::Down),
                _ => Vec::new(),
            };
        }
        // The dead-letter screens: the wheel moves like the arrow keys.
        if super::dlq_input::is_dlq_mode(self.screen()) {
            return match mouse.kind {
                _ if !super::dlq_input::is_dlq_mode(self.mode) => Vec::new(),
                MouseEventKind::ScrollUp => self.on_command(Command::Up),
                MouseEventKind::ScrollDown => self.on_command(Command::Down),
                _ => Vec::new(),
            };
        }
        let areas = super::layout::layout(self, self.size);
        let inside = |r: ratatui::layout::Rect| {
            mouse.column >= r.x
                && mouse.column < r.x + r.width
                && mouse.row >= r.y
                && mouse.row < r.y + r.height
        };
        let in_table = areas.table.is_some_and(inside);
        let in_workers = areas.workers.is_some_and(inside);
        match mouse.kind {
            MouseEventKind::Down(MouseButton::Left) => {
                if let (true, Some(table)) = (in_table, areas.table) {
                    self.focus = Pane::Queues;
                    // Border and header line come before the first row.
                    let row = mouse.row.saturating_sub(table.y + 2) as usize;
                    if mouse.row >= table.y + 2 {
                        let index = self.table_offset + row;
                        if let Some(&i) = self.visible.get(index) {
                            self.selected = self.view.rows.get(i).map(|r| r.key().clone());
                        }
                    }
                } else if let (true, Some(pane)) = (in_workers, areas.workers) {
                    self.focus = Pane::Workers;
                    // Warnings and the list's header line come before the first worker.
                    let list = super::workers_pane::list_area(self, pane);
                    if mouse.row > list.y {
                        let index = self.worker_offset + (mouse.row - list.y - 1) as usize;
                        if index < self.worker_rows().len() {
                            self.worker_selected = index;
                        }
                    }
                }
            }
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let step = if mouse.kind == MouseEventKind::ScrollUp {
                    -1
                } else {
                    1
                };
                if in_workers {
                    self.focus = Pane::Workers;
                } else if in_table {
                    self.focus = Pane::Queues;
                }
                self.move_selection(step);
            }
            _ => {}
        }
        Vec::new()
    }

    fn page(&self) -> usize {
        let areas = super::layout::layout(self, self.size);
        match self.focus {
            Pane::Queues => areas
                .table
                .map_or(1, |r| r.height.saturating_sub(3).max(1) as usize),
            Pane::Workers => self.worker_list_rows(areas.workers),
        }
    }

    fn move_selection(&mut self, delta: isize) {
        match self.focus {
            Pane::Queues => {
                if self.visible.is_empty() {
                    return;
                }
                let last = self.visible.len() - 1;
                let current = self.selected_index().unwrap_or(0) as isize;
                let next = current.saturating_add(delta).clamp(0, last as isize) as usize;
                self.selected = self
                    .visible
                    .get(next)
                    .and_then(|&i| self.view.rows.get(i))
                    .map(|r| r.key().clone());
            }
            Pane::Workers => {
                let count = self.worker_rows().len();
                let next = (self.worker_selected as isize).saturating_add(delta);
                self.worker_selected = next.clamp(0, count.saturating_sub(1) as isize) as usize;
            }
        }
        self.keep_selection_visible();
    }

    /// Scroll offsets follow the selection; the visible height comes from the same layout
    /// function the renderer uses.
    pub(super) fn keep_selection_visible(&mut self) {
        let areas = super::layout::layout(self, self.size);
        let rows_in = |r: Option<ratatui::layout::Rect>| {
            r.map_or(1, |r| r.height.saturating_sub(3).max(1) as usize)
        };
        let height = rows_in(areas.table);
        let index = self.selected_index().unwrap_or(0);
        self.table_offset = scroll_to(self.table_offset, index, height, self.visible.len());
        let height = self.worker_list_rows(areas.workers);
        let count = self.worker_rows().len();
        self.worker_selected = self.worker_selected.min(count.saturating_sub(1));
        self.worker_offset = scroll_to(self.worker_offset, self.worker_selected, height, count);
    }
}

impl App {
    /// Workers the pane in `pane` shows at once (below its warnings and header line).
    fn worker_list_rows(&self, pane: Option<ratatui::layout::Rect>) -> usize {
        pane.map_or(1, |pane| {
            let list = super::workers_pane::list_area(self, pane);
            list.height.saturating_sub(1).max(1) as usize
        })
    }
}

fn scroll_to(offset: usize, index: usize, height: usize, count: usize) -> usize {
    let height = height.max(1);
    let mut offset = offset.min(count.saturating_sub(height));
    if index < offset {
        offset = index;
    } else if index >= offset + height {
        offset = index + 1 - height;
    }
    offset
}
