//! The real dashboard watching Celery: the release `qtop` binary drawing at 200×50 in a
//! private tmux server (`--system celery`, `--interval 1s`) while 50 Celery workers send
//! heartbeats every 2 s (and, optionally, task events). Prints its CPU (share of one core,
//! from /proc/PID/stat) and RSS over a measured window after a warm-up. Goal (issue 20):
//! under 1 % of a core with 50 workers. Prints figures; asserts nothing.
//!
//!     cargo bench --bench celery_heartbeats              # 30 s window, 50 workers
//!     cargo bench --bench celery_heartbeats -- 60 50 200 # window s, workers, task events/s
//!
//! The workers are simulated: each message is the envelope Celery 5.5.3 publishes (captured
//! from a real worker: kombu's JSON with a base64 body, on `/<db>.celeryev/worker.heartbeat`
//! and `…/task.multi`), so qtop's listener does the same work as with real workers; 50 real
//! prefork workers would not fit beside the dashboard on this machine.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/process.rs"]
mod process;

use std::time::{Duration, Instant};

use base64::Engine;
use common::{RedisServer, Tmux};
use process::{cpu_ticks, find_process, status_kb, ticks_per_second};
use qtop::source::RedisTarget;
use tokio_util::sync::CancellationToken;

const WARMUP: Duration = Duration::from_secs(8);

fn envelope(body: &serde_json::Value, routing_key: &str, host: &str) -> String {
    let encoded = base64::engine::general_purpose::STANDARD.encode(body.to_string());
    serde_json::json!({
        "body": encoded,
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {"hostname": host},
        "properties": {
            "delivery_mode": 1,
            "delivery_info": {"exchange": "celeryev", "routing_key": routing_key},
            "priority": 0,
            "body_encoding": "base64",
            "delivery_tag": "c0430013-e068-4430-9d90-cd9dd710374f",
        }
    })
    .to_string()
}

fn now_s() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Heartbeats of `workers` workers every 2 s, and `events` task events a second.
async fn publish(url: String, workers: u64, events: u64, cancel: CancellationToken) {
    let target = RedisTarget::parse(&url, false).unwrap();
    let mut conn = target.connect(Duration::from_secs(5)).await.unwrap();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    let mut n: u64 = 0;
    let mut processed: u64 = 0;
    while !cancel.is_cancelled() {
        tick.tick().await;
        n += 1;
        let mut pipe = redis::pipe();
        // Each worker beats once every 20 ticks, spread over the ticks.
        for w in (0..workers).filter(|w| (n + w).is_multiple_of(20)) {
            let host = format!("w{w}@bench");
            let beat = serde_json::json!({"hostname": host, "utcoffset": 0, "pid": 10_000 + w,
                "clock": n, "freq": 2.0, "active": w % 3, "processed": processed + w,
                "loadavg": [0.5, 0.4, 0.3], "sw_ident": "py-celery", "sw_ver": "5.5.3",
                "sw_sys": "Linux", "timestamp": now_s(), "type": "worker-heartbeat"});
            pipe.cmd("PUBLISH")
                .arg("/0.celeryev/worker.heartbeat")
                .arg(envelope(&beat, "worker.heartbeat", &host))
                .ignore();
        }
        for i in 0..events / 10 {
            processed += 1;
            let id = format!("task-{n}-{i}");
            let kinds = [
                serde_json::json!({"type": "task-received", "uuid": id, "name": "tasks.nap", "args": "[0]", "kwargs": "{}", "timestamp": now_s()}),
                serde_json::json!({"type": "task-succeeded", "uuid": id, "result": "0", "runtime": 0.01, "timestamp": now_s()}),
            ];
            for kind in kinds {
                pipe.cmd("PUBLISH")
                    .arg("/0.celeryev/task.multi")
                    .arg(envelope(
                        &serde_json::json!([kind]),
                        "task.multi",
                        "w0@bench",
                    ))
                    .ignore();
            }
        }
        let _: () = pipe.query_async(&mut conn).await.unwrap_or(());
    }
}

#[tokio::main]
async fn main() {
    let numbers: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let window = Duration::from_secs(numbers.first().copied().unwrap_or(30));
    let workers = numbers.get(1).copied().unwrap_or(50);
    let events = numbers.get(2).copied().unwrap_or(0);
    let redis = RedisServer::start();
    let url = redis.url();
    // Celery is present: its default queue's binding, a few waiting messages.
    redis.cmd(&[
        "SADD",
        "_kombu.binding.celery",
        "celery\x06\x16\x06\x16celery",
    ]);
    for i in 0..5 {
        redis.cmd(&["LPUSH", "celery", &format!("{{\"body\": \"W10=\", \"headers\": {{\"id\": \"m{i}\", \"task\": \"tasks.nap\"}}, \"properties\": {{\"body_encoding\": \"base64\"}}}}")]);
    }
    let cancel = CancellationToken::new();
    let publisher = tokio::spawn(publish(url.clone(), workers, events, cancel.clone()));

    let bin = env!("CARGO_BIN_EXE_qtop");
    let command =
        format!("env -u REDIS_URL '{bin}' --redis '{url}' --system celery --interval 1s; sleep 5");
    let tmux = Tmux::start(200, 50, &command);
    tmux.wait_for("the celery queue", |screen| screen.contains("celery"));
    tokio::time::sleep(WARMUP).await;
    let pid = find_process(bin, &url).expect("the qtop process");
    let hz = ticks_per_second();
    let before = cpu_ticks(pid);
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let seconds = started.elapsed().as_secs_f64();
    let ticks = cpu_ticks(pid).saturating_sub(before);
    let cpu_percent = ticks as f64 / hz / seconds * 100.0;
    let (peak_kb, rss_kb) = (status_kb(pid, "VmHWM:"), status_kb(pid, "VmRSS:"));
    let screen = tmux.screen();
    tmux.send(&["q"]);
    cancel.cancel();
    let _ = publisher.await;

    println!(
        "qtop dashboard, release build, 200×50 in tmux, --system celery --interval 1s: {workers} workers beating every 2 s, {events} task events/s"
    );
    println!("| window | CPU (% of one core) | peak RSS (VmHWM) | RSS at end |");
    println!("|---:|---:|---:|---:|");
    println!(
        "| {seconds:.0} s | {cpu_percent:.2} % | {:.1} MB | {:.1} MB |",
        peak_kb as f64 / 1024.0,
        rss_kb as f64 / 1024.0
    );
    let header = screen.lines().next().unwrap_or_default().to_string();
    let shown = screen.lines().filter(|l| l.contains("@bench")).count();
    println!("header at the end: {header}");
    println!("worker rows on screen: {shown}");
}
