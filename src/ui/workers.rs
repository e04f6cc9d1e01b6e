//! The workers pane: who consumes what, from where, since when, how idle; qtop workers'
//! heartbeats; and, first of all, queues with work waiting and nobody consuming them.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::columns::GAP;
use crate::app::format;
use crate::app::workers::{WorkerHealth, WorkersStatus};
use crate::app::workers_pane::{self, Severity};
use crate::app::{App, Pane};

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
    let warnings = workers_pane::warnings(app);
    let (warn_area, list_area) = workers_pane::split(inner, warnings.len());
    let lines: Vec<Line> = warnings
        .into_iter()
        .map(|w| {
            let style = match w.severity {
                Severity::Bad => theme.bad(),
                Severity::Warn => theme.warn(),
            };
            Line::from(Span::styled(
                format::fit(&w.text, warn_area.width as usize),
                style,
            ))
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), warn_area);
    if rows.is_empty() {
        if app.view.workers.status == WorkersStatus::Listed {
            frame.render_widget(
                Paragraph::new(Span::styled("no worker connections", theme.dim())),
                list_area,
            );
        }
        return;
    }
    let fitted = workers_pane::fit(&rows, app.view_now_ms(), list_area.width);
    let header = Row::new(
        fitted
            .titles
            .iter()
            .map(|t| Cell::from(Span::styled(t.clone(), theme.title()))),
    );
    let height = list_area.height.saturating_sub(1) as usize;
    let table_rows = fitted
        .rows
        .into_iter()
        .zip(&rows)
        .enumerate()
        .skip(app.worker_offset)
        .take(height)
        .map(|(i, (cells, r))| {
            let mut style = match r.health {
                WorkerHealth::Ok => Style::default(),
                WorkerHealth::Stale => theme.warn().add_modifier(Modifier::BOLD),
                WorkerHealth::Vanished => theme.dim().add_modifier(Modifier::CROSSED_OUT),
            };
            if focused && i == app.worker_selected {
                style = style.patch(theme.selected(true));
            }
            Row::new(cells.into_iter().map(Cell::from)).style(style)
        });
    let widths = fitted.columns.iter().map(|&(_, w)| Constraint::Length(w));
    frame.render_widget(
        Table::new(table_rows, widths)
            .header(header)
            .column_spacing(GAP)
            .flex(ratatui::layout::Flex::Start),
        list_area,
    );
}
