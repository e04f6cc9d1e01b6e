//! The bottom line: the current mode's keys, straight from the keymap, and what the view
//! is set to (sort, filter, window).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format;
use super::theme::Theme;
use crate::app::{App, Mode};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut spans: Vec<Span> = Vec::new();
    if app.mode == Mode::Filter {
        spans.push(Span::styled("filter: ", theme.title()));
        spans.push(Span::raw(format!("{}▏", app.filter)));
        spans.push(Span::raw("  "));
    }
    // Whole key/label pairs only: a pair that does not fit is left out, not cut.
    let width = area.width as usize;
    let mut used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    for (key, label) in app.keymap.status(app.mode) {
        let key = format!(" {key} ");
        let label = format!(" {label} ");
        let needed = key.chars().count() + label.chars().count();
        if used + needed > width {
            break;
        }
        used += needed;
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(label));
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
    if used + right.chars().count() < width {
        spans.push(Span::raw(" ".repeat(width - used - right.chars().count())));
        spans.push(Span::styled(right, theme.dim()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
