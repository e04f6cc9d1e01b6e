//! Failure groups: failed jobs whose reasons match once ids and numbers are taken out,
//! largest first, with when the group was first and last seen and one real reason.
//! `r`/`x` act on every job of the selected group.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::format;
use super::theme::Theme;
use crate::app::App;

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(dl) = &app.dead_letters else {
        return;
    };
    let mut title = format!(" failure groups · {}", dl.queue);
    if let Some(view) = &dl.groups {
        let n = view.groups.len();
        title.push_str(&format!(" · {n} group{}", if n == 1 { "" } else { "s" }));
        let total = dl.total().unwrap_or(view.scanned);
        if view.scanned < total {
            title.push_str(&format!(" of the newest {} of {total} jobs", view.scanned));
        } else {
            title.push_str(&format!(" of {} jobs", view.scanned));
        }
    }
    title.push(' ');
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(
            format::fit(&title, area.width.saturating_sub(2) as usize),
            theme.title(),
        ));
    let groups = match &dl.groups {
        Some(view) if !view.groups.is_empty() => &view.groups,
        other => {
            let text = if other.is_some() {
                "no failed jobs"
            } else {
                "grouping the failed set …"
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.dim())).block(block),
                area,
            );
            return;
        }
    };
    let inner = area.width.saturating_sub(2);
    let wide = inner >= 100;
    let (time_width, pattern) = if wide {
        (19, "%Y-%m-%d %H:%M:%S")
    } else {
        (11, "%m-%d %H:%M")
    };
    let widths = [6, time_width, time_width];
    let fixed: u16 = widths.iter().map(|w| w + 1).sum();
    let rest = inner.saturating_sub(fixed).max(2);
    // The normalised reason, and on wide screens a real example beside it.
    let (reason_width, example_width) = if wide {
        (rest / 2, rest - rest / 2 - 1)
    } else {
        (rest, 0)
    };
    let mut titles = vec!["COUNT", "FIRST SEEN", "LAST SEEN", "REASON"];
    if wide {
        titles.push("EXAMPLE");
    }
    let header = Row::new(
        titles
            .into_iter()
            .map(|t| Cell::from(Span::styled(t, theme.title()))),
    );
    let height = area.height.saturating_sub(3) as usize;
    let skip = (dl.group_row + 1).saturating_sub(height);
    let rows = groups
        .iter()
        .enumerate()
        .skip(skip)
        .take(height)
        .map(|(i, group)| {
            let style = if i == dl.group_row {
                theme.selected(true)
            } else {
                Style::default()
            };
            let mut cells = vec![
                Cell::from(format!("{:>6}", format::count(group.count))),
                Cell::from(app.zone.format(group.first_seen, pattern)),
                Cell::from(app.zone.format(group.last_seen, pattern)),
                Cell::from(format::fit(&group.reason, reason_width as usize)),
            ];
            if wide {
                cells.push(Cell::from(format::fit(
                    &group.example,
                    example_width as usize,
                )));
            }
            Row::new(cells).style(style)
        });
    let mut constraints: Vec<Constraint> = widths.iter().map(|&w| Constraint::Length(w)).collect();
    constraints.push(Constraint::Length(reason_width));
    if wide {
        constraints.push(Constraint::Length(example_width));
    }
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .block(block)
            .flex(ratatui::layout::Flex::Start),
        area,
    );
}
