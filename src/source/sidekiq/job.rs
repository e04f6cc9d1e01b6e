//! Tolerant reading of one Sidekiq job (JSON stored by value in a queue list, a sorted set
//! or a worker's work entry). Every field may be missing or of the wrong type; nothing here
//! panics. Versions differ (../shared/sidekiq-model.md §2, §8): times are float seconds up
//! to 7.x and integer milliseconds from 8.0; backtraces are base64 (newline-wrapped in 6.x)
//! of zlib-deflated JSON.

use std::io::Read;

use base64::Engine;
use serde_json::Value;

/// The fields qtop shows of a job.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Job {
    /// The job class; for ActiveJob, the wrapped class (`wrapped`), not the adapter.
    pub class: String,
    pub queue: Option<String>,
    pub jid: Option<String>,
    pub args: Option<Value>,
    pub created_at_ms: Option<i64>,
    pub enqueued_at_ms: Option<i64>,
    pub failed_at_ms: Option<i64>,
    pub retried_at_ms: Option<i64>,
    pub retry_count: Option<u64>,
    pub error_class: Option<String>,
    pub error_message: Option<String>,
    /// The stored backtrace, still encoded.
    pub error_backtrace: Option<Value>,
    /// `created_at` was an integer: an 8.x job (times in ms).
    pub times_in_ms: bool,
}

/// `JobWrapper` of Rails' ActiveJob adapter (≤ 7.x) and Sidekiq's own (8.0+).
const ACTIVE_JOB_WRAPPERS: [&str; 2] = [
    "ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper",
    "Sidekiq::ActiveJob::Wrapper",
];

impl Job {
    /// Parse a job's JSON; `None` when it is not a JSON object.
    pub fn parse(text: &[u8]) -> Option<Job> {
        let value: Value = serde_json::from_slice(text).ok()?;
        Self::from_value(&value)
    }

    pub fn from_value(value: &Value) -> Option<Job> {
        let object = value.as_object()?;
        let text = |name: &str| object.get(name).and_then(Value::as_str).map(str::to_string);
        let time = |name: &str| object.get(name).and_then(time_ms);
        let class = text("class").unwrap_or_default();
        let class = match text("wrapped") {
            Some(wrapped) if ACTIVE_JOB_WRAPPERS.contains(&class.as_str()) => wrapped,
            // `display_class` is what Sidekiq's UI shows for a wrapper it does not know.
            _ => text("display_class").unwrap_or(class),
        };
        Some(Job {
            class,
            queue: text("queue"),
            jid: text("jid"),
            args: object.get("args").cloned(),
            created_at_ms: time("created_at"),
            enqueued_at_ms: time("enqueued_at"),
            failed_at_ms: time("failed_at"),
            retried_at_ms: time("retried_at"),
            retry_count: object.get("retry_count").and_then(Value::as_u64),
            error_class: text("error_class"),
            error_message: text("error_message"),
            error_backtrace: object.get("error_backtrace").cloned(),
            times_in_ms: object.get("created_at").is_some_and(Value::is_i64),
        })
    }

    /// The backtrace lines, if one was stored: `Ok(None)` when there is none, `Err` when it
    /// cannot be read.
    pub fn backtrace(&self) -> Result<Option<Vec<String>>, String> {
        match &self.error_backtrace {
            None | Some(Value::Null) => Ok(None),
            Some(stored) => decode_backtrace(stored).map(Some),
        }
    }
}

/// A Sidekiq time as epoch ms: a float (or a decimal string) is seconds (≤ 7.x), an integer
/// is milliseconds (8.0+). Integers small enough to be seconds (before 2001 in ms) are
/// taken as seconds, so a hand-written `"enqueued_at": 1700000000` reads right too.
pub fn time_ms(value: &Value) -> Option<i64> {
    const MS_FROM: i64 = 1_000_000_000_000;
    let ms = match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            let n = n.as_i64()?;
            if n >= MS_FROM {
                n
            } else {
                n.checked_mul(1000)?
            }
        }
        Value::Number(n) => seconds_to_ms(n.as_f64()?)?,
        Value::String(s) => seconds_to_ms(s.trim().parse().ok()?)?,
        _ => return None,
    };
    (ms > 0).then_some(ms)
}

fn seconds_to_ms(seconds: f64) -> Option<i64> {
    let ms = (seconds * 1000.0).round();
    (ms.is_finite() && ms.abs() < 1e16).then_some(ms as i64)
}

/// A work entry's payload: a JSON string holding the job (double-encoded, 6.x and later)
/// or the job object itself (older).
pub fn payload_job(payload: &Value) -> Option<Job> {
    match payload {
        Value::String(text) => Job::parse(text.as_bytes()),
        other => Job::from_value(other),
    }
}

