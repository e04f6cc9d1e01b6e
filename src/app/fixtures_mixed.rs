//! A mixed Redis for tests: the BullMQ fixture (`fixtures::report`) plus Sidekiq queues (one
//! under a `redis-namespace`), RQ queues and their workers, reading by reading, as the
//! pollers report them. With `celery`, one Celery queue too (reserved messages, no rates,
//! an oldest age that is only a lower bound).

use std::time::Duration;

use super::fixtures::{report, T0_MS};
use super::{Action, App};
use crate::model::{
    EventTotals, JobTiming, PollReport, QueueCounts, QueueKey, QueueLimits, QueueReading,
    RateLimit, RateSource, System, WorkerInfo, WorkerLibrary,
};
use crate::source::SourceEvent;

fn sidekiq_process(identity: &str, queues: &[&str], busy: u32, quiet: bool) -> WorkerInfo {
    WorkerInfo {
        system: System::Sidekiq,
        prefix: String::new(),
        queue: queues.first().map(|q| q.to_string()).unwrap_or_default(),
        name: identity.into(),
        addr: "app-1".into(),
        age_s: 7_200,
        library: WorkerLibrary::Sidekiq,
        queues: queues.iter().map(|q| q.to_string()).collect(),
        busy: Some(busy),
        concurrency: Some(10),
        beat_age_s: Some(2.0),
        host: Some("app-1".into()),
        pid: Some(4_100),
        state: Some(if quiet { "quiet" } else { "busy" }.into()),
        rss_kb: Some(215_000),
        ..WorkerInfo::default()
    }
}

fn rq_worker(name: &str, queues: &[&str], busy: bool, stale: bool) -> WorkerInfo {
    WorkerInfo {
        system: System::Rq,
        prefix: String::new(),
        queue: queues.first().map(|q| q.to_string()).unwrap_or_default(),
        name: name.into(),
        addr: "10.0.0.9".into(),
        age_s: 1_800,
        library: WorkerLibrary::Rq,
        queues: queues.iter().map(|q| q.to_string()).collect(),
        busy: (!stale).then_some(u32::from(busy)),
        concurrency: Some(1),
        beat_age_s: Some(if stale { 700.0 } else { 4.0 }),
        host: Some("py-1".into()),
        pid: Some(5_200),
        state: Some(
            if stale {
                "gone"
            } else if busy {
                "busy"
            } else {
                "idle"
            }
            .into(),
        ),
        stale,
        current_job: busy.then(|| "3f2a9c".into()),
        successful_jobs: Some(900),
        failed_jobs: Some(12),
        ..WorkerInfo::default()
    }
}

fn bull_worker(queue: &str) -> WorkerInfo {
    WorkerInfo {
        prefix: "bull".into(),
        queue: queue.into(),
        name: format!("w-{queue}"),
        addr: "10.0.0.8:41000".into(),
        age_s: 600,
        idle_s: Some(12),
        connections: Some(1),
        ..WorkerInfo::default()
    }
}

