//! The readings and workers of one Sidekiq namespace, built from its state after a poll's
//! round trips: counts per queue, problems, jobs seen starting, and the rates' split.

use std::collections::{BTreeMap, HashSet};

use super::keys::JobSet;
use super::rates::Seen;
use super::reader::{set_index, Install};
use super::round_trips::Round1;
use crate::model::{JobTiming, QueueCounts, QueueKey, QueueReading, WorkerInfo};

/// The readings and workers of one namespace after a poll.
pub(super) fn finish(
    install: &mut Install,
    r1: &mut Round1,
) -> (Vec<QueueReading>, Vec<WorkerInfo>) {
    let mut problems = std::mem::take(&mut r1.problems);
    for set in JobSet::ALL {
        let mirror = &install.sets[set_index(set)];
        let key = install.keys.set(set);
        if mirror.wrong_type {
            problems.push(format!("{key} is not a sorted set"));
        }
        if let Some((read, total)) = mirror.progress() {
            problems.push(format!(
                "{key}: {read} of {total} jobs read so far (its counts are partial)"
            ));
        }
        if mirror.unreadable() > 0 {
            problems.push(format!(
                "{key}: {} jobs are not readable JSON",
                mirror.unreadable()
            ));
        }
    }
    // Work of live processes, per queue; jobs seen starting since the last poll.
    let mut active: BTreeMap<&str, u64> = BTreeMap::new();
    let mut timings: BTreeMap<String, Vec<JobTiming>> = BTreeMap::new();
    let mut running = HashSet::new();
    for process in &r1.processes {
        for work in &process.work {
            *active.entry(work.queue.as_str()).or_default() += 1;
            let id = (
                process.worker.name.clone(),
                work.thread.clone(),
                work.jid.clone(),
                work.run_at_ms,
            );
            if install.polled && !install.running.contains(&id) {
                let wait_ms = match (work.run_at_ms, work.enqueued_at_ms) {
                    (Some(run), Some(enqueued)) => Some((run - enqueued).max(0) as u64),
                    _ => None,
                };
                timings
                    .entry(work.queue.clone())
                    .or_default()
                    .push(JobTiming {
                        wait_ms,
                        processing_ms: None,
                    });
            }
            running.insert(id);
        }
    }
    install.running = running;
    let served: HashSet<&str> = r1
        .processes
        .iter()
        .flat_map(|p| p.worker.queues.iter().map(String::as_str))
        .collect();
    let mut seen: BTreeMap<String, Seen> = BTreeMap::new();
    let prefix = install.keys.namespace().to_string();
    let mut readings = Vec::new();
    for (name, state) in install.queues.iter_mut() {
        let Some(waiting) = state.waiting else {
            continue;
        };
        let active_now = active.get(name.as_str()).copied().unwrap_or(0);
        let arrived_failures: u64 = [JobSet::Retry, JobSet::Dead]
            .iter()
            .map(|s| {
                install.sets[set_index(*s)]
                    .arrived
                    .get(name)
                    .copied()
                    .unwrap_or(0)
            })
            .sum();
        let queue_timings = timings.remove(name).unwrap_or_default();
        let backlog = waiting + active_now;
        let backlog_change = state.backlog.map_or(0, |b| backlog as i64 - b as i64);
        state.backlog = Some(backlog);
        seen.insert(
            name.clone(),
            Seen {
                started: queue_timings.len() as u64,
                taken: state.taken,
                failures: arrived_failures,
                backlog_change,
                served: served.contains(name.as_str()),
            },
        );
        let mut queue_problems = state.problems.clone();
        queue_problems.extend(problems.iter().cloned());
        readings.push(QueueReading {
            key: QueueKey::new(crate::model::System::Sidekiq, prefix.clone(), name.clone()),
            counts: Some(QueueCounts {
                waiting: Some(waiting),
                active: Some(active_now),
                delayed: Some(install.sets[0].count(name)),
                retry: Some(install.sets[1].count(name)),
                failed: Some(install.sets[2].count(name)),
                ..QueueCounts::default()
            }),
            paused: None,
            oldest_waiting_ts_ms: state.oldest_ms,
            oldest_is_lower_bound: false,
            unlocked_active: 0,
            finished_in_interval: queue_timings.len() as u64,
            timings: queue_timings,
            library: Some("sidekiq".into()),
            problems: queue_problems,
            ..QueueReading::default()
        });
    }
    if let (Some(processed), Some(failed)) = (r1.processed, r1.failed) {
        install.rates.update(processed, failed, &seen);
    }
    for reading in &mut readings {
        let (totals, source) = install.rates.of(&reading.key.name);
        reading.totals = totals;
        reading.rate_source = source;
    }
    install.polled = true;
    let workers = r1.processes.drain(..).map(|p| p.worker).collect::<Vec<_>>();
    (readings, workers)
}