/// `error_backtrace`: base64 (with or without line breaks) of zlib-deflated JSON (an array
/// of strings), or a raw array (very old jobs).
pub fn decode_backtrace(stored: &Value) -> Result<Vec<String>, String> {
    let lines = |items: &[Value]| {
        items
            .iter()
            .map(|line| match line {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()
    };
    match stored {
        Value::Array(items) => Ok(lines(items)),
        Value::String(encoded) => {
            let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
            let compressed = base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .map_err(|e| format!("backtrace is not base64: {e}"))?;
            let mut json = Vec::new();
            flate2::read::ZlibDecoder::new(compressed.as_slice())
                .take(16 << 20)
                .read_to_end(&mut json)
                .map_err(|e| format!("backtrace is not zlib data: {e}"))?;
            match serde_json::from_slice::<Value>(&json) {
                Ok(Value::Array(items)) => Ok(lines(&items)),
                // Sidekiq < 6 stored Ruby Marshal data: not readable outside Ruby.
                _ => Err("backtrace is not a JSON array (old Marshal format?)".to_string()),
            }
        }
        _ => Err("backtrace is neither text nor an array".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn deflate_base64(json: &str, wrap: bool) -> String {
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(json.as_bytes()).unwrap_or_default();
        let bytes = encoder.finish().unwrap_or_default();
        let text = base64::engine::general_purpose::STANDARD.encode(bytes);
        if !wrap {
            return text;
        }
        // Ruby's Base64.encode64: a newline every 60 characters and at the end (6.x).
        let mut wrapped = String::new();
        for chunk in text.as_bytes().chunks(60) {
            wrapped.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            wrapped.push('\n');
        }
        wrapped
    }

    /// Fixtures written from the versions' sources: how each one stores the same job.
    #[test]
    fn jobs_of_every_version_read_alike() {
        struct Case {
            version: &'static str,
            json: String,
            enqueued_ms: i64,
            class: &'static str,
        }
        let trace = r#"["app/jobs/x.rb:3:in `perform'","lib/a.rb:1"]"#;
        let cases = [
            Case {
                version: "6.4 (float s, wrapped base64)",
                json: format!(
                    r#"{{"retry":true,"queue":"mail","class":"MailJob","args":[1],"jid":"a1","created_at":1796365700.5,"enqueued_at":1796365723.125,"error_message":"boom","error_class":"RuntimeError","failed_at":1796365724.0,"retry_count":0,"error_backtrace":{}}}"#,
                    serde_json::to_string(&deflate_base64(trace, true)).unwrap_or_default()
                ),
                enqueued_ms: 1_796_365_723_125,
                class: "MailJob",
            },
            Case {
                version: "7.x (float s, strict base64, ActiveJob)",
                json: format!(
                    r#"{{"retry":true,"queue":"mail","class":"ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper","wrapped":"WelcomeMailer","args":[{{"job_class":"WelcomeMailer"}}],"jid":"a1","created_at":1796365700.5,"enqueued_at":1796365723.125,"error_message":"boom","error_class":"RuntimeError","failed_at":1796365724.0,"retry_count":0,"error_backtrace":{}}}"#,
                    serde_json::to_string(&deflate_base64(trace, false)).unwrap_or_default()
                ),
                enqueued_ms: 1_796_365_723_125,
                class: "WelcomeMailer",
            },
            Case {
                version: "8.x (int ms, Sidekiq's own ActiveJob wrapper)",
                json: format!(
                    r#"{{"retry":true,"queue":"mail","class":"Sidekiq::ActiveJob::Wrapper","wrapped":"WelcomeMailer","args":[],"jid":"a1","created_at":1796365700500,"enqueued_at":1796365723125,"error_message":"boom","error_class":"RuntimeError","failed_at":1796365724000,"retry_count":0,"error_backtrace":{}}}"#,
                    serde_json::to_string(&deflate_base64(trace, false)).unwrap_or_default()
                ),
                enqueued_ms: 1_796_365_723_125,
                class: "WelcomeMailer",
            },
        ];
        for case in cases {
            let job = Job::parse(case.json.as_bytes()).unwrap_or_default();
            assert_eq!(
                job.enqueued_at_ms,
                Some(case.enqueued_ms),
                "{}",
                case.version
            );
            assert_eq!(
                job.failed_at_ms,
                Some(1_796_365_724_000),
                "{}",
                case.version
            );
            assert_eq!(job.class, case.class, "{}", case.version);
            assert_eq!(job.queue.as_deref(), Some("mail"), "{}", case.version);
            let lines = job.backtrace().unwrap_or_default().unwrap_or_default();
            assert_eq!(lines.len(), 2, "{}", case.version);
            assert!(lines[0].contains("perform"), "{}", case.version);
        }
    }

    #[test]
    fn garbage_never_panics_and_says_what_is_wrong() {
        for text in [
            "",
            "null",
            "[1,2]",
            "{",
            "\"x\"",
            "{\"enqueued_at\":\"soon\"}",
        ] {
            let job = Job::parse(text.as_bytes());
            assert!(job.is_none() || job.is_some_and(|j| j.enqueued_at_ms.is_none()));
        }
        let bad = Job::parse(br#"{"error_backtrace":"!!not base64"}"#).unwrap_or_default();
        assert!(bad.backtrace().is_err());
        let not_zlib = Job::parse(br#"{"error_backtrace":"aGVsbG8="}"#).unwrap_or_default();
        assert!(not_zlib.backtrace().is_err());
        let raw = Job::parse(br#"{"error_backtrace":["a","b"]}"#).unwrap_or_default();
        assert_eq!(raw.backtrace(), Ok(Some(vec!["a".into(), "b".into()])));
        assert_eq!(time_ms(&Value::from(-5.0)), None);
        assert_eq!(time_ms(&Value::from(1.0e300)), None);
    }

    #[test]
    fn work_payloads_may_be_double_encoded() {
        let inner = r#"{"class":"A","queue":"q","enqueued_at":1.5e9}"#;
        let doubled = Value::String(inner.to_string());
        assert_eq!(
            payload_job(&doubled).and_then(|j| j.queue),
            Some("q".to_string())
        );
        let plain: Value = serde_json::from_str(inner).unwrap_or_default();
        assert_eq!(
            payload_job(&plain).and_then(|j| j.enqueued_at_ms),
            Some(1_500_000_000_000)
        );
    }
}
