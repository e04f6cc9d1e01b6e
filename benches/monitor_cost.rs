//! What monitoring costs Redis: qtop's poller vs the Node `bullmq` package's
//! `Queue.getJobCounts` for every queue each second, on the same private redis-server,
//! with 10 … 10,000 queues of which 1 % are busy. Prints figures; asserts nothing.
//!
//!     cargo bench --bench monitor_cost                 # all sizes
//!     cargo bench --bench monitor_cost -- 1000         # one size
//!     QTOP_BENCH_FULL_POLLS=2000 cargo bench --profile profiling --bench monitor_cost -- 1000
//!                                      # with symbols and line tables, to run under perf
//!
//! Per size: a phase with only the load, one with qtop polling at 1 s, one with the Node
//! loop; each monitor's cost is its phase minus the load-only phase. Redis CPU comes from
//! `INFO cpu` (user + sys), commands from `INFO stats`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "support/cli.rs"]
mod cli;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/load.rs"]
mod load;
#[path = "support/redis_info.rs"]
mod redis_info;

use std::time::{Duration, Instant};

use common::{NodeScript, RedisServer};
use load::{setup_queues, start_load};
use qtop::source::{spawn_poller, Poller, PollerConfig, RedisTarget, SourceEvent};
use redis::aio::MultiplexedConnection;
use redis_info::{calls_and_usec_by_command, field, info};
use tokio_util::sync::CancellationToken;

const PHASE: Duration = Duration::from_secs(10);
const ROUNDS: usize = 3;
const WARMUP: Duration = Duration::from_secs(2);
/// Jobs per second on each busy queue.
const BUSY_RATE: u64 = 10;

struct Sample {
    cpu_s: f64,
    commands: u64,
}

async fn sample(conn: &mut MultiplexedConnection) -> Sample {
    let cpu = info(conn, "cpu").await;
    let stats = info(conn, "stats").await;
    Sample {
        cpu_s: field(&cpu, "used_cpu_user") + field(&cpu, "used_cpu_sys"),
        commands: field(&stats, "total_commands_processed") as u64,
    }
}

/// With QTOP_BENCH_STATS set: which commands took Redis's time during a qtop phase.
fn print_commandstats(
    n: u64,
    before: &std::collections::HashMap<String, (f64, f64)>,
    after: &std::collections::HashMap<String, (f64, f64)>,
) {
    let mut rows: Vec<(String, f64, f64)> = after
        .iter()
        .map(|(name, (calls, usec))| {
            let (c0, u0) = before.get(name).copied().unwrap_or((0.0, 0.0));
            (name.clone(), calls - c0, usec - u0)
        })
        .filter(|(_, calls, _)| *calls > 0.0)
        .collect();
    rows.sort_by(|a, b| b.2.total_cmp(&a.2));
    for (name, calls, usec) in rows.iter().take(12) {
        eprintln!("  {n}: {name:<22} {calls:>8.0} calls {usec:>10.0} µs (load + qtop)");
    }
}

/// `INFO commandstats`: command → (calls, µs).
async fn commandstats(
    conn: &mut MultiplexedConnection,
) -> std::collections::HashMap<String, (f64, f64)> {
    calls_and_usec_by_command(&info(conn, "commandstats").await)
        .into_iter()
        .collect()
}

/// Commands only the load (or the measurement itself) sends; every other command in a
/// phase is the monitor's.
const LOAD_COMMANDS: [&str; 5] = ["xadd", "zadd", "hset", "incr", "info"];
const SCRIPT_COMMANDS: [&str; 4] = ["eval", "evalsha", "fcall", "eval_ro"];

