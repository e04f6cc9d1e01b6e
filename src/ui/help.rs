//! The `?` overlay, built from the same keymap the dispatcher uses; keys that cannot run
//! now (writes in read-only mode) are dimmed and say why. When the keys do not fit the
//! screen's height (the demo's on 24 lines), they go in two columns, cut to fit.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::centered;
use super::theme::Theme;
use crate::app::format;
use crate::app::keymap::Entry;
use crate::app::{App, Mode};
use crate::text;

/// The FLAGS legend is packed into lines this wide.
const LEGEND_WIDTH: usize = 58;

fn screen(app: &App) -> Mode {
    if app.mode == Mode::Help {
        app.back
    } else {
        app.mode
    }
}

/// One line per binding, keys aligned; each line cut to `width` characters.
fn entry_lines(app: &App, entries: &[Entry], width: usize, theme: Theme) -> Vec<Line<'static>> {
    let key_width = entries
        .iter()
        .map(|e| text::width(&e.keys))
        .max()
        .unwrap_or(0);
    entries
        .iter()
        .map(|e| {
            let keys = format!(" {:<key_width$}  ", e.keys);
            let room = width.saturating_sub(text::width(&keys));
            match app.unavailable(e.command) {
                Some(why) => Line::from(vec![
                    Span::styled(keys, theme.dim()),
                    Span::styled(
                        format::fit(&format!("{} ({why})", e.text), room),
                        theme.dim(),
                    ),
                ]),
                None => Line::from(vec![
                    Span::styled(keys, theme.title()),
                    Span::raw(format::fit(e.text, room)),
                ]),
            }
        })
        .collect()
}

/// After the keys: an empty line, the FLAGS legend (dashboard and queue view, when
/// `legend`), the mouse, how to close.
fn footer(app: &App, theme: Theme, legend: bool) -> Vec<Line<'static>> {
    let mouse = if crate::app::is_dlq_mode(screen(app)) {
        " mouse: the wheel moves like the arrow keys"
    } else {
        " mouse: click selects a row, the wheel scrolls the pane under it"
    };
    let mut lines = vec![Line::from("")];
    if legend && matches!(screen(app), Mode::Dashboard | Mode::Queue) {
        lines.extend(legend_lines(theme));
    }
    lines.push(Line::from(Span::styled(mouse, theme.dim())));
    lines.push(Line::from(Span::styled(
        " Esc or ? closes this help",
        theme.dim(),
    )));
    lines
}

/// The queues table's FLAGS letters, from the table `queue_text::flags` follows.
fn legend_lines(theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut line = vec![Span::styled(" FLAGS", theme.title())];
    let mut width = 6;
    for (letter, meaning) in crate::app::queue_text::FLAG_LEGEND {
        let item = text::width(meaning) + 4;
        if width + item > LEGEND_WIDTH {
            lines.push(Line::from(std::mem::take(&mut line)));
            line.push(Span::raw("      "));
            width = 6;
        }
        line.push(Span::styled(format!("  {letter} "), theme.title()));
        line.push(Span::raw(meaning));
        width += item;
    }
    lines.push(Line::from(line));
    lines
}

pub fn lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let entries = app.keymap.help(screen(app));
    let mut lines = entry_lines(app, &entries, usize::MAX, theme);
    lines.extend(footer(app, theme, true));
    lines
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let entries = app.keymap.help(screen(app));
    let one_column = lines(app, theme);
    let two_columns = one_column.len() as u16 + 2 > area.height && area.width >= 60;
    // The legend only where every key still fits beside it.
    let key_rows = entries.len().div_ceil(2);
    let legend =
        !two_columns || key_rows + footer(app, theme, true).len() + 2 <= area.height.into();
    let footer = footer(app, theme, legend);
    let (width, height) = if two_columns {
        (area.width, (key_rows + footer.len()) as u16 + 2)
    } else {
        let width = one_column.iter().map(Line::width).max().unwrap_or(0) as u16 + 3;
        (width, one_column.len() as u16 + 2)
    };
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let title = format!(" keys — {} ", mode_name(app.back));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(format::fit(&title, popup.width.saturating_sub(2) as usize));
    let inner = block.inner(popup);
    frame.render_widget(block, popup);
    if !two_columns {
        frame.render_widget(Paragraph::new(one_column), inner);
        return;
    }
    let [keys, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(footer.len() as u16)])
            .areas(inner);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(keys);
    let (first, second) = entries.split_at(entries.len().div_ceil(2));
    let column = |part: &[Entry], area: Rect| {
        Paragraph::new(entry_lines(
            app,
            part,
            area.width.saturating_sub(1) as usize,
            theme,
        ))
    };
    frame.render_widget(column(first, left), left);
    frame.render_widget(column(second, right), right);
    frame.render_widget(Paragraph::new(footer), bottom);
}

pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Dashboard => "dashboard",
        Mode::Queue => "queue",
        Mode::Filter => "filter",
        Mode::Help => "help",
        Mode::DeadLetters => "dead letters",
        Mode::DeadLetterDetail => "failed job",
        Mode::DeadLetterGroups => "failure groups",
        Mode::Confirm => "confirm",
        Mode::JobPrompt => "job id",
        Mode::Job => "job",
        Mode::Schedulers => "job schedulers",
        Mode::Contexts => "contexts",
    }
}
