//! What monitoring Celery costs Redis: qtop's poller (Celery only) vs Celery's own API read
//! once a second the way Flower's dashboard and `celery inspect` do, on the same private
//! redis-server with N Celery queues of which 1 % are busy (10 tasks/s each, published with
//! `send_task` and run by two real `celery worker -E` processes, so task events flow).
//! Prints figures; asserts nothing.
//!
//!     cargo bench --bench celery_cost                 # 1,000 queues
//!     cargo bench --bench celery_cost -- 100 1000     # other sizes
//!     QTOP_BENCH_ROUNDS=4 cargo bench --bench celery_cost
//!
//! Per size, two rounds (or `QTOP_BENCH_ROUNDS`) of four phases, the order reversed every
//! other round: the load alone, qtop polling at 1 s, a bare `PSUBSCRIBE` client taking
//! Celery's events (what qtop's listener alone costs), and Celery's API
//! (`benches/support/celery_load.py api`: each second one broadcast each of
//! `inspect().active()`, `.reserved()`, `.stats()` with a 1 s timeout, in parallel as
//! Flower runs them, and `LLEN` of every queue's four priority lists as Flower's broker API
//! reads them). Each monitor's cost is its phase minus the load's: Redis CPU from `INFO
//! cpu` (user + sys), commands from `INFO stats`, execution time from `INFO commandstats`.

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

use common::celery::{celery_dir, ensure_celery_env, CeleryWorker};
use common::{NodeChild, RedisServer};
use futures_util::StreamExt;
use qtop::model::System;
use qtop::source::{spawn_poller, PollerConfig, RedisTarget, SourceEvent};
use redis::aio::MultiplexedConnection;
use redis_info::{field, info, usec_by_command};
use tokio_util::sync::CancellationToken;

const PHASE: Duration = Duration::from_secs(15);
const WARMUP: Duration = Duration::from_secs(5);
/// Rounds per size (`QTOP_BENCH_ROUNDS` for more: the load's own CPU is noisy).
fn rounds() -> usize {
    std::env::var("QTOP_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2)
}
/// Tasks per second on each busy queue.
const BUSY_RATE: &str = "10";
/// Celery workers sharing the busy queues (prefork, concurrency 2 each, with `-E`).
const WORKERS: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Load,
    Qtop,
    /// A bare `PSUBSCRIBE /<db>.celeryev/*` client reading every event: the part of qtop's
    /// cost that is its events listener, not its polls.
    Subscriber,
    Api,
}

#[derive(Default)]
struct Sample {
    cpu_s: f64,
    commands: f64,
    net_out_bytes: f64,
    /// Redis time in each command (`INFO commandstats`), µs.
    usec: HashMap<String, f64>,
}

/// Per-second figures of one phase.
#[derive(Clone, Default)]
struct Rates {
    cpu_ms: f64,
    commands: f64,
    net_out_kb: f64,
    usec: HashMap<String, f64>,
}

impl Rates {
    fn exec_ms(&self) -> f64 {
        self.usec.values().sum::<f64>() / 1000.0
    }

    fn mean(runs: &[Rates]) -> Rates {
        let k = runs.len().max(1) as f64;
        let mut usec: HashMap<String, f64> = HashMap::new();
        for run in runs {
            for (name, us) in &run.usec {
                *usec.entry(name.clone()).or_default() += us / k;
            }
        }
        Rates {
            cpu_ms: runs.iter().map(|r| r.cpu_ms).sum::<f64>() / k,
            commands: runs.iter().map(|r| r.commands).sum::<f64>() / k,
            net_out_kb: runs.iter().map(|r| r.net_out_kb).sum::<f64>() / k,
            usec,
        }
    }

    /// This phase less the load's, each figure at least 0.
    fn minus(&self, load: &Rates) -> Rates {
        let usec = self
            .usec
            .iter()
            .map(|(name, us)| {
                let base = load.usec.get(name).copied().unwrap_or(0.0);
                (name.clone(), (us - base).max(0.0))
            })
            .collect();
        Rates {
            cpu_ms: (self.cpu_ms - load.cpu_ms).max(0.0),
            commands: (self.commands - load.commands).max(0.0),
            net_out_kb: (self.net_out_kb - load.net_out_kb).max(0.0),
            usec,
        }
    }

