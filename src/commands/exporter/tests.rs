//! The exporter's state and encoding from polls made up here (the real poller, Redis,
//! BullMQ and Prometheus are in `tests/exporter.rs`).

use std::sync::Arc;
use std::time::Duration;

use super::metrics::encode;
use super::published::Format;
use super::state::{ExporterState, Health};
use crate::model::{
    ClientList, EventTotals, Heartbeat, JobTiming, PollReport, QueueCounts, QueueKey, QueueReading,
};
use crate::source::SourceEvent;

const T0: i64 = 1_796_000_000_000;

fn key(name: &str) -> QueueKey {
    QueueKey::bullmq("bull", name)
}

fn reading(name: &str, completed: u64, timed: usize) -> QueueReading {
    QueueReading {
        key: key(name),
        counts: Some(QueueCounts {
            waiting: Some(2),
            active: Some(0),
            prioritized: Some(0),
            delayed: Some(0),
            completed: Some(completed),
            failed: Some(0),
            waiting_children: Some(0),
            ..QueueCounts::default()
        }),
        paused: Some(false),
        oldest_waiting_ts_ms: Some(T0 - 3_000),
        totals: Some(EventTotals {
            added: completed,
            completed,
            failed: 0,
            ..EventTotals::default()
        }),
        timings: vec![
            JobTiming {
                wait_ms: Some(20),
                processing_ms: Some(150),
            };
            timed
        ],
        ..QueueReading::default()
    }
}

fn report(t_ms: i64, queues: Vec<QueueReading>) -> SourceEvent {
    SourceEvent::Report(Box::new(PollReport {
        taken_at_ms: t_ms,
        redis_version: "7.2.0".into(),
        queues,
        ..PollReport::default()
    }))
}

fn text(state: &ExporterState, format: Format) -> String {
    encode(Arc::new(state.publish()), format).unwrap_or_default()
}

/// The sample of `series` (name and labels as written) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

const EMAILS: &str = r#"{system="bullmq",prefix="bull",queue="emails"}"#;
const REPORTS: &str = r#"{system="bullmq",prefix="bull",queue="reports"}"#;

