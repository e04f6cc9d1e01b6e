//! The demo strip above the status bar: the engine's settings and counters on one line,
//! then the newest events (scale changes, kills, autoscale decisions, scale-cmd runs).
//!
//! ```text
//! demo 40.0/s · workers 2 (new c4) · work 50ms · fail 2.0% · poison off · produced 1.2k · dups 3 · autoscale off
//! 09:12:04 worker qtop-h-123 started (pid 123)
//! ```

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::theme::Theme;
use crate::app::demo::DemoState;
use crate::app::format;
use crate::app::App;
use crate::text;

/// The demo's settings and counters on one line: the long form when it fits in `width`,
/// else a compact one.
pub fn status_text(demo: &DemoState, width: usize) -> String {
    let autoscale = if demo.autoscaler.is_some() {
        "on"
    } else {
        "off"
    };
    let Some(status) = &demo.status else {
        return format!("demo starting… · autoscale {autoscale}");
    };
    let s = &status.settings;
    let dups = demo.duplicates.map_or("-".to_string(), format::count);
    let rate = format::rate(Some(s.rate_per_s));
    let workers = demo.running_workers();
    let work = s.work_ms_mean.map_or("-".to_string(), format::millis);
    let fail = format::percent(Some(s.fail_rate.unwrap_or(0.0)));
    let poison = if s.poison { "on" } else { "off" };
    let produced = format::count(status.produced);
    let long = format!(
        "demo {rate}/s · workers {workers} (new c{}) · work {work} · fail {fail}% · \
         poison {poison} · produced {produced} · dups {dups} · autoscale {autoscale}",
        status.concurrency
    );
    if text::width(&long) <= width {
        return long;
    }
    // Autoscale first: it is what a presenter toggles and must never be cut.
    format!(
        "auto {autoscale} · {rate}/s · {workers}w new c{} · {work} · fail {fail}% · \
         poison {poison} · made {produced} · dups {dups}",
        status.concurrency
    )
}

/// `HH:MM:SS` of a wall-clock instant, UTC.
pub fn clock(at_ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(at_ms)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(demo) = &app.demo else {
        return;
    };
    let width = area.width as usize;
    let mut lines = vec![Line::from(Span::styled(
        format::fit(&status_text(demo, width), width),
        theme.title(),
    ))];
    let room = area.height.saturating_sub(1) as usize;
    for line in app.log.latest(room) {
        let text = format!("{} {}", clock(line.at_ms), line.text);
        lines.push(Line::from(Span::styled(
            format::fit(&text, width),
            theme.dim(),
        )));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
