//! What monitoring RQ costs Redis: qtop's poller (RQ only) vs RQ's own monitor, `rq info
//! --interval 1`, on the same private redis-server with 1,000 RQ queues of which 1 % are
//! busy (10 jobs/s each, run by real `rq worker` processes). Prints figures; asserts
//! nothing.
//!
//!     cargo bench --bench rq_cost                 # 1,000 queues
//!     cargo bench --bench rq_cost -- 100 1000     # other sizes
//!
//! Per size, two rounds of three phases: the load alone, qtop polling at 1 s, `rq info -i 1`;
//! each monitor's cost is its phase minus the load's. Redis CPU comes from `INFO cpu` (user +
//! sys), commands from `INFO stats`. `rq info` cleans registries as it reads (writes); at
//! 1,000 queues one of its refreshes takes longer than its 1 s interval, so it refreshes
//! back to back: the per-refresh figure says what once a second would cost.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "support/cli.rs"]
mod cli;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/redis_info.rs"]
mod redis_info;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::rq::{spawn_script, venv_command, RqWorker};
use common::RedisServer;
use qtop::model::System;
use qtop::source::{spawn_poller, PollerConfig, RedisTarget, SourceEvent};
use redis::aio::MultiplexedConnection;
use redis_info::{field, info, usec_by_command};
use tokio_util::sync::CancellationToken;

const PHASE: Duration = Duration::from_secs(15);
const WARMUP: Duration = Duration::from_secs(5);
const ROUNDS: usize = 3;
/// Jobs per second on each busy queue.
const BUSY_RATE: &str = "10";

struct Sample {
    cpu_s: f64,
    commands: f64,
    /// Time Redis spent executing commands (`INFO commandstats`, all commands), s.
    exec_s: f64,
}

async fn sample(conn: &mut MultiplexedConnection) -> Sample {
    let cpu = info(conn, "cpu").await;
    let stats = info(conn, "stats").await;
    let commandstats = info(conn, "commandstats").await;
    let exec_us: f64 = usec_by_command(&commandstats)
        .iter()
        .map(|(_, us)| us)
        .sum();
    Sample {
        cpu_s: field(&cpu, "used_cpu_user") + field(&cpu, "used_cpu_sys"),
        commands: field(&stats, "total_commands_processed"),
        exec_s: exec_us / 1e6,
    }
}

/// Redis CPU (ms per second), commands per second and command execution time (ms per
/// second) over one phase, after a warm-up.
async fn measure(conn: &mut MultiplexedConnection) -> (f64, f64, f64) {
    tokio::time::sleep(WARMUP).await;
    let before = sample(conn).await;
    let started = Instant::now();
    tokio::time::sleep(PHASE).await;
    let after = sample(conn).await;
    let secs = started.elapsed().as_secs_f64();
    (
        (after.cpu_s - before.cpu_s) * 1000.0 / secs,
        (after.commands - before.commands) / secs,
        (after.exec_s - before.exec_s) * 1000.0 / secs,
    )
}

