//! No-op jobs per second through `qtop worker` processes (bullmq-official with qtop's
//! workarounds) vs Node `bullmq` 6.7.0 Worker processes at the same concurrency, on the same
//! private redis-server, with the Redis-bound ceiling. Prints figures; asserts nothing.
//!
//!     cargo bench --bench worker_throughput
//!     cargo bench --bench worker_throughput -- --jobs 30000 --rounds 3 --configs 1x1,1x8,2x8 \
//!         --sides qtop,node,qtop-demo
//!
//! One run: pause the queue, pre-fill the jobs, start the workers and wait until each says
//! READY, resume, and time the drain. The rate and the CPU figures are taken between 10 %
//! and 90 % of the jobs completed, so process start-up and the last stragglers are left out.
//! Redis CPU is `INFO cpu` (user + sys); worker CPU is /proc/<pid>/stat of the worker
//! processes. The ceiling is the rate at which redis-server would use one whole core:
//! 1000 ms / (Redis CPU ms per job).
//!
//! Sides:
//! - `qtop`: `qtop worker --work-ms 0` on the same jobs as Node (data `{}`, Node addBulk);
//! - `node`: tests/node/bench_worker.js, a Worker with an empty async processor;
//! - `qtop-demo`: `qtop worker` on jobs from `qtop produce` (they carry an idempotency key,
//!   so each job also costs the demo's EXISTS + SET EX): what the demo itself runs.
//!
//! - `qtop-old`: `qtop worker` like `qtop`, but the binary named by `QTOP_BENCH_COMPARE`
//!   (an older build, e.g. `main`'s copied to /tmp/qtop-main); added to the sides when set.
//!
//! Sides alternate their order from round to round so drift in the machine's load hits
//! them alike. Note that rate ÷ ceiling is the share of one core redis-server used.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{NodeChild, NodeScript, RedisServer};

const QUEUE: &str = "bench";
/// How often the drain is watched (one ZCARD, negligible beside thousands of jobs/s).
const WATCH_EVERY: Duration = Duration::from_millis(5);
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);
const START_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Qtop,
    Node,
    QtopDemo,
    QtopOld,
}

impl Side {
    fn parse(text: &str) -> Option<Side> {
        match text {
            "qtop" => Some(Side::Qtop),
            "node" => Some(Side::Node),
            "qtop-demo" => Some(Side::QtopDemo),
            "qtop-old" => Some(Side::QtopOld),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Side::Qtop => "qtop",
            Side::Node => "node",
            Side::QtopDemo => "qtop-demo",
            Side::QtopOld => "qtop-old",
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Config {
    processes: usize,
    concurrency: usize,
}

#[derive(Clone, Copy, Debug)]
struct Run {
    jobs_per_s: f64,
    redis_ms_per_job: f64,
    redis_cpu_pct: f64,
    worker_us_per_job: f64,
    drain_s: f64,
}

impl Run {
    fn ceiling(&self) -> f64 {
        1000.0 / self.redis_ms_per_job.max(1e-9)
    }
}

struct Args {
    jobs: u64,
    rounds: usize,
    configs: Vec<Config>,
    sides: Vec<Side>,
}

fn parse_args() -> Args {
    let mut args = Args {
        jobs: 30_000,
        rounds: 3,
        configs: vec![(1, 1), (1, 8), (2, 8)]
            .into_iter()
            .map(|(processes, concurrency)| Config {
                processes,
                concurrency,
            })
            .collect(),
        sides: vec![Side::Qtop, Side::Node, Side::QtopDemo],
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            // cargo bench passes --bench to harness = false targets.
            "--bench" => {}
            "--jobs" => args.jobs = it.next().and_then(|v| v.parse().ok()).expect("--jobs N"),
            "--rounds" => args.rounds = it.next().and_then(|v| v.parse().ok()).expect("--rounds N"),
            "--configs" => {
                args.configs = it
                    .next()
                    .expect("--configs PxC,…")
                    .split(',')
                    .map(|pc| {
                        let (p, c) = pc.split_once('x').expect("PxC, e.g. 2x8");
                        Config {
                            processes: p.parse().expect("processes"),
                            concurrency: c.parse().expect("concurrency"),
                        }
                    })
                    .collect()
            }
            "--sides" => {
                args.sides = it
                    .next()
                    .expect("--sides qtop,node,qtop-demo,qtop-old")
                    .split(',')
                    .map(|s| Side::parse(s).expect("a side: qtop, node, qtop-demo or qtop-old"))
                    .collect()
            }
            other => panic!("unknown argument {other:?}"),
        }
    }
    if compare_exe().is_some() && !args.sides.contains(&Side::QtopOld) {
        args.sides.push(Side::QtopOld);
    }
    args
}

/// redis-server's CPU seconds so far (user + sys).
fn redis_cpu_s(redis: &RedisServer) -> f64 {
    let info = redis.cmd(&["INFO", "cpu"]);
    let field = |name: &str| -> f64 {
        info.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(':')))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0.0)
    };
    field("used_cpu_user") + field("used_cpu_sys")
}

