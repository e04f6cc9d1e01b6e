//! A failed job's detail as text. The body (data and opts pretty-printed from up to 1 MiB of
//! JSON, every stack trace, the logs) is built once when the job arrives and wrapped again
//! only when the pane's width changes; the header (times and their ages) is rebuilt on each
//! report. The UI styles the lines by kind and draws the visible slice.

use unicode_width::UnicodeWidthChar;

use crate::model::clock::{age_text, Zone};
use crate::model::failures::FailedJobDetail;

/// What a line is, for styling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineKind {
    Text,
    /// A section title (`── data`).
    Title,
    /// Reading, or gone.
    Note,
    Warn,
}

/// Width of the label column of the header fields.
const LABEL: usize = 12;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DetailText {
    header: Vec<(LineKind, String)>,
    body: Vec<(LineKind, String)>,
    width: usize,
    wrapped_header: Vec<(LineKind, String)>,
    wrapped_body: Vec<(LineKind, String)>,
}

impl DetailText {
    /// The text for job `id`: `None` while reading, `Some(None)` when it left the set.
    pub fn build(
        id: &str,
        answer: Option<Option<&FailedJobDetail>>,
        zone: Zone,
        now_ms: i64,
        width: usize,
    ) -> Self {
        let mut text = Self::default();
        match answer {
            None => text.header = vec![(LineKind::Note, format!("reading job {id} …"))],
            Some(None) => {
                text.header = vec![(
                    LineKind::Warn,
                    format!("job {id} is no longer in the failed set"),
                )]
            }
            Some(Some(detail)) => {
                text.header = header(detail, zone, now_ms);
                text.body = body(detail);
            }
        }
        text.width = width.max(1);
        text.wrapped_header = wrap_lines(&text.header, text.width);
        text.wrapped_body = wrap_lines(&text.body, text.width);
        text
    }

    /// New ages in the header (the body stays as built).
    pub fn refresh_header(&mut self, detail: &FailedJobDetail, zone: Zone, now_ms: i64) {
        self.header = header(detail, zone, now_ms);
        self.wrapped_header = wrap_lines(&self.header, self.width);
    }

    /// Wrap again for a new width (a resize); nothing to do at the same width.
    pub fn rewrap(&mut self, width: usize) {
        let width = width.max(1);
        if width != self.width {
            self.width = width;
            self.wrapped_header = wrap_lines(&self.header, width);
            self.wrapped_body = wrap_lines(&self.body, width);
        }
    }

