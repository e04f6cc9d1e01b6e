//! The context list (`C`): the config file's contexts, the one in force marked, read-only
//! ones said so, those that cannot be used now dimmed with why. Enter switches.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::theme::Theme;
use super::{centered, format};
use crate::app::App;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(list) = &app.context_list else {
        return;
    };
    let name_width = app
        .contexts
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    let width = area.width.min(96);
    let room = width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = app
        .contexts
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let current = app.context.as_deref() == Some(entry.name.as_str());
            let mark = if current { "*" } else { " " };
            let (about, style) = match &entry.unavailable {
                Some(why) => (format!("cannot be used: {why}"), theme.dim()),
                None if entry.read_only => (format!("{}  read-only", entry.target), theme.warn()),
                None => (entry.target.clone(), ratatui::style::Style::default()),
            };
            let text = format!(" {mark} {:<name_width$}  {about}", entry.name);
            let style = if i == list.row {
                theme.selected(true)
            } else {
                style
            };
            Line::from(Span::styled(format::fit(&text, room), style))
        })
        .collect();
    lines.push(Line::from(""));
    let hint = match &list.notice {
        Some(notice) => Span::styled(format::fit(notice, room), theme.bad()),
        None => Span::styled(
            format::fit(
                " Enter switches (the history starts afresh) · Esc closes · * in use",
                room,
            ),
            theme.dim(),
        ),
    };
    lines.push(Line::from(hint));
    let popup = centered(area, width, lines.len() as u16 + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border(true))
                .title(" contexts "),
        ),
        popup,
    );
}
