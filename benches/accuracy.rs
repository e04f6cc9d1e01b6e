//! How exact are qtop's figures at ~5,000 jobs/s? Prints figures; asserts nothing.
//!
//!     cargo bench --bench accuracy
//!     cargo bench --bench accuracy -- --rate 5000 --queues 2 --duration 30 --window 25
//!
//! Load: `qtop produce --rate R/n --duration D` on each of n queues (paced adds), and one
//! `qtop worker --concurrency 100 --work-ms 20` (exponential work times) per queue; completed
//! jobs are kept, so every job hash is there afterwards.
//!
//! Monitors: two of qtop's own poller tasks (`spawn_poller` at 1 s, the dashboard's) run side
//! by side: one with the default latency sample (`PollerConfig::default().latency_sample`
//! finished jobs per queue per poll), one that times every finished job. Their reports feed `QueueHistory`, as the dashboard does.
//! A third, `qtop snapshot --json --window W`, runs over (about) the same window.
//!
//! Truth: after the run, every job hash (`timestamp`, `processedOn`, `finishedOn`).
//! Window: from the first report 3 s after the producers started, ~`--window` s long. A
//! report's events were read at the start of its poll, so its cut-off is
//! `taken_at_ms − poll.duration_ms`.
//! - throughput: jobs added (`timestamp`) and finished (`finishedOn`) in the window vs the
//!   reported increase of the totals and the reported rates; over the whole run, the totals
//!   vs what the producers say they added.
//! - latency: p50/p90/p99 of wait (`processedOn − timestamp`) and processing
//!   (`finishedOn − processedOn`) of the jobs finished in the window, exact, vs reported.
//!   Exact percentiles use hdrhistogram's definition (the ⌈q·n⌉-th smallest; 0 ms counted
//!   as 1 ms like qtop does). Below 256 ms, 2-significant-digit hdrhistogram is exact to the
//!   ms, so any difference there is the sample's. Bands say where an unbiased sample lands
//!   by chance: the 5th–95th percentile of the same percentile over 200 replays on the exact
//!   data. For the poller tasks a replay draws, per poll interval, `latency_sample` jobs
//!   uniformly from those that finished in it, all weighing the same as qtop records them
//!   (`[a–b]`), or each weighted by its interval's finished count ÷ sample size (`w[a–b]`:
//!   whether weighting would matter). For `qtop snapshot` (poll intervals unknown here) a
//!   replay is a uniform sample of the window of the size it timed.
//!
//! One file over the house's ~400 lines on purpose: it is one experiment read top to bottom
//! (load, monitors, truth, comparison, report), and its parts mean nothing apart.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{NodeChild, RedisServer};
use qtop::model::{EventTotals, LatencySummary, PollReport, QueueHistory, QueueKey};
use qtop::source::{spawn_poller, PollerConfig, RedisTarget, SourceEvent};
use tokio_util::sync::CancellationToken;

const WARMUP_MS: i64 = 3000;
const QUANTILES: [(f64, &str); 3] = [(0.50, "p50"), (0.90, "p90"), (0.99, "p99")];
const BOOTSTRAP_RUNS: usize = 200;

struct Args {
    rate: f64,
    queues: usize,
    duration_s: u64,
    window_s: i64,
    work_ms: f64,
    concurrency: u32,
    sample: usize,
}

fn parse_args() -> Args {
    let mut args = Args {
        rate: 5000.0,
        queues: 2,
        duration_s: 30,
        window_s: 25,
        work_ms: 20.0,
        concurrency: 100,
        sample: PollerConfig::default().latency_sample,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{arg} needs a value"));
        match arg.as_str() {
            "--bench" => {}
            "--rate" => args.rate = value().parse().expect("--rate jobs/s"),
            "--queues" => args.queues = value().parse().expect("--queues N"),
            "--duration" => args.duration_s = value().parse().expect("--duration s"),
            "--window" => args.window_s = value().parse().expect("--window s"),
            "--work-ms" => args.work_ms = value().parse().expect("--work-ms MS"),
            "--concurrency" => args.concurrency = value().parse().expect("--concurrency N"),
            "--sample" => args.sample = value().parse().expect("--sample N"),
            other => panic!("unknown argument {other:?}"),
        }
    }
    args
}

