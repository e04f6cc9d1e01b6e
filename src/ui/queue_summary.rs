//! Queue mode's summary of the focused queue, above its charts: the counts of the states
//! its system keeps, its golden signals, and the FLAGS column spelled out.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use crate::app::{queue_text, App};
use crate::model::{RateSource, State};

/// Queue mode's summary of the focused queue: its states, its signals, and its flags
/// spelled out (a third line, when it has any).
pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(row) = app.selected_row() else {
        frame.render_widget(Paragraph::new("no queue selected (Esc)"), area);
        return;
    };
    let c = row.counts().unwrap_or_default();
    // The states the queue's system keeps, in its order.
    let states: Vec<String> = row
        .key()
        .system
        .states()
        .iter()
        // Flow parents only when there are some.
        .filter(|s| **s != State::WaitingChildren || c.get(**s).unwrap_or(0) > 0)
        .map(|s| format!("{} {}", state_word(*s), queue_text::count(row, *s)))
        .collect();
    let spans = vec![
        Span::styled(row.label(), theme.title()),
        Span::styled(format!(" ({})", row.key().system), theme.dim()),
        Span::raw(format!("  {}", states.join("  "))),
    ];
    let rates = if row.rate_source() == RateSource::Unavailable {
        "rates not kept by this system".to_string()
    } else {
        format!(
            "in {}/s  out {}/s  err {}%{}",
            queue_text::rate(row, row.rates.added_per_s),
            queue_text::rate(row, row.rates.completed_per_s),
            queue_text::error_percent(row),
            if row.rate_source().is_estimate() {
                " (estimated)"
            } else {
                ""
            }
        )
    };
    let second = vec![
        Span::raw(format!(
            "oldest {}  {rates}  p99 {}  workers {}",
            queue_text::oldest(row),
            queue_text::p99(row),
            queue_text::workers(row)
        )),
        if row.unconsumed() {
            Span::styled("  nobody is consuming this queue", theme.bad())
        } else {
            Span::raw("")
        },
    ];
    // The FLAGS column's letters spelled out, on a third line when there are any.
    let mut third = Vec::new();
    for flag in queue_text::flags(row) {
        if !third.is_empty() {
            third.push(Span::styled(" · ", theme.dim()));
        }
        let style = if flag.bad { theme.bad() } else { theme.warn() };
        third.push(Span::styled(flag.words, style));
    }
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(spans),
            Line::from(second),
            Line::from(third),
        ]),
        area,
    );
}

/// A state as the focus line names it.
fn state_word(state: State) -> &'static str {
    match state {
        State::Waiting => "waiting",
        State::Active => "active",
        State::Prioritized => "prio",
        State::Delayed => "delayed",
        State::Retry => "retry",
        State::Reserved => "reserved",
        State::Failed => "failed",
        State::Completed => "done",
        State::WaitingChildren => "children",
    }
}
