//! Dead letters: failed jobs and failure groups. A group is the set of failed jobs whose
//! reasons are the same once the parts that vary per job (numbers, ids, hex, UUIDs, quoted
//! values) are taken out, so `card declined for order 1234` and `… order 98` are one group.

use std::collections::HashMap;

use serde::Serialize;

/// One failed job as the list shows it. JSON field names are a contract.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FailedJob {
    pub id: String,
    pub name: String,
    pub failed_reason: String,
    pub attempts_made: u64,
    /// Epoch ms when the job entered the failed set (the set's score).
    pub finished_on: Option<i64>,
    pub timestamp: Option<i64>,
    pub processed_on: Option<i64>,
    /// Sidekiq: the exception's class and message (`failed_reason` is `Class: message`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// Sidekiq: `retry_count` (0 after the first failure; `attempts_made` is one more).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_count: Option<u64>,
    /// Sidekiq: epoch ms of the first failure and of the latest retry's failure.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retried_at: Option<i64>,
    /// Sidekiq's retry set: epoch ms of the next attempt (the entry's score).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_retry_at: Option<i64>,
    /// The call as the system stored it, arguments included (RQ's `description`, e.g.
    /// `tasks.charge(42, retry=True)`), where it keeps one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl FailedJob {
    /// The first line of the reason, for one-row displays.
    pub fn reason_line(&self) -> &str {
        self.failed_reason.lines().next().unwrap_or_default()
    }
}

/// A job field that may be too large to load or may not be JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    #[default]
    Missing,
    /// Valid JSON, as stored.
    Json { text: String },
    /// Not JSON (or not UTF-8): shown as text, marked unreadable as JSON.
    Raw { text: String },
    /// Larger than qtop loads; `bytes` is its size.
    TooLarge { bytes: u64 },
}

impl Payload {
    /// Pretty JSON, raw text marked as such, or a note on what was not loaded.
    pub fn display_text(&self) -> String {
        match self {
            Payload::Missing => "(none)".to_string(),
            Payload::Json { text } => serde_json::from_str::<serde_json::Value>(text)
                .and_then(|v| serde_json::to_string_pretty(&v))
                .unwrap_or_else(|_| text.clone()),
            Payload::Raw { text } => format!("(not JSON) {text}"),
            Payload::TooLarge { bytes } => format!("({bytes} bytes: not loaded)"),
        }
    }
}

/// A page of a queue's dead letters, newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FailedPage {
    /// Size of the whole set.
    pub total: u64,
    pub offset: u64,
    pub jobs: Vec<FailedJob>,
}

/// Everything qtop shows about one failed job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailedJobDetail {
    #[serde(flatten)]
    pub job: FailedJob,
    pub attempts_started: Option<u64>,
    pub stalled_count: Option<u64>,
    pub processed_by: Option<String>,
    pub data: Payload,
    pub opts: Payload,
    /// One entry per failed attempt (BullMQ's `stacktrace` field).
    pub stacktrace: Vec<String>,
    /// The stacktrace field was present but not a JSON array of strings.
    pub stacktrace_unreadable: bool,
    pub logs: Vec<String>,
}

/// Failed jobs that share a normalised reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FailureGroup {
    /// Short stable id of the group (`qtop dlq retry --group ID`).
    pub id: String,
    /// The normalised reason (`card declined for order <n>`).
    pub reason: String,
    pub count: u64,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    /// One real reason from the group, and its job.
    pub example: String,
    pub example_job_id: String,
}

/// Replace what varies per job with placeholders: quoted values → `<q>`, UUIDs → `<uuid>`,
/// hex of 8+ digits (and 0x…) → `<hex>`, numbers (also inside ids like `job-42`) → `<n>`.
/// Only the first line counts: stack traces and dumps vary too much to group on.
pub fn normalize_reason(reason: &str) -> String {
    let line = reason.lines().next().unwrap_or_default().trim();
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, '"' | '\'' | '`') {
            if let Some(len) = chars[i + 1..].iter().position(|&d| d == c) {
                out.push_str("<q>");
                i += len + 2;
                continue;
            }
        }
        if c.is_ascii_alphanumeric() && (i == 0 || !is_word(chars[i - 1])) {
            let end = (i..chars.len())
                .find(|&j| !(is_word(chars[j]) || chars[j] == '-'))
                .unwrap_or(chars.len());
            let token: String = chars[i..end].iter().collect();
            out.push_str(&normalize_token(&token));
            i = end;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn normalize_token(token: &str) -> String {
    if is_uuid(token) {
        return "<uuid>".to_string();
    }
    let hex_body = token.strip_prefix("0x").unwrap_or(token);
    let is_hex = hex_body.chars().all(|c| c.is_ascii_hexdigit());
    if is_hex
        && (token.starts_with("0x")
            || (hex_body.len() >= 8 && hex_body.chars().any(|c| c.is_ascii_digit())))
    {
        return "<hex>".to_string();
    }
    // Digits anywhere in a token become one `<n>` per run: `order-1234` → `order-<n>`.
    let mut out = String::with_capacity(token.len());
    let mut in_digits = false;
    for c in token.chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                out.push_str("<n>");
            }
            in_digits = true;
        } else {
            in_digits = false;
            out.push(c);
        }
    }
    out
}