fn queue_name(i: usize) -> String {
    format!("acc{i}")
}

/// One job hash's timings.
#[derive(Clone, Copy)]
struct JobTimes {
    created: i64,
    processed: i64,
    finished: i64,
}

/// Every completed job of `queue`, from its hash.
async fn job_times(conn: &mut redis::aio::MultiplexedConnection, queue: &str) -> Vec<JobTimes> {
    let ids: Vec<String> = redis::cmd("ZRANGE")
        .arg(format!("bull:{queue}:completed"))
        .arg(0)
        .arg(-1)
        .query_async(conn)
        .await
        .unwrap();
    let mut times = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        let mut pipe = redis::pipe();
        for id in chunk {
            pipe.cmd("HMGET")
                .arg(format!("bull:{queue}:{id}"))
                .arg("timestamp")
                .arg("processedOn")
                .arg("finishedOn");
        }
        let rows: Vec<(Option<i64>, Option<i64>, Option<i64>)> =
            pipe.query_async(conn).await.unwrap();
        times.extend(rows.into_iter().filter_map(|row| match row {
            (Some(created), Some(processed), Some(finished)) => Some(JobTimes {
                created,
                processed,
                finished,
            }),
            _ => None,
        }));
    }
    times
}

/// hdrhistogram's `value_at_quantile` on exact values: the ⌈q·n⌉-th smallest.
fn quantile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// xorshift64*, for the bootstrap only.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) % n as u64) as usize
    }
}

/// The 5th–95th percentile band of `quantile(q)` over uniform subsamples of `size`.
fn sample_band(values: &[u64], size: usize, q: f64, rng: &mut Rng) -> (u64, u64) {
    if values.is_empty() || size == 0 || size >= values.len() {
        let exact = {
            let mut v = values.to_vec();
            v.sort_unstable();
            quantile(&v, q)
        };
        return (exact, exact);
    }
    let mut results: Vec<u64> = (0..BOOTSTRAP_RUNS)
        .map(|_| {
            let mut sub: Vec<u64> = (0..size).map(|_| values[rng.below(values.len())]).collect();
            sub.sort_unstable();
            quantile(&sub, q)
        })
        .collect();
    results.sort_unstable();
    (
        results[BOOTSTRAP_RUNS * 5 / 100],
        results[BOOTSTRAP_RUNS * 95 / 100 - 1],
    )
}

/// What the poller does, replayed on the exact data: per poll interval, a uniform sample of
/// at most `size` of the jobs that finished in it. Returns the 5–95 % band of the quantile
/// over `BOOTSTRAP_RUNS` replays, with every sampled job weighing the same (as qtop records
/// them) and weighted by its interval's finished count ÷ sample size.
fn per_poll_bands(
    times: &[JobTimes],
    intervals: &[(i64, i64)],
    size: usize,
    value: fn(&JobTimes) -> u64,
    q: f64,
    rng: &mut Rng,
) -> ((u64, u64), (u64, u64)) {
    let groups: Vec<Vec<u64>> = intervals
        .iter()
        .map(|(from, to)| {
            times
                .iter()
                .filter(|j| j.finished > *from && j.finished <= *to)
                .map(value)
                .collect()
        })
        .collect();
    let mut equal = Vec::with_capacity(BOOTSTRAP_RUNS);
    let mut weighted = Vec::with_capacity(BOOTSTRAP_RUNS);
    for _ in 0..BOOTSTRAP_RUNS {
        let mut picked: Vec<(u64, f64)> = Vec::new();
        for group in &groups {
            let mut pool = group.clone();
            let take = size.min(pool.len());
            // Partial Fisher–Yates: `take` distinct jobs.
            for i in 0..take {
                let j = i + rng.below(pool.len() - i);
                pool.swap(i, j);
            }
            let weight = group.len() as f64 / take.max(1) as f64;
            picked.extend(pool[..take].iter().map(|v| (*v, weight)));
        }
        picked.sort_by_key(|(v, _)| *v);
        let values: Vec<u64> = picked.iter().map(|(v, _)| *v).collect();
        equal.push(quantile(&values, q));
        let total: f64 = picked.iter().map(|(_, w)| w).sum();
        let mut seen = 0.0;
        let at = picked
            .iter()
            .find(|(_, w)| {
                seen += w;
                seen >= q * total
            })
            .map_or(0, |(v, _)| *v);
        weighted.push(at);
    }
    let band = |mut v: Vec<u64>| {
        v.sort_unstable();
        (
            v[BOOTSTRAP_RUNS * 5 / 100],
            v[BOOTSTRAP_RUNS * 95 / 100 - 1],
        )
    };
    (band(equal), band(weighted))
}

