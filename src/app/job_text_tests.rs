//! A job's detail as text: the header's timeline, the body's payload sizes and tree, wrapping.

use super::*;
use crate::model::jobs::{Attempts, JobRef};

fn job_ref(key: &str, state: &str) -> JobRef {
    JobRef {
        key: key.into(),
        queue: "bull:q".into(),
        id: key.rsplit(':').next().unwrap_or_default().into(),
        name: Some("n".into()),
        state: state.into(),
    }
}

fn detail() -> JobDetail {
    JobDetail {
        prefix: "bull".into(),
        queue: "q".into(),
        id: "7".into(),
        name: Some("render".into()),
        state: "delayed".into(),
        ahead: Some(2),
        timestamp: Some(1_000),
        due: Some(61_000),
        attempts: Attempts {
            made: 1,
            started: Some(1),
            stalled: Some(0),
            max: Some(3),
        },
        failed_reason: Some("boom".into()),
        stacktrace: vec!["Error: boom\n  at x".into()],
        data: Payload::TooLarge { bytes: 5_000_000 },
        parents: vec![job_ref("bull:p:1", "waiting-children")],
        children: Some(Children {
            unprocessed: 1,
            processed: 2,
            nodes: vec![
                ChildNode {
                    job: job_ref("bull:c:a", "waiting"),
                    dependency: "unprocessed",
                    children: Some(Children {
                        unprocessed: 4,
                        truncated: true,
                        ..Children::default()
                    }),
                    ..ChildNode::default()
                },
                ChildNode {
                    job: job_ref("bull:c:b", "completed"),
                    dependency: "processed",
                    return_value: Some(Payload::Json {
                        text: "{\"ok\": true}".into(),
                    }),
                    ..ChildNode::default()
                },
            ],
            truncated: true,
            ..Children::default()
        }),
        ..JobDetail::default()
    }
}

#[test]
fn the_header_reads_as_a_timeline() {
    let lines: Vec<String> = header(&detail(), Zone::Utc, 31_000)
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    let text = lines.join("\n");
    assert!(text.contains("job         7 (render) in bull:q"), "{text}");
    assert!(
        text.contains("state       delayed · 2 jobs due before it"),
        "{text}"
    );
    assert!(
        text.contains("created     1970-01-01 00:00:01 (30s ago)"),
        "{text}"
    );
    assert!(
        text.contains("due         1970-01-01 00:01:01 (in 30s)"),
        "{text}"
    );
    assert!(
        text.contains("attempts    1 made of 3, 1 started"),
        "{text}"
    );
    assert!(
        text.contains("parent      ↑ bull:p:1 (n) waiting-children"),
        "{text}"
    );
}

#[test]
fn the_body_shows_payload_sizes_and_the_tree() {
    let lines: Vec<String> = body(&detail(), "--full")
        .into_iter()
        .map(|(_, l)| l)
        .collect();
    let text = lines.join("\n");
    assert!(
        text.contains("(5000000 bytes: not loaded; --full loads it)"),
        "{text}"
    );
    assert!(
        text.contains("── children (1 unprocessed, 2 processed)"),
        "{text}"
    );
    assert!(
        text.contains("├─ bull:c:a (n) waiting [unprocessed]"),
        "{text}"
    );
    assert!(
        text.contains("│  └─ 4 unprocessed (not read: depth limit)"),
        "{text}"
    );
    assert!(
        text.contains("├─ bull:c:b (n) completed [processed] → { \"ok\": true }"),
        "{text}"
    );
    assert!(text.contains("└─ … 1 more not shown"), "{text}");
}

#[test]
fn wrapped_text_fits_its_width() {
    let d = detail();
    let mut text = JobText::build(Some(&d), (LineKind::Note, String::new()), Zone::Utc, 0, 100);
    let wide = text.len();
    text.rewrap(20);
    assert!(text.len() > wide);
    assert!(text
        .lines(0, text.len())
        .all(|(_, l)| l.chars().count() <= 20));
    let note = JobText::build(None, (LineKind::Note, "reading".into()), Zone::Utc, 0, 80);
    assert_eq!(note.len(), 1);
}
