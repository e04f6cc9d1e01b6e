//! Quiet queues (`app::tracked`) keep no history of their own: the table, the charts and
//! the advisor must read exactly as if every queue recorded every report. Two apps take
//! the same reports, one with quiet queues and one without, and are compared after each.

use std::time::Duration;

use super::*;
use crate::model::{
    EventTotals, JobTiming, PollReport, QueueCounts, QueueKey, QueueReading, System,
};
use crate::source::SourceEvent;

const INTERVAL: Duration = Duration::from_secs(10);
const T0: i64 = 1_700_000_000_000;

fn reading(key: QueueKey, waiting: u64, totals: Option<EventTotals>) -> QueueReading {
    QueueReading {
        key,
        counts: Some(QueueCounts {
            waiting: Some(waiting),
            active: Some(waiting % 3),
            ..QueueCounts::default()
        }),
        oldest_waiting_ts_ms: Some(T0 - 5_000),
        totals,
        ..QueueReading::default()
    }
}

fn totals(added: u64) -> Option<EventTotals> {
    Some(EventTotals {
        added,
        completed: added / 2,
        ..EventTotals::default()
    })
}

/// The readings of report `n`: queues of every kind quiet, one that starts moving, one
/// that moves with finished jobs, one that comes later, one that goes.
fn readings(n: i64) -> Vec<QueueReading> {
    let bull = |name: &str| QueueKey::new(System::Bullmq, "bull", name);
    let mut out = vec![
        reading(bull("idle"), 5, totals(40)),
        reading(QueueKey::new(System::Rq, "rq", "no-totals"), 2, None),
    ];
    let mut uncounted = reading(QueueKey::new(System::Celery, "", "uncounted"), 1, totals(9));
    uncounted.failed_uncounted = true;
    out.push(uncounted);
    let mut limited = reading(bull("limited"), 7, totals(3));
    limited.limits.rate_limited_ms = Some(900);
    out.push(limited);
    let mut deduplicated = reading(bull("deduplicated"), 0, totals(12));
    if let Some(t) = &mut deduplicated.totals {
        t.deduplicated = 4;
    }
    out.push(deduplicated);
    // Quiet for a while, then one change, then quiet again.
    let wakes = if n < 30 { 1 } else { 4 };
    out.push(reading(
        bull("wakes"),
        wakes,
        totals(100 + u64::from(n >= 30)),
    ));
    // Moves every report, with timings every third.
    let mut busy = reading(bull("busy"), (n % 7) as u64, totals(10 * n as u64));
    if n % 3 == 0 {
        busy.timings = vec![
            JobTiming {
                wait_ms: Some(20 + n as u64),
                processing_ms: Some(100),
            };
            3
        ];
        busy.finished_in_interval = 3;
    }
    out.push(busy);
    if n >= 12 {
        out.push(reading(bull("later"), 3, totals(0)));
    }
    if n < 50 {
        out.push(reading(bull("goes"), 1, totals(1)));
    }
    out
}

fn report(n: i64, omit_unchanged: bool, previous: &[QueueReading]) -> PollReport {
    let all = readings(n);
    let gone = previous
        .iter()
        .filter(|p| p.key.system == System::Bullmq && !all.iter().any(|r| r.key == p.key))
        .map(|p| p.key.clone())
        .collect();
    let queues = if omit_unchanged {
        all.into_iter()
            .filter(|r| r.key.system != System::Bullmq || !previous.contains(r))
            .collect()
    } else {
        all
    };
    PollReport {
        taken_at_ms: T0 + n * INTERVAL.as_millis() as i64,
        queues,
        unchanged_omitted: omit_unchanged,
        gone,
        ..PollReport::default()
    }
}

/// What the user can see of every queue: rows, each queue's charts at every zoom, its
/// history's statistics and the advisor's inputs.
fn seen(app: &mut App) -> Vec<String> {
    let mut out = vec![format!("{:?} {:?}", app.view.rows, app.visible)];
    let keys: Vec<QueueKey> = app.tracked.keys().cloned().collect();
    let now = app.latest_taken_at_ms;
    for key in keys {
        app.selected = Some(key.clone());
        let (series, label) = app.chart_series();
        for zoom in ZOOMS_MS {
            out.push(format!("{label} {zoom} {:?}", series.window(now, zoom)));
        }
        let tracked = &app.tracked[&key];
        let history = tracked.history(&app.quiet);
        out.push(format!(
            "{key} {:?} {:?} {} {:?}",
            history.stats(now, app.rate_window_ms()),
            history.limited_share(app.rate_window_ms()),
            history.max_active_seen,
            history.oldest_waiting_age_s(now),
        ));
    }
    out
}

fn quiet_and_reference() -> (App, App) {
    let quiet = App::new("test", INTERVAL, T0);
    let mut reference = App::new("test", INTERVAL, T0);
    reference.quiet.enabled = false;
    (quiet, reference)
}

fn feed(app: &mut App, report: PollReport) {
    app.update(Action::Source(SourceEvent::Report(Box::new(report))));
}

#[test]
fn quiet_queues_read_as_if_every_report_were_recorded() {
    let (mut quiet, mut reference) = quiet_and_reference();
    let mut previous: Vec<QueueReading> = Vec::new();
    // Past the charts' hour (the quiet series first recorded over an hour ago merge),
    // with an outage and stretches of left-out unchanged readings.
    for n in 0..420 {
        if n == 200 {
            for app in [&mut quiet, &mut reference] {
                app.update(Action::Source(SourceEvent::Disconnected {
                    error: "refused".into(),
                    retry_in: Duration::from_secs(1),
                }));
            }
            continue;
        }
        let omit = n % 5 != 0 && n > 1;
        let report = report(n, omit, &previous);
        previous = readings(n);
        feed(&mut quiet, report.clone());
        feed(&mut reference, report);
        assert_eq!(seen(&mut quiet), seen(&mut reference), "after report {n}");
    }
    // Quiet queues did keep no history: only `busy` and `wakes` have one.
    let moving: Vec<String> = quiet
        .tracked
        .iter()
        .filter(|(_, t)| matches!(t, Tracked::Moving(_)))
        .map(|(k, _)| k.name.to_string())
        .collect();
    assert_eq!(moving, ["busy", "wakes"]);
    // The quiet series first recorded over an hour ago were merged into one; `later`'s
    // first report is younger.
    assert_eq!(quiet.quiet.templates(), 1);
}

/// A queue alone in its quiet series: gone, back (quiet again, from then), then moving
/// (its chart made from that series as its last user leaves it).
#[test]
fn a_queue_alone_goes_comes_back_and_moves() {
    let (mut quiet, mut reference) = quiet_and_reference();
    let key = QueueKey::new(System::Bullmq, "bull", "q");
    let with = |n: i64, waiting: Option<u64>| PollReport {
        taken_at_ms: T0 + n * 10_000,
        queues: waiting
            .map(|w| reading(key.clone(), w, totals(5)))
            .into_iter()
            .collect(),
        ..PollReport::default()
    };
    let steps = [
        (Some(2), 1),
        (Some(2), 1),
        (None, 0),
        (Some(2), 1),
        (Some(2), 1),
        (Some(3), 0),
        (Some(3), 0),
    ];
    for (n, (waiting, templates)) in steps.into_iter().enumerate() {
        let n = n as i64;
        feed(&mut quiet, with(n, waiting));
        feed(&mut reference, with(n, waiting));
        assert_eq!(seen(&mut quiet), seen(&mut reference), "after report {n}");
        assert_eq!(quiet.quiet.templates(), templates, "after report {n}");
    }
}
