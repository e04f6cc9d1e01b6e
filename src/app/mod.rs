//! The dashboard's state and the one place it changes: `App::update(action) -> effects`.
//!
//! Data arrives as `Action::Source` (from the poller task) and time as `Action::Tick`, so
//! everything here runs without a terminal, Redis or a real clock, and is tested that way.
//!
//! # Extending (dead letters, the demo)
//! - A new screen is a `Mode` variant, a `Command` to open it, bindings in a keymap layer
//!   (`ui::keymap`) whose `modes` name it, a pane file in `ui/` placed by `ui::layout`.
//!   Help and the status bar follow from the bindings.
//! - Work for a task is an `Effect` variant returned by `update`; `runtime` runs it (send
//!   to the task's channel; for on-demand fetches keep only the newest request). Results
//!   come back as a new `Action` variant from one more `select!` arm in `runtime`.
//! - The demo's keys (`[ ] b + - k`): `app.keymap = Keymap::dashboard().with_layer(DEMO)`
//!   with `Command::Demo(..)` bindings; its `+`/`-` then win over zoom, which stays on
//!   `z`/`Z`.

#[doc(hidden)]
pub mod fixtures;
pub mod rows;
pub mod workers;

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use crate::model::series::{Sample, Series, SeriesConfig};
use crate::model::{PollReport, PollStats, QueueHistory, QueueKey};
use crate::source::SourceEvent;
use crate::ui::keymap::Keymap;
use rows::{QueueRow, Sort, RATE_WINDOW_MS};
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
}

/// Work for the event loop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    Quit,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting { attempt: u32 },
    Connected,
    Disconnected { error: String, retry_at_ms: i64 },
}

/// Chart windows `+`/`-` step through.
pub const ZOOMS_MS: [i64; 5] = [60_000, 300_000, 900_000, 1_800_000, 3_600_000];

