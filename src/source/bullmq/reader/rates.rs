//! Cumulative rate totals: exact from events, estimated from counts after a trim.

use super::super::counts::JobCounts;
use super::super::events::Interval;
use super::super::read::Refresh;
use super::QueueState;
use crate::model::{EventTotals, RateSource};

/// Add an interval's events to the cumulative totals, or, when the stream was trimmed past
/// our last read, an estimate from the counts instead:
/// added = growth of the job-id counter; finished = added − growth of jobs in the system;
/// failed = growth of the failed set.
pub(super) fn apply_rates(state: &mut QueueState, interval: &Interval, fresh: Option<&Refresh>) {
    let estimate = match (interval.gap, state.refresh.as_ref(), fresh) {
        (true, Some(before), Some(now)) => Some(estimate_from_counts(before, now, interval)),
        _ => None,
    };
    match estimate {
        Some(estimate) => {
            state.totals.added += estimate.added;
            state.totals.completed += estimate.completed;
            state.totals.failed += estimate.failed;
            state.rate_source = RateSource::CountDeltas;
        }
        None => {
            state.totals.added += interval.added;
            state.totals.completed += interval.completed;
            state.totals.failed += interval.failed;
            state.rate_source = RateSource::Events;
        }
    }
    // Dropped adds are known from the events read only (a trimmed stream loses some).
    state.totals.deduplicated += interval.deduplicated;
    state.totals.debounced += interval.debounced;
    state.totals.duplicated += interval.duplicated;
}

fn estimate_from_counts(before: &Refresh, now: &Refresh, interval: &Interval) -> EventTotals {
    // The id counter counts dropped adds too (deduplicated, duplicated ids): take out
    // those the events read did show.
    let added = match (before.id_counter, now.id_counter) {
        (Some(a), Some(b)) if b >= a => ((b - a) as u64)
            .saturating_sub(interval.deduplicated + interval.duplicated)
            .max(interval.added),
        _ => interval.added,
    };
    let failed = now
        .counts
        .failed
        .saturating_sub(before.counts.failed)
        .max(interval.failed);
    let finished = finished_between(&before.counts, &now.counts, added);
    EventTotals {
        added,
        completed: finished.saturating_sub(failed).max(interval.completed),
        failed,
        ..EventTotals::default()
    }
}

/// Jobs that left the system: arrivals minus the growth of what is still in it.
fn finished_between(before: &JobCounts, now: &JobCounts, added: u64) -> u64 {
    (added + before.in_system()).saturating_sub(now.in_system())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_deltas_estimate_what_a_trimmed_stream_lost() {
        let before = Refresh {
            counts: JobCounts {
                waiting: 100,
                active: 10,
                failed: 5,
                ..JobCounts::default()
            },
            id_counter: Some(1000),
            ..Refresh::default()
        };
        let now = Refresh {
            counts: JobCounts {
                waiting: 80,
                active: 10,
                failed: 15,
                ..JobCounts::default()
            },
            id_counter: Some(1500),
            ..Refresh::default()
        };
        let interval = Interval {
            gap: true,
            added: 200,
            completed: 150,
            ..Interval::default()
        };
        let estimate = estimate_from_counts(&before, &now, &interval);
        // 500 arrived, the system shrank by 20: 520 finished, 10 of them failed.
        assert_eq!(estimate.added, 500);
        assert_eq!(estimate.failed, 10);
        assert_eq!(estimate.completed, 510);
    }

    #[test]
    fn without_a_gap_events_are_counted_exactly() {
        let mut state = QueueState::default();
        let interval = Interval {
            added: 3,
            completed: 2,
            failed: 1,
            ..Interval::default()
        };
        apply_rates(&mut state, &interval, None);
        assert_eq!(
            state.totals,
            EventTotals {
                added: 3,
                completed: 2,
                failed: 1,
                ..EventTotals::default()
            }
        );
        assert_eq!(state.rate_source, RateSource::Events);
    }
}
