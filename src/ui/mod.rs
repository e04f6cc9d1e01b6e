//! Drawing: `render(frame, &App)` draws from state only; one file per pane.
//!
//! Dashboard, at 80×24 and up (wide terminals put the workers beside the charts):
//! ```text
//! ┌ header: redis address · version · interval · connection · last poll ─────────┐
//! │ banner (only when disconnected)                                             │
//! │ ┌ queues ─────────────────────────────────────────────────────────────────┐ │
//! │ │ QUEUE  WAIT ACT DELAY PRIO FAIL DONE PAUSE OLDEST IN/s OUT/s ERR% P99 WRK│ │
//! │ └─────────────────────────────────────────────────────────────────────────┘ │
//! │ ┌ backlog ─────────┐┌ in vs out ───────┐ ┌ workers ────────────────────────┐ │
//! │ └──────────────────┘└──────────────────┘ │ name queue addr age idle lib hb │ │
//! │ ┌ error rate ──────┐┌ latency ─────────┐ │                                 │ │
//! │ └──────────────────┘└──────────────────┘ └─────────────────────────────────┘ │
//! └ status bar: the current mode's keys (from the keymap) ──────────────────────┘
//! ```
//! Queue mode (Enter) swaps the table for a one-line summary and shows five charts (wait
//! and processing latency apart), and the advisor panel (`A`): beside the workers under the
//! charts, or above the workers on wide terminals. `qtop demo` adds its strip (status line
//! and newest events) above the status bar. Below 40×12 only the header, table and status
//! remain; nothing here panics at any size, 1×1 included. The dead-letter screens (`d`) are
//! laid out in `dlq`.

pub mod advisor;
pub mod charts;
pub mod confirm;
pub mod demo;
pub mod dlq;
pub mod dlq_detail;
pub mod dlq_groups;
pub mod dlq_list;
pub mod format;
pub mod header;
pub mod help;
pub mod keymap;
pub mod keymap_layers;
pub mod markers;
pub mod queues;
pub mod splash;
pub mod status;
pub mod theme;
pub mod workers;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::Frame;

use crate::app::{App, Connection, Mode};
use theme::Theme;

/// Where each part goes; shared by the renderer and by mouse hit-testing in `App`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub banner: Option<Rect>,
    pub table: Option<Rect>,
    pub summary: Option<Rect>,
    pub charts: Option<Rect>,
    pub workers: Option<Rect>,
    /// The advisor panel (queue view, while shown).
    pub advisor: Option<Rect>,
    /// The demo's status line and event log (`qtop demo`).
    pub demo: Option<Rect>,
    pub status: Rect,
}

/// Below this the dashboard keeps only the essentials.
const SMALL: (u16, u16) = (40, 12);
/// From this width on the workers pane sits beside the charts.
const WIDE: u16 = 140;

pub fn layout(app: &App, (width, height): (u16, u16)) -> Areas {
    let area = Rect::new(0, 0, width, height);
    let banner_lines =
        u16::from(matches!(app.connection, Connection::Disconnected { .. }) && app.has_data);
    // The demo strip: its status line and the newest events, more of them when tall.
    let demo_lines = match (app.demo.is_some(), height) {
        (false, _) => 0,
        (true, h) if h >= 40 => 4,
        (true, h) if h >= SMALL.1 => 2,
        (true, h) if h >= 4 => 1,
        _ => 0,
    };
    let [header, banner, body, demo, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_lines),
        Constraint::Min(0),
        Constraint::Length(demo_lines),
        Constraint::Length(1),
    ])
    .areas(area);
    let mut areas = Areas {
        header,
        banner: (banner.height > 0).then_some(banner),
        demo: (demo.height > 0).then_some(demo),
        status,
        ..Areas::default()
    };
    if height < 3 {
        return areas;
    }
    let small = width < SMALL.0 || height < SMALL.1;
    let focused = app.queue_view();
    if small {
        if focused {
            areas.summary = Some(body);
        } else {
            areas.table = Some(body);
        }
        return areas;
    }
    let rest = if focused {
        let [top, rest] = Layout::vertical([Constraint::Length(2), Constraint::Min(0)]).areas(body);
        areas.summary = Some(top);
        rest
    } else {
        // The table takes what its rows need, between 5 lines and 40 % of the body.
        let wanted = app.visible.len() as u16 + 3;
        let table_height = wanted.clamp(5, (body.height * 2 / 5).max(5));
        let [top, rest] =
            Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(body);
        areas.table = Some(top);
        rest
    };
    let advisor = focused && app.advisor_shown;
    let advisor_height = advisor::WANTED_LINES + 2;
    if width >= WIDE {
        let [charts, right] =
            Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                .areas(rest);
        areas.charts = Some(charts);
        if advisor {
            let [top, workers] =
                Layout::vertical([Constraint::Length(advisor_height), Constraint::Min(0)])
                    .areas(right);
            areas.advisor = Some(top);
            areas.workers = (workers.height >= 3).then_some(workers);
        } else {
            areas.workers = Some(right);
        }
    } else if advisor {
        // Advisor and workers side by side under the charts.
        let bottom_height = advisor_height.min(rest.height / 2).max(4);
        let [charts, bottom] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(bottom_height.min(rest.height)),
        ])
        .areas(rest);
        let [left, workers] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(bottom);
        areas.charts = (charts.height >= 4).then_some(charts);
        areas.advisor = Some(left);
        areas.workers = Some(workers);
    } else {
        let workers_height = if focused {
            7
        } else {
            (rest.height * 2 / 5).clamp(4, 12)
        };
        let [charts, workers] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(workers_height.min(rest.height)),
        ])
        .areas(rest);
        areas.charts = (charts.height >= 4).then_some(charts);
        areas.workers = Some(workers);
    }
    areas
}

pub fn render(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    let theme = Theme { color: app.color };
    let areas = layout(app, (area.width, area.height));
    header::render(frame, areas.header, app, theme);
    status::render(frame, areas.status, app, theme);
    let body = Rect::new(
        area.x,
        areas.header.bottom(),
        area.width,
        areas.status.y.saturating_sub(areas.header.bottom()),
    );
    if crate::app::is_dlq_mode(app.screen()) {
        dlq::render(frame, body, app, theme);
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
            queues::summary(frame, summary, app, theme);
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
