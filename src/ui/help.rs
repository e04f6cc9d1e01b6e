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

/// Lines after the keys: an empty one, the mouse, how to close.
const FOOTER: usize = 3;

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

fn footer(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let mouse = if crate::app::is_dlq_mode(screen(app)) {
        " mouse: the wheel moves like the arrow keys"
    } else {
        " mouse: click selects a row, the wheel scrolls the pane under it"
    };
    vec![
        Line::from(""),
        Line::from(Span::styled(mouse, theme.dim())),
        Line::from(Span::styled(" Esc or ? closes this help", theme.dim())),
    ]
}

pub fn lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let entries = app.keymap.help(screen(app));
    let mut lines = entry_lines(app, &entries, usize::MAX, theme);
    lines.extend(footer(app, theme));
    lines
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let entries = app.keymap.help(screen(app));
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
    frame.render_widget(Paragraph::new(footer(app, theme)), bottom);
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