fn is_uuid(token: &str) -> bool {
    let parts: Vec<&str> = token.split('-').collect();
    parts.len() == 5
        && [8, 4, 4, 4, 12]
            .iter()
            .zip(&parts)
            .all(|(len, part)| part.len() == *len && part.chars().all(|c| c.is_ascii_hexdigit()))
}

/// A short stable id for a normalised reason (FNV-1a, 8 hex digits).
pub fn group_id(normalized: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in normalized.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

/// Group jobs by normalised reason; the largest group first.
pub fn group_failures<'a>(jobs: impl IntoIterator<Item = &'a FailedJob>) -> Vec<FailureGroup> {
    let mut groups: HashMap<String, FailureGroup> = HashMap::new();
    for job in jobs {
        let reason = normalize_reason(&job.failed_reason);
        let group = groups
            .entry(reason.clone())
            .or_insert_with(|| FailureGroup {
                id: group_id(&reason),
                reason,
                count: 0,
                first_seen: None,
                last_seen: None,
                example: job.reason_line().to_string(),
                example_job_id: job.id.clone(),
            });
        group.count += 1;
        if let Some(at) = job.finished_on {
            group.first_seen = Some(group.first_seen.map_or(at, |t| t.min(at)));
            if group.last_seen.is_none_or(|t| at > t) {
                group.last_seen = Some(at);
                group.example = job.reason_line().to_string();
                group.example_job_id = job.id.clone();
            }
        }
    }
    let mut groups: Vec<FailureGroup> = groups.into_values().collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.reason.cmp(&b.reason)));
    groups
}

/// Does `selector` (a group id or its exact normalised reason) name the group of `reason`?
pub fn matches_group(selector: &str, reason: &str) -> bool {
    let normalized = normalize_reason(reason);
    selector == group_id(&normalized) || selector == normalized
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_normalise_to_their_shape() {
        let cases = [
            (
                "card declined for order 1234",
                "card declined for order <n>",
            ),
            ("card declined for order 98", "card declined for order <n>"),
            ("timeout after 30000ms", "timeout after <n>ms"),
            ("user 'alice' not found", "user <q> not found"),
            ("user \"bob smith\" not found", "user <q> not found"),
            (
                "job 3f2b8c1e-9a4d-4c2e-8f1a-0b2c3d4e5f60 lost",
                "job <uuid> lost",
            ),
            ("bad hash deadbeef12 in 0xFF", "bad hash <hex> in <hex>"),
            (
                "connect ECONNREFUSED 127.0.0.1:6379",
                "connect ECONNREFUSED <n>.<n>.<n>.<n>:<n>",
            ),
            ("order-1234 failed", "order-<n> failed"),
            (
                "first line 1\n    at stack (file.js:10:5)",
                "first line <n>",
            ),
            ("no digits here", "no digits here"),
            ("", ""),
            ("unterminated 'quote 42", "unterminated 'quote <n>"),
            ("ünïcödé 7 ✓", "ünïcödé <n> ✓"),
        ];
        for (reason, expected) in cases {
            assert_eq!(normalize_reason(reason), expected, "reason {reason:?}");
        }
    }

    fn job(id: &str, reason: &str, at: i64) -> FailedJob {
        FailedJob {
            id: id.to_string(),
            failed_reason: reason.to_string(),
            finished_on: Some(at),
            ..FailedJob::default()
        }
    }

    #[test]
    fn failures_group_with_counts_and_times() {
        let jobs = [
            job("1", "card declined for order 1", 100),
            job("2", "card declined for order 2", 300),
            job("3", "timeout after 5000ms", 200),
            job("4", "card declined for order 3", 50),
        ];
        let groups = group_failures(&jobs);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].reason, "card declined for order <n>");
        assert_eq!(groups[0].count, 3);
        assert_eq!(groups[0].first_seen, Some(50));
        assert_eq!(groups[0].last_seen, Some(300));
        assert_eq!(groups[0].example, "card declined for order 2");
        assert_eq!(groups[0].example_job_id, "2");
        assert_eq!(groups[1].count, 1);
        assert!(matches_group(&groups[0].id, "card declined for order 777"));
        assert!(matches_group(
            "card declined for order <n>",
            "card declined for order 5"
        ));
        assert!(!matches_group(&groups[0].id, "timeout after 1ms"));
    }

    #[test]
    fn payloads_display_pretty_or_say_why_not() {
        let json = Payload::Json {
            text: r#"{"a":1}"#.into(),
        };
        assert_eq!(json.display_text(), "{\n  \"a\": 1\n}");
        assert_eq!(
            Payload::TooLarge { bytes: 5 }.display_text(),
            "(5 bytes: not loaded)"
        );
        assert_eq!(
            Payload::Raw { text: "x".into() }.display_text(),
            "(not JSON) x"
        );
        assert_eq!(Payload::Missing.display_text(), "(none)");
    }

    #[test]
    fn group_ids_are_stable_and_short() {
        assert_eq!(group_id("x"), group_id("x"));
        assert_ne!(group_id("x"), group_id("y"));
        assert_eq!(group_id("anything").len(), 8);
    }
}