    /// The commands that took the most Redis time, e.g. `llen 3.1`, in ms/s.
    fn top(&self, n: usize) -> String {
        let mut by_time: Vec<(&String, &f64)> =
            self.usec.iter().filter(|(_, us)| **us >= 50.0).collect();
        by_time.sort_by(|a, b| b.1.total_cmp(a.1));
        by_time
            .iter()
            .take(n)
            .map(|(name, us)| format!("{name} {:.2}", *us / 1000.0))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn sample(conn: &mut MultiplexedConnection) -> Sample {
    let cpu = info(conn, "cpu").await;
    let stats = info(conn, "stats").await;
    let usec: HashMap<String, f64> = usec_by_command(&info(conn, "commandstats").await)
        .into_iter()
        .collect();
    Sample {
        cpu_s: field(&cpu, "used_cpu_user") + field(&cpu, "used_cpu_sys"),
        commands: field(&stats, "total_commands_processed"),
        net_out_bytes: field(&stats, "total_net_output_bytes"),
        usec,
    }
}

/// One phase's figures per second, after a warm-up.
async fn measure(conn: &mut MultiplexedConnection) -> Rates {
    tokio::time::sleep(WARMUP).await;
    let before = sample(conn).await;
    let started = Instant::now();
    tokio::time::sleep(PHASE).await;
    let after = sample(conn).await;
    let secs = started.elapsed().as_secs_f64();
    Rates {
        cpu_ms: (after.cpu_s - before.cpu_s) * 1000.0 / secs,
        commands: (after.commands - before.commands) / secs,
        net_out_kb: (after.net_out_bytes - before.net_out_bytes) / 1024.0 / secs,
        usec: after
            .usec
            .iter()
            .map(|(name, us)| {
                let base = before.usec.get(name).copied().unwrap_or(0.0);
                (name.clone(), (us - base) / secs)
            })
            .collect(),
    }
}

/// `python benches/support/celery_load.py args…` in the Celery virtualenv, on `broker`.
fn script(broker: &str, args: &[&str]) -> NodeChild {
    ensure_celery_env();
    let mut command = Command::new(celery_dir().join(".venv").join("bin").join("python"));
    command
        .arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("benches")
                .join("support")
                .join("celery_load.py"),
        )
        .args(args)
        .env("CELERY_BROKER", broker)
        .current_dir(celery_dir());
    NodeChild::spawn_command(format!("celery_load.py {}", args[0]), command)
}

/// The last poll's figures and the fewest and most round trips a poll took.
#[derive(Clone, Copy, Default)]
struct PollFigures {
    polls: u64,
    min_round_trips: u32,
    max_round_trips: u32,
    commands: u64,
    duration_ms: f64,
    queues: usize,
}

async fn qtop_phase(
    conn: &mut MultiplexedConnection,
    target: &RedisTarget,
) -> (Rates, PollFigures) {
    let config = PollerConfig {
        systems: vec![System::Celery],
        ..PollerConfig::default()
    };
    let cancel = CancellationToken::new();
    let (task, mut rx) = spawn_poller(
        target.clone(),
        config,
        Duration::from_secs(1),
        cancel.clone(),
    );
    let reports = tokio::spawn(async move {
        let mut figures = PollFigures {
            min_round_trips: u32::MAX,
            ..PollFigures::default()
        };
        let started = Instant::now();
        while let Some(event) = rx.recv().await {
            if let SourceEvent::Report(report) = event {
                // The first polls discover the queues; count the steady ones.
                if started.elapsed() < WARMUP {
                    continue;
                }
                figures.polls += 1;
                figures.min_round_trips = figures.min_round_trips.min(report.poll.round_trips);
                figures.max_round_trips = figures.max_round_trips.max(report.poll.round_trips);
                figures.commands = report.poll.commands;
                figures.duration_ms = report.poll.duration_ms;
                figures.queues = report.queues.len();
            }
        }
        figures
    });
    let rates = measure(conn).await;
    cancel.cancel();
    let _ = task.await;
    (rates, reports.await.unwrap_or_default())
}

/// A client subscribed as qtop's listener is, taking every event in and nothing else.
async fn subscriber_phase(
    conn: &mut MultiplexedConnection,
    client: &redis::Client,
) -> (Rates, f64) {
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.psubscribe("/0.celeryev/*").await.unwrap();
    let cancel = CancellationToken::new();
    let reader = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let mut messages = pubsub.on_message();
            let mut count = 0u64;
            loop {
                tokio::select! {
                    _ = cancel.cancelled() => return count,
                    message = messages.next() => match message {
                        Some(_) => count += 1,
                        None => return count,
                    },
                }
            }
        })
    };
    let started = Instant::now();
    let rates = measure(conn).await;
    cancel.cancel();
    let messages = reader.await.unwrap_or(0);
    (rates, messages as f64 / started.elapsed().as_secs_f64())
}

