//! The selected queue's job schedulers (and legacy repeatable jobs), soonest first: id,
//! schedule (cron or interval), next run (time and how soon), runs so far (of the limit),
//! the name and data of the jobs it makes. Enter opens the selected one's next job.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};
use ratatui::Frame;

use super::theme::Theme;
use crate::app::format;
use crate::app::App;
use crate::model::schedulers::{Scheduler, SchedulerKind};

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(view) = &app.jobs else {
        return;
    };
    let Some(pane) = &view.schedulers else {
        return;
    };
    let mut title = format!(" job schedulers · {}", view.queue);
    match &pane.list {
        None => title.push_str(" · reading …"),
        Some(list) if list.truncated => title.push_str(&format!(
            " · the soonest {} of {}",
            list.schedulers.len(),
            list.total
        )),
        Some(list) => title.push_str(&format!(" · {}", list.total)),
    }
    title.push(' ');
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(
            format::fit(&title, area.width.saturating_sub(2) as usize),
            theme.title(),
        ));
    let list = match &pane.list {
        Some(list) if !list.schedulers.is_empty() => list,
        other => {
            let text = match other {
                None => "reading the job schedulers …".to_string(),
                Some(_) => format!("no job schedulers in {}", view.queue),
            };
            frame.render_widget(
                Paragraph::new(Span::styled(text, theme.dim())).block(block),
                area,
            );
            return;
        }
    };
    let inner = area.width.saturating_sub(2);
    let widths = [18, 22, 24, 7, 14];
    let fixed: u16 = widths.iter().map(|w| w + 1).sum();
    let data_width = inner.saturating_sub(fixed).max(1);
    let header = Row::new(
        ["ID", "SCHEDULE", "NEXT RUN", "RUNS", "NAME", "DATA"]
            .into_iter()
            .map(|t| Cell::from(Span::styled(t, theme.title()))),
    );
    let height = area.height.saturating_sub(3) as usize;
    let rows = list
        .schedulers
        .iter()
        .enumerate()
        .skip(pane.offset)
        .take(height)
        .map(|(i, s)| {
            let mut style = Style::default();
            if s.kind != SchedulerKind::Scheduler || !s.problems.is_empty() {
                style = theme.warn();
            }
            if i == pane.selected {
                style = theme.selected(true);
            }
            Row::new(vec![
                Cell::from(format::fit(&id_text(s), 18)),
                Cell::from(format::fit(&s.schedule_text(), 22)),
                Cell::from(next_text(app, s)),
                Cell::from(format!("{:>7}", runs_text(s))),
                Cell::from(format::fit(s.name.as_deref().unwrap_or("?"), 14)),
                Cell::from(format::fit(&s.data_summary(), data_width as usize)),
            ])
            .style(style)
        });
    let constraints = widths
        .iter()
        .map(|&w| Constraint::Length(w))
        .chain([Constraint::Length(data_width)]);
    frame.render_widget(
        Table::new(rows, constraints)
            .header(header)
            .block(block)
            .flex(ratatui::layout::Flex::Start),
        area,
    );
}

fn id_text(s: &Scheduler) -> String {
    match s.kind {
        SchedulerKind::Scheduler => s.id.clone(),
        SchedulerKind::Repeatable => format!("(legacy) {}", s.id),
        SchedulerKind::Orphan => format!("(orphan) {}", s.id),
    }
}

/// `12-05 02:00:00 in 3h12m`, or how late it is.
fn next_text(app: &App, s: &Scheduler) -> String {
    let Some(t) = s.next_run else {
        return "-".to_string();
    };
    let when = app.zone.format(Some(t), "%m-%d %H:%M:%S");
    let age = |ms: i64| format::age_s(ms as f64 / 1000.0);
    if t >= app.now_ms {
        format!("{when} in {}", age(t - app.now_ms))
    } else {
        format!("{when} {} ago", age(app.now_ms - t))
    }
}

fn runs_text(s: &Scheduler) -> String {
    match (s.iteration_count, s.limit) {
        (Some(n), Some(limit)) => format!("{n}/{limit}"),
        (Some(n), None) => n.to_string(),
        (None, Some(limit)) => format!("?/{limit}"),
        (None, None) => "-".to_string(),
    }
}
