//! One failed job in full: when and how often it ran, the reason, data and opts as pretty
//! JSON (a field too large to load says its size), every stack trace, and the job's logs.
//! The text is built and wrapped in `app::dlq_text` (once per job, again on a resize); this
//! draws the visible lines.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::dlq_text::LineKind;
use crate::app::format;
use crate::app::App;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(view) = app.dead_letters.as_ref().and_then(|d| d.detail.as_ref()) else {
        return;
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true));
    let inner = block.inner(area);
    let total = view.text.len();
    let height = inner.height as usize;
    let max = total.saturating_sub(height);
    let scroll = view.scroll.min(max);
    let mut title = format!(
        " failed job {} · {} ",
        view.id,
        app.dead_letters
            .as_ref()
            .map(|d| d.queue.to_string())
            .unwrap_or_default()
    );
    if max > 0 {
        title.push_str(&format!(
            "· lines {}–{} of {total} ",
            scroll + 1,
            (scroll + height).min(total),
        ));
    }
    let block = block.title(Span::styled(
        format::fit(&title, area.width.saturating_sub(2) as usize),
        theme.title(),
    ));
    let visible: Vec<Line> = view
        .text
        .lines(scroll, height)
        .map(|(kind, text)| {
            let style = match kind {
                LineKind::Text => return Line::from(text.as_str()),
                LineKind::Title => theme.title(),
                LineKind::Note => theme.dim(),
                LineKind::Warn => theme.warn(),
            };
            Line::from(Span::styled(text.as_str(), style))
        })
        .collect();
    frame.render_widget(Paragraph::new(visible).block(block), area);
}