#[test]
fn a_queue_that_disappears_stops_being_exported_and_counts_on_when_it_returns() {
    let mut state = ExporterState::new(60_000, 2_000.0);
    state.apply(report(
        T0,
        vec![reading("emails", 10, 10), reading("reports", 4, 0)],
    ));
    let before = text(&state, Format::Prometheus);
    assert_eq!(
        sample(&before, &format!("qtop_jobs_completed_total{REPORTS}")),
        Some(4.0)
    );
    // The poller forgot `reports` (its keys are gone).
    state.apply(report(T0 + 1000, vec![reading("emails", 12, 2)]));
    let gone = text(&state, Format::Prometheus);
    assert!(!gone.contains(r#"queue="reports""#), "{gone}");
    assert_eq!(
        sample(&gone, &format!("qtop_jobs_completed_total{EMAILS}")),
        Some(12.0)
    );
    assert_eq!(
        sample(&gone, &format!("qtop_job_wait_seconds_count{EMAILS}")),
        Some(12.0)
    );
    // Back, with the poller's totals started again from zero: 3 more, not back to 3.
    state.apply(report(
        T0 + 2000,
        vec![reading("emails", 12, 0), reading("reports", 3, 0)],
    ));
    let back = text(&state, Format::Prometheus);
    assert_eq!(
        sample(&back, &format!("qtop_jobs_completed_total{REPORTS}")),
        Some(7.0)
    );
    // Its series is the same one: same _created.
    let created = format!("qtop_jobs_completed_created{REPORTS}");
    assert_eq!(sample(&back, &created), sample(&before, &created));
    assert_eq!(sample(&back, &created), Some(T0 as f64 / 1000.0));
}

#[test]
fn while_redis_is_down_counters_stay_and_gauges_go() {
    let mut state = ExporterState::new(60_000, 2_000.0);
    state.apply(report(T0, vec![reading("emails", 10, 10)]));
    let up = text(&state, Format::Prometheus);
    assert_eq!(sample(&up, "qtop_redis_up"), Some(1.0));
    assert_eq!(
        sample(
            &up,
            &format!("qtop_queue_oldest_waiting_age_seconds{EMAILS}")
        ),
        Some(3.0)
    );
    assert!(
        up.contains(r#"bullmq_job_count{queue="emails",state="waiting-children",prefix="bull"} 0"#),
        "{up}"
    );
    state.apply(SourceEvent::Disconnected {
        error: "Connection refused".into(),
        retry_in: Duration::from_secs(1),
    });
    assert!(matches!(&state.health, Health::Down(reason) if reason.contains("Connection refused")));
    assert!(
        state.snapshot().is_none(),
        "no snapshot of a poll that failed"
    );
    let down = text(&state, Format::Prometheus);
    assert_eq!(sample(&down, "qtop_redis_up"), Some(0.0));
    assert_eq!(
        sample(&down, &format!("qtop_jobs_completed_total{EMAILS}")),
        Some(10.0)
    );
    assert_eq!(
        sample(&down, &format!("qtop_job_processing_seconds_count{EMAILS}")),
        Some(10.0)
    );
    for stale in [
        "bullmq_job_count",
        "qtop_queue_jobs",
        "qtop_queue_oldest_waiting_age_seconds",
        "qtop_queue_paused",
        "qtop_poll_duration_seconds",
    ] {
        assert!(
            !down.contains(stale),
            "{stale} while Redis is down:\n{down}"
        );
    }
}

#[test]
fn unknown_figures_are_left_out_not_zero() {
    let mut state = ExporterState::new(60_000, 2_000.0);
    let mut never_read = reading("emails", 0, 0);
    never_read.counts = None;
    state.apply(SourceEvent::Report(Box::new(PollReport {
        taken_at_ms: T0,
        queues: vec![never_read],
        client_list: ClientList::NotPermitted,
        ..PollReport::default()
    })));
    let out = text(&state, Format::Prometheus);
    for unknown in [
        "bullmq_job_count",
        "qtop_queue_jobs",
        "qtop_queue_workers",
        "qtop_queue_oldest_waiting_age",
        "qtop_queue_paused",
        "qtop_queue_recommended_workers",
    ] {
        assert!(!out.contains(unknown), "{unknown} is not known:\n{out}");
    }
    // What is known is there: nothing counted yet since the exporter started.
    assert_eq!(
        sample(&out, &format!("qtop_jobs_added_total{EMAILS}")),
        Some(0.0)
    );
    // No job timed yet: no latency histogram (a thousand idle queues would be mostly that).
    assert!(!out.contains("qtop_job_wait_seconds"), "{out}");
    assert!(!out.contains("qtop_job_processing_seconds"), "{out}");
}

#[test]
fn label_values_are_escaped_in_both_formats() {
    let mut state = ExporterState::new(60_000, 2_000.0);
    let name = "em\"ails\\x\ny";
    state.apply(report(T0, vec![reading(name, 1, 1)]));
    for format in [Format::Prometheus, Format::OpenMetrics] {
        let out = text(&state, format);
        assert!(
            out.contains(r#"queue="em\"ails\\x\ny""#),
            "{format:?}:\n{out}"
        );
        assert!(!out.contains("\ny\""), "a raw newline in a label value");
    }
}

#[test]
fn both_formats_carry_the_same_samples() {
    let mut state = ExporterState::new(60_000, 2_000.0);
    state.apply(SourceEvent::Report(Box::new(PollReport {
        taken_at_ms: T0,
        queues: vec![reading("emails", 10, 10)],
        heartbeats: vec![(
            key("emails"),
            Heartbeat {
                worker: "qtop-h-1".into(),
                concurrency: 4,
                current: vec!["1".into(), "2".into()],
                last_beat_ms: T0,
                beat_ms: 1000,
                ..Heartbeat::default()
            },
        )],
        ..PollReport::default()
    })));
    let text_format = text(&state, Format::Prometheus);
    let openmetrics = text(&state, Format::OpenMetrics);
    assert!(openmetrics.ends_with("# EOF\n"));
    assert!(openmetrics.contains("# TYPE qtop_jobs_completed counter"));
    assert!(text_format.contains("# TYPE qtop_jobs_completed_total counter"));
    assert_eq!(samples(&text_format), samples(&openmetrics));
    assert!(samples(&text_format).len() > 60);
    assert_eq!(
        sample(
            &text_format,
            r#"qtop_worker_busy{system="bullmq",name="qtop-h-1"}"#
        ),
        Some(2.0)
    );
    assert!(text_format.contains(&format!(
        "qtop_build_info{{version=\"{}\"}} 1",
        env!("CARGO_PKG_VERSION")
    )));
}

/// A sample: its name, its labels (sorted) and its value.
type Sample = (String, Vec<(String, String)>, f64);

/// Every sample of an exposition as `(name, sorted labels, value)`: the two formats order
/// labels and write numbers (`le="1"`, `le="1.0"`) each their own way. Enough of a parser
/// for the label values written here (no `,` or `"` inside them).
fn samples(text: &str) -> Vec<Sample> {
    let mut out: Vec<_> = text
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let mut labels: Vec<(String, String)> = labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    let v = v.trim_matches('"');
                    // `le` is a number however it is written.
                    let v = match (k, v.parse::<f64>()) {
                        ("le", Ok(n)) => n.to_string(),
                        _ => v.to_string(),
                    };
                    Some((k.to_string(), v))
                })
                .collect();
            labels.sort();
            Some((name.to_string(), labels, value.parse().ok()?))
        })
        .collect();
    out.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    out
}

