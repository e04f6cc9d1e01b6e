//! `qtop snapshot`: poll, wait the window, poll, print, exit.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::cli::{GlobalArgs, SnapshotArgs};
use crate::model::snapshot::{snapshot_doc, SnapshotDoc};
use crate::model::ClusterReading;
use crate::model::System;
use crate::model::{PollReport, QueueHistory, QueueKey};
use crate::source::Poller;

/// How often events are read during the window, so busy streams are not trimmed unread.
const EVENTS_EVERY: Duration = Duration::from_millis(250);
/// How often the window is polled. Each poll times a sample of the jobs that finished since
/// the one before (`latency_sample` per queue), so a longer window times more jobs, as the
/// dashboard does; with only the two end polls a 25 s window at 2,500 jobs/s timed 256 jobs
/// and its processing p99 was off by 8–12 % (benches/accuracy.rs).
const POLL_EVERY: Duration = Duration::from_secs(1);

pub async fn run(global: &GlobalArgs, args: &SnapshotArgs) -> Result<()> {
    let measured = measure(global, args.window).await?;
    let doc = snapshot_doc(&measured.last, &measured.histories, measured.window_ms);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &doc)?;
        writeln!(out)?;
    } else {
        write_table(&mut out, &doc)?;
    }
    Ok(())
}

/// Two polls `window` apart, with events read in between, and what they add up to.
pub struct Measured {
    pub last: PollReport,
    pub histories: BTreeMap<QueueKey, QueueHistory>,
    pub window_ms: i64,
}

/// Poll, wait the window (reading events so busy streams are not trimmed unread, and polling
/// every second for latency samples), poll.
pub async fn measure(global: &GlobalArgs, window: Duration) -> Result<Measured> {
    let target = global.target()?;
    let mut poller = Poller::new(target, crate::cli::poller_config(global));
    poller.connect().await?;
    let mut histories: BTreeMap<QueueKey, QueueHistory> = BTreeMap::new();
    let first = poller.poll().await?;
    record(&mut histories, &first);
    // Queues created during the window are found by a discovery pass run meanwhile (a
    // step at a time, finished before the last poll).
    poller.begin_discovery_pass();
    let deadline = Instant::now() + window;
    let mut next_poll = Instant::now() + POLL_EVERY;
    let mut progress = super::progress::Progress::new(window);
    let mut polls = 1;
    progress.update(polls);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        tokio::time::sleep(left.min(EVENTS_EVERY)).await;
        let now = Instant::now();
        if now >= deadline {
            break;
        }
        if now >= next_poll && deadline - now >= EVENTS_EVERY {
            let report = poller.poll().await?;
            record(&mut histories, &report);
            next_poll = now + POLL_EVERY;
            polls += 1;
        } else {
            poller.read_events().await?;
            poller.discovery_step().await?;
        }
        progress.update(polls);
    }
    progress.finish();
    poller.finish_discovery_pass().await?;
    // A short window: let systems heard only through events (Celery's heartbeats) be heard.
    poller.settle().await;
    let last = poller.poll().await?;
    record(&mut histories, &last);
    let window_ms = (last.taken_at_ms - first.taken_at_ms).max(1);
    Ok(Measured {
        last,
        histories,
        window_ms,
    })
}

fn record(histories: &mut BTreeMap<QueueKey, QueueHistory>, report: &PollReport) {
    for reading in &report.queues {
        histories
            .entry(reading.key.clone())
            .or_insert_with(|| QueueHistory::new(1000, 3_600_000))
            .record(reading, report.taken_at_ms);
    }
}

fn write_table(out: &mut impl Write, doc: &SnapshotDoc) -> std::io::Result<()> {
    writeln!(
        out,
        "qtop snapshot {}  redis {}  window {:.1}s  poll {} round trips, {:.1} ms",
        doc.taken_at, doc.redis.version, doc.window_s, doc.poll.round_trips, doc.poll.duration_ms
    )?;
    if let Some(cluster) = &doc.redis.cluster {
        write_cluster(out, cluster)?;
    }
    if doc.queues.is_empty() {
        let hint = if doc.redis.cluster.is_some() {
            "every master searched with SCAN; on a cluster BullMQ prefixes carry a hash tag: try --prefix '{bull}'"
        } else {
            "prefixes searched with SCAN; try --prefix"
        };
        writeln!(out, "no BullMQ queues found ({hint})")?;
    } else {
        write_queues(out, doc)?;
    }
    match doc.workers_status {
        "not_permitted" => writeln!(out, "workers: not permitted (the ACL forbids CLIENT LIST)")?,
        "unavailable" => writeln!(out, "workers: unavailable")?,
        _ => {}
    }
    Ok(())
}

