//! The top line: where, what, how often, and whether it works. Parts drop out, least
//! important first, when the terminal is narrow.

use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::format;
use super::theme::Theme;
use crate::app::{App, Connection};

fn interval(app: &App) -> String {
    let ms = app.interval.as_millis() as i64;
    if ms >= 1000 && ms % 1000 == 0 {
        format::window(ms)
    } else {
        format::millis(ms as f64)
    }
}

/// The header's parts with their rank (1 = kept longest).
fn parts(app: &App, theme: Theme) -> Vec<(u8, Span<'static>)> {
    let mut parts = vec![
        (6, Span::styled("qtop", theme.title())),
        // `target` is RedisTarget::display(): the password is never in it.
        (2, Span::raw(app.target.clone())),
    ];
    if let Some(version) = &app.redis_version {
        parts.push((4, Span::raw(format!("redis {version}"))));
    }
    parts.push((5, Span::raw(format!("every {}", interval(app)))));
    parts.push((
        1,
        match &app.connection {
            Connection::Connected => Span::styled("● connected", theme.good()),
            Connection::Connecting { attempt } if *attempt > 1 => {
                Span::styled(format!("◌ connecting (try {attempt})"), theme.warn())
            }
            Connection::Connecting { .. } => Span::styled("◌ connecting", theme.warn()),
            Connection::Disconnected { .. } => Span::styled("✖ disconnected", theme.bad()),
        },
    ));
    if let Some(poll) = &app.last_poll {
        parts.push((
            3,
            Span::raw(format!(
                "poll {} rt {}",
                poll.round_trips,
                format::millis(poll.duration_ms)
            )),
        ));
    }
    if app.frozen_at_ms.is_some() {
        parts.push((
            1,
            Span::styled(
                " FROZEN ",
                theme
                    .warn()
                    .add_modifier(Modifier::REVERSED | Modifier::BOLD),
            ),
        ));
    }
    parts
}

pub fn line(app: &App, theme: Theme, width: u16) -> Line<'static> {
    let mut parts = parts(app, theme);
    let sep = " │ ";
    let total = |parts: &[(u8, Span)]| {
        parts.iter().map(|(_, s)| s.width()).sum::<usize>()
            + parts.len().saturating_sub(1) * sep.chars().count()
    };
    while total(&parts) > width as usize && parts.len() > 1 {
        let Some(worst) = parts
            .iter()
            .enumerate()
            .max_by_key(|(i, (rank, _))| (*rank, *i))
            .map(|(i, _)| i)
        else {
            break;
        };
        parts.remove(worst);
    }
    let mut spans = Vec::new();
    for (i, (_, span)) in parts.into_iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(sep, theme.dim()));
        }
        spans.push(span);
    }
    Line::from(spans)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    frame.render_widget(Paragraph::new(line(app, theme, area.width)), area);
}
