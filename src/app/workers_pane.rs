//! The workers pane as text: its warnings, and its table (`app::worker_columns`). Here in
//! `app` because the layout sizes the pane from what they need.

use ratatui::layout::{Constraint, Layout, Rect};

pub use super::worker_columns::{fit, wanted_width, Context};
use super::workers::WorkersStatus;
use super::{App, Mode};
use crate::text;

/// Lines of "nobody is consuming" warnings before the list, at most.
pub const MAX_WARNINGS: usize = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// Work waits and nobody takes it.
    Bad,
    /// The list itself is incomplete.
    Warn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub severity: Severity,
    pub text: String,
}

/// What the pane says before its list: queues with work and nobody consuming them (only
/// the focused one in queue view), then why the list may be incomplete.
pub fn warnings(app: &App) -> Vec<Warning> {
    let bad = |text: String| Warning {
        severity: Severity::Bad,
        text,
    };
    let unconsumed: Vec<_> = app
        .view
        .rows
        .iter()
        .filter(|r| r.unconsumed())
        .filter(|r| match (&app.selected, app.mode) {
            (Some(key), Mode::Queue) => r.key() == key,
            _ => true,
        })
        .collect();
    let mut lines: Vec<Warning> = unconsumed
        .iter()
        .take(MAX_WARNINGS)
        .map(|r| {
            bad(format!(
                "⚠ {}: {}",
                r.label(),
                r.consumer_warning().unwrap_or_default()
            ))
        })
        .collect();
    if unconsumed.len() > MAX_WARNINGS {
        lines.push(bad(format!(
            "⚠ and {} more queues with jobs ready and no workers",
            unconsumed.len() - MAX_WARNINGS
        )));
    }
    let warn = |text: String| Warning {
        severity: Severity::Warn,
        text,
    };
    match &app.view.workers.status {
        WorkersStatus::Listed => {}
        WorkersStatus::NotPermitted => {
            lines.push(warn("workers unknown: the ACL forbids CLIENT LIST".into()))
        }
        WorkersStatus::Unavailable(why) => lines.push(warn(format!("workers unavailable: {why}"))),
    }
    lines
}

/// Inside the pane's border: the warnings' lines, then the list (its header and rows).
/// Warnings come first, but the list always keeps room for its header and one worker.
pub fn split(inner: Rect, warnings: usize) -> (Rect, Rect) {
    let warn_height = (warnings as u16).min(inner.height.saturating_sub(2).max(1));
    let [warn_area, list_area] =
        Layout::vertical([Constraint::Length(warn_height), Constraint::Min(0)]).areas(inner);
    (warn_area, list_area)
}

/// The list (header line, then rows) of the pane drawn in `pane` (border included).
pub fn list_area(app: &App, pane: Rect) -> Rect {
    let inner = ratatui::widgets::Block::bordered().inner(pane);
    split(inner, warnings(app).len()).1
}