/// A poller task at 1 s; returns its reports when cancelled.
fn start_monitor(
    url: &str,
    queues: &[String],
    sample: usize,
    cancel: CancellationToken,
) -> tokio::task::JoinHandle<Vec<PollReport>> {
    let target = RedisTarget::parse(url, false).unwrap();
    let config = PollerConfig {
        queues: queues.to_vec(),
        latency_sample: sample,
        ..PollerConfig::default()
    };
    let (task, mut rx) = spawn_poller(target, config, Duration::from_secs(1), cancel);
    tokio::spawn(async move {
        let mut reports = Vec::new();
        while let Some(event) = rx.recv().await {
            match event {
                SourceEvent::Report(report) => reports.push(*report),
                SourceEvent::Disconnected { error, .. } => eprintln!("poller: {error}"),
                _ => {}
            }
        }
        let _ = task.await;
        reports
    })
}

fn cutoff(report: &PollReport) -> i64 {
    report.taken_at_ms - report.poll.duration_ms.round() as i64
}

/// The reports that make the window: the first one WARMUP_MS after `start_ms`, and the
/// first one at least `window_s` later.
fn window(reports: &[PollReport], start_ms: i64, window_s: i64) -> (usize, usize) {
    let k = reports
        .iter()
        .position(|r| cutoff(r) >= start_ms + WARMUP_MS)
        .expect("a report after the warm-up");
    let m = reports
        .iter()
        .position(|r| cutoff(r) >= cutoff(&reports[k]) + window_s * 1000)
        .unwrap_or(reports.len() - 1);
    (k, m)
}

fn pct(reported: f64, truth: f64) -> String {
    if truth == 0.0 {
        return "-".into();
    }
    format!("{:+.2} %", (reported - truth) / truth * 100.0)
}

struct Truth {
    added: u64,
    finished: u64,
    wait: Vec<u64>,
    processing: Vec<u64>,
}

fn truth_in(times: &[JobTimes], from_ms: i64, to_ms: i64) -> Truth {
    let inside = |t: i64| t > from_ms && t <= to_ms;
    let finished: Vec<&JobTimes> = times.iter().filter(|j| inside(j.finished)).collect();
    let clamp = |d: i64| d.max(1) as u64;
    let mut wait: Vec<u64> = finished
        .iter()
        .map(|j| clamp(j.processed - j.created))
        .collect();
    let mut processing: Vec<u64> = finished
        .iter()
        .map(|j| clamp(j.finished - j.processed))
        .collect();
    wait.sort_unstable();
    processing.sort_unstable();
    Truth {
        added: times.iter().filter(|j| inside(j.created)).count() as u64,
        finished: finished.len() as u64,
        wait,
        processing,
    }
}

