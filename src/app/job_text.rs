//! Any job's detail as text, for `qtop job show` and the dashboard's job view: a header of
//! fields (state, timeline with ages, attempts, flow parents) rebuilt as time passes, and a
//! body (payloads pretty-printed, stack traces, logs, the flow's children as a tree) built
//! once per job. Lines carry a kind for styling; the CLI prints them plain. (Over 400
//! lines with its tests, a third of it: the header, the body and the tree read together.)

use crate::model::clock::{age_text, Zone};
use crate::model::failures::Payload;
use crate::model::jobs::{ChildNode, Children, JobDetail};

use super::dlq_text::{wrap, LineKind};

/// Width of the label column of the header fields.
const LABEL: usize = 12;

/// Characters of a child's return value or reason shown on its tree line.
const TREE_VALUE: usize = 80;

/// The header: what the job is, where it stands, its timeline and attempts.
pub fn header(detail: &JobDetail, zone: Zone, now_ms: i64) -> Vec<(LineKind, String)> {
    let when = |ms: Option<i64>| match ms {
        Some(t) if t > now_ms => format!(
            "{} (in {})",
            zone.datetime(Some(t)),
            age_text((t - now_ms) as f64 / 1000.0)
        ),
        Some(t) => format!(
            "{} ({} ago)",
            zone.datetime(Some(t)),
            age_text((now_ms - t) as f64 / 1000.0)
        ),
        None => "-".to_string(),
    };
    let mut out = Vec::new();
    let mut field = |kind: LineKind, name: &str, value: String| {
        for (i, line) in value.lines().enumerate() {
            let label = if i == 0 { name } else { "" };
            out.push((kind, format!("{label:<LABEL$}{line}")));
        }
        if value.is_empty() {
            out.push((kind, name.to_string()));
        }
    };
    let name = detail.name.as_deref().unwrap_or("?");
    field(
        LineKind::Text,
        "job",
        format!(
            "{} ({name}) in {}:{}",
            detail.id, detail.prefix, detail.queue
        ),
    );
    let ahead = match (detail.state.as_str(), detail.ahead) {
        ("delayed", Some(1)) => " · 1 job due before it".to_string(),
        ("delayed", Some(n)) => format!(" · {n} jobs due before it"),
        (_, Some(0)) => " · next to run".to_string(),
        (_, Some(1)) => " · 1 job ahead".to_string(),
        (_, Some(n)) => format!(" · {n} jobs ahead"),
        (_, None) => String::new(),
    };
    field(LineKind::Text, "state", format!("{}{ahead}", detail.state));
    field(LineKind::Text, "created", when(detail.timestamp));
    if detail.due.is_some() {
        field(LineKind::Text, "due", when(detail.due));
    }
    field(LineKind::Text, "started", when(detail.processed_on));
    field(LineKind::Text, "finished", when(detail.finished_on));
    let attempts = &detail.attempts;
    let of = attempts.max.map(|m| format!(" of {m}")).unwrap_or_default();
    let started = attempts
        .started
        .map_or(String::new(), |n| format!(", {n} started"));
    let stalls = match attempts.stalled {
        Some(1) => ", 1 stall".to_string(),
        Some(n) if n > 0 => format!(", {n} stalls"),
        _ => String::new(),
    };
    field(
        LineKind::Text,
        "attempts",
        format!("{} made{of}{started}{stalls}", attempts.made),
    );
    if let Some(worker) = &detail.processed_by {
        field(LineKind::Text, "worker", worker.clone());
    }
    if let Some(priority) = detail.priority.filter(|p| *p > 0) {
        field(LineKind::Text, "priority", priority.to_string());
    }
    if let Some(id) = &detail.scheduler_id {
        field(LineKind::Text, "scheduler", id.clone());
    }
    if let Some(id) = &detail.deduplication_id {
        field(LineKind::Text, "dedup id", id.clone());
    }
    match detail.lock_ttl_ms {
        Some(ms) if ms >= 0 => field(
            LineKind::Text,
            "lock",
            format!("{:.1} s left", ms as f64 / 1000.0),
        ),
        Some(-1) => field(LineKind::Text, "lock", "held, no expiry".into()),
        Some(_) => field(
            LineKind::Warn,
            "lock",
            "gone: its worker died (a stalled check will put it back)".into(),
        ),
        None => {}
    }
    if let Some(reason) = &detail.failed_reason {
        field(LineKind::Warn, "reason", reason.clone());
    }
    if let Some(deferred) = &detail.deferred_failure {
        field(LineKind::Warn, "deferred", deferred.clone());
    }
    for (n, parent) in detail.parents.iter().enumerate() {
        let label = if n == 0 { "parent" } else { "" };
        field(
            LineKind::Text,
            label,
            format!(
                "{}{} ({}) {}",
                "↑ ".repeat(n + 1),
                parent.key,
                parent.name.as_deref().unwrap_or("?"),
                parent.state
            ),
        );
    }
    if detail.parents_truncated {
        field(LineKind::Note, "", "… more parents not read".into());
    }
    for problem in &detail.problems {
        field(LineKind::Warn, "problem", problem.clone());
    }
    out
}

