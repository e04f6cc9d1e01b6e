//! The `?` overlay, built from the same keymap the dispatcher uses.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::theme::Theme;
use super::{centered, format};
use crate::app::{App, Mode};

pub fn lines(app: &App, theme: Theme) -> Vec<Line<'static>> {
    let screen = if app.mode == Mode::Help {
        app.back
    } else {
        app.mode
    };
    let entries = app.keymap.help(screen);
    let key_width = entries
        .iter()
        .map(|e| e.keys.chars().count())
        .max()
        .unwrap_or(0);
    let mut lines: Vec<Line> = entries
        .into_iter()
        .map(|e| {
            let keys = format!(" {:<key_width$}  ", e.keys);
            match app.unavailable(e.command) {
                Some(why) => Line::from(vec![
                    Span::styled(keys, theme.dim()),
                    Span::styled(format!("{} ({why})", e.text), theme.dim()),
                ]),
                None => Line::from(vec![Span::styled(keys, theme.title()), Span::raw(e.text)]),
            }
        })
        .collect();
    lines.push(Line::from(""));
    let mouse = if crate::app::is_dlq_mode(screen) {
        " mouse: the wheel moves like the arrow keys"
    } else {
        " mouse: click selects a row, the wheel scrolls the pane under it"
    };
    lines.push(Line::from(Span::styled(mouse, theme.dim())));
    lines.push(Line::from(Span::styled(
        " Esc or ? closes this help",
        theme.dim(),
    )));
    lines
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let lines = lines(app, theme);
    let width = lines.iter().map(Line::width).max().unwrap_or(0) as u16 + 3;
    let height = lines.len() as u16 + 2;
    let popup = centered(area, width, height);
    frame.render_widget(Clear, popup);
    let title = format!(" keys — {} ", mode_name(app.back));
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border(true))
                .title(format::fit(&title, popup.width.saturating_sub(2) as usize)),
        ),
        popup,
    );
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
    }
}
