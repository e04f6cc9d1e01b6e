//! New queues, fast and cheap (issue 18 goal 3): the release dashboard runs against a
//! Redis holding K other keys; once it lists the one queue there, a second queue is
//! created and the time until the table lists it is taken; meanwhile the Redis CPU the
//! SCAN calls cost (`INFO commandstats`, `cmdstat_scan` usec) over the run is divided by
//! its length. Each binary runs alone (one after the other) so the SCAN cost is its own.
//! Goals: on screen within 5 s at ≤ 10k keys, 15 s at 50k, 2 min at 1M; SCAN ≤ 0.5 % of a
//! core. Prints figures; asserts nothing.
//!
//!     cargo bench --bench discovery -- 10000 50000 1000000
//!
//! `QTOP_BENCH_COMPARE=/path/to/other/qtop[,…]` runs those binaries too; each waits at
//! most `QTOP_BENCH_LIMIT` seconds (default 180) for the new queue. `QTOP_BENCH_WARM=S`
//! lets each dashboard run S seconds before the queue is created (qtop measures SCAN's
//! cost over its first whole pass, then paces by it).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{RedisServer, Tmux};

/// Total `usec` of `cmdstat_scan`.
fn scan_usec(redis: &RedisServer) -> u64 {
    redis
        .cmd(&["INFO", "commandstats"])
        .lines()
        .find_map(|l| l.strip_prefix("cmdstat_scan:"))
        .and_then(|rest| rest.split(',').find_map(|f| f.strip_prefix("usec=")))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let sizes: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let limit = std::env::var("QTOP_BENCH_LIMIT")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(180), Duration::from_secs);
    let mut bins = vec![env!("CARGO_BIN_EXE_qtop").to_string()];
    if let Ok(others) = std::env::var("QTOP_BENCH_COMPARE") {
        bins.extend(
            others
                .split(',')
                .filter(|b| !b.is_empty())
                .map(str::to_string),
        );
    }
    println!("qtop dashboard, release build, 200×50 in tmux, --interval 1s; one queue among K other keys, a second created once it is listed");
    println!(
        "| other keys | new queue on screen after | SCAN Redis CPU (share of a core) | binary |"
    );
    println!("|---:|---:|---:|---|");
    for &keys in &sizes {
        let redis = RedisServer::start();
        let fill =
            format!("for i = 1, {keys} do redis.call('SET', 'filler:' .. i, 1) end return 1");
        redis.cmd(&["EVAL", &fill, "0"]);
        redis.cmd(&["LPUSH", "bull:first:wait", "1"]);
        let url = redis.url();
        for bin in &bins {
            redis.cmd(&["DEL", "bull:late:meta"]);
            let command =
                format!("env -u REDIS_URL '{bin}' --redis '{url}' --interval 1s; sleep 5");
            let tmux = Tmux::start(200, 50, &command);
            tmux.wait_for_within("the first queue", Duration::from_secs(120), |s| {
                s.contains("queues (1)")
            });
            let warm = std::env::var("QTOP_BENCH_WARM")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            std::thread::sleep(Duration::from_secs(warm));
            let usec_before = scan_usec(&redis);
            let started = Instant::now();
            redis.cmd(&["HSET", "bull:late:meta", "version", "bullmq:6.7.0"]);
            let mut found = None;
            while started.elapsed() < limit {
                if tmux.screen().contains("queues (2)") {
                    found = Some(started.elapsed());
                    break;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            // The SCAN cost over at least 30 s, whatever the wait was.
            let at_least = Duration::from_secs(30);
            if let Some(left) = at_least.checked_sub(started.elapsed()) {
                std::thread::sleep(left);
            }
            let share =
                (scan_usec(&redis) - usec_before) as f64 / 1e6 / started.elapsed().as_secs_f64();
            tmux.send(&["q"]);
            let after = found.map_or(format!("> {} s", limit.as_secs()), |d| {
                format!("{:.1} s", d.as_secs_f64())
            });
            println!("| {keys} | {after} | {:.3} % | {bin} |", share * 100.0);
        }
    }
}
