//! The yes/no dialog of `Mode::Confirm`.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::centered;
use super::theme::Theme;
use crate::app::{App, Mode};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(confirm) = &app.confirm else {
        return;
    };
    let width = (confirm.question.chars().count() as u16 + 4).clamp(30, 70);
    let popup = centered(area, width, 6);
    let keys: Vec<String> = app
        .keymap
        .status(Mode::Confirm)
        .into_iter()
        .map(|(k, label)| format!("{k} {label}"))
        .collect();
    let lines = vec![
        Line::from(confirm.question.clone()),
        Line::from(""),
        Line::from(Span::styled(keys.join("   "), theme.title())),
    ];
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: true }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.border(true))
                .title(" confirm "),
        ),
        popup,
    );
}
