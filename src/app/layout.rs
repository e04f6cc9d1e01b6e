//! Where each part of the screen goes: shared by the renderer (`ui`) and by mouse
//! hit-testing and page sizes here, so it is app state, not drawing. The pictures of each
//! screen are in `ui`'s module docs.

use ratatui::layout::{Constraint, Layout, Rect};

use super::{App, Connection};

/// Lines the advisor panel wants inside its border (warnings beyond these are cut).
pub const ADVISOR_LINES: u16 = 8;

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
    let advisor_height = ADVISOR_LINES + 2;
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

// The dead-letter screens: one box and a notice line under it.

/// Inside the dead-letter box's border: where the detail's text goes.
pub fn dlq_inner(size: (u16, u16)) -> Rect {
    let (pane, _) = dlq_areas(dlq_body(size));
    ratatui::widgets::Block::bordered().inner(pane)
}

/// The pane's box and the notice line under it, inside `body`.
pub fn dlq_areas(body: Rect) -> (Rect, Rect) {
    let [pane, notice] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(body);
    (pane, notice)
}

/// The body between the header and the status bar for a terminal of `size`.
pub fn dlq_body((width, height): (u16, u16)) -> Rect {
    Rect::new(0, 1.min(height), width, height.saturating_sub(2))
}

/// Job rows the list shows at this terminal size (the page size asked of Redis).
pub fn dlq_list_rows(size: (u16, u16)) -> usize {
    let (pane, _) = dlq_areas(dlq_body(size));
    pane.height.saturating_sub(3) as usize
}
