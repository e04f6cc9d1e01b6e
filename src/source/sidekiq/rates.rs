//! Sidekiq's throughput per queue. Sidekiq counts executions globally (`stat:processed`,
//! failures included, and `stat:failed`), exactly, flushed at each process's heartbeat; it
//! keeps no per-queue counter (7.0+ keeps per-class metrics, not read yet). So per queue:
//!
//! - one queue: the global counters are that queue's, exactly (`rates.source: counters`);
//! - several: each interval's global increase is split between the queues by what qtop saw
//!   of them in that interval (jobs seen starting in the processes' work, jobs gone from
//!   the queue's list, failures arriving in the retry and dead sets), else by their recent
//!   shares (`rates.source: estimated`). The split keeps the sum, so the all-queues view
//!   shows Sidekiq's exact global rates.

use std::collections::BTreeMap;

use crate::model::{EventTotals, RateSource};

/// How fast the remembered shares follow new evidence.
const SHARE_SMOOTHING: f64 = 0.2;

/// Split `total` into integer parts proportional to `weights` (largest remainder), so the
/// parts add up to `total` exactly. All weights zero: nothing is split (all parts 0).
pub fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().filter(|w| w.is_finite() && **w > 0.0).sum();
    if sum <= 0.0 || weights.is_empty() {
        return vec![0; weights.len()];
    }
    let exact: Vec<f64> = weights
        .iter()
        .map(|w| {
            if w.is_finite() && *w > 0.0 {
                total as f64 * w / sum
            } else {
                0.0
            }
        })
        .collect();
    let mut parts: Vec<u64> = exact.iter().map(|x| x.floor() as u64).collect();
    let mut left = total.saturating_sub(parts.iter().sum());
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).total_cmp(&(exact[a] - exact[a].floor())));
    for i in order.into_iter().cycle().take(weights.len() * 2) {
        if left == 0 {
            break;
        }
        if exact[i] > 0.0 {
            parts[i] += 1;
            left -= 1;
        }
    }
    parts
}

/// What qtop saw of one queue in one interval.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Seen {
    /// Jobs seen starting (new entries in the processes' work).
    pub started: u64,
    /// How much the list shrank (at least that many jobs were taken).
    pub taken: u64,
    /// Jobs that arrived in the retry or dead set (failures).
    pub failures: u64,
    /// Change of waiting + active (for arrivals).
    pub backlog_change: i64,
    /// A live process listens to it.
    pub served: bool,
}

/// Per-queue totals built from the global counters.
#[derive(Debug, Default)]
pub struct Rates {
    last: Option<(u64, u64)>,
    totals: BTreeMap<String, EventTotals>,
    shares: BTreeMap<String, f64>,
}

impl Rates {
    /// Account one poll: the global counters now, and what was seen of each queue.
    pub fn update(&mut self, processed: u64, failed: u64, seen: &BTreeMap<String, Seen>) {
        for queue in seen.keys() {
            self.totals.entry(queue.clone()).or_default();
        }
        let Some((last_processed, last_failed)) = self.last.replace((processed, failed)) else {
            return;
        };
        // A reset (`Stats#reset`) starts counting afresh.
        let executed = processed.saturating_sub(last_processed);
        let failures = failed.saturating_sub(last_failed);
        let succeeded = executed.saturating_sub(failures);
        let names: Vec<&String> = seen.keys().collect();
        let evidence: Vec<f64> = names
            .iter()
            .map(|q| {
                let s = &seen[*q];
                (s.started + s.taken + s.failures) as f64
            })
            .collect();
        let weights = if evidence.iter().sum::<f64>() > 0.0 {
            // Remember where work was seen, for intervals with no evidence.
            let sum: f64 = evidence.iter().sum();
            for (q, w) in names.iter().zip(&evidence) {
                let share = self.shares.entry((*q).clone()).or_default();
                *share += SHARE_SMOOTHING * (w / sum - *share);
            }
            evidence
        } else {
            let remembered: Vec<f64> = names
                .iter()
                .map(|q| self.shares.get(*q).copied().unwrap_or(0.0))
                .collect();
            if remembered.iter().sum::<f64>() > 0.0 {
                remembered
            } else {
                let served: Vec<f64> = names
                    .iter()
                    .map(|q| f64::from(u8::from(seen[*q].served)))
                    .collect();
                if served.iter().sum::<f64>() > 0.0 {
                    served
                } else {
                    vec![1.0; names.len()]
                }
            }
        };
        let failure_evidence: Vec<f64> = names.iter().map(|q| seen[*q].failures as f64).collect();
        let failure_weights = if failure_evidence.iter().sum::<f64>() > 0.0 {
            failure_evidence
        } else {
            weights.clone()
        };
        let completed = apportion(succeeded, &weights);
        let failed_parts = apportion(failures, &failure_weights);
        for (i, queue) in names.iter().enumerate() {
            let totals = self.totals.entry((*queue).clone()).or_default();
            totals.completed += completed[i];
            totals.failed += failed_parts[i];
            let arrived = (completed[i] + failed_parts[i]) as i64 + seen[*queue].backlog_change;
            totals.added += arrived.max(0) as u64;
        }
    }