    /// Screen lines at the current width.
    pub fn len(&self) -> usize {
        self.wrapped_header.len() + self.wrapped_body.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Screen lines `from..from + count`.
    pub fn lines(&self, from: usize, count: usize) -> impl Iterator<Item = &(LineKind, String)> {
        self.wrapped_header
            .iter()
            .chain(&self.wrapped_body)
            .skip(from)
            .take(count)
    }
}

fn header(detail: &FailedJobDetail, zone: Zone, now_ms: i64) -> Vec<(LineKind, String)> {
    let job = &detail.job;
    let when = |ms: Option<i64>| match ms {
        Some(t) => format!(
            "{} ({} ago)",
            zone.datetime(Some(t)),
            age_text((now_ms - t).max(0) as f64 / 1000.0)
        ),
        None => "-".to_string(),
    };
    let mut out = Vec::new();
    let mut field = |name: &str, value: String| {
        for (i, line) in value.lines().enumerate() {
            let label = if i == 0 { name } else { "" };
            out.push((LineKind::Text, format!("{label:<LABEL$}{line}")));
        }
    };
    field("job", format!("{} ({})", job.id, job.name));
    field("failed at", when(job.finished_on));
    field("created", when(job.timestamp));
    field("started", when(job.processed_on));
    let started = detail
        .attempts_started
        .map_or("?".to_string(), |n| n.to_string());
    field(
        "attempts",
        format!("{} made, {started} started", job.attempts_made),
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
    out
}

fn body(detail: &FailedJobDetail) -> Vec<(LineKind, String)> {
    let mut out = Vec::new();
    let mut section = |title: String, text: &str| {
        out.push((LineKind::Text, String::new()));
        out.push((LineKind::Title, format!("── {title} ")));
        out.extend(text.lines().map(|line| (LineKind::Text, line.to_string())));
    };
    section("data".into(), &detail.data.display_text());
    section("opts".into(), &detail.opts.display_text());
    let traces = detail.stacktrace.len();
    for (n, trace) in detail.stacktrace.iter().enumerate() {
        section(format!("stack trace {} of {traces}", n + 1), trace);
    }
    if detail.stacktrace_unreadable {
        section(
            "stack trace".into(),
            "unreadable (not a JSON array of strings)",
        );
    } else if traces == 0 {
        section("stack trace".into(), "(none recorded)");
    }
    if !detail.logs.is_empty() {
        let logs = detail.logs.join("\n");
        section(format!("logs ({})", detail.logs.len()), &logs);
    }
    out
}

fn wrap_lines(lines: &[(LineKind, String)], width: usize) -> Vec<(LineKind, String)> {
    let mut out = Vec::with_capacity(lines.len());
    for (kind, line) in lines {
        out.extend(wrap(line, width).into_iter().map(|part| (*kind, part)));
    }
    out
}

/// Hard-wrap `text` at `width` display columns (stack traces have no spaces to break at); a
/// wide character that does not fit goes to the next line. Tabs become four spaces and other
/// control characters `?`, since they would move the cursor.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    let mut push = |c: char, line: &mut String, used: &mut usize| {
        let w = c.width().unwrap_or(0);
        if *used + w > width && *used > 0 {
            out.push(std::mem::take(line));
            *used = 0;
        }
        line.push(c);
        *used += w;
    };
    for c in text.chars() {
        match c {
            '\t' => (0..4).for_each(|_| push(' ', &mut line, &mut used)),
            c if c.is_control() => push('?', &mut line, &mut used),
            c => push(c, &mut line, &mut used),
        }
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_counts_display_columns() {
        assert_eq!(wrap("abcdef", 4), ["abcd", "ef"]);
        assert_eq!(wrap("", 4), [""]);
        // Each CJK character takes two columns: two fit in 5, the third goes on.
        assert_eq!(wrap("队列队", 5), ["队列", "队"]);
        assert_eq!(wrap("a\tb", 3), ["a  ", "  b"]);
        assert_eq!(wrap("a\u{7}b", 10), ["a?b"]);
        // A character wider than the width still shows, alone on its line.
        assert_eq!(wrap("📦📦", 1), ["📦", "📦"]);
    }

    #[test]
    fn the_body_is_wrapped_again_only_for_a_new_width() {
        let detail = FailedJobDetail {
            job: Default::default(),
            attempts_started: Some(1),
            stalled_count: None,
            processed_by: None,
            data: crate::model::failures::Payload::Json {
                text: r#"{"a":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}"#.into(),
            },
            opts: crate::model::failures::Payload::Missing,
            stacktrace: vec!["Error: boom\n    at f (x.js:1:1)".into()],
            stacktrace_unreadable: false,
            logs: vec![],
        };
        let mut text = DetailText::build("1", Some(Some(&detail)), Zone::Utc, 0, 80);
        let wide = text.len();
        assert!(text
            .lines(0, wide)
            .any(|(kind, line)| *kind == LineKind::Title && line.contains("stack trace 1 of 1")));
        text.rewrap(20);
        assert!(text.len() > wide);
        assert!(text
            .lines(0, text.len())
            .all(|(_, l)| l.chars().count() <= 20));
        let reading = DetailText::build("7", None, Zone::Utc, 0, 80);
        assert_eq!(reading.len(), 1);
    }
}
