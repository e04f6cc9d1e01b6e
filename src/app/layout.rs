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
/// From this width on the dashboard's workers pane sits beside the charts.
const WIDE: u16 = 140;
/// The workers pane beside the charts: at least this wide, at most this share (%) of the
/// screen; in between, as wide as its table wants.
const SIDE_MIN: u16 = 40;
const SIDE_MAX_PERCENT: u16 = 45;
/// Pane widths move in steps of this many columns, so a heartbeat's changing text does
/// not resize the charts from one second to the next.
const WIDTH_STEP: u16 = 8;
/// Columns the advisor panel wants: its figures take about 40, its warnings up to 60.
const ADVISOR_WIDTH: u16 = 62;

/// Lines of the demo strip (status line and newest events) at this terminal height.
fn demo_lines(demo: bool, height: u16) -> u16 {
    match (demo, height) {
        (false, _) => 0,
        (true, h) if h >= 40 => 4,
        (true, h) if h >= SMALL.1 => 2,
        (true, h) if h >= 4 => 1,
        _ => 0,
    }
}

pub fn layout(app: &App, (width, height): (u16, u16)) -> Areas {
    let area = Rect::new(0, 0, width, height);
    let banner_lines =
        u16::from(matches!(app.connection, Connection::Disconnected { .. }) && app.has_data);
    let [header, banner, body, demo, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(banner_lines),
        Constraint::Min(0),
        Constraint::Length(demo_lines(app.demo.is_some(), height)),
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
    let (workers_width, workers_height) = super::workers_pane::wanted_size(app);
    if focused {
        // Its flags spelled out on a third line, when it has any.
        let flagged = app
            .selected_row()
            .is_some_and(|r| !super::queue_text::flags(r).is_empty());
        let summary_lines = if flagged { 3 } else { 2 };
        let [top, rest] =
            Layout::vertical([Constraint::Length(summary_lines), Constraint::Min(0)]).areas(body);
        areas.summary = Some(top);
        focused_queue(&mut areas, app.advisor_shown, rest, workers_height);
        return areas;
    }
    // The table takes what its rows need, between 5 lines and 40 % of the body.
    let wanted = app.visible.len() as u16 + 3;
    let table_height = wanted.clamp(5, (body.height * 2 / 5).max(5));
    let [table, rest] =
        Layout::vertical([Constraint::Length(table_height), Constraint::Min(0)]).areas(body);
    areas.table = Some(table);
    if width >= WIDE {
        // Beside the charts, as wide as its table wants within limits.
        let side = workers_width
            .div_ceil(WIDTH_STEP)
            .saturating_mul(WIDTH_STEP)
            .clamp(SIDE_MIN, width * SIDE_MAX_PERCENT / 100);
        let [charts, workers] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(side)]).areas(rest);
        areas.charts = Some(charts);
        areas.workers = Some(workers);
    } else {
        // Under the charts, as tall as its list within limits.
        let most = (rest.height * 2 / 5).clamp(4, 12);
        let [charts, workers] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(workers_height.clamp(4, most).min(rest.height)),
        ])
        .areas(rest);
        areas.charts = (charts.height >= 4).then_some(charts);
        areas.workers = Some(workers);
    }
    areas
}

/// Queue view: the five charts across the whole width, and under them the advisor (when
/// shown) beside the queue's workers, as tall as the taller needs and at most half.
fn focused_queue(areas: &mut Areas, advisor: bool, rest: Rect, workers_height: u16) {
    let wanted = if advisor {
        workers_height.max(ADVISOR_LINES + 2)
    } else {
        workers_height
    };
    let bottom_height = wanted.min(rest.height / 2).max(4).min(rest.height);
    let [charts, bottom] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(bottom_height)]).areas(rest);
    areas.charts = (charts.height >= 4).then_some(charts);
    if advisor {
        let advisor_width = ADVISOR_WIDTH.min(bottom.width / 2);
        let [left, workers] =
            Layout::horizontal([Constraint::Length(advisor_width), Constraint::Min(0)])
                .areas(bottom);
        areas.advisor = Some(left);
        areas.workers = Some(workers);
    } else {
        areas.workers = Some(bottom);
    }
}

