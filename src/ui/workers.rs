//! The workers pane: who consumes what, from where, since when, how idle; qtop workers'
//! heartbeats; and, first of all, queues with work waiting and nobody consuming them.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::format;
use super::theme::Theme;
use crate::app::rows::queue_label;
use crate::app::workers::{WorkerHealth, WorkerRow, WorkersStatus};
use crate::app::{App, Pane};

/// Lines of "nobody is consuming" warnings before the list, at most.
const MAX_WARNINGS: usize = 3;

fn heartbeat_text(row: &WorkerRow, now_ms: i64) -> String {
    let Some(beat) = &row.heartbeat else {
        return String::new();
    };
    let current = if beat.current.is_empty() {
        "idle".to_string()
    } else {
        format!("job {}", format::fit(&beat.current.join(","), 16))
    };
    let last = format::millis(now_ms.saturating_sub(beat.last_beat_ms).max(0) as f64);
    format!(
        "c{} done {} {} beat {} ago",
        beat.concurrency,
        format::count(beat.done),
        current,
        last
    )
}

fn warnings(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let unconsumed: Vec<_> = app
        .view
        .rows
        .iter()
        .filter(|r| r.unconsumed())
        .filter(|r| match (&app.selected, app.mode) {
            (Some(key), crate::app::Mode::Queue) => &r.key == key,
            _ => true,
        })
        .collect();
    let mut lines: Vec<Line> = unconsumed
        .iter()
        .take(MAX_WARNINGS)
        .map(|r| {
            Line::from(Span::styled(
                format!(
                    "⚠ {}: {}",
                    r.label(),
                    r.consumer_warning().unwrap_or_default()
                ),
                theme.bad(),
            ))
        })
        .collect();
    if unconsumed.len() > MAX_WARNINGS {
        lines.push(Line::from(Span::styled(
            format!(
                "⚠ and {} more queues with backlog and no workers",
                unconsumed.len() - MAX_WARNINGS
            ),
            theme.bad(),
        )));
    }
    match &app.view.workers.status {
        WorkersStatus::Listed => {}
        WorkersStatus::NotPermitted => lines.push(Line::from(Span::styled(
            "workers unknown: the ACL forbids CLIENT LIST",
            theme.warn(),
        ))),
        WorkersStatus::Unavailable(why) => lines.push(Line::from(Span::styled(
            format!("workers unavailable: {why}"),
            theme.warn(),
        ))),
    }
    lines
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let focused = app.focus == Pane::Workers;
    let rows = app.worker_rows();
    let stale = rows.iter().filter(|r| r.health != WorkerHealth::Ok).count();
    let mut title = format!(" workers ({}", rows.len());
    if stale > 0 {
        title.push_str(&format!(", {stale} stale or gone"));
    }
    title.push_str(") ");
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(Span::styled(
            format::fit(&title, area.width.saturating_sub(2) as usize),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let warnings = warnings(app, theme);
    // Warnings first, but always room for the list's header and one worker.
    let warn_height = (warnings.len() as u16).min(inner.height.saturating_sub(2).max(1));
    let [warn_area, list_area] =
        Layout::vertical([Constraint::Length(warn_height), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(warnings), warn_area);
    if rows.is_empty() {
        if app.view.workers.status == WorkersStatus::Listed {
            frame.render_widget(
                Paragraph::new(Span::styled("no worker connections", theme.dim())),
                list_area,
            );
        }
        return;
    }
    let now = app.view_now_ms();
    let columns = fitting_columns(list_area.width);
    let header = Row::new(
        columns
            .iter()
            .map(|c| Cell::from(Span::styled(c.title(), theme.title()))),
    );
    let height = list_area.height.saturating_sub(1) as usize;
    let table_rows = rows
        .iter()
        .enumerate()
        .skip(app.worker_offset)
        .take(height)
        .map(|(i, r)| {
            let mut style = match r.health {
                WorkerHealth::Ok => Style::default(),
                WorkerHealth::Stale => theme.warn().add_modifier(Modifier::BOLD),
                WorkerHealth::Vanished => theme.dim().add_modifier(Modifier::CROSSED_OUT),
            };
            if focused && i == app.worker_selected {
                style = style.patch(theme.selected(true));
            }
            Row::new(columns.iter().map(|c| Cell::from(c.text(r, now)))).style(style)
        });
    let widths = columns.iter().map(|c| match c.width() {
        0 => Constraint::Min(8),
        w => Constraint::Length(w),
    });
    frame.render_widget(
        Table::new(table_rows, widths)
            .header(header)
            .flex(ratatui::layout::Flex::Start),
        list_area,
    );
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WorkerColumn {
    Name,
    State,
    Queue,
    Addr,
    Age,
    Idle,
    Lib,
    Heartbeat,
}

/// Display order; `PRIORITY` says which go first when the pane is narrow.
const ORDER: [WorkerColumn; 8] = [
    WorkerColumn::Name,
    WorkerColumn::State,
    WorkerColumn::Queue,
    WorkerColumn::Addr,
    WorkerColumn::Age,
    WorkerColumn::Idle,
    WorkerColumn::Lib,
    WorkerColumn::Heartbeat,
];
const PRIORITY: [WorkerColumn; 8] = [
    WorkerColumn::Name,
    WorkerColumn::State,
    WorkerColumn::Queue,
    WorkerColumn::Lib,
    WorkerColumn::Heartbeat,
    WorkerColumn::Idle,
    WorkerColumn::Age,
    WorkerColumn::Addr,
];

impl WorkerColumn {
    fn title(self) -> &'static str {
        match self {
            WorkerColumn::Name => "NAME",
            WorkerColumn::State => "STATE",
            WorkerColumn::Queue => "QUEUE",
            WorkerColumn::Addr => "ADDR",
            WorkerColumn::Age => "AGE",
            WorkerColumn::Idle => "IDLE",
            WorkerColumn::Lib => "LIB",
            WorkerColumn::Heartbeat => "HEARTBEAT",
        }
    }

    /// Fixed width, or 0 for the column that takes the rest.
    fn width(self) -> u16 {
        match self {
            WorkerColumn::Name => 12,
            WorkerColumn::State => 5,
            WorkerColumn::Queue => 11,
            WorkerColumn::Addr => 18,
            WorkerColumn::Age | WorkerColumn::Idle => 6,
            WorkerColumn::Lib => 6,
            WorkerColumn::Heartbeat => 0,
        }
    }

    fn text(self, row: &WorkerRow, now_ms: i64) -> String {
        match self {
            WorkerColumn::Name => display_name(row),
            WorkerColumn::State => match row.health {
                WorkerHealth::Ok => "ok".into(),
                WorkerHealth::Stale => "stale".into(),
                WorkerHealth::Vanished => "gone".into(),
            },
            WorkerColumn::Queue => queue_label(&row.key),
            WorkerColumn::Addr => row.addr.clone(),
            WorkerColumn::Age => row.age_s.map_or("-".into(), |s| format::age_s(s as f64)),
            WorkerColumn::Idle => row.idle_s.map_or("-".into(), |s| format::age_s(s as f64)),
            WorkerColumn::Lib => row.library.label().into(),
            WorkerColumn::Heartbeat => heartbeat_text(row, now_ms),
        }
    }
}

/// The columns that fit in `width`, in display order; the heartbeat wants about 24.
fn fitting_columns(width: u16) -> Vec<WorkerColumn> {
    let mut chosen = Vec::new();
    let mut used = 0u16;
    for column in PRIORITY {
        let w = match column.width() {
            0 => 24,
            w => w,
        } + 1;
        if used + w <= width || chosen.is_empty() {
            used += w;
            chosen.push(column);
        }
    }
    ORDER.into_iter().filter(|c| chosen.contains(c)).collect()
}

fn display_name(row: &WorkerRow) -> String {
    if row.name.is_empty() {
        "(unnamed)".to_string()
    } else {
        row.name.clone()
    }
}
