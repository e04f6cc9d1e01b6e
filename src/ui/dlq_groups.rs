//! Failure groups: failed jobs whose reasons match once ids and numbers are taken out,
//! largest first, with when the group was first and last seen and one real reason.
//! `r`/`x` act on every job of the selected group.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::columns::{self, Cut, Sizing, GAP};
use crate::app::format;
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
    // The normalised reason, and on wide screens a real example beside it: the reason
    // takes at most half of what the counts and times leave.
    let rest = inner.saturating_sub(6 + 2 * time_width + 4 * GAP);
    let mut titles = vec!["COUNT", "FIRST SEEN", "LAST SEEN", "REASON"];
    let mut sizings = vec![
        Sizing::new(6, 6, 0, Cut::End).right(),
        Sizing::new(time_width, time_width, 3, Cut::End),
        Sizing::new(time_width, time_width, 2, Cut::End),
        Sizing::new(
            10,
            if wide { (rest / 2).max(10) } else { u16::MAX },
            1,
            Cut::Words,
        ),
    ];
    if wide {
        titles.push("EXAMPLE");
        sizings.push(Sizing::new(10, u16::MAX, 4, Cut::Words));
    }
    let texts: Vec<Vec<String>> = groups
        .iter()
        .map(|group| {
            let mut cells = vec![
                format::count(group.count),
                app.zone.format(group.first_seen, pattern),
                app.zone.format(group.last_seen, pattern),
                group.reason.clone(),
            ];
            if wide {
                cells.push(group.example.clone());
            }
            cells
        })
        .collect();
    let fitted = columns::fit_texts(&titles, &sizings, &texts, inner);
    let header = Row::new(
        fitted
            .titles
            .iter()
            .map(|t| Cell::from(Span::styled(t.clone(), theme.title()))),
    );
    let height = area.height.saturating_sub(3) as usize;
    let skip = (dl.group_row + 1).saturating_sub(height);
    let rows = fitted
        .rows
        .into_iter()
        .enumerate()
        .skip(skip)
        .take(height)
        .map(|(i, cells)| {
            let style = if i == dl.group_row {
                theme.selected(true)
            } else {
                Style::default()
            };
            Row::new(cells.into_iter().map(Cell::from)).style(style)
        });
    let constraints = fitted.columns.iter().map(|&(_, w)| Constraint::Length(w));
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .column_spacing(GAP)
            .block(block)
            .flex(ratatui::layout::Flex::Start),
        area,
    );
}
