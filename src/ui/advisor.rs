//! The advisor panel (queue view): the inputs it used, M/M/c's answer for them, KEDA's
//! for comparison, its warnings, and whether --scale-cmd can apply the recommendation.
//!
//! ```text
//! ┌ advisor · target wait 2s ──────────┐
//! │λ 40.0/s  S 52ms  backlog 12        │
//! │c 8 declared  ρ 0.26  P(wait) 1.2%  │
//! │wait 3ms  drain 0.3s                │
//! │for ≤2s: c 3 = 1 worker · KEDA 3    │
//! │⚠ only 12 jobs measured (need 30)…  │
//! │! apply: scale-cmd n=1              │
//! └────────────────────────────────────┘
//! ```

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::format;
use super::theme::Theme;
use crate::app::advisor::{AdvisorView, ScaleCmdState};
use crate::app::App;
use crate::model::capacity::Bottleneck;

fn figures(view: &AdvisorView, theme: Theme) -> Vec<Line<'static>> {
    let a = &view.advice;
    let mut lines = vec![
        Line::from(format!(
            "λ {}/s  S {}  backlog {}",
            format::rate(Some(a.arrival_per_s)),
            format::millis(a.service_time_ms),
            format::count(a.backlog)
        )),
        Line::from(format!(
            "c {} {}  ρ {:.2}  P(wait) {}%",
            a.capacity,
            if a.capacity_estimated {
                "estimated"
            } else {
                "declared"
            },
            if a.utilisation.is_finite() {
                a.utilisation
            } else {
                99.99
            },
            format::percent(Some(a.p_wait))
        )),
        Line::from(format!(
            "wait {}  drain {}",
            a.expected_wait_ms.map_or("∞".to_string(), format::millis),
            a.drain_time_s
                .map_or("never".to_string(), |s| format::millis(s * 1000.0))
        )),
    ];
    let recommended = match (a.recommended_capacity, view.recommended_workers) {
        (_, None) if a.bottleneck == Bottleneck::RateLimit => {
            "limited by the queue's rate limit: not by workers".to_string()
        }
        (Some(c), None) if a.bottleneck == Bottleneck::GlobalConcurrency => {
            format!("limited by its global concurrency: needs {c} at once")
        }
        (Some(c), Some(w)) => format!(
            "for ≤{}: c {c} = {w} worker{}",
            format::millis(a.target_wait_ms),
            if w == 1 { "" } else { "s" }
        ),
        _ => format!("for ≤{}: -", format::millis(a.target_wait_ms)),
    };
    let style = if a.recommended_capacity.is_some_and(|c| c > a.capacity) {
        theme.warn()
    } else {
        theme.good()
    };
    lines.push(Line::from(vec![
        Span::styled(recommended, style),
        Span::raw(format!(" · KEDA {}", a.keda_replicas)),
    ]));
    for warning in &a.warnings {
        lines.push(Line::from(Span::styled(
            format!("⚠ {warning}"),
            theme.warn(),
        )));
    }
    lines
}

fn apply_line(app: &App, view: &AdvisorView, theme: Theme) -> Line<'static> {
    match app.scale_cmd_state() {
        ScaleCmdState::NotSet => Line::from(Span::styled(
            "apply: needs --scale-cmd 'CMD {n}'",
            theme.dim(),
        )),
        ScaleCmdState::ReadOnly => Line::from(Span::styled(
            "apply: unavailable (--read-only)",
            theme.dim(),
        )),
        ScaleCmdState::Ready => match view.recommended_workers {
            Some(n) => Line::from(vec![
                Span::styled(" ! ", theme.key()),
                Span::raw(format!(" apply: scale-cmd n={n}")),
            ]),
            None if view.advice.bottleneck != Bottleneck::Workers => Line::from(Span::styled(
                "apply: workers are not the limit",
                theme.dim(),
            )),
            None => Line::from(Span::styled("apply: no recommendation yet", theme.dim())),
        },
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let title = format!(
        " advisor · target wait {} ",
        format::millis(app.target_wait_ms)
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.dim())
        .title(Span::styled(
            format::fit(&title, area.width.saturating_sub(2) as usize),
            theme.title(),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width as usize;
    let Some(view) = app.advisor() else {
        frame.render_widget(Paragraph::new("no queue selected"), inner);
        return;
    };
    let mut lines = figures(&view, theme);
    // The apply line is last and always shown; warnings give way to it.
    let room = (inner.height as usize).saturating_sub(1);
    lines.truncate(room);
    lines.push(apply_line(app, &view, theme));
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|line| {
            let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
            if text.chars().count() <= width {
                line
            } else {
                let style = line.spans.first().map(|s| s.style).unwrap_or_default();
                Line::from(Span::styled(format::fit(&text, width), style))
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
