//! The `?` overlay, built from the same keymap the dispatcher uses. When the keys do not fit
//! the screen's height (the demo's on 24 lines), they go in two columns, cut to fit.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::theme::Theme;
use super::{centered, format};
use crate::app::{App, Mode};

/// Lines after the keys: an empty one, the mouse, how to close.
const FOOTER: usize = 3;

fn entries(app: &App) -> Vec<(String, &'static str)> {
    let screen = if app.mode == Mode::Help {
        app.back
    } else {
        app.mode
    };
    app.keymap.help(screen)
}

/// One line per binding, keys aligned; each line cut to `width` characters.
fn entry_lines(
    entries: &[(String, &'static str)],
    width: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let key_width = entries
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    entries
        .iter()
        .map(|(keys, help)| {
            let keys = format!(" {keys:<key_width$}  ");
            let room = width.saturating_sub(keys.chars().count());
            Line::from(vec![
                Span::styled(keys, theme.title()),
                Span::raw(format::fit(help, room)),
            ])
        })
        .collect()
}

fn footer(theme: Theme) -> Vec<Line<'static>> {
    vec![
        Line::from(""),
        Line::from(Span::styled(
            " mouse: click selects a row, the wheel scrolls the pane under it",
            theme.dim(),
        )),
        Line::from(Span::styled(" Esc or ? closes this help", theme.dim())),
    ]
}

pub fn lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = entry_lines(&entries(app), usize::MAX, theme);
    lines.extend(footer(theme));
    lines
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let entries = entries(app);
    let one_column = lines(app, theme);
    let two_columns = one_column.len() as u16 + 2 > area.height && area.width >= 60;
    let (width, height) = if two_columns {
        (area.width, (entries.len().div_ceil(2) + FOOTER) as u16 + 2)
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
        Layout::vertical([Constraint::Min(0), Constraint::Length(FOOTER as u16)]).areas(inner);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(keys);
    let (first, second) = entries.split_at(entries.len().div_ceil(2));
    let column = |part: &[(String, &'static str)], area: Rect| {
        Paragraph::new(entry_lines(
            part,
            area.width.saturating_sub(1) as usize,
            theme,
        ))
    };
    frame.render_widget(column(first, left), left);
    frame.render_widget(column(second, right), right);
    frame.render_widget(Paragraph::new(footer(theme)), bottom);
}

pub fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Dashboard => "dashboard",
        Mode::Queue => "queue",
        Mode::Filter => "filter",
        Mode::Help => "help",
        Mode::Confirm => "confirm",
    }
}
