//! The failed jobs of one queue, newest first, one page at a time: id, name, when it
//! failed (local time and age), attempts and the first line of the reason. `✓` marks.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::columns::{self, Cut, Sizing, GAP};
use crate::app::dlq::DeadLetters;
use crate::app::format;
use crate::app::App;
use crate::source::dead_letters::DlqSet;

/// `dead letters · billing · 1–20 of 4312 · filter "card" (this page): 3 · 2 marked`
pub fn title(dl: &DeadLetters) -> String {
    let mut title = format!(" {} · {}", dl.set_name(), dl.queue);
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
            Some(p) if p.jobs.is_empty() => match dl.set {
                DlqSet::Dead => format!("no failed jobs in {}", dl.queue),
                DlqSet::Retry => format!("no jobs in the retry set of {}", dl.queue),
            },
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
    // By priority: the mark, the id, the reason (at least 10, and all the room left), the
    // name, the time, its age, the attempts.
    let sizings = [
        Sizing::new(1, 1, 0, Cut::End),
        Sizing::new(4, 16, 1, Cut::Middle),
        Sizing::new(6, 20, 3, Cut::End),
        Sizing::new(time_width, time_width, 4, Cut::End),
        Sizing::new(6, 6, 5, Cut::End),
        Sizing::new(3, 3, 6, Cut::End).right(),
        Sizing::new(10, u16::MAX, 2, Cut::Words),
    ];
    let texts: Vec<Vec<String>> = shown
        .iter()
        .map(|job| {
            let marked = dl.marks.contains(&job.id);
            vec![
                if marked { "✓" } else { " " }.to_string(),
                job.id.clone(),
                job.name.clone(),
                app.zone.format(job.finished_on, pattern),
                age(app, job.finished_on),
                job.attempts_made.to_string(),
                job.reason_line().to_string(),
            ]
        })
        .collect();
    let titles = ["", "ID", "NAME", "FAILED AT", "AGE", "ATT", "REASON"];
    let fitted = columns::fit_texts(&titles, &sizings, &texts, inner);
    let header = Row::new(
        fitted
            .titles
            .iter()
            .map(|t| Cell::from(Span::styled(t.clone(), theme.title()))),
    );
    let rows = fitted.rows.into_iter().enumerate().map(|(i, cells)| {
        let style = if i == dl.row {
            theme.selected(true)
        } else {
            Style::default()
        };
        // The mark in green; every other cell plain.
        let cells = cells
            .into_iter()
            .zip(&fitted.columns)
            .map(|(text, &(c, _))| {
                if c == 0 {
                    Cell::from(Span::styled(text, theme.good()))
                } else {
                    Cell::from(text)
                }
            });
        Row::new(cells).style(style)
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
