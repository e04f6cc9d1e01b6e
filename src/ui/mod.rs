//! Drawing: `render(frame, &App)` draws from state only; one file per pane.
//!
//! Dashboard, at 80×24 and up (wide terminals put the workers beside the charts):
//! ```text
//! ┌ header: redis address · version · interval · connection · last poll ─────────┐
//! │ banner (only when disconnected)                                             │
//! │ ┌ queues ─────────────────────────────────────────────────────────────────┐ │
//! │ │ QUEUE SYSTEM WAIT ACT DELAY PRIO RETRY FAIL DONE FLAGS OLDEST IN/s … WRK│ │
//! │ └─────────────────────────────────────────────────────────────────────────┘ │
//! │ ┌ backlog ─────────┐┌ in vs out ───────┐ ┌ workers ────────────────────────┐ │
//! │ └──────────────────┘└──────────────────┘ │ name state busy queues beat …   │ │
//! │ ┌ error rate ──────┐┌ latency ─────────┐ │                                 │ │
//! │ └──────────────────┘└──────────────────┘ └─────────────────────────────────┘ │
//! └ status bar: the mode's keys (from the keymap), or a control's outcome ──────┘
//! ```
//! Queue mode (Enter) swaps the table for a two-line summary (three with FLAGS spelled
//! out) and shows five charts (wait
//! and processing latency apart), and the advisor panel (`A`): beside the workers under the
//! charts, or above the workers on wide terminals. `qtop demo` adds its strip (status line
//! and newest events) above the status bar. Below 40×12 only the header, table and status
//! remain; nothing here panics at any size, 1×1 included. The dead-letter screens (`d`) are
//! laid out in `dlq`, the job views (`o`, `c`) in `jobs`.

pub mod advisor;
pub mod charts;
pub mod confirm;
pub mod contexts;
pub mod demo;
pub mod dlq;
pub mod dlq_detail;
pub mod dlq_groups;
pub mod dlq_list;
pub mod header;
pub mod help;
pub mod jobs;
pub mod markers;
pub mod queue_summary;
pub mod queues;
pub mod schedulers;
pub mod splash;
pub mod status;
pub mod theme;
pub mod workers;

use ratatui::layout::Rect;
use ratatui::Frame;

use crate::app::layout::layout;
use crate::app::{App, Mode};
use theme::Theme;

pub fn render(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let theme = Theme { color: app.color };
    let areas = layout(app, (area.width, area.height));
    header::render(frame, areas.header, app, theme);
    status::render(frame, areas.status, app, theme);
    // Between the header and the demo strip (or the status bar): the same rectangle the app
    // pages the dead-letter list by.
    let body = crate::app::layout::dlq_body(app.dlq_screen());
    if crate::app::is_dlq_mode(app.screen()) {
        dlq::render(frame, body, app, theme);
    } else if crate::app::is_jobs_mode(app.screen()) {
        jobs::render(frame, body, app, theme);
    } else if !app.has_data {
        splash::render(frame, body, app, theme);
    } else {
        if let Some(banner) = areas.banner {
            splash::banner(frame, banner, app, theme);
        }
        if let Some(table) = areas.table {
            queues::render(frame, table, app, theme);
        }
        if let Some(summary) = areas.summary {
            queue_summary::render(frame, summary, app, theme);
        }
        if let Some(charts) = areas.charts {
            charts::render(frame, charts, app, theme);
        }
        if let Some(workers) = areas.workers {
            workers::render(frame, workers, app, theme);
        }
        if let Some(panel) = areas.advisor {
            advisor::render(frame, panel, app, theme);
        }
    }
    if let Some(strip) = areas.demo {
        demo::render(frame, strip, app, theme);
    }
    if app.mode == Mode::Help {
        help::render(frame, area, app, theme);
    }
    if app.mode == Mode::Confirm {
        confirm::render(frame, area, app, theme);
    }
    if app.mode == Mode::Contexts {
        contexts::render(frame, area, app, theme);
    }
}

/// Render into a string buffer (tests, screenshots): one line per terminal row.
pub fn render_to_string(app: &App, width: u16, height: u16) -> String {
    let backend = ratatui::backend::TestBackend::new(width, height);
    // TestBackend cannot fail: its error type is Infallible.
    let Ok(mut terminal) = ratatui::Terminal::new(backend);
    if terminal.draw(|frame| render(frame, app)).is_err() {
        return String::new();
    }
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// A centred rectangle of at most `width`×`height` inside `area`.
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
mod tests_width;
