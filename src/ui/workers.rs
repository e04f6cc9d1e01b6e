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
    let last = format::millis((now_ms - beat.last_beat_ms).max(0) as f64);
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
            let backlog = r.counts.map_or(0, |c| c.backlog());
            Line::from(Span::styled(
                format!(
                    "⚠ {}: {} jobs waiting, nobody is consuming this queue",
                    r.label(),
                    backlog
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
    let warn_height = (warnings.len() as u16).min(inner.height.saturating_sub(2));
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
    let header = Row::new(
        ["NAME", "QUEUE", "ADDR", "AGE", "IDLE", "LIB", "HEARTBEAT"]
            .map(|t| Cell::from(Span::styled(t, theme.title()))),
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
                WorkerHealth::Stale => theme.warn(),
                WorkerHealth::Vanished => theme.dim().add_modifier(Modifier::CROSSED_OUT),
            };
            if focused && i == app.worker_selected {
                style = style.patch(theme.selected(true));
            }
            let name = match (r.name.is_empty(), r.health) {
                (_, WorkerHealth::Vanished) => format!("{} (gone)", display_name(r)),
                (_, WorkerHealth::Stale) => format!("{} (stale)", display_name(r)),
                _ => display_name(r),
            };
            Row::new(vec![
                Cell::from(name),
                Cell::from(queue_label(&r.key)),
                Cell::from(r.addr.clone()),
                Cell::from(r.age_s.map_or("-".into(), |s| format::age_s(s as f64))),
                Cell::from(r.idle_s.map_or("-".into(), |s| format::age_s(s as f64))),
                Cell::from(r.library.label()),
                Cell::from(heartbeat_text(r, now)),
            ])
            .style(style)
        });
    let widths = [
        Constraint::Min(10),
        Constraint::Min(8),
        Constraint::Length(21),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Min(0),
    ];
    frame.render_widget(Table::new(table_rows, widths).header(header), list_area);
}

fn display_name(row: &WorkerRow) -> String {
    if row.name.is_empty() {
        "(unnamed)".to_string()
    } else {
        row.name.clone()
    }
}