/// The body: payloads, stack traces, logs and the children's tree. `full_hint` names how
/// to load a payload left out for its size.
pub fn body(detail: &JobDetail, full_hint: &str) -> Vec<(LineKind, String)> {
    let mut out = Vec::new();
    let mut section = |title: String, text: &str| {
        out.push((LineKind::Text, String::new()));
        out.push((LineKind::Title, format!("── {title} ")));
        out.extend(text.lines().map(|line| (LineKind::Text, line.to_string())));
    };
    let payload = |p: &Payload| match p {
        Payload::TooLarge { bytes } if !full_hint.is_empty() => {
            format!("({bytes} bytes: not loaded; {full_hint} loads it)")
        }
        other => other.display_text(),
    };
    section("data".into(), &payload(&detail.data));
    section("opts".into(), &payload(&detail.opts));
    if detail.return_value != Payload::Missing {
        section("return value".into(), &payload(&detail.return_value));
    }
    if detail.progress != Payload::Missing {
        section("progress".into(), &payload(&detail.progress));
    }
    let traces = detail.stacktrace.len();
    for (n, trace) in detail.stacktrace.iter().enumerate() {
        section(format!("stack trace {} of {traces}", n + 1), trace);
    }
    if detail.stacktrace_unreadable {
        section(
            "stack trace".into(),
            "unreadable (not a JSON array of strings, or too large)",
        );
    }
    if !detail.logs.is_empty() || detail.logs_total > 0 {
        let title = if detail.logs_total > detail.logs.len() as u64 {
            format!("logs (last {} of {})", detail.logs.len(), detail.logs_total)
        } else {
            format!("logs ({})", detail.logs_total)
        };
        section(title, &detail.logs.join("\n"));
    }
    if let Some(children) = &detail.children {
        out.push((LineKind::Text, String::new()));
        out.push((
            LineKind::Title,
            format!("── children ({}) ", counts_text(children)),
        ));
        tree(children, "", &mut out);
    }
    out
}

fn counts_text(children: &Children) -> String {
    let parts: Vec<String> = [
        (children.unprocessed, "unprocessed"),
        (children.processed, "processed"),
        (children.ignored, "ignored"),
        (children.failed, "failed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, word)| format!("{n} {word}"))
    .collect();
    parts.join(", ")
}

fn tree(children: &Children, indent: &str, out: &mut Vec<(LineKind, String)>) {
    let listed = children.nodes.len();
    let more = children.total().saturating_sub(listed as u64);
    for (n, node) in children.nodes.iter().enumerate() {
        let last = n + 1 == listed && more == 0;
        let (branch, next_indent) = if last {
            ("└─ ", format!("{indent}   "))
        } else {
            ("├─ ", format!("{indent}│  "))
        };
        out.push((
            kind_of(node),
            format!("{indent}{branch}{}", node_line(node)),
        ));
        if let Some(grandchildren) = &node.children {
            if grandchildren.nodes.is_empty() {
                out.push((
                    LineKind::Note,
                    format!(
                        "{next_indent}└─ {} (not read: depth limit)",
                        counts_text(grandchildren)
                    ),
                ));
            } else {
                tree(grandchildren, &next_indent, out);
            }
        }
    }
    if more > 0 {
        out.push((
            LineKind::Note,
            format!("{indent}└─ … {more} more not shown"),
        ));
    }
}

fn kind_of(node: &ChildNode) -> LineKind {
    match (node.dependency, node.job.state.as_str()) {
        ("failed" | "ignored", _) | (_, "failed" | "missing" | "unreadable") => LineKind::Warn,
        _ => LineKind::Text,
    }
}

fn node_line(node: &ChildNode) -> String {
    let job = &node.job;
    let name = job.name.as_deref().unwrap_or("?");
    let mut line = format!("{} ({name}) {} [{}]", job.key, job.state, node.dependency);
    let flat = |text: String| -> String {
        let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if one.chars().count() > TREE_VALUE {
            let cut: String = one.chars().take(TREE_VALUE - 1).collect();
            format!("{cut}…")
        } else {
            one
        }
    };
    if let Some(value) = &node.return_value {
        line.push_str(&format!(" → {}", flat(value.display_text())));
    }
    if let Some(reason) = &node.failed_reason {
        line.push_str(&format!(" ✗ {}", flat(reason.clone())));
    }
    line
}

/// A job's text wrapped to a width, for a scrolling pane: the header is rebuilt as time
/// passes, the body only when the job or the width changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobText {
    header: Vec<(LineKind, String)>,
    body: Vec<(LineKind, String)>,
    width: usize,
    wrapped_header: Vec<(LineKind, String)>,
    wrapped_body: Vec<(LineKind, String)>,
}

impl JobText {
    /// The text of a job; `note` instead (reading, not found, an error) when there is none.
    pub fn build(
        detail: Option<&JobDetail>,
        note: (LineKind, String),
        zone: Zone,
        now_ms: i64,
        width: usize,
    ) -> Self {
        let mut text = Self::default();
        match detail {
            Some(detail) => {
                text.header = header(detail, zone, now_ms);
                text.body = body(detail, "");
            }
            None => text.header = vec![note],
        }
        text.width = width.max(1);
        text.wrapped_header = wrap_lines(&text.header, text.width);
        text.wrapped_body = wrap_lines(&text.body, text.width);
        text
    }

    /// New ages in the header (the body stays as built).
    pub fn refresh_header(&mut self, detail: &JobDetail, zone: Zone, now_ms: i64) {
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

fn wrap_lines(lines: &[(LineKind, String)], width: usize) -> Vec<(LineKind, String)> {
    lines
        .iter()
        .flat_map(|(kind, line)| wrap(line, width).into_iter().map(move |part| (*kind, part)))
        .collect()
}

#[cfg(test)]
#[path = "job_text_tests.rs"]
mod tests;
