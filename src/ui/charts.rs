//! Charts of the selected queue (or all queues summed) over the zoom window.
//!
//! Missing buckets split a line into segments, so an outage shows as a hole, never as a
//! drop to zero. The title names the lines in their colours (no legend box to hide data).

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::chart_data::{downsampled, smooth_over, smoothed};
use crate::app::format;
use crate::app::App;
use crate::model::series::{Point, Window};

/// How a chart line reads its value from a bucket.
type ReadPoint = fn(&Point) -> Option<f64>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    Backlog,
    Throughput,
    Errors,
    WaitLatency,
    ProcessingLatency,
}

impl ChartKind {
    /// What the chart is about, before its line names in the title.
    fn subject(self) -> &'static str {
        match self {
            ChartKind::Backlog => "",
            ChartKind::Throughput => "jobs/s",
            ChartKind::Errors => "",
            ChartKind::WaitLatency => "wait",
            ChartKind::ProcessingLatency => "processing",
        }
    }

    fn is_latency(self) -> bool {
        matches!(self, ChartKind::WaitLatency | ChartKind::ProcessingLatency)
    }

    /// The lines of this chart: a name and how to read it from a point.
    fn lines(self) -> Vec<(&'static str, ReadPoint)> {
        match self {
            ChartKind::Backlog => vec![
                ("backlog", |p| Some(p.backlog as f64)),
                ("active", |p| Some(p.active as f64)),
            ],
            ChartKind::Throughput => vec![
                ("in", |p| p.added_per_s.map(f64::from)),
                ("out", |p| p.completed_per_s.map(f64::from)),
            ],
            ChartKind::Errors => vec![("error %", |p| p.error_rate.map(|e| e as f64 * 100.0))],
            ChartKind::WaitLatency => vec![
                ("p50", |p| p.wait_ms.map(|l| l.p50 as f64)),
                ("p90", |p| p.wait_ms.map(|l| l.p90 as f64)),
                ("p99", |p| p.wait_ms.map(|l| l.p99 as f64)),
            ],
            ChartKind::ProcessingLatency => vec![
                ("p50", |p| p.processing_ms.map(|l| l.p50 as f64)),
                ("p90", |p| p.processing_ms.map(|l| l.p90 as f64)),
                ("p99", |p| p.processing_ms.map(|l| l.p99 as f64)),
            ],
        }
    }
}

/// Contiguous runs of `(x seconds before now, y)` for one line.
pub fn segments(window: &Window, now_ms: i64, read: ReadPoint) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut current: Vec<(f64, f64)> = Vec::new();
    for (i, point) in window.points.iter().enumerate() {
        let t = window.start_ms + i as i64 * window.step_ms;
        let x = (t - now_ms) as f64 / 1000.0;
        match point.as_ref().and_then(read).filter(|y| y.is_finite()) {
            Some(y) => current.push((x, y)),
            None => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn y_label(kind: ChartKind, value: f64) -> String {
    if kind.is_latency() {
        format::millis(value)
    } else {
        format::rate(Some(value))
    }
}

fn draw(frame: &mut Frame, area: Rect, app: &App, theme: Theme, kind: ChartKind, shown: &Shown) {
    let Shown { window, label } = shown;
    let window_ms = app.window_ms();
    let now = app.view_now_ms();
    let mut window = window.clone();
    // Rates from 1-second buckets jitter with poll timing; chart them as 5 s means.
    let smooth_over = smooth_over(window.step_ms);
    let smoothing = smooth_over > 1 && matches!(kind, ChartKind::Throughput | ChartKind::Errors);
    if smoothing {
        window.points = smoothed(&window.points, smooth_over);
    }
    // One point per plotted column (two per cell) at most: more draw a zigzag, not a line.
    let inner = Block::default().borders(Borders::ALL).inner(area);
    let plot_width = inner.width.saturating_sub(7).max(1) as usize;
    let window = downsampled(&window, plot_width * 2);
    let lines = kind.lines();
    let all: Vec<Vec<Vec<(f64, f64)>>> = lines
        .iter()
        .map(|(_, read)| segments(&window, now, *read))
        .collect();
    let max_y = all
        .iter()
        .flatten()
        .flatten()
        .map(|&(_, y)| y)
        .fold(0.0f64, f64::max);
    let top = if kind == ChartKind::Errors {
        max_y.clamp(1.0, 100.0)
    } else {
        (max_y * 1.1).max(1.0)
    };
    let mut datasets = Vec::new();
    // Last line first, so the first (p50, in, backlog) is drawn on top and stays visible.
    for (index, segs) in all.iter().enumerate().rev() {
        // Quadrant blocks (2×2 per cell, gapless) draw solid lines where braille draws
        // scattered dots. Without colour, lines differ by their texture.
        let marker = if theme.color {
            Marker::Quadrant
        } else {
            [Marker::Quadrant, Marker::Dot, Marker::Braille][index % 3]
        };
        for seg in segs {
            let dataset = Dataset::default()
                .marker(marker)
                .style(theme.line(index))
                .graph_type(if seg.len() == 1 {
                    GraphType::Scatter
                } else {
                    GraphType::Line
                })
                .data(seg);
            datasets.push(dataset);
        }
    }
    let empty = all.iter().all(Vec::is_empty);
    // The title doubles as the legend: each line's name in its colour.
    let mut title: Vec<Span> = vec![Span::raw(" ")];
    if !kind.subject().is_empty() {
        title.push(Span::styled(format!("{} ", kind.subject()), theme.title()));
    }
    for (index, (name, _)) in lines.iter().enumerate() {
        if index > 0 {
            title.push(Span::raw(" "));
        }
        title.push(Span::styled(
            *name,
            theme.line(index).add_modifier(Modifier::BOLD),
        ));
    }
    // The window first: it must survive narrow titles.
    let rest = format!(
        " · {}{} · {}{} ",
        format::window(window_ms),
        if smoothing { " avg 5s" } else { "" },
        label,
        if empty { " · no data" } else { "" }
    );
    let room =
        (area.width as usize).saturating_sub(2 + title.iter().map(|s| s.width()).sum::<usize>());
    title.push(Span::styled(format::fit(&rest, room), theme.dim()));
    let window_s = window_ms as f64 / 1000.0;
    let top_label = y_label(kind, top);
    let first_x_label = format!("-{}", format::window(window_ms));
    let graph = super::markers::graph_area(
        Block::default().borders(Borders::ALL).inner(area),
        top_label.chars().count().max(1) as u16,
        first_x_label.chars().count() as u16,
    );
    let chart = Chart::new(datasets)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme.dim())
                .title(Line::from(title)),
        )
        .x_axis(
            Axis::default()
                .bounds([-window_s, 0.0])
                .style(theme.dim())
                .labels([Span::raw(first_x_label), Span::raw("now")]),
        )
        .y_axis(
            Axis::default()
                .bounds([0.0, top])
                .style(theme.dim())
                .labels([Span::raw("0"), Span::raw(top_label)]),
        )
        .legend_position(None);
    frame.render_widget(chart, area);
    // Demo events as vertical markers where they help read the lines: backlog and rates.
    if let (Some(demo), Some(graph)) = (&app.demo, graph) {
        if matches!(kind, ChartKind::Backlog | ChartKind::Throughput) {
            let markers = demo.markers.iter();
            super::markers::draw(frame.buffer_mut(), graph, markers, now, window_ms, theme);
        }
    }
}

