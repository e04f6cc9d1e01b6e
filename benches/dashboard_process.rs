//! The real dashboard as a process: the release `qtop` binary drawing at 200×50 in a
//! private tmux server, polling 100 busy queues (10 job lifecycles/s each) at 1 s. Prints
//! its CPU (share of one core, from /proc/PID/stat) and its peak and current RSS
//! (VmHWM, VmRSS) over a measured window after a warm-up. Goals (issue 8): CPU ≤ 1 % of a
//! core, peak RSS ≤ 25 MB. Prints figures; asserts nothing.
//!
//!     cargo bench --bench dashboard_process            # 60 s window
//!     cargo bench --bench dashboard_process -- 300     # another window, in seconds
//!     cargo bench --bench dashboard_process -- 60 2    # 2 jobs/s per queue instead of 10
//!
//! `QTOP_BENCH_COMPARE=/path/to/other/qtop[,…]` runs those binaries too, side by side on the
//! same load over the same window (this VM's noise then moves all of them alike): an A/B
//! comparison of two builds.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/load.rs"]
mod load;
#[path = "support/process.rs"]
mod process;

use std::time::{Duration, Instant};

use common::{RedisServer, Tmux};
use load::{setup_queues, start_load};
use process::{cpu_ticks, find_process, status_kb, ticks_per_second};
use tokio_util::sync::CancellationToken;

const QUEUES: u64 = 100;
const RATE: u64 = 10;
const WARMUP: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() {
    let numbers: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let window = Duration::from_secs(numbers.first().copied().unwrap_or(60));
    let rate = numbers.get(1).copied().unwrap_or(RATE).max(1);
    let redis = RedisServer::start();
    let url = redis.url();
    drop(setup_queues(&url, QUEUES).await);
    let cancel = CancellationToken::new();
    let load = start_load(url.clone(), QUEUES, rate, cancel.clone());

    let mut bins = vec![env!("CARGO_BIN_EXE_qtop").to_string()];
    if let Ok(others) = std::env::var("QTOP_BENCH_COMPARE") {
        bins.extend(
            others
                .split(',')
                .filter(|b| !b.is_empty())
                .map(str::to_string),
        );
    }
    let dashboards: Vec<Tmux> = bins
        .iter()
        .map(|bin| {
            let command =
                format!("env -u REDIS_URL '{bin}' --redis '{url}' --interval 1s; sleep 5");
            let tmux = Tmux::start(200, 50, &command);
            tmux.wait_for("the queues table", |screen| screen.contains("q100"));
            tmux
        })
        .collect();
    tokio::time::sleep(WARMUP).await;
    let pids: Vec<u32> = bins
        .iter()
        .map(|bin| find_process(bin, &url).expect("the qtop process"))
        .collect();
    let hz = ticks_per_second();
    let before: Vec<u64> = pids.iter().map(|pid| cpu_ticks(*pid)).collect();
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let seconds = started.elapsed().as_secs_f64();
    let rows: Vec<String> = bins
        .iter()
        .zip(pids.iter().zip(before))
        .map(|(bin, (pid, ticks_before))| {
            let ticks = cpu_ticks(*pid).saturating_sub(ticks_before);
            let cpu_percent = ticks as f64 / hz / seconds * 100.0;
            let (peak_kb, rss_kb) = (status_kb(*pid, "VmHWM:"), status_kb(*pid, "VmRSS:"));
            format!(
                "| {seconds:.0} s | {cpu_percent:.2} % | {:.1} MB | {:.1} MB | {bin} |",
                peak_kb as f64 / 1024.0,
                rss_kb as f64 / 1024.0
            )
        })
        .collect();
    let screen = dashboards[0].screen();
    let header = screen.lines().next().unwrap_or_default().to_string();
    for tmux in &dashboards {
        tmux.send(&["q"]);
    }
    cancel.cancel();
    let _ = load.await;

    println!("qtop dashboard, release build, 200×50 in tmux, {QUEUES} queues × {rate} jobs/s, --interval 1s");
    println!("| window | CPU (% of one core) | peak RSS (VmHWM) | RSS at end | binary |");
    println!("|---:|---:|---:|---:|---|");
    for row in rows {
        println!("{row}");
    }
    println!("header at the end: {header}");
}
