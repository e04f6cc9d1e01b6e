//! The bottom line: the current mode's keys, straight from the keymap (or, for a few
//! seconds, a worker control's outcome or refusal), and what the view is set to (sort,
//! filter, window).

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use crate::app::format;
use crate::app::{App, Mode};
use crate::text;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut spans: Vec<Span> = Vec::new();
    let dead_letters = app
        .dead_letters
        .as_ref()
        .filter(|_| crate::app::is_dlq_mode(app.screen()));
    if app.mode == Mode::Filter {
        let text = dead_letters.map_or(app.filter.as_str(), |d| d.filter.as_str());
        spans.push(Span::styled("filter: ", theme.title()));
        spans.push(Span::raw(format!("{text}▏")));
        spans.push(Span::raw("  "));
    }
    // Whole key/label pairs only: a pair that does not fit is left out, not cut.
    let width = area.width as usize;
    let mut used: usize = spans.iter().map(|s| text::width(&s.content)).sum();
    // A worker control's outcome or refusal takes the keys' place for a few seconds.
    let note = app
        .status_note()
        .filter(|_| matches!(app.mode, Mode::Dashboard | Mode::Queue));
    if let Some(note) = note {
        let style = if note.error {
            theme.bad()
        } else {
            theme.good()
        };
        let text = text::fit(&format!(" {}", note.text), width);
        used += text::width(&text);
        spans.push(Span::styled(text, style));
    }
    let keys = if note.is_some() {
        Vec::new()
    } else {
        app.status_keys()
    };
    for entry in keys {
        let key = format!(" {} ", entry.keys);
        // Unavailable keys stay visible, dimmed, with the reason.
        let (label, key_style, label_style) = match app.unavailable(entry.command) {
            Some(why) => (
                format!(" {} ({why}) ", entry.text),
                theme.dim(),
                theme.dim(),
            ),
            None => (format!(" {} ", entry.text), theme.key(), Style::default()),
        };
        let needed = text::width(&key) + text::width(&label);
        if used + needed > width {
            break;
        }
        used += needed;
        spans.push(Span::styled(key, key_style));
        spans.push(Span::styled(label, label_style));
    }
    if dead_letters.is_some() || crate::app::is_jobs_mode(app.screen()) {
        let right = if app.read_only { " read-only" } else { "" };
        if !right.is_empty() && used + right.len() < width {
            spans.push(Span::raw(" ".repeat(width - used - right.len())));
            spans.push(Span::styled(right, theme.warn()));
        }
        frame.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    let mut right = format!(
        " sort {}{}  window {}",
        app.sort.column.title(),
        if app.sort.descending { "↓" } else { "↑" },
        format::window(app.window_ms())
    );
    if !app.filter.is_empty() && app.mode != Mode::Filter {
        right = format!(" /{}{right}", app.filter);
    }
    if used + text::width(&right) < width {
        spans.push(Span::raw(" ".repeat(width - used - text::width(&right))));
        spans.push(Span::styled(right, theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
