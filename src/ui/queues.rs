//! The queues table (one row per queue) and, in queue mode, a one-line summary.
//!
//! Columns drop out by priority when the terminal is narrow; trouble is coloured: a
//! growing backlog, old waiting jobs, errors, and work that nobody is consuming.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::columns::{self, Cut, Sizing, GAP};
use crate::app::rows::{Column, QueueRow};
use crate::app::{format, queue_text};
use crate::app::{App, Pane};
use crate::model::State;
use crate::text;

/// How each column is sized and which go first when the terminal is narrow (the highest
/// priority numbers): names from their content, cut in the middle; numbers at a width that
/// holds every value `format` gives (`12.3k`, `11m59s`), one more for a sort arrow.
fn sizing(column: Column) -> Sizing {
    let number = |width: u16, priority: u8| Sizing::new(width, width + 1, priority, Cut::End);
    match column {
        Column::Name => Sizing::new(NAME_MIN, 32, 0, Cut::Middle),
        Column::System => Sizing::new(6, 7, 2, Cut::End),
        Column::Waiting => number(6, 1),
        Column::Active => number(5, 2),
        Column::AddedPerS => number(6, 3),
        Column::CompletedPerS => number(6, 4),
        Column::Workers => number(4, 5),
        Column::Node => Sizing::new(9, 21, 6, Cut::Middle),
        Column::ErrorRate => number(5, 7),
        Column::OldestWait => number(6, 8),
        Column::Failed => number(6, 9),
        Column::Retry => number(6, 9),
        Column::Reserved => number(5, 9),
        Column::P99 => number(6, 10),
        Column::Delayed => number(6, 11),
        Column::Prioritized => number(6, 12),
        Column::Flags => Sizing::new(5, 7, 6, Cut::End),
        Column::Completed => number(6, 14),
    }
}

const NAME_MIN: u16 = 10;
/// After a name whose keys could not all be read.
const PROBLEMS: &str = " !";

/// The columns shown in `inner_width` with their widths, in display order.
pub fn fitting_columns(app: &App, inner_width: u16) -> Vec<(Column, u16)> {
    let columns: Vec<Column> = Column::ALL
        .into_iter()
        .filter(|&c| app.column_applies(c))
        .collect();
    let rows: Vec<&QueueRow> = app
        .visible
        .iter()
        .filter_map(|&i| app.view.rows.get(i))
        .collect();
    let wanted: Vec<u16> = columns
        .iter()
        .map(|&c| {
            let content = rows.iter().map(|r| match c {
                Column::Name => {
                    text::width(&r.label()) + if r.problems > 0 { PROBLEMS.len() } else { 0 }
                }
                Column::Node => text::width(r.reading.node.as_deref().unwrap_or("?")),
                Column::System => text::width(r.key().system.name()),
                Column::Flags => queue_text::flag_count(r),
                _ => 0,
            });
            let content = content.max().unwrap_or(0) as u16;
            content.max(text::width(&column_title(app, c)) as u16)
        })
        .collect();
    let sizings: Vec<Sizing> = columns.iter().map(|&c| sizing(c)).collect();
    columns::widths(&sizings, &wanted, inner_width)
        .into_iter()
        .zip(columns)
        .filter_map(|(w, c)| w.map(|w| (c, w)))
        .collect()
}

/// A column's title, with the sort arrow on the sorted one.
fn column_title(app: &App, column: Column) -> String {
    let mut title = column.title().to_string();
    if column == app.sort.column {
        title.push(if app.sort.descending { '↓' } else { '↑' });
    }
    title
}

