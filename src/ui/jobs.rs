//! The job views: one job (`o`, and the id prompt over it) and the queue's job schedulers
//! (`c`), in the dead-letter screens' box, with the notice line under it.
//!
//! ```text
//! ┌ header ────────────────────────────────────────────────────────────────────┐
//! │ ┌ job 42 · bull:emails · lines 1–20 of 64 ────────────────────────────────┐ │
//! │ │ job         42 (welcome) in bull:emails                                 │ │
//! │ │ state       waiting · 3 jobs ahead                                      │ │
//! │ │ ── data                                                                 │ │
//! │ └─────────────────────────────────────────────────────────────────────────┘ │
//! │ notice: the prompt (`job id: 42▏`), or why the last read failed            │
//! └ status bar: this screen's keys (from the keymap) ──────────────────────────┘
//! ```

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::schedulers;
use super::theme::Theme;
use crate::app::dlq_text::LineKind;
use crate::app::format;
use crate::app::{App, Mode};

pub fn render(frame: &mut Frame, body: Rect, app: &App, theme: Theme) {
    let Some(view) = &app.jobs else {
        return;
    };
    let (pane, notice) = crate::app::layout::dlq_areas(body);
    let shows_schedulers = match app.screen() {
        Mode::Schedulers => true,
        Mode::JobPrompt => view.job.is_none() && view.schedulers.is_some(),
        _ => false,
    };
    if shows_schedulers {
        schedulers::render(frame, pane, app, theme);
    } else {
        render_job(frame, pane, app, theme);
    }
    let line = if app.mode == Mode::JobPrompt {
        Line::from(vec![
            Span::styled(format!(" job id in {}: ", view.queue), theme.title()),
            Span::raw(format!("{}▏", view.input)),
        ])
    } else if let Some(error) = &view.error {
        Line::from(Span::styled(
            format::fit(&format!(" {error}"), notice.width as usize),
            theme.bad(),
        ))
    } else {
        Line::default()
    };
    frame.render_widget(Paragraph::new(line), notice);
}

fn render_job(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(view) = &app.jobs else {
        return;
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true));
    let inner = block.inner(area);
    let Some(pane) = &view.job else {
        let title = format!(" job · {} ", view.queue);
        let hint = "type a job id below and press Enter";
        let block = block.title(Span::styled(
            format::fit(&title, area.width.saturating_sub(2) as usize),
            theme.title(),
        ));
        frame.render_widget(
            Paragraph::new(Span::styled(hint, theme.dim())).block(block),
            area,
        );
        return;
    };
    let total = pane.text.len();
    let height = inner.height as usize;
    let max = total.saturating_sub(height);
    let scroll = pane.scroll.min(max);
    let mut title = format!(" job {} · {} ", pane.id, view.queue);
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
    let lines: Vec<Line> = pane
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
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
