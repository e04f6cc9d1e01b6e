//! The queues table (one row per queue) and, in queue mode, a one-line summary.
//!
//! Columns drop out by priority when the terminal is narrow; trouble is coloured: a
//! growing backlog, old waiting jobs, errors, and work that nobody is consuming.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::format;
use super::theme::Theme;
use crate::app::rows::{Column, QueueRow};
use crate::app::{App, Pane};
use crate::model::State;

/// Columns in the order they are given up when space runs out (last goes first).
const PRIORITY: [Column; 15] = [
    Column::Name,
    Column::Waiting,
    Column::Active,
    Column::AddedPerS,
    Column::CompletedPerS,
    Column::Workers,
    Column::Node,
    Column::ErrorRate,
    Column::OldestWait,
    Column::Failed,
    Column::P99,
    Column::Delayed,
    Column::Prioritized,
    Column::Paused,
    Column::Completed,
];

const NAME_MIN: u16 = 10;

fn width(column: Column, name_width: u16) -> u16 {
    match column {
        Column::Name => name_width,
        Column::Paused => 5,
        Column::Workers => 4,
        Column::ErrorRate | Column::Active => 5,
        Column::OldestWait => 6,
        Column::Node => 15,
        _ => 6,
    }
}

/// The columns that fit in `inner_width`, in display order, with names `name_width` wide
/// (a readable name beats the least important numbers). `Node` only on a cluster.
pub fn fitting_columns(inner_width: u16, name_width: u16, cluster: bool) -> Vec<Column> {
    let mut chosen: Vec<Column> = Vec::new();
    let mut used: u16 = 0;
    for column in PRIORITY {
        if column == Column::Node && !cluster {
            continue;
        }
        let w = width(column, name_width) + u16::from(!chosen.is_empty());
        if used + w > inner_width && !chosen.is_empty() {
            continue;
        }
        used += w;
        chosen.push(column);
    }
    Column::ALL
        .iter()
        .copied()
        .filter(|c| chosen.contains(c))
        .collect()
}