fn cell(row: &QueueRow, column: Column, width: u16, theme: Theme) -> Cell<'static> {
    let counts = row.counts();
    let fit = |text: String| sizing(column).cell(&text, width);
    let styled = |text: String, style: Style| Cell::from(Span::styled(fit(text), style));
    let plain = |text: String| Cell::from(fit(text));
    match column {
        Column::Name => {
            if row.problems > 0 {
                let room = width.saturating_sub(PROBLEMS.len() as u16);
                let name = sizing(column).cell(&row.label(), room);
                Cell::from(Line::from(vec![
                    Span::raw(name),
                    Span::styled(PROBLEMS, theme.bad()),
                ]))
            } else {
                plain(row.label())
            }
        }
        Column::Waiting => {
            let text = queue_text::count(row, State::Waiting);
            if row.growing {
                styled(
                    format!("{text}↑"),
                    theme.warn().add_modifier(Modifier::BOLD),
                )
            } else {
                plain(text)
            }
        }
        Column::System => styled(row.key().system.name().into(), theme.dim()),
        Column::Active => plain(queue_text::count(row, State::Active)),
        Column::Delayed => plain(queue_text::count(row, State::Delayed)),
        Column::Prioritized => plain(queue_text::count(row, State::Prioritized)),
        Column::Reserved => plain(queue_text::count(row, State::Reserved)),
        Column::Retry => {
            let retry = counts.and_then(|c| c.retry);
            let style = if retry.unwrap_or(0) > 0 {
                theme.warn()
            } else {
                Style::default()
            };
            styled(queue_text::count(row, State::Retry), style)
        }
        Column::Failed => {
            let failed = counts.and_then(|c| c.failed);
            let style = if failed.unwrap_or(0) > 0 {
                theme.fg(ratatui::style::Color::Red)
            } else {
                Style::default()
            };
            styled(queue_text::count(row, State::Failed), style)
        }
        Column::Completed => styled(queue_text::count(row, State::Completed), theme.dim()),
        Column::Flags => {
            let flags = queue_text::flags(row);
            let style = if flags.iter().any(|f| f.bad) {
                theme.bad()
            } else if flags.is_empty() {
                Style::default()
            } else {
                theme.warn()
            };
            styled(queue_text::flag_letters(row), style)
        }
        Column::OldestWait => {
            let style = match row.oldest_wait_s {
                Some(s) if s >= 300.0 => theme.bad(),
                Some(s) if s >= 60.0 => theme.warn(),
                _ => Style::default(),
            };
            styled(queue_text::oldest(row), style)
        }
        Column::AddedPerS => plain(queue_text::rate(row, row.rates.added_per_s)),
        Column::CompletedPerS => plain(queue_text::rate(row, row.rates.completed_per_s)),
        Column::ErrorRate => {
            let style = match row.rates.error_rate {
                Some(e) if e >= 0.05 => theme.bad(),
                Some(e) if e > 0.0 => theme.warn(),
                _ => Style::default(),
            };
            styled(queue_text::error_percent(row), style)
        }
        Column::P99 => plain(queue_text::p99(row)),
        Column::Node => styled(
            row.reading.node.as_deref().unwrap_or("?").into(),
            theme.dim(),
        ),
        Column::Workers => {
            if row.unconsumed() {
                // `0 !`; `1 !` when its one worker is quiet; `? !` when unknown and stuck.
                styled(format!("{} !", queue_text::workers(row)), theme.bad())
            } else {
                // Unknown: an ACL forbids CLIENT LIST (BullMQ's workers are its connections).
                plain(queue_text::workers(row))
            }
        }
    }
}

/// `: 6 bullmq, 3 sidekiq, 2 rq` with more than one system; empty with one.
fn per_system(app: &App) -> String {
    let mut counts: Vec<(crate::model::System, usize)> = Vec::new();
    for row in &app.view.rows {
        match counts.iter_mut().find(|(s, _)| *s == row.key().system) {
            Some((_, n)) => *n += 1,
            None => counts.push((row.key().system, 1)),
        }
    }
    if counts.len() < 2 {
        return String::new();
    }
    counts.sort();
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    format!(": {}", parts.join(", "))
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let focused = app.focus == Pane::Queues;
    let title = if app.filter.is_empty() {
        format!(" queues ({}{}) ", app.visible.len(), per_system(app))
    } else {
        format!(
            " queues ({} of {}, filter “{}”) ",
            app.visible.len(),
            app.view.rows.len(),
            app.filter
        )
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(focused))
        .title(Span::styled(
            format::fit(&title, area.width.saturating_sub(2) as usize),
            theme.title(),
        ));
    let columns = fitting_columns(app, area.width.saturating_sub(2));
    if app.visible.is_empty() {
        let text = if app.view.rows.is_empty() && app.cluster.is_some() {
            "no queues found on this Redis Cluster (every master is scanned; BullMQ on a \
             cluster uses a hash-tagged prefix: try --prefix '{bull}')"
        } else if app.view.rows.is_empty() {
            "no queues found (BullMQ queues are discovered with SCAN: try --prefix or --queue; \
             Sidekiq, RQ and Celery from their own registries)"
        } else {
            "no queue matches the filter (Esc clears it)"
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.dim()))
                .block(block)
                .wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    let header = Row::new(columns.iter().map(|&(c, w)| {
        Cell::from(Span::styled(
            text::fit(&column_title(app, c), w as usize),
            theme.title(),
        ))
    }));
    let height = area.height.saturating_sub(3) as usize;
    let selected = app.selected_index();
    let rows = app
        .visible
        .iter()
        .enumerate()
        .skip(app.table_offset)
        .take(height)
        .filter_map(|(position, &i)| {
            let row = app.view.rows.get(i)?;
            let mut style = Style::default();
            if row.unconsumed() && theme.color {
                style = theme.fg(ratatui::style::Color::Red);
            }
            if Some(position) == selected {
                style = style.patch(theme.selected(focused));
            }
            Some(Row::new(columns.iter().map(|&(c, w)| cell(row, c, w, theme))).style(style))
        });
    // Spare width is left on the right rather than stretching the numbers apart.
    let widths = columns.iter().map(|&(_, w)| Constraint::Length(w));
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(GAP)
        .block(block)
        .flex(ratatui::layout::Flex::Start);
    frame.render_widget(table, area);
}