// The dead-letter screens: one box and a notice line under it, between the header and the
// demo strip (or the status bar).

/// What the dead-letter screens' geometry depends on: the terminal's size and whether the
/// demo strip takes lines above the status bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Screen {
    pub size: (u16, u16),
    pub demo: bool,
}

/// Inside the dead-letter box's border: where the detail's text goes.
pub fn dlq_inner(screen: Screen) -> Rect {
    let (pane, _) = dlq_areas(dlq_body(screen));
    ratatui::widgets::Block::bordered().inner(pane)
}

/// The pane's box and the notice line under it, inside `body`.
pub fn dlq_areas(body: Rect) -> (Rect, Rect) {
    let [pane, notice] = Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(body);
    (pane, notice)
}

/// The body between the header and the demo strip or the status bar.
pub fn dlq_body(screen: Screen) -> Rect {
    let (width, height) = screen.size;
    let below = 1 + demo_lines(screen.demo, height);
    Rect::new(0, 1.min(height), width, height.saturating_sub(1 + below))
}

/// Job rows the list shows (the page size asked of Redis).
pub fn dlq_list_rows(screen: Screen) -> usize {
    let (pane, _) = dlq_areas(dlq_body(screen));
    pane.height.saturating_sub(3) as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::fixtures::{app_after, demo_app_after};
    use crate::app::{Action, Command};

    #[test]
    fn the_dead_letter_box_ends_above_the_demo_strip() {
        for (width, height) in [(160, 45), (80, 24), (100, 13)] {
            let mut app = demo_app_after(60);
            app.update(Action::Resize(width, height));
            app.update(Action::Command(Command::DeadLetters));
            let screen = app.dlq_screen();
            let strip = layout(&app, (width, height))
                .demo
                .unwrap_or_else(|| panic!("no demo strip at {width}×{height}"));
            let (pane, notice) = dlq_areas(dlq_body(screen));
            // The box, then its notice line, then the strip: nothing drawn twice.
            assert_eq!(notice.y, pane.bottom());
            assert_eq!(notice.bottom(), strip.y, "at {width}×{height}");
            // The page asked of Redis is what the box shows.
            assert_eq!(dlq_list_rows(screen), pane.height as usize - 3);
        }
        // Without the demo the box goes down to the status bar.
        let app = app_after(5);
        let body = dlq_body(app.dlq_screen());
        assert_eq!(body.bottom(), 23);
    }

    #[test]
    fn the_workers_pane_is_as_large_as_its_list_within_limits() {
        // Wide dashboard: beside the charts, at most 45 % of the width.
        let mut app = app_after(5);
        app.update(Action::Resize(200, 50));
        let areas = layout(&app, (200, 50));
        let workers = areas.workers.unwrap_or_default();
        let charts = areas.charts.unwrap_or_default();
        assert!(
            workers.width <= 90 && workers.width >= SIDE_MIN,
            "{workers:?}"
        );
        assert_eq!(charts.width + workers.width, 200);
        // Queue view: the charts take the whole width; under them the advisor and the
        // queue's workers, as tall as the advisor needs (not 45 % of the screen).
        app.update(Action::Command(Command::Focus));
        assert!(app.queue_view());
        let areas = layout(&app, (200, 50));
        let charts = areas.charts.unwrap_or_default();
        let workers = areas.workers.unwrap_or_default();
        assert_eq!(charts.width, 200);
        assert_eq!(workers.height, ADVISOR_LINES + 2);
        assert!(workers.y >= charts.bottom());
        // Without the advisor the pane is as tall as its list: border, header, workers.
        app.update(Action::Command(Command::ToggleAdvisor));
        let listed = app.worker_rows().len() as u16;
        assert!(listed > 0);
        let areas = layout(&app, (200, 50));
        assert_eq!(areas.workers.map(|w| w.height), Some(2 + 1 + listed));
        assert_eq!(areas.advisor, None);
    }
}