/// CPU seconds (user + sys) of these processes so far, from /proc (clock ticks of 10 ms).
fn processes_cpu_s(pids: &[u32]) -> f64 {
    pids.iter()
        .map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let rest = stat.rsplit_once(") ").map(|(_, r)| r).unwrap_or("");
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // After the command name: state is field 3, utime 14, stime 15 (1-based).
            let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
            (ticks(11).unwrap_or(0.0) + ticks(12).unwrap_or(0.0)) / 100.0
        })
        .sum()
}

/// The older qtop build to compare with (`QTOP_BENCH_COMPARE`), if any.
fn compare_exe() -> Option<String> {
    std::env::var("QTOP_BENCH_COMPARE")
        .ok()
        .filter(|path| !path.is_empty())
}

fn qtop_worker(exe: &str, url: &str, concurrency: usize) -> NodeChild {
    let mut command = Command::new(exe);
    command.args([
        "--redis",
        url,
        "--queue",
        QUEUE,
        "worker",
        "--concurrency",
        &concurrency.to_string(),
        "--work-ms",
        "0",
    ]);
    NodeChild::spawn_command(format!("qtop worker -c {concurrency}"), command)
}

fn node_worker(url: &str, concurrency: usize) -> NodeChild {
    NodeScript::new("bench_worker.js")
        .args([
            "--redis",
            url,
            "--queue",
            QUEUE,
            "--concurrency",
            &concurrency.to_string(),
        ])
        .spawn()
}

fn completed(conn: &mut common::Conn) -> u64 {
    conn.call(&["ZCARD", &format!("bull:{QUEUE}:completed")])
        .ok()
        .and_then(|r| r.as_int())
        .unwrap_or(0) as u64
}

