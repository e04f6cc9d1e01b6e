//! The real dashboard as a process: the release `qtop` binary drawing at 200×50 in a
//! private tmux server, polling 100 busy queues (10 job lifecycles/s each) at 1 s. Prints
//! its CPU (share of one core, from /proc/PID/stat) and its peak and current RSS
//! (VmHWM, VmRSS) over a measured window after a warm-up. Goals (issue 8): CPU ≤ 1 % of a
//! core, peak RSS ≤ 25 MB. Prints figures; asserts nothing.
//!
//!     cargo bench --bench dashboard_process            # 60 s window
//!     cargo bench --bench dashboard_process -- 300     # another window, in seconds
//!     cargo bench --bench dashboard_process -- 60 2    # 2 jobs/s per queue instead of 10

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/load.rs"]
mod load;

use std::time::{Duration, Instant};

use common::{RedisServer, Tmux};
use load::{setup_queues, start_load};
use tokio_util::sync::CancellationToken;

const QUEUES: u64 = 100;
const RATE: u64 = 10;
const WARMUP: Duration = Duration::from_secs(10);

/// utime + stime of a process, in clock ticks.
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after ')'.
    field(11) + field(12)
}

fn status_kb(pid: u32, key: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The qtop process watching `url` (tmux runs it under a shell).
fn find_qtop(url: &str) -> Option<u32> {
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_qtop")).ok()?;
    std::fs::read_dir("/proc").ok()?.find_map(|entry| {
        let pid: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let is_qtop = std::fs::read_link(format!("/proc/{pid}/exe")).ok()? == exe;
        (is_qtop && String::from_utf8_lossy(&cmdline).contains(url)).then_some(pid)
    })
}

fn ticks_per_second() -> f64 {
    let out = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok();
    out.and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

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

    let command = format!(
        "env -u REDIS_URL '{}' --redis '{url}' --interval 1s; sleep 5",
        env!("CARGO_BIN_EXE_qtop")
    );
    let tmux = Tmux::start(200, 50, &command);
    tmux.wait_for("the queues table", |screen| screen.contains("q100"));
    tokio::time::sleep(WARMUP).await;
    let pid = find_qtop(&url).expect("the qtop process");
    let hz = ticks_per_second();
    let (ticks_before, started) = (cpu_ticks(pid), Instant::now());
    tokio::time::sleep(window).await;
    let ticks = cpu_ticks(pid).saturating_sub(ticks_before);
    let seconds = started.elapsed().as_secs_f64();
    let cpu_percent = ticks as f64 / hz / seconds * 100.0;
    let (peak_kb, rss_kb) = (status_kb(pid, "VmHWM:"), status_kb(pid, "VmRSS:"));
    let screen = tmux.screen();
    let header = screen.lines().next().unwrap_or_default().to_string();
    tmux.send(&["q"]);
    cancel.cancel();
    let _ = load.await;

    println!("qtop dashboard, release build, 200×50 in tmux, {QUEUES} queues × {rate} jobs/s, --interval 1s");
    println!("| window | CPU (% of one core) | peak RSS (VmHWM) | RSS at end |");
    println!("|---:|---:|---:|---:|");
    println!(
        "| {seconds:.0} s | {cpu_percent:.2} % | {:.1} MB | {:.1} MB |",
        peak_kb as f64 / 1024.0,
        rss_kb as f64 / 1024.0
    );
    println!("header at the end: {header}");
}