/// Redis CPU (ms per second, `INFO cpu`), commands per second, and the time Redis spent
/// executing the monitor's own commands (ms per second, `INFO commandstats`) over one phase.
/// The last is attributable to the monitor exactly; the first also counts network I/O but
/// is the difference of two noisy phases.
async fn measure(conn: &mut MultiplexedConnection) -> (f64, f64, f64) {
    tokio::time::sleep(WARMUP).await;
    let before = sample(conn).await;
    let stats_before = commandstats(conn).await;
    let started = Instant::now();
    tokio::time::sleep(PHASE).await;
    let after = sample(conn).await;
    let stats_after = commandstats(conn).await;
    let secs = started.elapsed().as_secs_f64();
    let delta = |name: &str, usec: f64| usec - stats_before.get(name).map_or(0.0, |(_, u)| *u);
    // Commands a Lua script calls are counted twice (in the script's time and as
    // themselves): when scripts ran (Node's getJobCounts is one), only they are counted.
    let scripts: f64 = stats_after
        .iter()
        .filter(|(name, _)| SCRIPT_COMMANDS.contains(&name.as_str()))
        .map(|(name, (_, usec))| delta(name, *usec))
        .sum();
    let monitor_usec: f64 = if scripts > 0.0 {
        scripts
    } else {
        stats_after
            .iter()
            .filter(|(name, _)| !LOAD_COMMANDS.contains(&name.as_str()))
            .map(|(name, (_, usec))| delta(name, *usec))
            .sum()
    };
    (
        (after.cpu_s - before.cpu_s) * 1000.0 / secs,
        (after.commands - before.commands) as f64 / secs,
        monitor_usec / 1000.0 / secs,
    )
}

async fn median_ms<F, Fut>(runs: usize, mut f: F) -> f64
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        f().await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