    /// The queue's totals and where they come from (exact with one queue).
    pub fn of(&self, queue: &str) -> (Option<EventTotals>, RateSource) {
        let source = if self.totals.len() == 1 {
            RateSource::Counters
        } else {
            RateSource::Estimated
        };
        (self.totals.get(queue).copied(), source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apportioning_keeps_the_sum() {
        let cases: [(u64, &[f64], &[u64]); 5] = [
            (10, &[1.0, 1.0], &[5, 5]),
            (10, &[1.0, 2.0], &[3, 7]),
            (1, &[1.0, 1.0, 1.0], &[1, 0, 0]),
            (7, &[0.0, 0.0], &[0, 0]),
            (5, &[f64::NAN, 1.0], &[0, 5]),
        ];
        for (total, weights, expected) in cases {
            let parts = apportion(total, weights);
            assert_eq!(parts, expected, "{total} by {weights:?}");
        }
        for total in 0..50 {
            let parts = apportion(total, &[0.3, 0.3, 0.4, 0.0]);
            assert_eq!(parts.iter().sum::<u64>(), total);
        }
    }

    fn seen(pairs: &[(&str, u64, u64)]) -> BTreeMap<String, Seen> {
        pairs
            .iter()
            .map(|(q, started, failures)| {
                (
                    q.to_string(),
                    Seen {
                        started: *started,
                        failures: *failures,
                        served: true,
                        ..Seen::default()
                    },
                )
            })
            .collect()
    }

    #[test]
    fn one_queue_is_exact_and_several_share_the_global_counters() {
        let mut one = Rates::default();
        one.update(100, 10, &seen(&[("default", 0, 0)]));
        one.update(150, 15, &seen(&[("default", 0, 0)]));
        let (totals, source) = one.of("default");
        assert_eq!(source, RateSource::Counters);
        assert_eq!(totals.map(|t| (t.completed, t.failed)), Some((45, 5)));

        let mut many = Rates::default();
        many.update(0, 0, &seen(&[("a", 0, 0), ("b", 0, 0)]));
        many.update(40, 4, &seen(&[("a", 3, 0), ("b", 1, 4)]));
        let (a, source) = many.of("a");
        let (b, _) = many.of("b");
        assert_eq!(source, RateSource::Estimated);
        let (a, b) = (a.unwrap_or_default(), b.unwrap_or_default());
        assert_eq!(a.completed + b.completed, 36);
        assert_eq!((a.failed, b.failed), (0, 4));
        // Failures are executions too: a saw 3, b 5.
        assert!((13..=14).contains(&a.completed), "{a:?}");
        // No evidence next time: the remembered shares split it.
        many.update(80, 4, &seen(&[("a", 0, 0), ("b", 0, 0)]));
        let (a2, _) = many.of("a");
        let more = a2.unwrap_or_default().completed - a.completed;
        assert!((14..=16).contains(&more), "3/8 of 40: {more}");
        // A counter reset is no negative rate.
        many.update(5, 0, &seen(&[("a", 0, 0), ("b", 0, 0)]));
        assert!(many.of("a").0.unwrap_or_default().completed >= a2.unwrap_or_default().completed);
    }
}
