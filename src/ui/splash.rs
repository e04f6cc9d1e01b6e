//! Before the first data: a splash that says what qtop is doing, never a table of zeros.
//! After it: a banner while Redis is unreachable, with the retry countdown.

use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::centered;
use super::theme::Theme;
use crate::app::format;
use crate::app::{App, Connection};

fn countdown(app: &App, retry_at_ms: i64) -> String {
    let left = (retry_at_ms - app.now_ms).max(0);
    if left == 0 {
        "retrying now".into()
    } else {
        format!(
            "retrying in {}",
            format::age_s((left as f64 / 1000.0).ceil())
        )
    }
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let mut lines = vec![
        Line::from(Span::styled("qtop", theme.title())),
        Line::from(""),
    ];
    match &app.connection {
        Connection::Connecting { attempt } => {
            let mut text = format!("connecting to {} …", app.target);
            if *attempt > 1 {
                text.push_str(&format!(" (attempt {attempt})"));
            }
            lines.push(Line::from(text));
        }
        Connection::Connected => {
            let version = app.redis_version.as_deref().unwrap_or("?");
            lines.push(Line::from(format!(
                "connected to {} (redis {version}); reading queues …",
                app.target
            )));
        }
        Connection::Disconnected { error, retry_at_ms } => {
            lines.push(Line::from(Span::styled(
                format!("cannot reach {}", app.target),
                theme.bad(),
            )));
            lines.push(Line::from(error.clone()));
            lines.push(Line::from(countdown(app, *retry_at_ms)));
        }
    }
    let height = lines.len() as u16 + 2;
    let box_area = centered(area, area.width.saturating_sub(4).max(1), height);
    frame.render_widget(
        Paragraph::new(lines)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        box_area,
    );
}

pub fn banner(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Connection::Disconnected { error, retry_at_ms } = &app.connection else {
        return;
    };
    // The countdown first: the error can be long and is cut to the width.
    let text = format!(
        " ✖ Redis unreachable, {} · last data shown, history kept · {error} ",
        countdown(app, *retry_at_ms)
    );
    frame.render_widget(
        Paragraph::new(format::fit(&text, area.width as usize)).style(theme.banner()),
        area,
    );
}
