//! What the panes read from the app besides its fields: which queue and series they show,
//! the chart window, the workers listed, what a key cannot do now.

use std::borrow::Cow;

use super::rows::{self, QueueRow};
use super::workers::WorkerRow;
use super::{App, Command, Mode, ZOOMS_MS};
use crate::model::series::Series;

impl App {
    /// Whether the screen shows one queue: queue mode, or an overlay opened from it.
    pub fn queue_view(&self) -> bool {
        self.mode == Mode::Queue
            || (matches!(self.mode, Mode::Help | Mode::Confirm | Mode::Contexts)
                && self.back == Mode::Queue)
    }

    pub fn window_ms(&self) -> i64 {
        ZOOMS_MS.get(self.zoom).copied().unwrap_or(300_000)
    }

    /// The instant the charts end at: the freeze time, or now.
    pub fn view_now_ms(&self) -> i64 {
        self.frozen_at_ms.unwrap_or(self.now_ms)
    }

    /// Whether the queues table has `column` at all: `Node` only on a cluster, `System`
    /// only with more than one system, `Retry` and `Reserved` only when some queue has
    /// them. The table shows these, and `s` cycles through these only.
    pub fn column_applies(&self, column: rows::Column) -> bool {
        use rows::Column;
        let rows = &self.view.rows;
        match column {
            Column::Node => self.cluster.is_some(),
            Column::System => rows
                .first()
                .is_some_and(|first| rows.iter().any(|r| r.key().system != first.key().system)),
            Column::Retry => rows
                .iter()
                .any(|r| r.counts().is_some_and(|c| c.retry.is_some())),
            Column::Reserved => rows
                .iter()
                .any(|r| r.counts().is_some_and(|c| c.reserved.is_some())),
            _ => true,
        }
    }

    pub fn selected_row(&self) -> Option<&QueueRow> {
        let key = self.selected.as_ref()?;
        self.view.rows.iter().find(|r| r.key() == key)
    }

    pub fn selected_index(&self) -> Option<usize> {
        let key = self.selected.as_ref()?;
        self.visible
            .iter()
            .position(|&i| self.view.rows.get(i).is_some_and(|r| r.key() == key))
    }

    /// The series the charts show: the selected queue's, or all queues summed.
    /// A quiet queue's series is made from the one it shares (a copy of a few runs).
    pub fn chart_series(&self) -> (Cow<'_, Series>, String) {
        let focused = self.mode == Mode::Queue || self.back == Mode::Queue;
        if !self.chart_all || focused {
            if let Some(key) = &self.selected {
                if let Some(t) = self.tracked.get(key) {
                    return (t.series(&self.quiet), rows::queue_label(key));
                }
            }
        }
        (Cow::Borrowed(&self.total), "all queues".to_string())
    }

    /// Workers the pane lists: all, or the focused queue's.
    pub fn worker_rows(&self) -> Vec<&WorkerRow> {
        let only = (self.mode == Mode::Queue || self.back == Mode::Queue)
            .then_some(self.selected.as_ref())
            .flatten();
        self.view
            .workers
            .rows
            .iter()
            .filter(|r| only.is_none_or(|k| r.serves(k)))
            .collect()
    }

    /// Why `command` cannot run now, for help and the status bar to show; `None` if it can.
    pub fn unavailable(&self, command: Command) -> Option<&'static str> {
        if self.read_only && command.writes() {
            return Some("read-only");
        }
        match command {
            Command::WorkerControl(control) => {
                super::worker_controls::unavailable(self.selected_worker(), control)
            }
            Command::ToggleRetrySet => self
                .dead_letters
                .as_ref()
                .filter(|dl| dl.queue.system != crate::model::System::Sidekiq)
                .map(|_| "Sidekiq only"),
            _ => None,
        }
    }
}