struct Tracked {
    history: QueueHistory,
    series: Series,
}

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
    series_config: SeriesConfig,
    tracked: BTreeMap<QueueKey, Tracked>,
    total: Series,
    /// Always current, even while frozen, so vanished workers are tracked correctly.
    latest_workers: WorkersView,
    latest_taken_at_ms: i64,
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
            total: Series::new(&series_config),
            series_config,
            tracked: BTreeMap::new(),
            latest_workers: WorkersView::default(),
            latest_taken_at_ms: now_ms,
        }
    }

    pub fn window_ms(&self) -> i64 {
        ZOOMS_MS.get(self.zoom).copied().unwrap_or(300_000)
    }

    /// The instant the charts end at: the freeze time, or now.
    pub fn view_now_ms(&self) -> i64 {
        self.frozen_at_ms.unwrap_or(self.now_ms)
    }

    pub fn selected_row(&self) -> Option<&QueueRow> {
        let key = self.selected.as_ref()?;
        self.view.rows.iter().find(|r| &r.key == key)
    }

    pub fn selected_index(&self) -> Option<usize> {
        let key = self.selected.as_ref()?;
        self.visible
            .iter()
            .position(|&i| self.view.rows.get(i).is_some_and(|r| &r.key == key))
    }

    /// The series the charts show: the selected queue's, or all queues summed.
    pub fn chart_series(&self) -> (&Series, String) {
        let focused = self.mode == Mode::Queue || self.back == Mode::Queue;
        if !self.chart_all || focused {
            if let Some(key) = &self.selected {
                if let Some(t) = self.tracked.get(key) {
                    return (&t.series, rows::queue_label(key));
                }
            }
        }
        (&self.total, "all queues".to_string())
    }

    /// Workers the pane lists: all, or the focused queue's.
    pub fn worker_rows(&self) -> Vec<&workers::WorkerRow> {
        let only = (self.mode == Mode::Queue || self.back == Mode::Queue)
            .then_some(self.selected.as_ref())
            .flatten();
        self.view
            .workers
            .rows
            .iter()
            .filter(|r| only.is_none_or(|k| &r.key == k))
            .collect()
    }

    pub fn update(&mut self, action: Action) -> Vec<Effect> {
        match action {
            Action::Key(key) => return self.on_key(key),
            Action::Mouse(mouse) => self.on_mouse(mouse),
            Action::Command(command) => return self.on_command(command),
            Action::Source(event) => self.on_source(event),
            Action::Tick(now_ms) => self.now_ms = now_ms,
            Action::Resize(w, h) => {
                self.size = (w, h);
                self.keep_selection_visible();
            }
        }
        Vec::new()
    }

    fn on_key(&mut self, key: KeyEvent) -> Vec<Effect> {
        if let Some(command) = self.keymap.lookup(self.mode, &key) {
            return self.on_command(command);
        }
        if self.mode == Mode::Filter {
            if let KeyCode::Char(c) = key.code {
                if !key.modifiers.contains(KeyModifiers::CONTROL) {
                    self.filter.push(c);
                    self.refilter();
                }
            }
        }
        Vec::new()
    }

    fn on_command(&mut self, command: Command) -> Vec<Effect> {
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
                let column = self.sort.column.next();
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
            Command::Freeze => {
                self.frozen_at_ms = match self.frozen_at_ms {
                    Some(_) => None,
                    None => Some(self.now_ms),
                };
                if self.frozen_at_ms.is_none() {
                    self.rebuild_view();
                }
            }
        }
        Vec::new()
    }

    fn on_mouse(&mut self, mouse: MouseEvent) {
        let areas = crate::ui::layout(self, self.size);
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
                            self.selected = self.view.rows.get(i).map(|r| r.key.clone());
                        }
                    }
                } else if let (true, Some(pane)) = (in_workers, areas.workers) {
                    self.focus = Pane::Workers;
                    if mouse.row >= pane.y + 2 {
                        let index = self.worker_offset + (mouse.row - pane.y - 2) as usize;
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
    }

    fn page(&self) -> usize {
        let areas = crate::ui::layout(self, self.size);
        let pane = match self.focus {
            Pane::Queues => areas.table,
            Pane::Workers => areas.workers,
        };
        pane.map_or(1, |r| r.height.saturating_sub(3).max(1) as usize)
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
                    .map(|r| r.key.clone());
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
    fn keep_selection_visible(&mut self) {
        let areas = crate::ui::layout(self, self.size);
        let rows_in = |r: Option<ratatui::layout::Rect>| {
            r.map_or(1, |r| r.height.saturating_sub(3).max(1) as usize)
        };
        let height = rows_in(areas.table);
        let index = self.selected_index().unwrap_or(0);
        self.table_offset = scroll_to(self.table_offset, index, height, self.visible.len());
        let height = rows_in(areas.workers);
        let count = self.worker_rows().len();
        self.worker_selected = self.worker_selected.min(count.saturating_sub(1));
        self.worker_offset = scroll_to(self.worker_offset, self.worker_selected, height, count);
    }

    fn on_source(&mut self, event: SourceEvent) {
        match event {
            SourceEvent::Connecting { attempt } => {
                // Keep the disconnected banner (with its error) while retrying.
                if !matches!(self.connection, Connection::Disconnected { .. }) {
                    self.connection = Connection::Connecting { attempt };
                }
            }
            SourceEvent::Connected { redis_version } => {
                self.connection = Connection::Connected;
                self.redis_version = Some(redis_version);
            }
            SourceEvent::Report(report) => self.on_report(&report),
            SourceEvent::Disconnected { error, retry_in } => {
                self.connection = Connection::Disconnected {
                    error,
                    retry_at_ms: self.now_ms + retry_in.as_millis() as i64,
                };
                for tracked in self.tracked.values_mut() {
                    tracked.series.mark_gap();
                }
                self.total.mark_gap();
            }
        }
    }

    fn on_report(&mut self, report: &PollReport) {
        let t = report.taken_at_ms;
        self.connection = Connection::Connected;
        if !report.redis_version.is_empty() {
            self.redis_version = Some(report.redis_version.clone());
        }
        self.last_poll = Some(report.poll.clone());
        self.has_data = true;
        let counter_keep = RATE_WINDOW_MS.max(3 * self.interval.as_millis() as i64) + 5_000;
        let mut total = Sample {
            t_ms: t,
            backlog: 0,
            active: 0,
            totals: Default::default(),
            timings: &[],
        };
        let mut all_timings = Vec::new();
        for reading in &report.queues {
            let config = self.series_config;
            let tracked = self
                .tracked
                .entry(reading.key.clone())
                .or_insert_with(|| Tracked {
                    history: QueueHistory::new(5_000, 65_000).with_counter_keep(counter_keep),
                    series: Series::new(&config),
                });
            tracked.history.record(reading, t);
            let counts = reading.counts.unwrap_or_default();
            let sample = Sample {
                t_ms: t,
                backlog: counts.backlog(),
                active: counts.active,
                totals: reading.totals,
                timings: &reading.timings,
            };
            tracked.series.record(sample);
            total.backlog += sample.backlog;
            total.active += sample.active;
            total.totals.added += reading.totals.added;
            total.totals.completed += reading.totals.completed;
            total.totals.failed += reading.totals.failed;
            all_timings.extend_from_slice(&reading.timings);
        }
        total.timings = &all_timings;
        self.total.record(total);
        // Queues the poller no longer reports are gone (obliterated): forget them.
        if self.tracked.len() != report.queues.len() {
            let present: std::collections::BTreeSet<&QueueKey> =
                report.queues.iter().map(|r| &r.key).collect();
            self.tracked.retain(|k, _| present.contains(k));
        }
        self.latest_workers = WorkersView::next(&self.latest_workers, report);
        self.latest_taken_at_ms = t;
        if self.frozen_at_ms.is_none() {
            self.rebuild_view();
        }
    }

    fn rate_window_ms(&self) -> i64 {
        RATE_WINDOW_MS.max(3 * self.interval.as_millis() as i64)
    }

    /// Recompute the table and workers from the latest data (once per report, not per frame).
    fn rebuild_view(&mut self) {
        let now = self.latest_taken_at_ms;
        let window = self.rate_window_ms();
        let rows = self
            .tracked
            .iter()
            .filter_map(|(key, t)| {
                let reading = t.history.latest()?;
                let workers = self.latest_workers.count_for(key);
                Some(QueueRow::build(reading, &t.history, now, window, workers))
            })
            .collect();
        self.view = View {
            rows,
            workers: self.latest_workers.clone(),
            taken_at_ms: now,
        };
        self.refilter();
    }

    /// Re-apply filter and sort; keep the selection on the same queue when it is still
    /// shown, else move it to the first row.
    fn refilter(&mut self) {
        self.visible = rows::visible(&self.view.rows, &self.filter, self.sort);
        if self.selected_index().is_none() {
            self.selected = self
                .visible
                .first()
                .and_then(|&i| self.view.rows.get(i))
                .map(|r| r.key.clone());
        }
        self.keep_selection_visible();
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

#[cfg(test)]
mod tests;