async fn run_size(n: u64) {
    let redis = RedisServer::start();
    let url = redis.url();
    let mut conn = setup_queues(&url, n).await;
    let busy = (n / 100).max(1);
    let cancel = CancellationToken::new();
    let load = start_load(url.clone(), busy, BUSY_RATE, cancel.clone());

    // Two rounds of (load only, qtop, node), alternating, so drift in the machine's load
    // hits all three alike; each figure is the mean of its two phases.
    let target = RedisTarget::parse(&url, false).unwrap();
    // One discovery pass (SCAN over the whole keyspace; repeated every 60 s, spread over
    // that time): its Redis time, amortized, is added to qtop's phase figures below.
    let discovery_ms = {
        let mut poller = Poller::new(target.clone(), PollerConfig::default());
        poller.connect().await.unwrap();
        let before = commandstats(&mut conn).await;
        poller.discover().await.unwrap();
        let after = commandstats(&mut conn).await;
        let usec = |stats: &std::collections::HashMap<String, (f64, f64)>| {
            ["scan", "type", "xrevrange"]
                .iter()
                .filter_map(|name| stats.get(*name).map(|(_, u)| *u))
                .sum::<f64>()
        };
        (usec(&after) - usec(&before)) / 1000.0
    };
    let discovery_amortized = discovery_ms / PollerConfig::default().discovery_every.as_secs_f64();
    let (mut load_runs, mut qtop_runs, mut node_runs) = (Vec::new(), Vec::new(), Vec::new());
    let mut last_poll = None;
    // QTOP_BENCH_ONLY_FULL=1: skip the phases, measure the full poll only.
    let rounds = if std::env::var_os("QTOP_BENCH_ONLY_FULL").is_some() {
        0
    } else {
        ROUNDS
    };
    for _round in 0..rounds {
        load_runs.push(measure(&mut conn).await);

        // qtop: the dashboard's own poller task at 1 s.
        let qtop_cancel = CancellationToken::new();
        let (task, mut rx) = spawn_poller(
            target.clone(),
            PollerConfig::default(),
            Duration::from_secs(1),
            qtop_cancel.clone(),
        );
        let reports = tokio::spawn(async move {
            let mut last = None;
            while let Some(event) = rx.recv().await {
                if let SourceEvent::Report(report) = event {
                    last = Some((
                        report.poll.round_trips,
                        report.poll.commands,
                        report.poll.duration_ms,
                    ));
                }
            }
            last
        });
        // Counted from after the start-up (first discovery, first full read).
        tokio::time::sleep(WARMUP).await;
        let stats_before = commandstats(&mut conn).await;
        qtop_runs.push(measure(&mut conn).await);
        if std::env::var_os("QTOP_BENCH_STATS").is_some() {
            print_commandstats(n, &stats_before, &commandstats(&mut conn).await);
        }
        qtop_cancel.cancel();
        let _ = task.await;
        last_poll = reports.await.unwrap_or(None).or(last_poll);

        // Node: getJobCounts for every queue each second.
        let mut node = NodeScript::new("counts_loop.js")
            .args(["--redis", &url])
            .spawn();
        node.wait_for_line("READY", Duration::from_secs(120));
        node_runs.push(measure(&mut conn).await);
        node.stop(Duration::from_secs(60));
    }
    let mean = |runs: &[(f64, f64, f64)]| {
        let k = runs.len().max(1) as f64;
        (
            runs.iter().map(|r| r.0).sum::<f64>() / k,
            runs.iter().map(|r| r.1).sum::<f64>() / k,
            runs.iter().map(|r| r.2).sum::<f64>() / k,
        )
    };
    let (
        (load_cpu, load_cmds, _),
        (qtop_cpu, qtop_cmds, qtop_exec),
        (node_cpu, node_cmds, node_exec),
    ) = (mean(&load_runs), mean(&qtop_runs), mean(&node_runs));

    cancel.cancel();
    let _ = load.await;

    // A full reconciliation (every queue re-read) vs the raw floor: the same LLEN/ZCARD
    // commands in one pipeline.
    let mut poller = Poller::new(
        target,
        PollerConfig {
            reconcile_every: 1,
            ..PollerConfig::default()
        },
    );
    poller.connect().await.unwrap();
    poller.poll().await.unwrap();
    let mut poll_times = Vec::new();
    // QTOP_BENCH_FULL_POLLS=N repeats the full poll N times (to profile it, under
    // `--profile profiling`: the release profile leaves out the line tables).
    let polls: usize = std::env::var("QTOP_BENCH_FULL_POLLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(51);
    for _ in 0..polls {
        let started = Instant::now();
        poller.poll().await.unwrap();
        poll_times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    poll_times.sort_by(f64::total_cmp);
    let full_poll = poll_times[poll_times.len() / 2];
    let floor = median_ms(51, || {
        let mut conn = conn.clone();
        async move {
            let mut pipe = redis::pipe();
            for i in 1..=n {
                let q = format!("bull:q{i}:");
                for list in ["wait", "paused", "active"] {
                    pipe.cmd("LLEN").arg(format!("{q}{list}"));
                }
                for set in [
                    "prioritized",
                    "delayed",
                    "completed",
                    "failed",
                    "waiting-children",
                ] {
                    pipe.cmd("ZCARD").arg(format!("{q}{set}"));
                }
            }
            let _: Vec<redis::Value> = pipe.query_async(&mut conn).await.unwrap();
        }
    })
    .await;

    let qtop_cost = (qtop_cpu - load_cpu).max(0.0) + discovery_amortized;
    let qtop_exec = qtop_exec + discovery_amortized;
    let node_cost = (node_cpu - load_cpu).max(0.0);
    println!(
        "| {n:>6} | {busy:>4} | {load_cpu:>7.1} | {qtop_cost:>9.2} | {node_cost:>9.2} | {ratio:>6} | {qtop_exec:>8.3} | {node_exec:>8.3} | {exec_ratio:>6} | {:>9.0} | {:>9.0} | {poll} | {full_poll:>8.2} | {floor:>8.2} | {:>5.2} | {discovery_ms:>7.1} |",
        (qtop_cmds - load_cmds).max(0.0),
        (node_cmds - load_cmds).max(0.0),
        full_poll / floor,
        ratio = if qtop_cost > 0.0 { format!("{:.0}×", node_cost / qtop_cost) } else { "∞".to_string() },
        exec_ratio = if qtop_exec > 0.0 { format!("{:.0}×", node_exec / qtop_exec) } else { "∞".to_string() },
        poll = last_poll.map_or("-".to_string(), |(rt, cmds, ms)| format!("{rt} rt, {cmds} cmds, {ms:.1} ms")),
    );
}

fn main() {
    let sizes: Vec<u64> = cli::sizes(&[10, 100, 1000, 10_000]);
    let runtime = cli::runtime();
    println!(
        "Redis cost of monitoring (1 % of queues busy at {BUSY_RATE} jobs/s each; phases of {}s)",
        PHASE.as_secs()
    );
    println!("| queues | busy | load ms/s | qtop ms/s | node ms/s | node/qtop | qtop exec ms/s | node exec ms/s | node/qtop exec | qtop cmd/s | node cmd/s | qtop steady poll | full poll ms | floor ms | ratio | discovery pass ms |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|");
    for n in sizes {
        runtime.block_on(run_size(n));
    }
}