fn write_queues(out: &mut impl Write, doc: &SnapshotDoc) -> std::io::Result<()> {
    // A SYSTEM column once more than one queue system is on this Redis; RETRY once a
    // system that has a retry set is.
    let systems: std::collections::BTreeSet<_> = doc.queues.iter().map(|q| q.system).collect();
    let many = systems.len() > 1;
    let retry = doc.queues.iter().any(|q| q.counts.retry.is_some());
    let node = doc.redis.cluster.is_some();
    let mut header = String::new();
    if many {
        header.push_str(&format!("{:<8} ", "SYSTEM"));
    }
    header.push_str(&format!(
        "{:<24} {:>8} {:>6} {:>7} {:>7}",
        "QUEUE", "WAITING", "ACTIVE", "DELAYED", "PRIO"
    ));
    if retry {
        header.push_str(&format!(" {:>7}", "RETRY"));
    }
    header.push_str(&format!(
        " {:>7} {:>9} {:>8} {:>8} {:>8} {:>6} {:>8} {:>7}",
        "FAILED", "COMPLETED", "OLDEST", "IN/S", "DONE/S", "ERR%", "P99 MS", "WORKERS"
    ));
    if node {
        header.push_str("  NODE");
    }
    writeln!(out, "{header}")?;
    // Absent figures (a state the system lacks, a rate it keeps nothing for) print `-`.
    let n = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    let f = |v: Option<f64>, scale: f64| v.map_or("-".to_string(), |v| format!("{:.1}", v * scale));
    for q in &doc.queues {
        let name = if q.system == System::Bullmq && q.prefix == "bull" || q.prefix.is_empty() {
            q.name.clone()
        } else {
            format!("{}:{}", q.prefix, q.name)
        };
        let name = if q.paused == Some(true) {
            format!("{name} (paused)")
        } else {
            name
        };
        let oldest = match q.oldest_waiting_age_s {
            // A lower bound (Celery), except 0 when nothing waits.
            Some(age) if q.oldest_is_lower_bound && age > 0.0 => format!(">{age:.1}s"),
            Some(age) => format!("{age:.1}s"),
            None => "-".to_string(),
        };
        let mut line = String::new();
        if many {
            line.push_str(&format!("{:<8} ", q.system.name()));
        }
        line.push_str(&format!(
            "{} {:>8} {:>6} {:>7} {:>7}",
            // Padded by display width: a CJK or emoji name lines up like an ASCII one.
            crate::text::pad(&name, 24),
            n(q.counts.waiting),
            n(q.counts.active),
            n(q.counts.delayed),
            n(q.counts.prioritized),
        ));
        if retry {
            line.push_str(&format!(" {:>7}", n(q.counts.retry)));
        }
        line.push_str(&format!(
            " {:>7} {:>9} {:>8} {:>8} {:>8} {:>6} {:>8} {:>7}",
            n(q.counts.failed),
            n(q.counts.completed),
            oldest,
            f(q.rates.added_per_s, 1.0),
            f(q.rates.completed_per_s, 1.0),
            f(q.rates.error_rate, 100.0),
            q.latency_ms.processing.p99,
            q.workers.map_or("?".to_string(), |w| w.to_string()),
        ));
        if let Some(node) = &q.node {
            line.push_str(&format!("  {node}"));
        }
        writeln!(out, "{line}")?;
        for problem in &q.problems {
            writeln!(out, "  ! {problem}")?;
        }
    }
    Ok(())
}

/// `cluster: 3/3 masters up (…:7000 5461 slots, …), 3 replicas up`
fn write_cluster(out: &mut impl Write, cluster: &ClusterReading) -> std::io::Result<()> {
    let masters: Vec<String> = cluster
        .masters()
        .filter(|n| n.slots > 0)
        .map(|n| {
            let state = if n.up { "" } else { " DOWN" };
            format!("{} {} slots{state}", n.addr, n.slots)
        })
        .collect();
    let up = cluster.masters().filter(|n| n.slots > 0 && n.up).count();
    let replicas = cluster.nodes.iter().filter(|n| n.role != "master").count();
    let replicas_up = cluster
        .nodes
        .iter()
        .filter(|n| n.role != "master" && n.up)
        .count();
    writeln!(
        out,
        "cluster: {up}/{} masters up ({}), {replicas_up}/{replicas} replicas up{}",
        masters.len(),
        masters.join(", "),
        if cluster.uncovered_slots > 0 {
            format!(", {} slots unserved", cluster.uncovered_slots)
        } else {
            String::new()
        }
    )
}
