//! What monitoring Sidekiq costs Redis: qtop's poller vs Sidekiq's own API read each second
//! (`Sidekiq::Stats`, `Queue#size` and `#latency` of every queue, `ProcessSet`), on the same
//! private redis-server with N Sidekiq queues of which 1 % are busy (a real `sidekiq`
//! process working them, jobs pushed through `Sidekiq::Client`). Prints figures; asserts
//! nothing.
//!
//!     cargo bench --bench sidekiq_cost            # 1,000 queues
//!     cargo bench --bench sidekiq_cost -- 100 1000
//!
//! Per size: a phase with only the load, one with qtop polling at 1 s, one with the Ruby
//! API loop; each monitor's cost is its phase minus the load-only phase (`INFO cpu`), and
//! the Redis time of the commands only the monitors send (`INFO commandstats`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "support/cli.rs"]
mod cli;
#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/redis_info.rs"]
mod redis_info;

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::sidekiq::{ruby_dir, Sidekiq};
use common::{NodeChild, RedisServer};
use qtop::source::{spawn_poller, PollerConfig, RedisTarget, SourceEvent};
use redis::aio::MultiplexedConnection;
use redis_info::{field, info, usec_by_command};
use tokio_util::sync::CancellationToken;

const PHASE: Duration = Duration::from_secs(10);
const WARMUP: Duration = Duration::from_secs(3);
const ROUNDS: usize = 2;
/// Jobs per second on each busy queue.
const BUSY_RATE: u32 = 10;
/// Commands the load (producer, sidekiq's fetch, heartbeats, scheduler) and the
/// measurement send; every other command in a phase is the monitor's.
const LOAD_COMMANDS: [&str; 18] = [
    "lpush",
    "sadd",
    "brpop",
    "incrby",
    "unlink",
    "hset",
    "hmset",
    "expire",
    "exists",
    "rpop",
    "multi",
    "exec",
    "zrangebyscore",
    "zrem",
    "info",
    "ping",
    "select",
    "client",
];

async fn stats(conn: &mut MultiplexedConnection) -> (f64, HashMap<String, f64>) {
    let cpu = info(conn, "cpu").await;
    let usec = usec_by_command(&info(conn, "commandstats").await);
    (
        field(&cpu, "used_cpu_user") + field(&cpu, "used_cpu_sys"),
        usec.into_iter().collect(),
    )
}

/// Redis CPU (ms/s) and the Redis time of non-load commands (ms/s) over one phase.
async fn measure(conn: &mut MultiplexedConnection) -> (f64, f64) {
    tokio::time::sleep(WARMUP).await;
    let (cpu0, usec0) = stats(conn).await;
    let started = Instant::now();
    tokio::time::sleep(PHASE).await;
    let (cpu1, usec1) = stats(conn).await;
    let secs = started.elapsed().as_secs_f64();
    let exec: f64 = usec1
        .iter()
        .filter(|(name, _)| !LOAD_COMMANDS.contains(&name.as_str()))
        .map(|(name, usec)| usec - usec0.get(name).copied().unwrap_or(0.0))
        .sum();
    ((cpu1 - cpu0) * 1000.0 / secs, exec / 1000.0 / secs)
}

fn ruby(redis: &RedisServer, script: &str, args: &[&str]) -> NodeChild {
    let mut command = Command::new("ruby");
    command
        .arg(ruby_dir().join(script))
        .args(args)
        .env("REDIS_URL", redis.url())
        .env("SIDEKIQ_NAMESPACE", "");
    let mut child = NodeChild::spawn_command(script.to_string(), command);
    child.wait_for_line("READY", Duration::from_secs(60));
    child
}

async fn run_size(n: u32) {
    let redis = RedisServer::start();
    let busy = (n / 100).max(1);
    // Every queue exists in `queues` (as Sidekiq leaves them once used); the busy ones
    // get jobs from the load and a sidekiq process working them.
    let mut args = vec!["SADD".to_string(), "queues".to_string()];
    args.extend((1..=busy).map(|i| format!("busy-{i}")));
    args.extend((busy + 1..=n).map(|i| format!("idle-{i}")));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    redis.cmd(&args);
    let queues: Vec<String> = (1..=busy).map(|i| format!("busy-{i}")).collect();
    let queues: Vec<&str> = queues.iter().map(String::as_str).collect();
    let _sidekiq = Sidekiq::start(&redis, "", &queues, 10);
    let load_secs = (ROUNDS as u64 * 3 * (PHASE + WARMUP * 2).as_secs() + 60).to_string();
    let _load = ruby(
        &redis,
        "load.rb",
        &[&busy.to_string(), &BUSY_RATE.to_string(), &load_secs],
    );
    let target = RedisTarget::parse(&redis.url(), false).unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();

    let (mut load, mut qtop, mut api) = (Vec::new(), Vec::new(), Vec::new());
    let mut last_poll = None;
    for _ in 0..ROUNDS {
        load.push(measure(&mut conn).await);

        let cancel = CancellationToken::new();
        let config = PollerConfig {
            systems: vec![qtop::model::System::Sidekiq],
            ..PollerConfig::default()
        };
        let (task, mut rx) = spawn_poller(
            target.clone(),
            config,
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
                        report.queues.len(),
                    ));
                }
            }
            last
        });
        qtop.push(measure(&mut conn).await);
        cancel.cancel();
        let _ = task.await;
        last_poll = reports.await.unwrap_or(None).or(last_poll);

        let mut api_loop = ruby(&redis, "api_loop.rb", &[]);
        api.push(measure(&mut conn).await);
        api_loop.close_stdin();
        api_loop.wait_exit(Duration::from_secs(30));
    }
    let mean = |runs: &[(f64, f64)]| {
        let k = runs.len().max(1) as f64;
        (
            runs.iter().map(|r| r.0).sum::<f64>() / k,
            runs.iter().map(|r| r.1).sum::<f64>() / k,
        )
    };
    let ((load_cpu, _), (qtop_cpu, qtop_exec), (api_cpu, api_exec)) =
        (mean(&load), mean(&qtop), mean(&api));
    let qtop_cost = (qtop_cpu - load_cpu).max(0.0);
    let api_cost = (api_cpu - load_cpu).max(0.0);
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.0}×", a / b)
        } else {
            "∞".into()
        }
    };
    println!(
        "| {n:>6} | {busy:>4} | {load_cpu:>7.2} | {qtop_cost:>8.2} | {api_cost:>8.2} | {:>6} | {qtop_exec:>8.3} | {api_exec:>8.3} | {:>6} | {} |",
        ratio(api_cost, qtop_cost),
        ratio(api_exec, qtop_exec),
        last_poll.map_or("-".to_string(), |(rt, cmds, queues)| format!("{rt} rt, {cmds} cmds, {queues} queues")),
    );
}

fn main() {
    let sizes: Vec<u32> = cli::sizes(&[1000]);
    let runtime = cli::runtime();
    println!(
        "Redis cost of monitoring Sidekiq (1 % of queues busy at {BUSY_RATE} jobs/s each; phases of {}s, {ROUNDS} rounds)",
        PHASE.as_secs()
    );
    println!("| queues | busy | load ms/s | qtop ms/s | API ms/s | API/qtop | qtop exec ms/s | API exec ms/s | API/qtop exec | qtop poll |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for n in sizes {
        runtime.block_on(run_size(n));
    }
}
