//! The workers pane as text: its warnings, and its columns (title, sizing and text, one
//! line each; `app::columns` lays them out). Here in `app` because the layout sizes the
//! pane from what they need.

use ratatui::layout::{Constraint, Layout, Rect};

use super::columns::{self, Column, Cut, Fitted, Sizing};
use super::format;
use super::rows::queue_label;
use super::workers::{WorkerHealth, WorkerRow, WorkersStatus};
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
            (Some(key), Mode::Queue) => &r.key == key,
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

/// What a cell's text needs besides its row.
pub struct Context {
    pub now_ms: i64,
}

const fn sized(min: u16, max: u16, priority: u8, cut: Cut) -> Sizing {
    Sizing::new(min, max, priority, cut)
}

/// Display order. Priority (the third number of each sizing) says which stay when narrow:
/// name, state, queue, library, idle, age, heartbeat, address.
pub const COLUMNS: &[Column<WorkerRow, Context>] = &[
    Column::new("NAME", sized(12, 40, 0, Cut::Middle), |r, _| {
        display_name(r)
    }),
    Column::new("STATE", sized(5, 5, 1, Cut::End), |r, _| state(r).into()),
    Column::new("QUEUE", sized(6, 24, 2, Cut::Middle), |r, _| {
        queue_label(&r.key)
    }),
    Column::new("ADDR", sized(9, 28, 7, Cut::Middle), |r, _| r.addr.clone()),
    Column::new("AGE", sized(6, 6, 5, Cut::End), |r, _| age(r.age_s)),
    Column::new("IDLE", sized(6, 6, 4, Cut::End), |r, _| age(r.idle_s)),
    Column::new("LIB", sized(6, 6, 3, Cut::End), |r, _| {
        r.library.label().into()
    }),
    Column::new("HEARTBEAT", sized(12, 48, 6, Cut::Words), heartbeat_text),
];

/// The table of `rows` in `width` columns.
pub fn fit(rows: &[&WorkerRow], now_ms: i64, width: u16) -> Fitted {
    columns::fit(COLUMNS, rows, &Context { now_ms }, width)
}

/// Columns the table wants with every column at its content's width.
pub fn wanted_width(rows: &[&WorkerRow], now_ms: i64) -> u16 {
    columns::wanted_width(COLUMNS, rows, &Context { now_ms })
}

fn display_name(row: &WorkerRow) -> String {
    if row.name.is_empty() {
        "(unnamed)".to_string()
    } else {
        row.name.clone()
    }
}

fn state(row: &WorkerRow) -> &'static str {
    match row.health {
        WorkerHealth::Ok => "ok",
        WorkerHealth::Stale => "stale",
        WorkerHealth::Vanished => "gone",
    }
}

fn age(seconds: Option<u64>) -> String {
    seconds.map_or("-".into(), |s| format::age_s(s as f64))
}

/// A qtop worker's heartbeat: `c4 done 857 job 1201 +1 beat 0s ago` (its first current job
/// and how many more); empty for others. The beat's age in whole seconds (stale is three
/// missed beats), so the text keeps its width from frame to frame.
fn heartbeat_text(row: &WorkerRow, context: &Context) -> String {
    let Some(beat) = &row.heartbeat else {
        return String::new();
    };
    let current = match beat.current.as_slice() {
        [] => "idle".to_string(),
        [only] => format!("job {}", text::fit_middle(only, 12)),
        [first, rest @ ..] => format!("job {} +{}", text::fit_middle(first, 12), rest.len()),
    };
    let since_s = context.now_ms.saturating_sub(beat.last_beat_ms).max(0) / 1000;
    format!(
        "c{} done {} {} beat {} ago",
        beat.concurrency,
        format::count(beat.done),
        current,
        format::age_s(since_s as f64)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Heartbeat, QueueKey, WorkerLibrary};

    fn row(name: &str, queue: &str, addr: &str) -> WorkerRow {
        WorkerRow {
            key: QueueKey::bullmq("bull", queue),
            queues: Vec::new(),
            name: name.into(),
            addr: addr.into(),
            age_s: Some(206),
            idle_s: Some(0),
            library: WorkerLibrary::Qtop,
            connections: 1,
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
                "QUEUE",
                "ADDR",
                "AGE",
                "IDLE",
                "LIB",
                "HEARTBEAT"
            ]
        );
        assert_eq!(names(&wide), ["qtop-vm-21515", "qtop-vm-21516"]);
        // The heartbeat whole, never cut mid-word when there is room.
        assert_eq!(wide.rows[0][7], "c4 done 339 job 718 +1 beat 0s ago");
        // A long unix-socket address keeps its start and its end.
        assert_eq!(wide.rows[0][3], "/tmp/qtop-dem…6/redis.sock:0");
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
}
