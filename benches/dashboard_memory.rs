//! The dashboard's own footprint: RSS of this process after feeding the real `App` an
//! hour of one-second readings of 100 busy queues (goal ≤ 25 MB), and with 10,000 idle
//! queues (report handling time, memory growth), plus render time per frame at 200×50
//! (goal ≤ 2 ms). Prints figures; asserts nothing.
//!
//!     cargo bench --bench dashboard_memory

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "support/load.rs"]
mod load;
#[path = "support/process.rs"]
mod process;

use std::time::{Duration, Instant};

use common::{RedisServer, Tmux};
use process::{cpu_ticks, find_process, status_kb, ticks_per_second};

use qtop::app::{Action, App};
use qtop::model::{EventTotals, JobTiming, PollReport, QueueCounts, QueueKey, QueueReading};
use qtop::source::SourceEvent;

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
        key: QueueKey::bullmq("bull", name),
        counts: Some(QueueCounts {
            waiting: Some(if busy { 10 + wobble } else { 0 }),
            active: Some(if busy { wobble % 4 } else { 0 }),
            completed: Some(if busy { 100 * n } else { 3 }),
            prioritized: Some(0),
            delayed: Some(0),
            failed: Some(0),
            waiting_children: Some(0),
            ..QueueCounts::default()
        }),
        totals: Some(if busy {
            EventTotals {
                added: 20 * n + wobble,
                completed: 19 * n,
                failed: n,
                ..EventTotals::default()
            }
        } else {
            EventTotals::default()
        }),
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
        workers: Vec::new(),
        ..PollReport::default()
    }
}

fn a_hundred_busy_queues_for_an_hour() {
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
    println!("100 busy queues after an hour of 1 s readings: RSS {rss_mb:.1} MB (goal ≤ 25 MB)");
    // Render time per frame at 200×50: the whole screen, charts included.
    let mut times: Vec<f64> = (0..200)
        .map(|_| {
            let started = Instant::now();
            let screen = qtop::ui::render_to_string(&app, 200, 50);
            std::hint::black_box(screen);
            started.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "render at 200×50 (to a test buffer, plus its text): median {:.3} ms, p99 {:.3} ms (goal ≤ 2 ms)",
        times[times.len() / 2],
        times[times.len() * 99 / 100]
    );
}

fn ten_thousand_idle_queues() {
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
    println!("10,000 idle queues: RSS +{grown_mb:.1} MB, slowest report handled in {slowest:?}");
}

/// After the table lists every queue, how long the dashboard runs before its RSS is read
/// again (reconciliation polls, discovery passes).
const SETTLE: Duration = Duration::from_secs(10);

async fn startup(sizes: &[u64]) {
    let mut bins = vec![env!("CARGO_BIN_EXE_qtop").to_string()];
    if let Ok(others) = std::env::var("QTOP_BENCH_COMPARE") {
        bins.extend(
            others
                .split(',')
                .filter(|b| !b.is_empty())
                .map(str::to_string),
        );
    }
    println!("qtop dashboard, release build, 200×50 in tmux, --interval 1s, idle queues");
    println!("| queues | keys | all on screen after | CPU by then | CPU the next {} s (% of a core) | peak RSS then | peak RSS after {} s | RSS then | of it heap (anon) | of it code (file) | binary |", SETTLE.as_secs(), SETTLE.as_secs());
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for &n in sizes {
        let redis = RedisServer::start();
        let url = redis.url();
        // In slices of 10,000 (one script of 100,000 outlasts a client's timeout).
        let now = chrono::Utc::now().timestamp_millis().to_string();
        let script = load::SETUP.replace(
            "for i = 1, n do",
            "for i = tonumber(ARGV[3]), math.min(n, tonumber(ARGV[3]) + 9999) do",
        );
        for from in (1..=n).step_by(10_000) {
            redis.cmd(&[
                "EVAL",
                &script,
                "0",
                &n.to_string(),
                &now,
                &from.to_string(),
            ]);
        }
        let keys = redis.cmd(&["DBSIZE"]);
        for bin in &bins {
            let command =
                format!("env -u REDIS_URL '{bin}' --redis '{url}' --interval 1s; sleep 5");
            let started = Instant::now();
            let tmux = Tmux::start(200, 50, &command);
            let wanted = format!("queues ({n})");
            tmux.wait_for_within("every queue", Duration::from_secs(300), |screen| {
                screen.contains(&wanted)
            });
            let on_screen = started.elapsed();
            let pid = find_process(bin, &url).expect("the qtop process");
            let peak_then = status_kb(pid, "VmHWM:");
            let rss_then = status_kb(pid, "VmRSS:");
            let anon_then = status_kb(pid, "RssAnon:");
            let file_then = status_kb(pid, "RssFile:");
            let cpu_then = cpu_ticks(pid) as f64 / ticks_per_second();
            tokio::time::sleep(SETTLE).await;
            let peak_after = status_kb(pid, "VmHWM:");
            let cpu_after = cpu_ticks(pid) as f64 / ticks_per_second();
            let idle_cpu = (cpu_after - cpu_then) * 100.0 / SETTLE.as_secs_f64();
            tmux.send(&["q"]);
            println!(
                "| {n} | {} | {:.2} s | {cpu_then:.2} s | {idle_cpu:.2} % | {:.1} MB | {:.1} MB | {:.1} MB | {:.1} MB | {:.1} MB | {bin} |",
                keys.trim(),
                on_screen.as_secs_f64(),
                peak_then as f64 / 1024.0,
                peak_after as f64 / 1024.0,
                rss_then as f64 / 1024.0,
                anon_then as f64 / 1024.0,
                file_then as f64 / 1024.0,
            );
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("startup") {
        let sizes: Vec<u64> = args.iter().filter_map(|a| a.parse().ok()).collect();
        startup(&sizes).await;
        return;
    }
    // The busy hour first: RSS only grows, so the smaller figure must come first.
    a_hundred_busy_queues_for_an_hour();
    ten_thousand_idle_queues();
}
