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
//!
//!     cargo bench --bench dashboard_process -- 60 10 50 tls
//!
//! `tls`: the redis-server listens on a plain TCP port and a TLS port (a private CA), and
//! every binary runs twice, over each (issue 18 goal 1: TLS ≤ 1.2× plain TCP). The third
//! number is the count of busy queues (default 100).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/load.rs"]
mod load;
#[path = "support/process.rs"]
mod process;

use std::time::{Duration, Instant};

use common::{make_certificates, RedisServer, Tmux};
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
    let queues = numbers.get(2).copied().unwrap_or(QUEUES).max(1);
    let tls = std::env::args().any(|a| a == "tls");
    let certs = tempfile::tempdir().unwrap();
    let (redis, urls) = if tls {
        make_certificates(certs.path());
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cert = certs.path().join("server.pem");
        let key = certs.path().join("server.key");
        let redis = RedisServer::start_tcp_with_args(&[
            "--tls-port",
            &port.to_string(),
            "--tls-cert-file",
            cert.to_str().unwrap(),
            "--tls-key-file",
            key.to_str().unwrap(),
            "--tls-auth-clients",
            "no",
        ]);
        let ca = certs.path().join("ca.pem");
        let tls_url = format!(
            "rediss://127.0.0.1:{port}' --tls-ca '{}",
            ca.to_str().unwrap()
        );
        let plain = redis.tcp_url();
        (redis, vec![plain, tls_url])
    } else {
        let redis = RedisServer::start();
        let url = redis.url();
        (redis, vec![url])
    };
    let url = redis.url();
    drop(setup_queues(&url, queues).await);
    let cancel = CancellationToken::new();
    let load = start_load(url.clone(), queues, rate, cancel.clone());

    let mut bins = vec![env!("CARGO_BIN_EXE_qtop").to_string()];
    if let Ok(others) = std::env::var("QTOP_BENCH_COMPARE") {
        bins.extend(
            others
                .split(',')
                .filter(|b| !b.is_empty())
                .map(str::to_string),
        );
    }
    // Every binary over every URL.
    let runs: Vec<(String, String)> = bins
        .iter()
        .flat_map(|bin| urls.iter().map(move |u| (bin.clone(), u.clone())))
        .collect();
    let all_listed = format!("queues ({queues})");
    let dashboards: Vec<Tmux> = runs
        .iter()
        .map(|(bin, url)| {
            let command =
                format!("env -u REDIS_URL '{bin}' --redis '{url}' --interval 1s; sleep 5");
            let tmux = Tmux::start(200, 50, &command);
            tmux.wait_for("the queues table", |screen| screen.contains(&all_listed));
            tmux
        })
        .collect();
    tokio::time::sleep(WARMUP).await;
    let pids: Vec<u32> = runs
        .iter()
        .map(|(bin, url)| {
            let needle = url.split('\'').next().unwrap_or(url);
            find_process(bin, &format!("{needle}\0")).expect("the qtop process")
        })
        .collect();
    let hz = ticks_per_second();
    let before: Vec<u64> = pids.iter().map(|pid| cpu_ticks(*pid)).collect();
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let seconds = started.elapsed().as_secs_f64();
    let rows: Vec<String> = runs
        .iter()
        .zip(pids.iter().zip(before))
        .map(|((bin, url), (pid, ticks_before))| {
            let over = if url.starts_with("rediss") {
                "TLS"
            } else {
                "plain"
            };
            let ticks = cpu_ticks(*pid).saturating_sub(ticks_before);
            let cpu_percent = ticks as f64 / hz / seconds * 100.0;
            let (peak_kb, rss_kb) = (status_kb(*pid, "VmHWM:"), status_kb(*pid, "VmRSS:"));
            format!(
                "| {seconds:.0} s | {over} | {cpu_percent:.2} % | {:.1} MB | {:.1} MB | {bin} |",
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

    println!("qtop dashboard, release build, 200×50 in tmux, {queues} queues × {rate} jobs/s, --interval 1s");
    println!("| window | link | CPU (% of one core) | peak RSS (VmHWM) | RSS at end | binary |");
    println!("|---:|---|---:|---:|---:|---|");
    for row in rows {
        println!("{row}");
    }
    println!("header at the end: {header}");
}
