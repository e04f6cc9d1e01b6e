//! `qtop advise`: measure a queue over a window and size its worker pool (M/M/c).

use std::io::Write;

use anyhow::{bail, Result};
use serde::Serialize;

use super::snapshot::{measure, Measured};
use crate::cli::{AdviseArgs, GlobalArgs};
use crate::model::advisor::inputs_from;
use crate::model::capacity::{advise, Advice, AdvisorInputs, Bottleneck};
use crate::model::{PollReport, QueueHistory, QueueKey, System};

/// One queue's advice. `queue` plus the [`Advice`] fields: a JSON contract.
#[derive(Debug, Serialize)]
pub struct QueueAdvice {
    pub system: System,
    pub queue: String,
    pub prefix: String,
    #[serde(flatten)]
    pub advice: Advice,
}

pub async fn run(global: &GlobalArgs, args: &AdviseArgs) -> Result<()> {
    let measured = measure(global, args.window).await?;
    let target_wait_ms = args.target_wait.as_secs_f64() * 1000.0;
    let advices = advise_all(&measured, target_wait_ms);
    if advices.is_empty() {
        bail!("no queues found to advise on (check --queue, --system and --prefix)");
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        // One queue asked for: one object; otherwise an array.
        if global.queues.len() == 1 && advices.len() == 1 {
            serde_json::to_writer_pretty(&mut out, &advices[0])?;
        } else {
            serde_json::to_writer_pretty(&mut out, &advices)?;
        }
        writeln!(out)?;
        return Ok(());
    }
    for advice in &advices {
        write_advice(&mut out, advice)?;
    }
    Ok(())
}

pub fn advise_all(measured: &Measured, target_wait_ms: f64) -> Vec<QueueAdvice> {
    let now = measured.last.taken_at_ms;
    measured
        .last
        .queues
        .iter()
        .filter_map(|reading| {
            let history = measured.histories.get(&reading.key)?;
            let inputs = inputs_for(
                &measured.last,
                &reading.key,
                history,
                now,
                measured.window_ms,
                target_wait_ms,
            );
            Some(QueueAdvice {
                system: reading.key.system,
                queue: reading.key.name.to_string(),
                prefix: reading.key.prefix.to_string(),
                advice: advise(&inputs),
            })
        })
        .collect()
}

/// The advisor's inputs for one queue, from what was measured.
pub fn inputs_for(
    report: &PollReport,
    key: &QueueKey,
    history: &QueueHistory,
    now_ms: i64,
    window_ms: i64,
    target_wait_ms: f64,
) -> AdvisorInputs {
    inputs_from(
        &report.heartbeats,
        listed_for(report, key),
        key,
        history,
        now_ms,
        window_ms,
        target_wait_ms,
    )
}

/// Workers of `key`'s queue in `report` that take new jobs (a quiet Sidekiq process or a
/// suspended RQ worker is no capacity).
pub fn listed_for(report: &PollReport, key: &QueueKey) -> u64 {
    report
        .workers
        .iter()
        .filter(|w| w.serves(key.system, &key.prefix, &key.name) && w.fetches())
        .count() as u64
}

fn write_advice(out: &mut impl Write, q: &QueueAdvice) -> std::io::Result<()> {
    let a = &q.advice;
    let ms = |v: Option<f64>| {
        v.map_or("never (grows without bound)".to_string(), |v| {
            format!("{v:.0} ms")
        })
    };
    writeln!(out, "{}:{} ({})", q.prefix, q.queue, q.system)?;
    writeln!(out, "  arrivals λ        {:.2} jobs/s", a.arrival_per_s)?;
    writeln!(
        out,
        "  service time S    {:.1} ms (μ = {:.2} jobs/s per slot)",
        a.service_time_ms,
        if a.service_time_ms > 0.0 {
            1000.0 / a.service_time_ms
        } else {
            0.0
        }
    )?;
    writeln!(
        out,
        "  capacity c        {} slots{}",
        a.capacity,
        if a.capacity_estimated {
            " (estimated)"
        } else {
            ""
        }
    )?;
    match a.bottleneck {
        Bottleneck::Workers => {}
        Bottleneck::GlobalConcurrency => writeln!(
            out,
            "  limited by        the queue's global concurrency (more workers will not help)"
        )?,
        Bottleneck::RateLimit => writeln!(
            out,
            "  limited by        the queue's rate limit, {:.2} jobs/s (more workers will not help)",
            a.throughput_cap_per_s.unwrap_or(0.0)
        )?,
    }
    writeln!(out, "  utilisation ρ     {:.0} %", a.utilisation * 100.0)?;
    writeln!(out, "  P(wait)           {:.1} %", a.p_wait * 100.0)?;
    writeln!(out, "  expected wait     {}", ms(a.expected_wait_ms))?;
    match a.recommended_capacity {
        Some(c) => writeln!(
            out,
            "  recommended c     {c} slots for a wait ≤ {:.0} ms",
            a.target_wait_ms
        )?,
        None => writeln!(
            out,
            "  recommended c     unknown (no service time measured)"
        )?,
    }
    let drain = a
        .drain_time_s
        .map_or("never at this rate".to_string(), |s| format!("{s:.1} s"));
    writeln!(
        out,
        "  backlog           {} jobs, drains in {drain}",
        a.backlog
    )?;
    writeln!(
        out,
        "  KEDA would run    {} replicas ({} jobs per replica)",
        a.keda_replicas, a.keda_jobs_per_replica
    )?;
    for warning in &a.warnings {
        writeln!(out, "  ! {warning}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::WorkerInfo;

    #[test]
    fn quiet_and_suspended_workers_are_no_capacity() {
        let worker = |system: System, name: &str, state: Option<&str>| WorkerInfo {
            system,
            queue: "default".into(),
            name: name.into(),
            state: state.map(str::to_string),
            ..WorkerInfo::default()
        };
        let report = PollReport {
            workers: vec![
                worker(System::Sidekiq, "a", Some("busy")),
                worker(System::Sidekiq, "b", Some("quiet")),
                worker(System::Rq, "c", Some("suspended")),
                worker(System::Rq, "d", Some("idle")),
            ],
            ..PollReport::default()
        };
        let sidekiq = QueueKey::new(System::Sidekiq, "", "default");
        let rq = QueueKey::new(System::Rq, "", "default");
        assert_eq!(listed_for(&report, &sidekiq), 1);
        assert_eq!(listed_for(&report, &rq), 1);
    }
}
