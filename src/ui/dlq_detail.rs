//! One failed job in full: when and how often it ran, the reason, data and opts as pretty
//! JSON (a field too large to load says its size), every stack trace, and the job's logs.
//! Long lines wrap at the pane's width, so scrolling counts real screen lines.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::theme::Theme;
use super::{dlq, format};
use crate::app::App;
use crate::model::failures::FailedJobDetail;

/// The detail's lines at `width` columns, wrapped.
pub fn lines(app: &App, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let Some(view) = app.dead_letters.as_ref().and_then(|d| d.detail.as_ref()) else {
        return Vec::new();
    };
    match &view.answer {
        None => vec![Line::from(Span::styled(
            format!("reading job {} …", view.id),
            theme.dim(),
        ))],
        Some(None) => vec![Line::from(Span::styled(
            format!("job {} is no longer in the failed set", view.id),
            theme.warn(),
        ))],
        Some(Some(detail)) => detail_lines(app, detail, width.max(1), theme),
    }
}

fn detail_lines(
    app: &App,
    detail: &FailedJobDetail,
    width: usize,
    theme: Theme,
) -> Vec<Line<'static>> {
    let job = &detail.job;
    let when = |ms: Option<i64>| match ms {
        Some(t) => format!(
            "{} ({} ago)",
            app.zone.datetime(Some(t)),
            format::age_s((app.now_ms - t).max(0) as f64 / 1000.0)
        ),
        None => "-".to_string(),
    };
    let mut out: Vec<Line<'static>> = Vec::new();
    let mut field = |name: &str, value: String| {
        let prefix = format!("{name:<12}");
        for (i, line) in value.lines().enumerate() {
            let label = if i == 0 {
                prefix.clone()
            } else {
                " ".repeat(12)
            };
            push_wrapped(&mut out, &format!("{label}{line}"), width);
        }
    };
    field("job", format!("{} ({})", job.id, job.name));
    field("failed at", when(job.finished_on));
    field("created", when(job.timestamp));
    field("started", when(job.processed_on));
    field(
        "attempts",
        format!(
            "{} made, {} started",
            job.attempts_made,
            detail
                .attempts_started
                .map_or("?".to_string(), |n| n.to_string())
        ),
    );
    field(
        "stalls",
        detail
            .stalled_count
            .map_or("-".to_string(), |n| n.to_string()),
    );
    if let Some(worker) = &detail.processed_by {
        field("worker", worker.clone());
    }
    field("reason", job.failed_reason.clone());
    let section = |out: &mut Vec<Line<'static>>, title: String, body: &str| {
        out.push(Line::from(""));
        out.push(Line::from(Span::styled(
            format!("── {title} "),
            theme.title(),
        )));
        for line in body.lines() {
            push_wrapped(out, line, width);
        }
    };
    section(&mut out, "data".into(), &detail.data.display_text());
    section(&mut out, "opts".into(), &detail.opts.display_text());
    let traces = detail.stacktrace.len();
    for (n, trace) in detail.stacktrace.iter().enumerate() {
        section(
            &mut out,
            format!("stack trace {} of {traces}", n + 1),
            trace,
        );
    }
    if detail.stacktrace_unreadable {
        section(
            &mut out,
            "stack trace".into(),
            "unreadable (not a JSON array of strings)",
        );
    } else if traces == 0 {
        section(&mut out, "stack trace".into(), "(none recorded)");
    }
    if !detail.logs.is_empty() {
        let logs = detail.logs.join("\n");
        section(&mut out, format!("logs ({})", detail.logs.len()), &logs);
    }
    out
}

/// Hard-wrap `text` at `width` characters (stack traces have no spaces to break at).
fn push_wrapped(out: &mut Vec<Line<'static>>, text: &str, width: usize) {
    // Tabs and control characters would move the cursor: spaces and `?` instead.
    let chars: Vec<char> = text
        .replace('\t', "    ")
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if chars.is_empty() {
        out.push(Line::from(""));
        return;
    }
    for chunk in chars.chunks(width) {
        out.push(Line::from(chunk.iter().collect::<String>()));
    }
}

fn inner(app: &App) -> Rect {
    let (pane, _) = dlq::areas(dlq::body(app.size));
    Block::default().borders(Borders::ALL).inner(pane)
}

/// The furthest the detail scrolls at the current size.
pub fn max_scroll(app: &App) -> usize {
    let inner = inner(app);
    let count = lines(app, inner.width as usize, Theme { color: false }).len();
    count.saturating_sub(inner.height as usize)
}

pub fn render(frame: &mut Frame, area: Rect, app: &App, theme: Theme) {
    let Some(view) = app.dead_letters.as_ref().and_then(|d| d.detail.as_ref()) else {
        return;
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true));
    let inner = block.inner(area);
    let lines = lines(app, inner.width as usize, theme);
    let max = lines.len().saturating_sub(inner.height as usize);
    let scroll = view.scroll.min(max);
    let mut title = format!(
        " failed job {} · {} ",
        view.id,
        app.dead_letters
            .as_ref()
            .map(|d| d.queue.to_string())
            .unwrap_or_default()
    );
    if max > 0 {
        title.push_str(&format!(
            "· lines {}–{} of {} ",
            scroll + 1,
            (scroll + inner.height as usize).min(lines.len()),
            lines.len()
        ));
    }
    let block = block.title(Span::styled(
        format::fit(&title, area.width.saturating_sub(2) as usize),
        theme.title(),
    ));
    let visible: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(inner.height as usize)
        .collect();
    frame.render_widget(Paragraph::new(visible).block(block), area);
}
