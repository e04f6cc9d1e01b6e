//! Sample `PollReport`s for tests: a fixed, busy little system, reading by reading, so
//! tests build `App` state the way the poller does instead of poking fields.

use std::time::Duration;

use crate::model::{
    EventTotals, Heartbeat, JobTiming, PollReport, PollStats, QueueCounts, QueueKey, QueueReading,
    WorkerInfo, WorkerLibrary,
};
use crate::source::bullmq::counts::JobCounts;
use crate::source::SourceEvent;

use super::{Action, App};

/// 2026-11-28T09:00:00Z: every fixture starts here.
pub const T0_MS: i64 = 1_795_856_400_000;

pub fn key(name: &str) -> QueueKey {
    QueueKey::bullmq("bull", name)
}

/// A BullMQ queue's counts: every state present.
fn bull(counts: JobCounts) -> QueueCounts {
    counts.into()
}

fn worker(queue: &str, name: &str, port: u16, library: WorkerLibrary, idle_s: u64) -> WorkerInfo {
    WorkerInfo {
        prefix: "bull".into(),
        queue: queue.into(),
        name: name.into(),
        addr: format!("10.0.0.7:{port}"),
        age_s: 3_600,
        idle_s: Some(idle_s),
        library,
        connections: Some(if library == WorkerLibrary::Python {
            2
        } else {
            1
        }),
        ..WorkerInfo::default()
    }
}

/// The `n`th reading (one per second from `T0_MS`).
pub fn report(n: u64) -> PollReport {
    let t = T0_MS + n as i64 * 1000;
    let timings = |wait: u64, processing: u64, count: u64| -> Vec<JobTiming> {
        (0..count)
            .map(|i| JobTiming {
                wait_ms: Some(wait + i * 3 % 17),
                processing_ms: Some(processing + (i * 37) % (processing / 2 + 1)),
            })
            .collect()
    };
    let orders = QueueReading {
        key: key("orders"),
        counts: Some(bull(JobCounts {
            waiting: 12 + n % 7,
            active: 4,
            completed: 1_000 + 38 * n,
            failed: 20 + 2 * n,
            ..JobCounts::default()
        })),
        oldest_waiting_ts_ms: Some(t - 2_500),
        totals: Some(EventTotals {
            added: 40 * n,
            completed: 38 * n,
            failed: 2 * n,
            ..EventTotals::default()
        }),
        timings: timings(20, 120, 40),
        finished_in_interval: 40,
        ..QueueReading::default()
    };
    // Arrivals outpace completions: the backlog grows.
    let thumbnails = QueueReading {
        key: key("thumbnails"),
        counts: Some(bull(JobCounts {
            waiting: 100 + 15 * n,
            active: 2,
            completed: 10 * n,
            ..JobCounts::default()
        })),
        oldest_waiting_ts_ms: Some(T0_MS - 45_000),
        totals: Some(EventTotals {
            added: 25 * n,
            completed: 10 * n,
            failed: 0,
            ..EventTotals::default()
        }),
        timings: timings(1_500, 200, 10),
        finished_in_interval: 10,
        ..QueueReading::default()
    };
    // Work waiting and no worker at all.
    let emails = QueueReading {
        key: key("emails"),
        counts: Some(bull(JobCounts {
            waiting: 5,
            delayed: 3,
            prioritized: 4,
            waiting_children: 1,
            ..JobCounts::default()
        })),
        oldest_waiting_ts_ms: Some(T0_MS - 600_000),
        // A BullMQ queue always has its events' totals, quiet ones too.
        totals: Some(EventTotals::default()),
        ..QueueReading::default()
    };
    let paused = QueueReading {
        key: key("paused-q"),
        counts: Some(bull(JobCounts {
            waiting: 3,
            ..JobCounts::default()
        })),
        paused: Some(true),
        oldest_waiting_ts_ms: Some(T0_MS - 90_000),
        // A BullMQ queue always has its events' totals, quiet ones too.
        totals: Some(EventTotals::default()),
        ..QueueReading::default()
    };
    let billing = QueueReading {
        key: key("billing"),
        counts: Some(bull(JobCounts {
            completed: 2,
            failed: 4,
            ..JobCounts::default()
        })),
        // A BullMQ queue always has its events' totals, quiet ones too.
        totals: Some(EventTotals::default()),
        ..QueueReading::default()
    };
    let mut workers = vec![
        worker("orders", "w-orders", 40_001, WorkerLibrary::Node, 0),
        worker("thumbnails", "w-thumbs", 40_002, WorkerLibrary::Node, 30),
        worker("orders", "py-orders", 40_003, WorkerLibrary::Python, 1),
        worker("orders", "qtop-h-42", 40_004, WorkerLibrary::Qtop, 0),
        // Idle for ten minutes on a queue with nothing active: stuck.
        worker("billing", "w-billing", 40_005, WorkerLibrary::Node, 600),
    ];
    // A worker that goes away after the first minute.
    if n < 60 {
        workers.push(worker(
            "thumbnails",
            "w-thumbs-2",
            40_006,
            WorkerLibrary::Node,
            0,
        ));
    }
    let heartbeat = Heartbeat {
        worker: "qtop-h-42".into(),
        pid: 4242,
        host: "h".into(),
        concurrency: 8,
        done: 500 + 3 * n,
        current: vec!["1201".into(), "1202".into()],
        started_ms: T0_MS - 3_600_000,
        last_beat_ms: t - 400,
        beat_ms: 1000,
        ..Heartbeat::default()
    };
    PollReport {
        taken_at_ms: t,
        redis_version: "7.2.4".into(),
        poll: PollStats {
            round_trips: 3,
            duration_ms: 1.8,
            commands: 42,
            largest_pipeline: 30,
        },
        // BullMQ queues always say whether they are paused and rate limited.
        queues: [orders, thumbnails, emails, paused, billing]
            .into_iter()
            .map(|q| QueueReading {
                paused: Some(q.paused.unwrap_or(false)),
                limits: crate::model::QueueLimits {
                    rate_limited_ms: Some(q.limits.rate_limited_ms.unwrap_or(0)),
                    ..q.limits
                },
                ..q
            })
            .collect(),
        workers,
        client_list: Default::default(),
        heartbeats: vec![(key("orders"), heartbeat)],
        ..PollReport::default()
    }
}

