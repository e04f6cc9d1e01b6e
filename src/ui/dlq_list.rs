//! The failed jobs of one queue, newest first, one page at a time: id, name, when it
//! failed (local time and age), attempts and the first line of the reason. `✓` marks.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::format;
use super::theme::Theme;
use crate::app::dlq::DeadLetters;
use crate::app::App;
use crate::model::failures::FailedJob;

/// `dead letters · billing · 1–20 of 4312 · filter "card" (this page): 3 · 2 marked`
pub fn title(dl: &DeadLetters) -> String {
    let mut title = format!(" dead letters · {}", dl.queue);
    match (dl.current_page(), dl.total()) {
        (Some(page), _) if page.jobs.is_empty() => title.push_str(" · none"),
        (Some(page), _) => title.push_str(&format!(
            " · {}–{} of {}",
            page.offset + 1,
            page.offset + page.jobs.len() as u64,
            page.total
        )),
        (None, Some(total)) => title.push_str(&format!(" · reading … of {total}")),
        (None, None) => title.push_str(" · reading …"),
    }
    if !dl.filter.is_empty() {
        title.push_str(&format!(
            " · filter \"{}\" (this page): {}",
            dl.filter,
            dl.shown().len()
        ));
    }
    if !dl.marks.is_empty() {
        title.push_str(&format!(" · {} marked", dl.marks.len()));
    }
    title.push(' ');
    title
}

fn age(app: &App, at: Option<i64>) -> String {
    at.map_or("-".into(), |t| {
        format::age_s((app.now_ms - t).max(0) as f64 / 1000.0)
    })
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(dl) = &app.dead_letters else {
        return;
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(
            format::fit(&title(dl), area.width.saturating_sub(2) as usize),
            theme.title(),
        ));
    let shown = dl.shown();
    if shown.is_empty() {
        let text = match dl.current_page() {
            None => "reading the failed set …".to_string(),
            Some(p) if p.jobs.is_empty() => format!("no failed jobs in {}", dl.queue),
            Some(_) => "no job on this page matches the filter (PgUp/PgDn for others)".into(),
        };
        frame.render_widget(
            Paragraph::new(Span::styled(text, theme.dim())).block(block),
            area,
        );
        return;
    }
    let inner = area.width.saturating_sub(2);
    // The full date when there is room, month-day otherwise.
    let wide = inner >= 100;
    let time_width: u16 = if wide { 19 } else { 14 };
    let pattern = if wide {
        "%Y-%m-%d %H:%M:%S"
    } else {
        "%m-%d %H:%M:%S"
    };
    let widths = [1, 8, 12, time_width, 6, 3];
    let fixed: u16 = widths.iter().map(|w| w + 1).sum();
    let reason_width = inner.saturating_sub(fixed).max(1);
    let header = Row::new(
        ["", "ID", "NAME", "FAILED AT", "AGE", "ATT", "REASON"]
            .into_iter()
            .map(|t| Cell::from(Span::styled(t, theme.title()))),
    );
    let row_of = |(i, job): (usize, &&FailedJob)| {
        let mark = if dl.marks.contains(&job.id) {
            "✓"
        } else {
            " "
        };
        let mut style = Style::default();
        if i == dl.row {
            style = theme.selected(true);
        }
        Row::new(vec![
            Cell::from(Span::styled(mark, theme.good())),
            Cell::from(format::fit(&job.id, 8)),
            Cell::from(format::fit(&job.name, 12)),
            Cell::from(app.zone.format(job.finished_on, pattern)),
            Cell::from(age(app, job.finished_on)),
            Cell::from(format!("{:>3}", job.attempts_made)),
            Cell::from(format::fit(job.reason_line(), reason_width as usize)),
        ])
        .style(style)
    };
    let rows = shown.iter().enumerate().map(row_of);
    let constraints = widths
        .iter()
        .map(|&w| Constraint::Length(w))
        .chain([Constraint::Length(reason_width)]);
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .block(block)
            .flex(ratatui::layout::Flex::Start),
        area,
    );
}
