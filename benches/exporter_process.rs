//! `qtop exporter` as a process, beside the dashboard on the same Redis and load: the release
//! binary polling at 1 s while a scraper asks for /metrics every 15 s (Prometheus's default)
//! or as told, with Prometheus's headers (OpenMetrics, gzip). Two loads: 1,000 idle queues (as BullMQ leaves them, 5 jobs waiting each),
//! and 100 busy queues (10 job lifecycles/s each, the dashboard_process load). Prints each
//! process's CPU (share of one core, /proc/PID/stat), peak and current RSS, and the
//! scrapes' latency (request sent → whole body read) and size. Goal (issue 17): a scrape of
//! 1,000 queues answers in ≤ 10 ms. Prints figures; asserts nothing.
//!
//!     cargo bench --bench exporter_process               # 60 s windows, a scrape every 15 s
//!     cargo bench --bench exporter_process -- 120 1      # 120 s windows, a scrape every second

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/load.rs"]
mod load;
#[path = "support/process.rs"]
mod process;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{http_get, NodeChild, RedisServer, Tmux};
use load::{setup_queues, start_load};
use process::{cpu_ticks, find_process, status_kb, ticks_per_second};
use tokio_util::sync::CancellationToken;

const WARMUP: Duration = Duration::from_secs(10);

struct Load {
    label: &'static str,
    queues: u64,
    busy: u64,
    rate: u64,
}

const LOADS: [Load; 2] = [
    Load {
        label: "1,000 idle queues",
        queues: 1000,
        busy: 0,
        rate: 0,
    },
    Load {
        label: "100 busy queues × 10 jobs/s",
        queues: 100,
        busy: 100,
        rate: 10,
    },
];

/// What Prometheus 2.x sends.
const PROMETHEUS_HEADERS: [(&str, &str); 2] = [
    (
        "Accept",
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    ),
    ("Accept-Encoding", "gzip"),
];

/// One scrape: how long it took and how many bytes came back.
fn scrape(addr: &str, accept: &[(&str, &str)]) -> (Duration, usize) {
    let started = Instant::now();
    let response = http_get(addr, "/metrics", accept).expect("the exporter answers");
    assert_eq!(response.status, 200);
    (started.elapsed(), response.raw_body.len())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let numbers: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let window = Duration::from_secs(numbers.first().copied().unwrap_or(60));
    let scrape_every = Duration::from_secs(numbers.get(1).copied().unwrap_or(15).max(1));
    let bin = env!("CARGO_BIN_EXE_qtop");
    let hz = ticks_per_second();
    let mut rows = Vec::new();
    for load in &LOADS {
        let redis = RedisServer::start();
        let url = redis.url();
        drop(setup_queues(&url, load.queues).await);
        let cancel = CancellationToken::new();
        let traffic =
            (load.busy > 0).then(|| start_load(url.clone(), load.busy, load.rate, cancel.clone()));

        // The dashboard first, so that its process is the only one of `bin` on `url`.
        let command = format!("env -u REDIS_URL '{bin}' --redis '{url}' --interval 1s; sleep 5");
        let dashboard = Tmux::start(200, 50, &command);
        dashboard.wait_for("the queues table", |screen| screen.contains("q1"));
        let dashboard_pid = find_process(bin, &url).expect("the dashboard process");
        let mut exporter_cmd = Command::new(bin);
        exporter_cmd
            .args([
                "--redis",
                &url,
                "--interval",
                "1s",
                "exporter",
                "--listen",
                "127.0.0.1:0",
            ])
            .env_remove("REDIS_URL");
        let mut exporter = NodeChild::spawn_command("qtop exporter".into(), exporter_cmd);
        let rest =
            exporter.wait_for_line("qtop exporter: serving http://", Duration::from_secs(30));
        let addr = rest.split('/').next().unwrap_or_default().to_string();
        let exporter_pid = exporter.pid();

        // Warm-up: the exporter learns the scrape period like it would Prometheus's.
        let warm_until = Instant::now() + WARMUP;
        while Instant::now() < warm_until {
            let _ = scrape(&addr, &PROMETHEUS_HEADERS);
            tokio::time::sleep(scrape_every.min(WARMUP / 2)).await;
        }
        let pids = [("exporter", exporter_pid), ("dashboard", dashboard_pid)];
        let before: Vec<u64> = pids.iter().map(|(_, pid)| cpu_ticks(*pid)).collect();
        let started = Instant::now();
        let mut latencies = Vec::new();
        let mut size = 0;
        while started.elapsed() < window {
            tokio::time::sleep(scrape_every.min(window.saturating_sub(started.elapsed()))).await;
            let addr = addr.clone();
            let (took, bytes) =
                tokio::task::spawn_blocking(move || scrape(&addr, &PROMETHEUS_HEADERS))
                    .await
                    .unwrap();
            latencies.push(took);
            size = bytes;
        }
        let seconds = started.elapsed().as_secs_f64();
        let cpu: Vec<f64> = pids
            .iter()
            .zip(&before)
            .map(|((_, pid), ticks)| {
                cpu_ticks(*pid).saturating_sub(*ticks) as f64 / hz / seconds * 100.0
            })
            .collect();
        let memory: Vec<(u64, u64)> = pids
            .iter()
            .map(|(_, pid)| (status_kb(*pid, "VmHWM:"), status_kb(*pid, "VmRSS:")))
            .collect();
        // After the window: the text format without gzip, never asked for yet, so encoded on
        // the request (cold), then ten scrapes of it in a row (that encoding, shared).
        let (cold, plain_size) = scrape(&addr, &[]);
        let burst: Vec<Duration> = (0..10).map(|_| scrape(&addr, &[]).0).collect();
        latencies.sort();
        let median = latencies
            .get(latencies.len() / 2)
            .copied()
            .unwrap_or_default();
        let max = latencies.last().copied().unwrap_or_default();
        let burst_max = burst.iter().max().copied().unwrap_or_default();
        for (i, (name, _)) in pids.iter().enumerate() {
            let scrapes = if *name == "exporter" {
                format!(
                    "{} scrapes of {:.0} kB gzipped: median {}, max {}; plain text ({:.1} MB) cold {}, then 10 in a row max {}",
                    latencies.len(),
                    size as f64 / 1e3,
                    ms(median),
                    ms(max),
                    plain_size as f64 / 1e6,
                    ms(cold),
                    ms(burst_max)
                )
            } else {
                String::new()
            };
            rows.push(format!(
                "| {} | {name} | {seconds:.0} s | {:.2} % | {:.1} MB | {:.1} MB | {scrapes} |",
                load.label,
                cpu[i],
                memory[i].0 as f64 / 1024.0,
                memory[i].1 as f64 / 1024.0,
            ));
        }
        dashboard.send(&["q"]);
        drop(exporter);
        cancel.cancel();
        if let Some(traffic) = traffic {
            let _ = traffic.await;
        }
    }
    println!(
        "qtop exporter beside the dashboard (200×50 in tmux), release build, --interval 1s, a scrape every {} s",
        scrape_every.as_secs()
    );
    println!("| load | process | window | CPU (% of one core) | peak RSS (VmHWM) | RSS at end | scrapes (request → whole body) |");
    println!("|---|---|---:|---:|---:|---:|---|");
    for row in rows {
        println!("{row}");
    }
}