/// An app that connected and received `readings` reports, the clock at the last one.
pub fn app_after(readings: u64) -> App {
    let mut app = App::new("redis://cache.internal:6379", Duration::from_secs(1), T0_MS);
    app.update(Action::Source(SourceEvent::Connecting { attempt: 1 }));
    app.update(Action::Source(SourceEvent::Connected {
        redis_version: "7.2.4".into(),
    }));
    for n in 0..readings {
        app.update(Action::Tick(T0_MS + n as i64 * 1000));
        app.update(Action::Source(SourceEvent::Report(Box::new(report(n)))));
    }
    app
}

/// What the demo engine reports in the demo fixtures: 2 workers of concurrency 4 on
/// `thumbnails` (the queue whose backlog grows).
pub fn demo_status() -> crate::demo::DemoStatus {
    use crate::demo::{DemoConfig, PoolWorker, WorkerState};
    let worker = |n: u32| PoolWorker {
        name: format!("qtop-h-{n}"),
        pid: n,
        state: WorkerState::Running,
        concurrency: 4,
    };
    crate::demo::DemoStatus {
        redis_url: "unix:///tmp/qtop-demo-x/redis.sock".into(),
        prefix: "bull".into(),
        queue: "thumbnails".into(),
        redis_pid: Some(100),
        workers: vec![worker(101), worker(102)],
        concurrency: 4,
        settings: DemoConfig::default().settings,
        produced: 4_000,
        started_ms: T0_MS,
        stopped: false,
    }
}

/// `qtop demo`'s dashboard after `readings` reports (at least 60), with a worker started 50 s
/// before the last one, a rate change at 30 s and a kill at 10 s.
pub fn demo_app_after(readings: u64) -> App {
    use crate::demo::{DemoEvent, DemoEventKind};
    let mut app = App::new(
        "unix:///tmp/qtop-demo-x/redis.sock",
        Duration::from_secs(1),
        T0_MS,
    );
    app.enable_demo(key("thumbnails"));
    app.update(Action::DemoStatus(Box::new(demo_status())));
    app.update(Action::Source(SourceEvent::Connected {
        redis_version: "7.2.4".into(),
    }));
    let events = [
        (
            50,
            DemoEventKind::WorkerSpawned {
                name: "qtop-h-102".into(),
                pid: 102,
            },
        ),
        (30, DemoEventKind::RateChanged { rate: 60.0 }),
        (
            10,
            DemoEventKind::WorkerKilled {
                name: "qtop-h-101".into(),
                pid: 101,
            },
        ),
    ];
    for n in 0..readings {
        let t = T0_MS + n as i64 * 1000;
        app.update(Action::Tick(t));
        app.update(Action::Source(SourceEvent::Report(Box::new(report(n)))));
        for (before, kind) in &events {
            if n + before == readings {
                app.update(Action::DemoEvent(DemoEvent {
                    at_ms: t + 500,
                    kind: kind.clone(),
                }));
            }
        }
    }
    app.update(Action::DemoDuplicates(3));
    app
}