#[test]
fn the_command_takes_every_global_flag() {
    use clap::Parser;

    use crate::cli::{Cli, Command};
    let cli = Cli::try_parse_from(["qtop", "exporter"]).unwrap_or_else(|e| panic!("{e}"));
    let Some(Command::Exporter(args)) = cli.command else {
        panic!("not the exporter")
    };
    assert_eq!(args.listen, "127.0.0.1:9464");
    assert_eq!(args.window, Duration::from_secs(60));
    assert_eq!(args.target_wait, Duration::from_secs(2));
    let cli = Cli::try_parse_from([
        "qtop",
        "exporter",
        "--listen",
        "0.0.0.0:9100",
        "--redis",
        "rediss://h:1",
        "--prefix",
        "{bull}",
        "--queue",
        "emails",
        "--interval",
        "5s",
        "--cluster",
        "--insecure",
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(cli.command, Some(Command::Exporter(ref a)) if a.listen == "0.0.0.0:9100"));
    assert_eq!(cli.global.redis, ["rediss://h:1"]);
    assert_eq!(cli.global.prefixes, ["{bull}"]);
    assert_eq!(cli.global.queues, ["emails"]);
    assert_eq!(cli.global.interval, Duration::from_secs(5));
    assert!(cli.global.cluster && cli.global.insecure);
}

#[test]
fn dropped_adds_are_their_own_counters_not_added_jobs() {
    let mut state = ExporterState::new(60_000, 2_000.0);
    let with_drops = |deduplicated, debounced, duplicated| {
        let mut q = reading("emails", 5, 0);
        q.totals = Some(EventTotals {
            added: 5,
            completed: 5,
            deduplicated,
            debounced,
            duplicated,
            ..EventTotals::default()
        });
        q
    };
    state.apply(report(T0, vec![with_drops(7, 2, 1)]));
    state.apply(report(T0 + 1000, vec![with_drops(10, 2, 4)]));
    let out = text(&state, Format::Prometheus);
    let value = |name: &str| sample(&out, &format!("{name}_total{EMAILS}"));
    assert_eq!(value("qtop_jobs_added"), Some(5.0));
    assert_eq!(value("qtop_jobs_deduplicated"), Some(10.0));
    assert_eq!(value("qtop_jobs_debounced"), Some(2.0));
    assert_eq!(value("qtop_jobs_duplicated"), Some(4.0));
}
