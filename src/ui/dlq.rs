//! The dead-letter screens: the layout they share and which pane draws.
//!
//! ```text
//! ┌ header ────────────────────────────────────────────────────────────────────┐
//! │ ┌ dead letters · billing · 1–20 of 4,312 · 2 marked ──────────────────────┐ │
//! │ │   ID     NAME      FAILED AT            AGE   ATT  REASON               │ │
//! │ │ ✓ 4312   charge    2026-11-28 09:00:00  3m12s   3  card declined for …  │ │
//! │ └─────────────────────────────────────────────────────────────────────────┘ │
//! │ notice: the last outcome ("retried 4 of 4"), a refusal, an error            │
//! └ status bar: this screen's keys (from the keymap) ──────────────────────────┘
//! ```
//! The detail (Enter) and the groups (`g`) take the same box; the confirm dialog is
//! drawn over it.

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use super::{confirm, dlq_detail, dlq_groups, dlq_list};
use crate::app::format;
use crate::app::{App, Mode};

pub fn render(frame: &mut Frame, body: Rect, app: &App, theme: Theme) {
    let Some(dl) = &app.dead_letters else {
        return;
    };
    let (pane, notice) = crate::app::layout::dlq_areas(body);
    match app.screen() {
        Mode::DeadLetterDetail => dlq_detail::render(frame, pane, app, theme),
        Mode::DeadLetterGroups => dlq_groups::render(frame, pane, app, theme),
        _ => dlq_list::render(frame, pane, app, theme),
    }
    if let Some(n) = &dl.notice {
        let style = if n.error { theme.bad() } else { theme.good() };
        let text = format::fit(&format!(" {}", n.text), notice.width as usize);
        frame.render_widget(Paragraph::new(Span::styled(text, style)), notice);
    }
    if app.mode == Mode::Confirm {
        confirm::render(frame, body, app, theme);
    }
}