fn cell(row: &QueueRow, column: Column, theme: Theme) -> Cell<'static> {
    let counts = row.counts;
    let styled = |text: String, style: Style| Cell::from(Span::styled(text, style));
    let plain = |text: String| Cell::from(text);
    match column {
        Column::Name => {
            let mut spans = vec![Span::raw(row.label())];
            if row.problems > 0 {
                spans.push(Span::styled(" !", theme.bad()));
            }
            Cell::from(Line::from(spans))
        }
        Column::Waiting => {
            let text = format::opt_count(counts.and_then(|c| c.waiting));
            if row.growing {
                styled(
                    format!("{text}↑"),
                    theme.warn().add_modifier(Modifier::BOLD),
                )
            } else {
                plain(text)
            }
        }
        Column::Active => plain(format::opt_count(counts.and_then(|c| c.active))),
        Column::Delayed => plain(format::opt_count(counts.and_then(|c| c.delayed))),
        Column::Prioritized => plain(format::opt_count(counts.and_then(|c| c.prioritized))),
        Column::Failed => {
            let failed = counts.and_then(|c| c.failed);
            let style = if failed.unwrap_or(0) > 0 {
                theme.fg(ratatui::style::Color::Red)
            } else {
                Style::default()
            };
            styled(format::opt_count(failed), style)
        }
        Column::Completed => styled(
            format::opt_count(counts.and_then(|c| c.completed)),
            theme.dim(),
        ),
        Column::Paused => {
            if row.paused {
                styled("yes".into(), theme.warn())
            } else {
                styled("-".into(), theme.dim())
            }
        }
        Column::OldestWait => {
            let style = match row.oldest_wait_s {
                Some(s) if s >= 300.0 => theme.bad(),
                Some(s) if s >= 60.0 => theme.warn(),
                _ => Style::default(),
            };
            styled(row.oldest_wait_s.map_or("-".into(), format::age_s), style)
        }
        Column::AddedPerS => plain(format::rate(row.added_per_s)),
        Column::CompletedPerS => plain(format::rate(row.completed_per_s)),
        Column::ErrorRate => {
            let style = match row.error_rate {
                Some(e) if e >= 0.05 => theme.bad(),
                Some(e) if e > 0.0 => theme.warn(),
                _ => Style::default(),
            };
            styled(format::percent(row.error_rate), style)
        }
        Column::P99 => plain(
            row.p99_processing_ms
                .map_or("-".into(), |ms| format::millis(ms as f64)),
        ),
        Column::Node => styled(
            format::fit(row.node.as_deref().unwrap_or("?"), 15),
            theme.dim(),
        ),
        Column::Workers => {
            if row.unconsumed() {
                styled("0 !".into(), theme.bad())
            } else {
                // Unknown: an ACL forbids CLIENT LIST (BullMQ's workers are its connections).
                plain(row.workers.map_or("?".to_string(), |n| n.to_string()))
            }
        }
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let focused = app.focus == Pane::Queues;
    let title = if app.filter.is_empty() {
        format!(" queues ({}) ", app.visible.len())
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
    let inner_width = area.width.saturating_sub(2);
    // Names as wide as the longest (within reason), never narrower than NAME_MIN.
    let longest = app
        .visible
        .iter()
        .filter_map(|&i| app.view.rows.get(i))
        .map(|r| r.label().chars().count() as u16 + 2)
        .max()
        .unwrap_or(NAME_MIN);
    let wanted_name = longest.clamp(NAME_MIN, 32);
    let columns = fitting_columns(inner_width, wanted_name, app.cluster.is_some());
    if app.visible.is_empty() {
        let text = if app.view.rows.is_empty() && app.cluster.is_some() {
            "no BullMQ queues found on this Redis Cluster (every master is scanned; BullMQ on a \
             cluster uses a hash-tagged prefix: try --prefix '{bull}')"
        } else if app.view.rows.is_empty() {
            "no BullMQ queues found (queues are discovered with SCAN; try --prefix or --queue)"
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
    let header = Row::new(columns.iter().map(|&c| {
        let mut title = c.title().to_string();
        if c == app.sort.column {
            title.push(if app.sort.descending { '↓' } else { '↑' });
        }
        Cell::from(Span::styled(title, theme.title()))
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
            Some(Row::new(columns.iter().map(|&c| cell(row, c, theme))).style(style))
        });
    // Spare width is left on the right rather than stretching the numbers apart.
    let others: u16 = columns
        .iter()
        .filter(|&&c| c != Column::Name)
        .map(|&c| width(c, 0) + 1)
        .sum();
    let name_width = wanted_name.min(inner_width.saturating_sub(others).max(NAME_MIN));
    let widths = columns
        .iter()
        .map(|&c| Constraint::Length(width(c, name_width)));
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .flex(ratatui::layout::Flex::Start);
    frame.render_widget(table, area);
}

/// Queue mode's summary line of the focused queue.
pub fn summary(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(row) = app.selected_row() else {
        frame.render_widget(Paragraph::new("no queue selected (Esc)"), area);
        return;
    };
    let c = row.counts.unwrap_or_default();
    // The states the queue's system keeps, in its order.
    let states: Vec<String> = row
        .key
        .system
        .states()
        .iter()
        // Flow parents only when there are some.
        .filter(|s| **s != State::WaitingChildren || c.get(**s).unwrap_or(0) > 0)
        .map(|s| format!("{} {}", state_word(*s), format::opt_count(c.get(*s))))
        .collect();
    let mut spans = vec![
        Span::styled(row.label(), theme.title()),
        Span::raw(format!("  {}", states.join("  "))),
    ];
    if row.paused {
        spans.push(Span::styled("  PAUSED", theme.warn()));
    }
    let second = vec![
        Span::raw(format!(
            "oldest {}  in {}/s  out {}/s  err {}%  p99 {}  workers {}",
            row.oldest_wait_s.map_or("-".into(), format::age_s),
            format::rate(row.added_per_s),
            format::rate(row.completed_per_s),
            format::percent(row.error_rate),
            row.p99_processing_ms
                .map_or("-".into(), |ms| format::millis(ms as f64)),
            row.workers.map_or("?".to_string(), |n| n.to_string())
        )),
        if row.unconsumed() {
            Span::styled("  nobody is consuming this queue", theme.bad())
        } else if row.unlocked_active > 0 {
            Span::styled(
                format!(
                    "  {} active job{} without a lock",
                    row.unlocked_active,
                    if row.unlocked_active == 1 { "" } else { "s" }
                ),
                theme.bad(),
            )
        } else {
            Span::raw("")
        },
    ];
    frame.render_widget(
        Paragraph::new(vec![Line::from(spans), Line::from(second)]),
        area,
    );
}

/// A state as the focus line names it.
fn state_word(state: State) -> &'static str {
    match state {
        State::Waiting => "waiting",
        State::Active => "active",
        State::Prioritized => "prio",
        State::Delayed => "delayed",
        State::Retry => "retry",
        State::Reserved => "reserved",
        State::Failed => "failed",
        State::Completed => "done",
        State::WaitingChildren => "children",
    }
}
