//! The yes/no dialog before a bulk or destructive action: the question states exactly what
//! will happen to how many jobs; only `y` goes ahead.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::centered;
use super::theme::Theme;
use crate::app::App;
use crate::text;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(confirm) = &app.confirm else {
        return;
    };
    let question = format!("{}? y/N", confirm.question);
    let width = (text::width(&question) as u16 + 4).max(20).min(area.width);
    let inner = width.saturating_sub(2).max(1);
    let lines = (text::width(&question) as u16).div_ceil(inner).max(1);
    let popup = centered(area, width, lines + 4);
    frame.render_widget(Clear, popup);
    let text = vec![
        Line::from(Span::styled(question, theme.warn())),
        Line::from(""),
        Line::from(vec![
            Span::styled(" y ", theme.key()),
            Span::raw(" yes   "),
            Span::styled(" n ", theme.key()),
            Span::raw(" no (Esc)"),
        ]),
    ];
    frame.render_widget(
        Paragraph::new(text).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.bad())
                .title(" confirm "),
        ),
        popup,
    );
}