/// The reports k+1 ..= m fed to a fresh history, as the dashboard does.
fn history_of(reports: &[PollReport], k: usize, m: usize, key: &QueueKey) -> QueueHistory {
    let mut history = QueueHistory::new(1000, 3_600_000);
    for report in &reports[k..=m] {
        let Some(reading) = report.queues.iter().find(|r| &r.key == key) else {
            continue;
        };
        if std::ptr::eq(report, &reports[k]) {
            // The window's first counter sample, without the timings of the poll before it.
            let mut first = reading.clone();
            first.timings.clear();
            history.record(&first, report.taken_at_ms);
        } else {
            history.record(reading, report.taken_at_ms);
        }
    }
    history
}

/// What one monitor reported for one queue over its window.
struct Observed {
    label: &'static str,
    /// The window: jobs with their time in (from, to] are the truth.
    from_ms: i64,
    to_ms: i64,
    /// Increase of the reported totals over the window (the snapshot shows rates only).
    added: Option<u64>,
    completed: Option<u64>,
    added_per_s: f64,
    completed_per_s: f64,
    wait: LatencySummary,
    processing: LatencySummary,
    /// Latencies come from a bounded sample (not every job).
    sampled: bool,
    /// The poll intervals (cut-offs) the sample was drawn in, for the poller tasks.
    intervals: Vec<(i64, i64)>,
    /// Totals of the last report, after the whole run.
    whole_run: Option<EventTotals>,
    source: String,
}

fn from_reports(
    label: &'static str,
    reports: &[PollReport],
    key: &QueueKey,
    start_ms: i64,
    window_s: i64,
    sampled: bool,
) -> Observed {
    let (k, m) = window(reports, start_ms, window_s);
    let reading = |i: usize| reports[i].queues.iter().find(|r| &r.key == key);
    let totals = |i: usize| reading(i).and_then(|r| r.totals).unwrap_or_default();
    let (t0, t1) = (totals(k), totals(m));
    let history = history_of(reports, k, m, key);
    let span_ms = reports[m].taken_at_ms - reports[k].taken_at_ms;
    let stats = history.stats(reports[m].taken_at_ms, span_ms);
    Observed {
        label,
        from_ms: cutoff(&reports[k]),
        to_ms: cutoff(&reports[m]),
        added: Some(t1.added - t0.added),
        completed: Some(t1.completed - t0.completed),
        added_per_s: stats.added_per_s.unwrap_or(0.0),
        completed_per_s: stats.completed_per_s.unwrap_or(0.0),
        wait: stats.wait,
        processing: stats.processing,
        sampled,
        intervals: reports[k..=m]
            .windows(2)
            .map(|w| (cutoff(&w[0]), cutoff(&w[1])))
            .collect(),
        whole_run: Some(totals(reports.len() - 1)),
        source: reading(m)
            .map(|r| format!("{:?}", r.rate_source))
            .unwrap_or_default(),
    }
}

/// `qtop snapshot --json`: its window ends at `taken_at` (the end of its last poll, a few ms
/// after that poll read the events; the error is a few jobs in 100,000).
fn from_snapshot(doc: &serde_json::Value, key: &QueueKey) -> Option<Observed> {
    let to_ms = chrono::DateTime::parse_from_rfc3339(doc["taken_at"].as_str()?)
        .ok()?
        .timestamp_millis();
    let window_ms = (doc["window_s"].as_f64()? * 1000.0).round() as i64;
    let queue = doc["queues"]
        .as_array()?
        .iter()
        .find(|q| q["name"] == key.name.as_str())?;
    let latency = |what: &str| {
        let l = &queue["latency_ms"][what];
        let n = |f: &str| l[f].as_u64().unwrap_or(0);
        LatencySummary {
            count: n("count"),
            mean: l["mean"].as_f64().unwrap_or(0.0),
            p50: n("p50"),
            p90: n("p90"),
            p99: n("p99"),
            max: n("max"),
        }
    };
    Some(Observed {
        label: "qtop snapshot",
        from_ms: to_ms - window_ms,
        to_ms,
        added: None,
        completed: None,
        added_per_s: queue["rates"]["added_per_s"].as_f64()?,
        completed_per_s: queue["rates"]["completed_per_s"].as_f64()?,
        wait: latency("wait"),
        processing: latency("processing"),
        sampled: true,
        intervals: Vec::new(),
        whole_run: None,
        source: queue["rates"]["source"].as_str().unwrap_or("").to_string(),
    })
}