/// The buckets every chart of a frame draws from, and whose they are.
struct Shown {
    window: Window,
    label: String,
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let focused = app.queue_view();
    let kinds: &[ChartKind] = if focused {
        &[
            ChartKind::Backlog,
            ChartKind::Throughput,
            ChartKind::Errors,
            ChartKind::WaitLatency,
            ChartKind::ProcessingLatency,
        ]
    } else {
        &[
            ChartKind::Backlog,
            ChartKind::Throughput,
            ChartKind::Errors,
            ChartKind::ProcessingLatency,
        ]
    };
    // Charts under 6 lines or 20 columns say nothing: show fewer, larger ones.
    let rows_fit = (area.height / 6).max(1) as usize;
    let cols_fit = (area.width / 28).clamp(1, 3) as usize;
    let shown = kinds.len().min(rows_fit * cols_fit);
    let mut cols = cols_fit.min(shown).max(1);
    if shown == 4 && cols == 3 {
        // 2×2 reads better than 3+1.
        cols = 2;
    }
    let rows = shown.div_ceil(cols).max(1);
    // Once a frame for every chart: a quiet queue's series is a copy of a shared one.
    let (series, label) = app.chart_series();
    let charted = Shown {
        window: series.window(app.view_now_ms(), app.window_ms()),
        label,
    };
    let row_areas = Layout::vertical(vec![Constraint::Ratio(1, rows as u32); rows]).split(area);
    for (r, row_area) in row_areas.iter().enumerate() {
        let in_row = (shown - r * cols).min(cols);
        let cells =
            Layout::horizontal(vec![Constraint::Ratio(1, in_row as u32); in_row]).split(*row_area);
        for (c, cell) in cells.iter().enumerate() {
            if let Some(&kind) = kinds.get(r * cols + c) {
                draw(frame, *cell, app, theme, kind, &charted);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_split_lines() {
        let p = |b: f32| {
            Some(Point {
                backlog: b,
                ..Point::default()
            })
        };
        let window = Window {
            start_ms: 0,
            step_ms: 1000,
            points: vec![p(1.0), p(2.0), None, None, p(5.0)],
        };
        let segs = segments(&window, 4000, |p| Some(p.backlog as f64));
        assert_eq!(segs, vec![vec![(-4.0, 1.0), (-3.0, 2.0)], vec![(0.0, 5.0)]]);
        let none = segments(&window, 4000, |p| p.added_per_s.map(f64::from));
        assert!(none.is_empty());
    }
}
