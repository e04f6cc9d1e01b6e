//! What the events listener brought since the last poll, into the queues: the workers, the
//! tasks that finished (placed in their queues), and the rates and arrivals counted from
//! them, or from the workers' `processed` counters when task events are off or partial.

use std::time::{Duration, Instant};

use super::reader::{CeleryReader, SETTLE};
use super::workers::{place, processed_since, remember_silent, silent_workers, worker_info};
use crate::model::{JobTiming, PollReport, RateSource};

/// Task events are taken as off when none came for this long while tasks ran.
const EVENTS_QUIET: Duration = Duration::from_secs(10);

impl CeleryReader {
    /// Workers from the listener; task counts placed in queues; rates and arrivals.
    pub(super) fn take_events(&mut self, report: &mut PollReport) {
        let Some(listener) = self.listener.as_ref() else {
            return;
        };
        let settled = listener.age() >= SETTLE;
        let now = Instant::now();
        let (beats, drained, task_events, problem) = {
            let mut state = listener.state();
            state.forget_stale(now);
            let problem = state
                .error
                .as_ref()
                .map(|e| format!("Celery events not received: {e}"));
            (
                state.workers.clone(),
                state.drain(),
                state.task_events_at,
                problem,
            )
        };
        let names: Vec<String> = self.queues.keys().cloned().collect();
        let only = match names.as_slice() {
            [one] => Some(one.clone()),
            _ => None,
        };
        for beat in beats.values() {
            report.workers.push(worker_info(beat, only.as_deref(), now));
        }
        let alive_active: u64 = report
            .workers
            .iter()
            .filter(|w| w.system == crate::model::System::Celery && !w.stale)
            .filter_map(|w| w.busy)
            .map(u64::from)
            .sum();
        let taking = silent_workers(&self.processed, &beats, now, EVENTS_QUIET);
        let silent = remember_silent(&mut self.silent, taking, &beats, now, EVENTS_QUIET);
        let taken_all = processed_since(&mut self.processed, &beats);
        // Task events are on while they come; when the pools take tasks and no task event
        // came for a while, workers stopped sending them: count from `processed` instead
        // of showing a rate of 0. So too on one queue when some workers send none (a fleet
        // where only some run with -E): their `processed` counts every worker's tasks.
        let task_events = task_events
            .is_some_and(|at| at.elapsed() < EVENTS_QUIET || taken_all == 0)
            && (silent.is_empty() || only.is_none());
        let silent_problem = (!silent.is_empty()).then(|| {
            format!(
                "{} take tasks but send no task events (start them with -E): {}",
                silent.join(", "),
                if task_events {
                    "the rates count only the other workers' tasks"
                } else {
                    "rates come from the workers' processed counters"
                }
            )
        });
        let (placed, unplaced) = place(drained, &names, &mut self.origins);
        self.unplaced += unplaced;
        for (name, state) in self.queues.iter_mut() {
            state.active = (only.is_some() && settled && problem.is_none()).then_some(alive_active);
            if let Some(problem) = &problem {
                state.problems.push(problem.clone());
            }
            if let Some(problem) = &silent_problem {
                state.problems.push(problem.clone());
            }
            let taken = if task_events {
                let finished = placed.get(name).cloned().unwrap_or_default();
                // Without the silent workers' tasks, the count is a lower bound.
                state.rate_source = if silent.is_empty() {
                    RateSource::Events
                } else {
                    RateSource::Estimated
                };
                state.failed_uncounted = false;
                state.totals.completed += finished.succeeded;
                state.totals.failed += finished.failed;
                state.finished_in_interval += finished.succeeded + finished.failed;
                state
                    .timings
                    .extend(finished.runtimes_ms.iter().map(|ms| JobTiming {
                        wait_ms: None,
                        processing_ms: Some(*ms),
                    }));
                finished.succeeded + finished.failed
            } else if only.is_some() {
                state.rate_source = RateSource::Estimated;
                state.failed_uncounted = true;
                state.totals.completed += taken_all;
                taken_all
            } else {
                state.rate_source = RateSource::Unavailable;
                0
            };
            if state.rate_source != RateSource::Unavailable {
                state.count_arrivals(taken);
            }
            if task_events && self.unplaced > 0 && only.is_none() {
                state.problems.push(format!(
                    "{} finished tasks could not be placed in a queue (their task name was seen in no queue, or in several)",
                    self.unplaced
                ));
            }
        }
    }
}