/// Celery's API read each second; also how many reads a second it managed.
async fn api_phase(
    conn: &mut MultiplexedConnection,
    broker: &str,
    queues: &[String],
) -> (Rates, f64) {
    let mut args = vec!["api"];
    args.extend(queues.iter().map(String::as_str));
    let mut api = script(broker, &args);
    api.wait_for_line("READY", Duration::from_secs(60));
    let rates = measure(conn).await;
    api.close_stdin();
    let done = api.wait_for_line("DONE", Duration::from_secs(30));
    let _ = api.wait_exit(Duration::from_secs(30));
    let field = |name: &str| -> f64 {
        done.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    let seconds = field("seconds=");
    let per_s = if seconds > 0.0 {
        field("reads=") / seconds
    } else {
        0.0
    };
    (rates, per_s)
}

async fn run_size(n: usize) {
    let redis = RedisServer::start_tcp();
    let broker = format!("{}/0", redis.tcp_url());
    let busy = (n / 100).max(1);
    let queues: Vec<String> = (0..n).map(|i| format!("q{i}")).collect();
    let (busy_queues, idle_queues) = queues.split_at(busy);

    // Idle queues as Celery leaves them after one publish: a binding and a message waiting.
    let mut args = vec!["setup"];
    args.extend(idle_queues.iter().map(String::as_str));
    let mut setup = script(&broker, &args);
    setup.wait_for_line("READY", Duration::from_secs(600));
    setup.wait_exit(Duration::from_secs(60));

    let chunk = busy.div_ceil(WORKERS).max(1);
    let workers: Vec<CeleryWorker> = busy_queues
        .chunks(chunk)
        .enumerate()
        .map(|(k, names)| {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            CeleryWorker::start(&broker, &format!("bench{k}@qtop"), &names, 2, &["-E"])
        })
        .collect();
    for worker in &workers {
        worker.wait_ready(&broker, Duration::from_secs(120));
    }
    let mut args = vec!["produce", BUSY_RATE];
    args.extend(busy_queues.iter().map(String::as_str));
    let mut producer = script(&broker, &args);
    producer.wait_for_line("READY", Duration::from_secs(60));

    let client = redis::Client::open(redis.tcp_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let target = RedisTarget::parse(&broker, false).unwrap();
    let (mut load_runs, mut qtop_runs, mut api_runs) = (Vec::new(), Vec::new(), Vec::new());
    let (mut subscriber_runs, mut event_rates) = (Vec::new(), Vec::new());
    let mut polls = PollFigures::default();
    let mut api_reads = Vec::new();
    for round in 0..rounds() {
        let mut order = [Phase::Load, Phase::Qtop, Phase::Subscriber, Phase::Api];
        if round % 2 == 1 {
            order.reverse();
        }
        for phase in order {
            match phase {
                Phase::Load => load_runs.push(measure(&mut conn).await),
                Phase::Qtop => {
                    let (rates, figures) = qtop_phase(&mut conn, &target).await;
                    qtop_runs.push(rates);
                    if figures.polls > 0 {
                        let first = polls.polls == 0;
                        polls = PollFigures {
                            polls: polls.polls + figures.polls,
                            min_round_trips: if first {
                                figures.min_round_trips
                            } else {
                                polls.min_round_trips.min(figures.min_round_trips)
                            },
                            max_round_trips: polls.max_round_trips.max(figures.max_round_trips),
                            ..figures
                        };
                    }
                }
                Phase::Subscriber => {
                    let (rates, per_s) = subscriber_phase(&mut conn, &client).await;
                    subscriber_runs.push(rates);
                    event_rates.push(per_s);
                }
                Phase::Api => {
                    let (rates, per_s) = api_phase(&mut conn, &broker, &queues).await;
                    api_runs.push(rates);
                    api_reads.push(per_s);
                }
            }
        }
    }
    producer.close_stdin();
    let _ = producer.wait_exit(Duration::from_secs(30));
    drop(workers);

    let load = Rates::mean(&load_runs);
    let qtop = Rates::mean(&qtop_runs).minus(&load);
    let api = Rates::mean(&api_runs).minus(&load);
    let subscriber = Rates::mean(&subscriber_runs).minus(&load);
    let reads_per_s = api_reads.iter().sum::<f64>() / api_reads.len().max(1) as f64;
    let ratio = |a: f64, b: f64| {
        if b > 0.0 {
            format!("{:.1}×", a / b)
        } else {
            "∞".to_string()
        }
    };
    let rounds = |runs: &[Rates]| {
        runs.iter()
            .map(|r| format!("{:.1}", r.cpu_ms))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    println!(
        "| {n:>6} | {busy:>4} | {:>7.1} | {:>7.2} | {:>7.2} | {:>7.2} | {:>6} | {:>7.3} | {:>7.3} | {:>6} | {:>6.0} | {:>6.0} | {:>6.1} | {:>6.1} | {reads_per_s:.2} | {} |",
        load.cpu_ms,
        qtop.cpu_ms,
        subscriber.cpu_ms,
        api.cpu_ms,
        ratio(api.cpu_ms, qtop.cpu_ms),
        qtop.exec_ms(),
        api.exec_ms(),
        ratio(api.exec_ms(), qtop.exec_ms()),
        qtop.commands,
        api.commands,
        qtop.net_out_kb,
        api.net_out_kb,
        if polls.polls == 0 {
            "-".to_string()
        } else {
            format!(
                "{}–{} rt over {} polls; last {} cmds, {:.1} ms, {} queues",
                polls.min_round_trips,
                polls.max_round_trips,
                polls.polls,
                polls.commands,
                polls.duration_ms,
                polls.queues
            )
        },
    );
    println!(
        "<!-- {n} queues: event messages {:.0}/s; Redis CPU per phase (ms/s) load {}, qtop {}, subscriber {}, API {}; top commands (ms/s over the load) qtop: {}; API: {} -->",
        event_rates.iter().sum::<f64>() / event_rates.len().max(1) as f64,
        rounds(&load_runs),
        rounds(&qtop_runs),
        rounds(&subscriber_runs),
        rounds(&api_runs),
        qtop.top(4),
        api.top(6),
    );
}

fn main() {
    let sizes: Vec<usize> = cli::sizes(&[1000]);
    let runtime = cli::runtime();
    println!(
        "Redis cost of monitoring Celery (1 % of queues busy at {BUSY_RATE} tasks/s each, {WORKERS} real `celery worker -E`; phases of {} s after {} s warm-up, {} rounds, order reversed each round)",
        PHASE.as_secs(),
        WARMUP.as_secs(),
        rounds()
    );
    println!("| queues | busy | load ms/s | qtop ms/s | events alone (a PSUBSCRIBE client) ms/s | API ms/s | API/qtop | qtop exec ms/s | API exec ms/s | exec ratio | qtop cmd/s | API cmd/s | qtop out KB/s | API out KB/s | API reads/s | qtop poll |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for n in sizes {
        runtime.block_on(run_size(n));
    }
}
