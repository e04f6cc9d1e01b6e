//! Memory budgets of the dashboard's state, measured as the RSS of this test process
//! (each integration test file is its own process; the two tests run one after the
//! other, see `serial`).
//!
//! - 100 busy queues for an hour of one-second readings stay within 25 MB;
//! - 10,000 idle queues are survivable, and a report of them is handled quickly.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use qtop::app::{Action, App};
use qtop::model::{
    EventTotals, JobTiming, PollReport, QueueCounts, QueueKey, QueueReading, WorkersReading,
};
use qtop::source::SourceEvent;

static SERIAL: Mutex<()> = Mutex::new(());

fn vm_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn reading(name: String, n: u64, busy: bool) -> QueueReading {
    // Vary everything a little so no two buckets compress into one run.
    let wobble = (n * 7 + name.len() as u64) % 13;
    let timings = if busy {
        (0..20)
            .map(|i| JobTiming {
                wait_ms: Some(5 + (i * 11 + n) % 300),
                processing_ms: Some(20 + (i * 37 + n * 3) % 2_000),
            })
            .collect()
    } else {
        Vec::new()
    };
    QueueReading {
        key: QueueKey {
            prefix: "bull".into(),
            name,
        },
        counts: Some(QueueCounts {
            waiting: if busy { 10 + wobble } else { 0 },
            active: if busy { wobble % 4 } else { 0 },
            completed: if busy { 100 * n } else { 3 },
            ..QueueCounts::default()
        }),
        totals: if busy {
            EventTotals {
                added: 20 * n + wobble,
                completed: 19 * n,
                failed: n,
            }
        } else {
            EventTotals::default()
        },
        finished_in_interval: timings.len() as u64,
        timings,
        ..QueueReading::default()
    }
}

fn report(t_ms: i64, n: u64, queues: usize, busy: bool) -> PollReport {
    PollReport {
        taken_at_ms: t_ms,
        redis_version: "7.2.4".into(),
        queues: (0..queues)
            .map(|i| reading(format!("queue-{i:05}"), n, busy))
            .collect(),
        workers: WorkersReading::Listed(Vec::new()),
        ..PollReport::default()
    }
}

#[test]
fn a_hundred_busy_queues_for_an_hour_stay_within_25_mb() {
    let _serial = SERIAL.lock();
    let t0 = 1_795_856_400_000i64;
    let mut app = App::new("redis://x:1", Duration::from_secs(1), t0);
    app.update(Action::Resize(200, 50));
    // An hour and a bit, so every ring has wrapped.
    for n in 0..3_700u64 {
        let t = t0 + n as i64 * 1000;
        app.update(Action::Tick(t));
        app.update(Action::Source(SourceEvent::Report(Box::new(report(
            t, n, 100, true,
        )))));
    }
    let rss_mb = vm_rss_kb() as f64 / 1024.0;
    eprintln!("100 busy queues after an hour: RSS {rss_mb:.1} MB");
    assert!(rss_mb < 25.0, "RSS {rss_mb:.1} MB");
    // The charts still draw the whole hour.
    let screen = qtop::ui::render_to_string(&app, 200, 50);
    assert!(screen.contains("queue-00000"));
}

#[test]
fn ten_thousand_idle_queues_are_cheap_enough() {
    let _serial = SERIAL.lock();
    let t0 = 1_795_856_400_000i64;
    let mut app = App::new("redis://x:1", Duration::from_secs(1), t0);
    app.update(Action::Resize(200, 50));
    let before = vm_rss_kb();
    let mut slowest = Duration::ZERO;
    for n in 0..30u64 {
        let t = t0 + n as i64 * 1000;
        let report = report(t, n, 10_000, false);
        let started = Instant::now();
        app.update(Action::Source(SourceEvent::Report(Box::new(report))));
        slowest = slowest.max(started.elapsed());
    }
    let grown_mb = vm_rss_kb().saturating_sub(before) as f64 / 1024.0;
    eprintln!("10,000 idle queues: +{grown_mb:.1} MB, slowest report {slowest:?}");
    assert!(grown_mb < 80.0, "+{grown_mb:.1} MB");
    // Generous: unoptimised test builds on a busy 2-core machine.
    assert!(slowest < Duration::from_secs(2), "{slowest:?}");
    let screen = qtop::ui::render_to_string(&app, 200, 50);
    assert!(screen.contains("queues (10000)"), "{screen}");
}
