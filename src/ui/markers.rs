//! Demo events on the charts: a dotted vertical line at the moment of each scale change,
//! kill, rate change or autoscale decision, labelled at the top (`+1`, `-1`, `k`, `r60/s`,
//! `A2→4`). Drawn over the chart's empty cells only, so the data lines stay visible.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};

use super::theme::Theme;
use crate::app::demo::{ChartMarker, MarkerKind};

/// The plotting area of a ratatui `Chart` drawn in `inner` (its block's inside) with these
/// y-axis labels and first x-axis label (left-aligned, the default): ratatui's own layout.
pub fn graph_area(inner: Rect, y_label_width: u16, first_x_label_width: u16) -> Option<Rect> {
    if inner.height < 4 || inner.width < 4 {
        return None;
    }
    let left_of_axis = y_label_width
        .max(first_x_label_width.saturating_sub(1))
        .min(inner.width / 3);
    let x = inner.x + left_of_axis + 1;
    let width = inner.right().saturating_sub(x);
    // The x labels and the x axis take the two bottom lines.
    let height = inner.height - 2;
    (width > 0).then(|| Rect::new(x, inner.y, width, height))
}

fn style(kind: MarkerKind, theme: Theme) -> Style {
    match kind {
        MarkerKind::ScaleUp => theme.fg(Color::Green),
        MarkerKind::ScaleDown => theme.fg(Color::Yellow),
        MarkerKind::Kill => theme.fg(Color::Red),
        MarkerKind::Rate => theme.fg(Color::Blue),
        MarkerKind::Autoscale => theme.fg(Color::Magenta),
    }
}

/// The column of `at_ms` in `graph` for a window ending at `now_ms`, if inside it.
pub fn column(graph: Rect, at_ms: i64, now_ms: i64, window_ms: i64) -> Option<u16> {
    if window_ms <= 0 || at_ms > now_ms || at_ms < now_ms - window_ms || graph.width == 0 {
        return None;
    }
    let fraction = (at_ms - (now_ms - window_ms)) as f64 / window_ms as f64;
    Some(graph.x + (fraction * f64::from(graph.width - 1)).round() as u16)
}

fn blank(buf: &Buffer, x: u16, y: u16) -> bool {
    buf.cell((x, y)).is_some_and(|c| c.symbol() == " ")
}

pub fn draw<'a>(
    buf: &mut Buffer,
    graph: Rect,
    markers: impl Iterator<Item = &'a ChartMarker>,
    now_ms: i64,
    window_ms: i64,
    theme: Theme,
) {
    let markers: Vec<(u16, &ChartMarker)> = markers
        .filter_map(|m| column(graph, m.at_ms, now_ms, window_ms).map(|x| (x, m)))
        .collect();
    // Lines first, then labels, so a later line never cuts an earlier label.
    for &(x, marker) in &markers {
        for y in graph.y..graph.bottom() {
            if blank(buf, x, y) {
                if let Some(cell) = buf.cell_mut((x, y)) {
                    cell.set_symbol("┊").set_style(style(marker.kind, theme));
                }
            }
        }
    }
    // Labels left to right, never overlapping: after its line, or ending on it at the right
    // edge (where the newest events are); one that does not fit is cut to its glyph.
    let mut free_from = graph.x;
    for (i, &(x, marker)) in markers.iter().enumerate() {
        let label = match marker.kind {
            MarkerKind::Kill => marker.kind.glyph().to_string(),
            MarkerKind::Autoscale => format!("{}{}", marker.kind.glyph(), marker.label),
            _ => marker.label.clone(),
        };
        let width = label.chars().count() as u16;
        let next = markers.get(i + 1).map_or(graph.right(), |&(n, _)| n);
        let fits_after = x + width <= next.min(graph.right());
        let before = (x + 1).saturating_sub(width);
        let fits_before = next >= graph.right() && before >= free_from && before >= graph.x;
        let (at, text) = if x < free_from {
            continue;
        } else if fits_after {
            (x, label)
        } else if fits_before {
            (before, label)
        } else {
            (x, marker.kind.glyph().to_string())
        };
        buf.set_string(at, graph.y, &text, style(marker.kind, theme));
        free_from = at + text.chars().count() as u16 + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_map_to_columns_inside_the_window_only() {
        let graph = Rect::new(10, 0, 61, 5);
        assert_eq!(column(graph, 1_000, 1_000, 60_000), Some(70));
        assert_eq!(column(graph, -59_000, 1_000, 60_000), Some(10));
        assert_eq!(column(graph, -29_000, 1_000, 60_000), Some(40));
        assert_eq!(column(graph, -60_000, 1_000, 60_000), None);
        assert_eq!(column(graph, 2_000, 1_000, 60_000), None);
    }

    #[test]
    fn labels_go_after_their_line_or_end_on_it_at_the_right_edge() {
        let graph = Rect::new(0, 0, 20, 3);
        let mut buf = Buffer::empty(graph);
        let marker = |at_ms, kind, label: &str| ChartMarker {
            at_ms,
            kind,
            label: label.into(),
        };
        let markers = [
            marker(-19_000, MarkerKind::ScaleUp, "+1"),
            marker(0, MarkerKind::Autoscale, "2→4"),
        ];
        draw(
            &mut buf,
            graph,
            markers.iter(),
            0,
            19_000,
            Theme { color: false },
        );
        let row =
            |y: u16| -> String { (0..20).map(|x| buf[(x, y)].symbol().to_string()).collect() };
        assert_eq!(row(0), "+1              A2→4");
        assert_eq!(row(1), "┊                  ┊");
    }

    #[test]
    fn the_graph_area_follows_ratatui_chart_layout() {
        // y labels "0" and "12.3" (4 wide), x labels "-5m" and "now".
        let inner = Rect::new(1, 1, 38, 10);
        assert_eq!(graph_area(inner, 4, 3), Some(Rect::new(6, 1, 33, 8)));
        assert_eq!(graph_area(Rect::new(0, 0, 3, 3), 1, 3), None);
    }
}