/// The pane's size with everything shown (border included): its widest line and all its
/// lines. The layout gives it this much when it can spare it.
pub fn wanted_size(app: &App) -> (u16, u16) {
    let rows = app.worker_rows();
    let warnings = warnings(app);
    let widest_warning = warnings.iter().map(|w| text::width(&w.text)).max();
    let list = if rows.is_empty() {
        "no worker connections".len() as u16
    } else {
        wanted_width(&rows, app.view_now_ms())
    };
    let width = list.max(widest_warning.unwrap_or(0) as u16);
    let list_lines = if rows.is_empty() { 1 } else { 1 + rows.len() };
    let height = warnings.len() + list_lines;
    (width.saturating_add(2), (height as u16).saturating_add(2))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::columns::Fitted;
    use crate::app::workers::{WorkerHealth, WorkerRow};
    use crate::model::{Heartbeat, QueueKey, System, WorkerInfo, WorkerLibrary};

    fn row(name: &str, queue: &str, addr: &str) -> WorkerRow {
        WorkerRow {
            key: QueueKey::bullmq("bull", queue),
            queues: Vec::new(),
            name: name.into(),
            addr: addr.into(),
            age_s: Some(206),
            idle_s: Some(0),
            library: WorkerLibrary::Qtop,
            connections: Some(1),
            heartbeat: Some(Heartbeat {
                concurrency: 4,
                done: 339,
                current: vec!["718".into(), "721".into()],
                last_beat_ms: 9_500,
                ..Heartbeat::default()
            }),
            busy: None,
            concurrency: None,
            beat_age_s: None,
            state: None,
            health: WorkerHealth::Ok,
            last_seen_ms: 10_000,
            info: None,
        }
    }

    fn names(fitted: &Fitted) -> Vec<&str> {
        fitted.rows.iter().map(|r| r[0].as_str()).collect()
    }

    #[test]
    fn names_show_whole_when_there_is_room_and_cut_in_the_middle_when_not() {
        let a = row(
            "qtop-vm-21515",
            "demo",
            "/tmp/qtop-demo-redis-FqzKa6/redis.sock:0",
        );
        let b = row("qtop-vm-21516", "队列-📦", "127.0.0.1:51234");
        let rows = [&a, &b];
        let wide = fit(&rows, 10_000, 120);
        let titles: Vec<&str> = wide.titles.iter().map(String::as_str).collect();
        assert_eq!(
            titles,
            [
                "NAME",
                "STATE",
                "QUEUES",
                "CONN IDLE",
                "LIB",
                "AGE",
                "ADDR",
                "HEARTBEAT"
            ]
        );
        assert_eq!(names(&wide), ["qtop-vm-21515", "qtop-vm-21516"]);
        // The heartbeat whole, never cut mid-word when there is room.
        assert_eq!(wide.rows[0][7], "c4 done 339 job 718 +1 beat 0s ago");
        // A long unix-socket address keeps its start and its end.
        assert_eq!(wide.rows[0][6], "/tmp/qtop-dem…6/redis.sock:0");
        // The CJK queue name takes its display width; cells of a column line up.
        assert_eq!(text::width(&wide.rows[1][2]), 7);
        let narrow = fit(&rows, 10_000, 40);
        assert_eq!(names(&narrow), ["qtop-vm-21515", "qtop-vm-21516"]);
        let tiny = fit(&rows, 10_000, 12);
        assert_eq!(names(&tiny), ["qtop-…-21515", "qtop-…-21516"]);
    }

    #[test]
    fn the_wanted_width_follows_the_content() {
        let short = row("w1", "q", "a:1");
        let long = row("qtop-a-very-long-host-name-12345", "q", "a:1");
        assert!(wanted_width(&[&long], 10_000) > wanted_width(&[&short], 10_000));
        // Every column's own limits hold: a huge name is capped at its maximum.
        let huge = row(&"x".repeat(500), "q", "a:1");
        assert!(wanted_width(&[&huge], 10_000) < 200);
    }

    fn sidekiq(name: &str, state: &str) -> WorkerRow {
        WorkerRow {
            key: QueueKey::new(System::Sidekiq, "", "default"),
            queues: vec!["default".into(), "mailers".into()],
            library: WorkerLibrary::Sidekiq,
            heartbeat: None,
            idle_s: None,
            busy: Some(3),
            concurrency: Some(10),
            beat_age_s: Some(4.0),
            state: Some(state.into()),
            info: Some(WorkerInfo {
                rss_kb: Some(215_000),
                ..WorkerInfo::default()
            }),
            ..row(name, "default", "app-1")
        }
    }

    #[test]
    fn every_system_shows_its_own_figures_and_words_are_never_cut() {
        let bull = WorkerRow {
            heartbeat: None,
            library: WorkerLibrary::Node,
            ..row("w-orders", "orders", "10.0.0.7:4000")
        };
        let quiet = sidekiq("app-1:4100:0a1b", "quiet");
        let rows = [&bull, &quiet];
        let wide = fit(&rows, 10_000, 200);
        let titles: Vec<&str> = wide.titles.iter().map(String::as_str).collect();
        assert_eq!(
            titles,
            [
                "NAME",
                "SYSTEM",
                "STATE",
                "BUSY",
                "QUEUES",
                "BEAT",
                "CONN IDLE",
                "RSS",
                "LIB",
                "AGE",
                "ADDR"
            ]
        );
        let cells: Vec<&str> = wide.rows[1].iter().map(|c| c.trim()).collect();
        assert_eq!(
            cells[..9],
            [
                "app-1:4100:0a1b",
                "sidekiq",
                "quiet",
                "3/10",
                "default,mailers",
                "4s",
                "",
                "210M",
                "sidekiq"
            ]
        );
        // BullMQ's figures a connection lacks are blank, its connection idle shown.
        let cells: Vec<&str> = wide.rows[0].iter().map(|c| c.trim()).collect();
        assert_eq!(cells[3..7], ["", "orders", "", "0s"]);
        // However narrow, a word is whole or its column is gone.
        for width in 20..120 {
            let fitted = fit(&rows, 10_000, width);
            for (position, (index, _)) in fitted.columns.iter().enumerate() {
                let title = &fitted.titles[position];
                if ["SYSTEM", "STATE", "LIB"].contains(&title.as_str()) {
                    for row in &fitted.rows {
                        assert!(!row[position].contains('…'), "{width}: {row:?} ({index})");
                    }
                }
            }
        }
    }
}