async fn run(args: Args) {
    let redis = RedisServer::start();
    let url = redis.url();
    let version = redis
        .cmd(&["INFO", "server"])
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:").map(str::to_string))
        .unwrap_or_default();
    let queues: Vec<String> = (0..args.queues).map(queue_name).collect();
    let qtop = env!("CARGO_BIN_EXE_qtop");

    let cancel = CancellationToken::new();
    let sampled = start_monitor(&url, &queues, args.sample, cancel.clone());
    let full = start_monitor(&url, &queues, 1_000_000, cancel.clone());

    let mut workers: Vec<NodeChild> = queues
        .iter()
        .map(|q| {
            let mut command = Command::new(qtop);
            command
                .args(["--redis", &url, "--queue", q, "worker", "--concurrency"])
                .arg(args.concurrency.to_string())
                .arg("--work-ms")
                .arg(args.work_ms.to_string());
            NodeChild::spawn_command(format!("qtop worker {q}"), command)
        })
        .collect();
    for worker in &mut workers {
        worker.wait_for_line("READY", Duration::from_secs(30));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let per_queue = args.rate / args.queues as f64;
    let start_ms = chrono::Utc::now().timestamp_millis();
    let started = Instant::now();
    let producers: Vec<std::process::Child> = queues
        .iter()
        .map(|q| {
            Command::new(qtop)
                .args(["--redis", &url, "--queue", q, "produce", "--rate"])
                .arg(per_queue.to_string())
                .arg("--duration")
                .arg(format!("{}s", args.duration_s))
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn qtop produce")
        })
        .collect();
    // `qtop snapshot` over the same window, started after the warm-up.
    let snapshot = {
        let mut command = Command::new(qtop);
        command.args(["--redis", &url]);
        for q in &queues {
            command.args(["--queue", q]);
        }
        command
            .args(["snapshot", "--json", "--window"])
            .arg(format!("{}s", args.window_s));
        tokio::task::spawn_blocking(move || {
            std::thread::sleep(Duration::from_millis(WARMUP_MS as u64));
            command.output().expect("run qtop snapshot")
        })
    };
    let mut produced: BTreeMap<String, u64> = BTreeMap::new();
    for (q, producer) in queues.iter().zip(producers) {
        let out = tokio::task::spawn_blocking(move || producer.wait_with_output())
            .await
            .unwrap()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "qtop produce: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // "added N jobs to …"
        let n = text
            .split_whitespace()
            .nth(1)
            .and_then(|n| n.parse().ok())
            .expect("qtop produce prints its count");
        produced.insert(q.clone(), n);
    }
    let production_s = started.elapsed().as_secs_f64();
    let snapshot = snapshot.await.unwrap();
    assert!(
        snapshot.status.success(),
        "qtop snapshot: {}",
        String::from_utf8_lossy(&snapshot.stderr)
    );
    let snapshot: serde_json::Value =
        serde_json::from_slice(&snapshot.stdout).expect("snapshot JSON");
    // Drain, then two more polls so the totals include the last jobs.
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    for q in &queues {
        loop {
            let (completed, failed): (u64, u64) = redis::pipe()
                .cmd("ZCARD")
                .arg(format!("bull:{q}:completed"))
                .cmd("ZCARD")
                .arg(format!("bull:{q}:failed"))
                .query_async(&mut conn)
                .await
                .unwrap();
            if completed + failed >= produced[q] {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    cancel.cancel();
    let sampled = sampled.await.unwrap();
    let full = full.await.unwrap();
    for worker in &mut workers {
        worker.stop(Duration::from_secs(30));
    }

    println!(
        "Accuracy: {:.0} jobs/s over {} queue(s) for {} s (production took {production_s:.1} s), \
         work {} ms exp, redis {version}",
        args.rate, args.queues, args.duration_s, args.work_ms
    );
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    let mut rate_rows = Vec::new();
    let mut latency_rows = Vec::new();
    for q in &queues {
        let key = QueueKey::bullmq("bull", q.clone());
        let times = job_times(&mut conn, q).await;
        let mut observed = vec![
            from_reports(
                "poller, sampled",
                &sampled,
                &key,
                start_ms,
                args.window_s,
                true,
            ),
            from_reports(
                "poller, every job",
                &full,
                &key,
                start_ms,
                args.window_s,
                false,
            ),
        ];
        observed.extend(from_snapshot(&snapshot, &key));
        for seen in observed {
            let truth = truth_in(&times, seen.from_ms, seen.to_ms);
            let secs = (seen.to_ms - seen.from_ms) as f64 / 1000.0;
            let count_cell = |reported: Option<u64>, truth: u64| match reported {
                Some(n) => format!("{n} / {truth} ({})", pct(n as f64, truth as f64)),
                None => format!("- / {truth}"),
            };
            let rate_cell = |reported: f64, truth: u64| {
                let truth = truth as f64 / secs;
                format!("{reported:.1} / {truth:.1} ({})", pct(reported, truth))
            };
            let whole = match seen.whole_run {
                Some(t) => format!("{} / {} / {}", t.added, produced[q], t.completed),
                None => "-".into(),
            };
            rate_rows.push(format!(
                "| {q} | {} | {secs:.1} s | {} | {} | {} | {} | {whole} | {} |",
                seen.label,
                count_cell(seen.added, truth.added),
                rate_cell(seen.added_per_s, truth.added),
                count_cell(seen.completed, truth.finished),
                rate_cell(seen.completed_per_s, truth.finished),
                seen.source,
            ));
            let wait_of: fn(&JobTimes) -> u64 = |j| (j.processed - j.created).max(1) as u64;
            let processing_of: fn(&JobTimes) -> u64 = |j| (j.finished - j.processed).max(1) as u64;
            for (what, summary, exact, value_of) in [
                ("wait", seen.wait, &truth.wait, wait_of),
                (
                    "processing",
                    seen.processing,
                    &truth.processing,
                    processing_of,
                ),
            ] {
                let reported = [summary.p50, summary.p90, summary.p99];
                let cells: Vec<String> = QUANTILES
                    .iter()
                    .zip(reported)
                    .map(|((q, _), got)| {
                        let want = quantile(exact, *q);
                        let band = if !seen.sampled {
                            String::new()
                        } else if seen.intervals.is_empty() {
                            let (lo, hi) = sample_band(exact, summary.count as usize, *q, &mut rng);
                            format!(" [{lo}–{hi}]")
                        } else {
                            let ((lo, hi), (wlo, whi)) = per_poll_bands(
                                &times,
                                &seen.intervals,
                                args.sample,
                                value_of,
                                *q,
                                &mut rng,
                            );
                            format!(" [{lo}–{hi}] w[{wlo}–{whi}]")
                        };
                        format!("{got} / {want}{band}")
                    })
                    .collect();
                latency_rows.push(format!(
                    "| {q} | {} | {what} | {} / {} | {} |",
                    seen.label,
                    summary.count,
                    exact.len(),
                    cells.join(" | ")
                ));
            }
        }
    }
    println!();
    println!("Throughput in the window (reported / truth (error)); whole run: reported added / producer's count / reported completed");
    println!("| queue | poller | window | added | added/s | finished | finished/s | whole run | source |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|---|");
    for row in rate_rows {
        println!("{row}");
    }
    println!();
    println!("Latency in the window, ms: reported / exact [5–95 % band of an unbiased sample] w[same, weighted per interval]");
    println!("| queue | poller | latency | jobs timed / finished | p50 | p90 | p99 |");
    println!("|---|---|---|---:|---:|---:|---:|");
    for row in latency_rows {
        println!("{row}");
    }
}

fn main() {
    let args = parse_args();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run(args));
}
