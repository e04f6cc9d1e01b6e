//! Demo events on the charts: a dotted vertical line at the moment of each scale change,
//! kill, rate change or autoscale decision, labelled at the top as the demo guide says
//! (`+1`, `-1`, `k`, `60/s`, `A2→4`). Events of one kind in one column are one label (`+2`:
//! two workers started). Labels that would overlap go one line lower (up to three lines);
//! one with no room anywhere is cut to its glyph. Lines are drawn over the chart's empty
//! cells only, so the data stays visible.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};

use super::theme::Theme;
use crate::app::demo::{ChartMarker, MarkerKind};
use crate::text;

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

/// A cell a marker's line may take: an empty one, never one a data line passes through.
fn free(buf: &Buffer, x: u16, y: u16) -> bool {
    buf.cell((x, y)).is_some_and(|c| c.symbol() == " ")
}

/// Markers of one kind in one column, as one label.
struct Group {
    x: u16,
    kind: MarkerKind,
    label: String,
}

/// `+1` `-1` `k` `60/s` `A2→4`; several in one column: `+2`, `-3`, `k×2`, the last rate or
/// decision.
fn groups<'a>(markers: impl Iterator<Item = (u16, &'a ChartMarker)>) -> Vec<Group> {
    let mut out: Vec<(Group, usize)> = Vec::new();
    for (x, marker) in markers {
        match out.last_mut() {
            Some((group, n)) if group.x == x && group.kind == marker.kind => {
                *n += 1;
                group.label = label(marker, *n);
            }
            _ => out.push((
                Group {
                    x,
                    kind: marker.kind,
                    label: label(marker, 1),
                },
                1,
            )),
        }
    }
    out.into_iter().map(|(group, _)| group).collect()
}

fn label(marker: &ChartMarker, n: usize) -> String {
    match marker.kind {
        MarkerKind::ScaleUp => format!("+{n}"),
        MarkerKind::ScaleDown => format!("-{n}"),
        MarkerKind::Kill if n > 1 => format!("k×{n}"),
        MarkerKind::Kill => "k".to_string(),
        MarkerKind::Rate => marker.label.clone(),
        MarkerKind::Autoscale => format!("{}{}", marker.kind.glyph(), marker.label),
    }
}

pub fn draw<'a>(
    buf: &mut Buffer,
    graph: Rect,
    markers: impl Iterator<Item = &'a ChartMarker>,
    now_ms: i64,
    window_ms: i64,
    theme: Theme,
) {
    let groups =
        groups(markers.filter_map(|m| column(graph, m.at_ms, now_ms, window_ms).map(|x| (x, m))));
    // Lines first, then labels, so a later line never cuts an earlier label.
    for group in &groups {
        for y in graph.y..graph.bottom() {
            if free(buf, group.x, y) {
                if let Some(cell) = buf.cell_mut((group.x, y)) {
                    cell.set_symbol("┊").set_style(style(group.kind, theme));
                }
            }
        }
    }
    // Labels left to right: after their line, or ending on it at the right edge (where the
    // newest events are); on the first of the top lines where they overlap nothing.
    let lanes = (graph.height / 3).clamp(1, 3);
    let mut free_from = vec![graph.x; lanes as usize];
    for group in &groups {
        let width = text::width(&group.label) as u16;
        let start = if group.x + width <= graph.right() {
            group.x
        } else {
            (group.x + 1).saturating_sub(width).max(graph.x)
        };
        let lane = free_from.iter().position(|&free| start >= free);
        let (lane, at, label) = match lane {
            Some(lane) => (lane, start, group.label.clone()),
            None => match free_from.iter().position(|&free| group.x >= free) {
                Some(lane) => (lane, group.x, group.kind.glyph().to_string()),
                None => continue,
            },
        };
        buf.set_string(at, graph.y + lane as u16, &label, style(group.kind, theme));
        free_from[lane] = at + text::width(&label) as u16 + 1;
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

    #[test]
    fn labels_read_as_the_guide_says_and_crowded_ones_go_a_line_lower() {
        let graph = Rect::new(0, 0, 30, 9);
        let mut buf = Buffer::empty(graph);
        let marker = |at_ms, kind, label: &str| ChartMarker {
            at_ms,
            kind,
            label: label.into(),
        };
        // Two workers start together, the rate changes a second later, then a kill and an
        // autoscale decision close together.
        let markers = [
            marker(-29_000, MarkerKind::ScaleUp, "+1"),
            marker(-29_000, MarkerKind::ScaleUp, "+1"),
            marker(-28_000, MarkerKind::Rate, "60/s"),
            marker(-20_000, MarkerKind::Kill, "kill"),
            marker(-19_000, MarkerKind::Autoscale, "2→4"),
        ];
        draw(
            &mut buf,
            graph,
            markers.iter(),
            0,
            29_000,
            Theme { color: false },
        );
        let row = |y: u16| -> String {
            (0..30)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
        };
        assert_eq!(row(0), "+2       k┊                   ");
        assert_eq!(row(1), "┊60/s    ┊A2→4                ");
        assert_eq!(row(2), "┊┊       ┊┊                   ");
    }
}