fn run_one(redis: &RedisServer, side: Side, config: Config, jobs: u64) -> Run {
    let url = redis.url();
    redis.cmd(&["FLUSHALL", "SYNC"]);
    let mut control = NodeScript::new("bench_worker.js")
        .args(["--redis", &url, "--queue", QUEUE, "--control"])
        .spawn();
    control.send_line("pause");
    control.wait_for_line("OK ", START_TIMEOUT);
    match side {
        Side::Qtop | Side::Node | Side::QtopOld => {
            control.send_line(&format!("fill {jobs}"));
            control.wait_for_line("OK ", DRAIN_TIMEOUT);
        }
        Side::QtopDemo => {
            let out = Command::new(env!("CARGO_BIN_EXE_qtop"))
                .args(["--redis", &url, "--queue", QUEUE, "produce", "--count"])
                .arg(jobs.to_string())
                .args(["--work-ms", "0"])
                .output()
                .expect("run qtop produce");
            assert!(
                out.status.success(),
                "qtop produce: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    let mut workers: Vec<NodeChild> = (0..config.processes)
        .map(|_| match side {
            Side::Qtop | Side::QtopDemo => {
                qtop_worker(env!("CARGO_BIN_EXE_qtop"), &url, config.concurrency)
            }
            Side::QtopOld => qtop_worker(
                &compare_exe().expect("QTOP_BENCH_COMPARE names the old build"),
                &url,
                config.concurrency,
            ),
            Side::Node => node_worker(&url, config.concurrency),
        })
        .collect();
    for worker in &mut workers {
        worker.wait_for_line("READY", START_TIMEOUT);
    }
    let pids: Vec<u32> = workers.iter().map(NodeChild::pid).collect();

    let mut conn = redis.conn();
    let (lo, hi) = (jobs / 10, jobs - jobs / 10);
    let mut marks: Vec<(Instant, f64, f64)> = Vec::new();
    let started = Instant::now();
    control.send_line("resume");
    loop {
        let done = completed(&mut conn);
        let threshold = if marks.is_empty() { lo } else { hi };
        if marks.len() < 2 && done >= threshold {
            marks.push((Instant::now(), redis_cpu_s(redis), processes_cpu_s(&pids)));
        }
        if done >= jobs {
            break;
        }
        assert!(
            started.elapsed() < DRAIN_TIMEOUT,
            "{} {config:?}: only {done} of {jobs} completed",
            side.label()
        );
        std::thread::sleep(WATCH_EVERY);
    }
    let drain_s = started.elapsed().as_secs_f64();
    control.wait_for_line("OK ", START_TIMEOUT);
    control.close_stdin();
    for worker in &mut workers {
        worker.stop(Duration::from_secs(30));
    }
    let _ = control.wait_exit(Duration::from_secs(10));

    let failed = redis.cmd(&["ZCARD", &format!("bull:{QUEUE}:failed")]);
    assert_eq!(failed, "0", "{} {config:?}: failed jobs", side.label());
    let (t0, redis0, work0) = marks[0];
    let (t1, redis1, work1) = marks[1];
    let seconds = (t1 - t0).as_secs_f64();
    let counted = (hi - lo) as f64;
    Run {
        jobs_per_s: counted / seconds,
        redis_ms_per_job: (redis1 - redis0) * 1000.0 / counted,
        redis_cpu_pct: (redis1 - redis0) / seconds * 100.0,
        worker_us_per_job: (work1 - work0) * 1e6 / counted,
        drain_s,
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn main() {
    let args = parse_args();
    let redis = RedisServer::start();
    let version = redis
        .cmd(&["INFO", "server"])
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:").map(str::to_string))
        .unwrap_or_default();
    eprintln!(
        "worker throughput: {} no-op jobs per run, {} rounds, redis {version}",
        args.jobs, args.rounds
    );
    let mut results: Vec<(usize, Side, Run)> = Vec::new();
    for round in 0..args.rounds {
        for (c, config) in args.configs.iter().enumerate() {
            let mut sides = args.sides.clone();
            if (round + c) % 2 == 1 {
                sides.reverse();
            }
            for side in sides {
                let run = run_one(&redis, side, *config, args.jobs);
                eprintln!(
                    "  round {round} {}x{} {:<9} {:>7.0} jobs/s  redis {:>5.1} µs/job {:>4.0} %  worker {:>5.1} µs/job  drain {:.1} s",
                    config.processes,
                    config.concurrency,
                    side.label(),
                    run.jobs_per_s,
                    run.redis_ms_per_job * 1000.0,
                    run.redis_cpu_pct,
                    run.worker_us_per_job,
                    run.drain_s
                );
                results.push((c, side, run));
            }
        }
    }

    println!(
        "Worker throughput: {} no-op jobs per run, medians of {} rounds (range), redis {version}",
        args.jobs, args.rounds
    );
    println!("| processes × concurrency | side | jobs/s | Redis CPU | Redis µs/job | ceiling jobs/s | rate ÷ ceiling | worker CPU µs/job |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    for (c, config) in args.configs.iter().enumerate() {
        for side in &args.sides {
            let runs: Vec<Run> = results
                .iter()
                .filter(|(rc, rs, _)| *rc == c && rs == side)
                .map(|(_, _, r)| *r)
                .collect();
            let pick = |f: fn(&Run) -> f64| median(runs.iter().map(f).collect());
            let rates: Vec<f64> = runs.iter().map(|r| r.jobs_per_s).collect();
            let (lo, hi) = (
                rates.iter().copied().fold(f64::INFINITY, f64::min),
                rates.iter().copied().fold(0.0, f64::max),
            );
            let rate = pick(|r| r.jobs_per_s);
            let ceiling = pick(Run::ceiling);
            println!(
                "| {} × {} | {} | {:.0} ({:.0}–{:.0}) | {:.0} % | {:.1} | {:.0} | {:.0} % | {:.1} |",
                config.processes,
                config.concurrency,
                side.label(),
                rate,
                lo,
                hi,
                pick(|r| r.redis_cpu_pct),
                pick(|r| r.redis_ms_per_job) * 1000.0,
                ceiling,
                pick(|r| r.jobs_per_s / r.ceiling()) * 100.0,
                pick(|r| r.worker_us_per_job),
            );
        }
    }
}