/// The `n`th reading of the mixed Redis (one per second from `T0_MS`).
pub fn mixed_report(n: u64, celery: bool) -> PollReport {
    let t = T0_MS + n as i64 * 1000;
    let mut report = report(n);
    let timings = |wait: u64, processing: u64| -> Vec<JobTiming> {
        (0..5)
            .map(|i| JobTiming {
                wait_ms: Some(wait + i),
                processing_ms: Some(processing + 10 * i),
            })
            .collect()
    };
    let sidekiq = |prefix: &str, name: &str, waiting: u64, retry: u64, per_s: u64| QueueReading {
        key: QueueKey::new(System::Sidekiq, prefix, name),
        counts: Some(QueueCounts {
            waiting: Some(waiting),
            active: Some(3),
            delayed: Some(2),
            retry: Some(retry),
            failed: Some(1),
            ..QueueCounts::default()
        }),
        oldest_waiting_ts_ms: Some(t - 8_000),
        totals: Some(EventTotals {
            added: per_s * n,
            completed: per_s * n,
            ..EventTotals::default()
        }),
        rate_source: RateSource::Counters,
        timings: timings(300, 1_200),
        finished_in_interval: 5,
        library: Some("sidekiq".into()),
        ..QueueReading::default()
    };
    let rq = |name: &str, waiting: u64, failed: u64| QueueReading {
        key: QueueKey::new(System::Rq, "", name),
        counts: Some(QueueCounts {
            waiting: Some(waiting),
            active: Some(1),
            delayed: Some(0),
            failed: Some(failed),
            completed: Some(120 + 2 * n),
            waiting_children: Some(0),
            ..QueueCounts::default()
        }),
        oldest_waiting_ts_ms: Some(t - 30_000),
        totals: Some(EventTotals {
            added: 2 * n,
            completed: 2 * n,
            failed: n / 20,
            ..EventTotals::default()
        }),
        rate_source: RateSource::Estimated,
        timings: timings(2_000, 450),
        finished_in_interval: 2,
        library: Some("rq".into()),
        ..QueueReading::default()
    };
    // A BullMQ queue held back by its limits, with job schedulers and a crashed worker's job.
    let limited = QueueReading {
        key: QueueKey::bullmq("bull", "payments"),
        counts: Some(QueueCounts {
            waiting: Some(30),
            active: Some(2),
            prioritized: Some(0),
            delayed: Some(2),
            completed: Some(400),
            failed: Some(0),
            waiting_children: Some(0),
            ..QueueCounts::default()
        }),
        paused: Some(false),
        oldest_waiting_ts_ms: Some(t - 15_000),
        unlocked_active: 1,
        totals: Some(EventTotals {
            added: 2 * n,
            completed: 2 * n,
            ..EventTotals::default()
        }),
        limits: QueueLimits {
            global_concurrency: Some(2),
            global_rate_limit: Some(RateLimit {
                max: 2,
                duration_ms: 1_000,
            }),
            rate_limited_ms: Some(if n % 2 == 1 { 650 } else { 0 }),
        },
        schedulers: Some(2),
        ..QueueReading::default()
    };
    report.queues.extend([
        limited,
        sidekiq("", "default", 42, 7, 6),
        sidekiq("", "mailers", 0, 0, 1),
        sidekiq("myapp", "default", 9, 0, 2),
        rq("high", 8, 3),
        rq("low", 0, 0),
    ]);
    if celery {
        report.queues.push(QueueReading {
            key: QueueKey::new(System::Celery, "", "celery"),
            counts: Some(QueueCounts {
                waiting: Some(17),
                active: Some(4),
                reserved: Some(6),
                ..QueueCounts::default()
            }),
            oldest_waiting_ts_ms: Some(T0_MS - 20_000),
            oldest_is_lower_bound: true,
            rate_source: RateSource::Unavailable,
            library: Some("celery".into()),
            ..QueueReading::default()
        });
    }
    report.workers.extend([
        sidekiq_process("app-1:4100:0a1b2c3d4e5f", &["default", "mailers"], 3, false),
        sidekiq_process("app-2:4170:9f8e7d6c5b4a", &["default"], 0, true),
        bull_worker("payments"),
        rq_worker("py-1.5200", &["high", "low"], true, false),
        rq_worker("py-1.5201", &["low"], false, true),
    ]);
    report
}

/// An app that received `readings` reports of the mixed Redis, the clock at the last one.
pub fn mixed_app_after(readings: u64, celery: bool) -> App {
    let mut app = App::new("redis://cache.internal:6379", Duration::from_secs(1), T0_MS);
    app.update(Action::Source(SourceEvent::Connected {
        redis_version: "7.2.4".into(),
    }));
    for n in 0..readings {
        app.update(Action::Tick(T0_MS + n as i64 * 1000));
        app.update(Action::Source(SourceEvent::Report(Box::new(mixed_report(
            n, celery,
        )))));
    }
    app
}