/// How long one `rq info` (a single refresh, no interval) takes, and what it costs Redis.
async fn one_rq_info(url: &str, conn: &mut MultiplexedConnection) -> (f64, f64) {
    let before = sample(conn).await;
    let started = Instant::now();
    let status = venv_command("rq")
        .args(["info", "-u", url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let secs = started.elapsed().as_secs_f64();
    let after = sample(conn).await;
    ((after.cpu_s - before.cpu_s) * 1000.0, secs)
}

async fn run_size(n: u64) {
    let redis = RedisServer::start();
    let url = redis.url();
    let mut setup = spawn_script("load.py", &["--redis", &url, "setup", &n.to_string()]);
    setup.wait_for_line("READY", Duration::from_secs(600));
    setup.wait_exit(Duration::from_secs(60));
    let busy = (n / 100).max(1);
    let busy_queues: Vec<String> = (0..busy).map(|i| format!("q{i}")).collect();
    let refs: Vec<&str> = busy_queues.iter().map(String::as_str).collect();
    // Two in-process workers (SimpleWorker: no fork per job) share the busy queues.
    let half = refs.len().div_ceil(2);
    let _workers: Vec<RqWorker> = refs
        .chunks(half.max(1))
        .enumerate()
        .map(|(k, queues)| {
            RqWorker::start(
                &url,
                &format!("bench-{k}"),
                queues,
                &["--worker-class", "rq.worker.SimpleWorker"],
            )
        })
        .collect();
    let mut producer_args = vec!["--redis", url.as_str(), "produce", BUSY_RATE];
    producer_args.extend(refs.iter().copied());
    let mut producer = spawn_script("load.py", &producer_args);
    producer.wait_for_line("READY", Duration::from_secs(60));

    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let target = RedisTarget::parse(&url, false).unwrap();
    let config = PollerConfig {
        systems: vec![System::Rq],
        ..PollerConfig::default()
    };
    let (mut load_runs, mut qtop_runs, mut info_runs) = (Vec::new(), Vec::new(), Vec::new());
    let mut last_poll = None;
    for _ in 0..ROUNDS {
        load_runs.push(measure(&mut conn).await);

        let cancel = CancellationToken::new();
        let (task, mut rx) = spawn_poller(
            target.clone(),
            config.clone(),
            Duration::from_secs(1),
            cancel.clone(),
        );
        let reports = tokio::spawn(async move {
            let mut last = None;
            while let Some(event) = rx.recv().await {
                if let SourceEvent::Report(report) = event {
                    last = Some((
                        report.poll.round_trips,
                        report.poll.commands,
                        report.poll.duration_ms,
                        report.queues.len(),
                    ));
                }
            }
            last
        });
        qtop_runs.push(measure(&mut conn).await);
        cancel.cancel();
        let _ = task.await;
        last_poll = reports.await.unwrap_or(None).or(last_poll);

        let mut info = venv_command("rq")
            .args(["info", "--interval", "1", "-u", &url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        info_runs.push(measure(&mut conn).await);
        let _ = info.kill();
        let _ = info.wait();
    }
    let (refresh_ms, refresh_s) = one_rq_info(&url, &mut conn).await;
    producer.close_stdin();
    let _ = producer.wait_exit(Duration::from_secs(30));

    let mean = |runs: &[(f64, f64, f64)]| {
        let k = runs.len().max(1) as f64;
        (
            runs.iter().map(|r| r.0).sum::<f64>() / k,
            runs.iter().map(|r| r.1).sum::<f64>() / k,
            runs.iter().map(|r| r.2).sum::<f64>() / k,
        )
    };
    let (
        (load_cpu, load_cmds, load_exec),
        (qtop_cpu, qtop_cmds, qtop_exec),
        (info_cpu, info_cmds, info_exec),
    ) = (mean(&load_runs), mean(&qtop_runs), mean(&info_runs));
    let qtop_exec = (qtop_exec - load_exec).max(0.0);
    let info_exec = (info_exec - load_exec).max(0.0);
    let qtop_cost = (qtop_cpu - load_cpu).max(0.0);
    let info_cost = (info_cpu - load_cpu).max(0.0);
    let ratio = |other: f64| {
        if qtop_cost > 0.0 {
            format!("{:.0}×", other / qtop_cost)
        } else {
            "∞".to_string()
        }
    };
    let exec_ratio = if qtop_exec > 0.0 {
        format!("{:.0}×", info_exec / qtop_exec)
    } else {
        "∞".to_string()
    };
    // One refresh, less the load's CPU over the same time.
    let refresh_ms = (refresh_ms - load_cpu * refresh_s).max(0.0);
    println!(
        "| {n:>6} | {busy:>4} | {load_cpu:>7.1} | {qtop_cost:>9.2} | {info_cost:>9.2} | {:>6} | {qtop_exec:>8.3} | {info_exec:>8.3} | {exec_ratio:>6} | {refresh_ms:>8.1} ms in {refresh_s:.1} s | {:>6} | {:>9.0} | {:>9.0} | {poll} |",
        ratio(info_cost),
        ratio(refresh_ms),
        (qtop_cmds - load_cmds).max(0.0),
        (info_cmds - load_cmds).max(0.0),
        poll = last_poll.map_or("-".to_string(), |(rt, cmds, ms, queues)| {
            format!("{rt} rt, {cmds} cmds, {ms:.1} ms, {queues} queues")
        }),
    );
}

fn main() {
    let sizes: Vec<u64> = cli::sizes(&[1000]);
    let runtime = cli::runtime();
    println!(
        "Redis cost of monitoring RQ (1 % of queues busy at {BUSY_RATE} jobs/s each, real rq workers; phases of {}s)",
        PHASE.as_secs()
    );
    println!("| queues | busy | load ms/s | qtop ms/s | rq info -i 1 ms/s | rq info/qtop | qtop exec ms/s | rq info exec ms/s | exec ratio | one rq info refresh (load subtracted) | refresh/qtop-s | qtop cmd/s | rq info cmd/s | qtop poll |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|");
    for n in sizes {
        runtime.block_on(run_size(n));
    }
}
