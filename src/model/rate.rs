//! Rates from cumulative counters sampled at known times.

use smallvec::SmallVec;

/// A counter's samples: two inline (a run of equal readings, or a counter read twice), on
/// the heap beyond. An idle counter then allocates nothing (10,000 idle queues × four such
/// counters were 3.2 MB of two-sample heap buffers).
type Samples = SmallVec<[(i64, u64); 2]>;

/// Samples of one cumulative counter, oldest first, kept for at most `max_age_ms`.
///
/// A counter never falls without a reset (which clears the samples), so where two
/// neighbouring samples hold the same value it held that value all the way between them.
/// A run of equal readings is therefore kept as its first and last sample: an idle counter
/// costs two samples however often it is read (10,000 idle queues × five counters were
/// 25 MB of samples, one a poll). Rates and increases read the same as with every sample.
#[derive(Clone, Debug)]
pub struct CounterSeries {
    samples: Samples,
    max_age_ms: i64,
}

impl CounterSeries {
    pub fn new(max_age_ms: i64) -> Self {
        Self {
            samples: Samples::new(),
            max_age_ms,
        }
    }

    /// Record the counter's value at `t_ms`. A value lower than the previous one is a reset
    /// (the source restarted counting): history before it cannot be compared, so it is dropped.
    pub fn push(&mut self, t_ms: i64, total: u64) {
        if let Some(&(last_t, last_total)) = self.samples.last() {
            if total < last_total {
                self.samples.clear();
            } else if t_ms <= last_t {
                // Same instant (or a clock step back): keep the newest value only.
                self.samples.pop();
            }
        }
        let n = self.samples.len();
        let extends_run =
            n >= 2 && self.samples[n - 1].1 == total && self.samples[n - 2].1 == total;
        match self.samples.last_mut() {
            // The run's end moves on: the counter held `total` from its first sample to now.
            Some(last) if extends_run => last.0 = t_ms,
            _ => {
                // Grow a few samples at a time, not by doubling: a counter that moves every
                // reading keeps about `max_age_ms / interval` samples, thousands of times over.
                if self.samples.len() == self.samples.capacity() {
                    self.samples.reserve_exact(4);
                }
                self.samples.push((t_ms, total));
            }
        }
        self.evict(t_ms);
    }

    /// Forget samples older than `max_age_ms`, keeping two. A run that began before the
    /// cut is cut there: it held its value at the cut too.
    fn evict(&mut self, now_ms: i64) {
        let cut = now_ms - self.max_age_ms;
        let mut drop = 0;
        while self.samples.len() - drop > 2 {
            let (first, second) = (self.samples[drop], self.samples[drop + 1]);
            if first.0 >= cut {
                break;
            }
            if first.1 == second.1 && second.0 > cut {
                self.samples[drop].0 = cut;
                break;
            }
            drop += 1;
        }
        self.samples.drain(..drop);
    }

    /// The first and last samples covering the last `window_ms`: the span starts at the
    /// newest sample at or before the window's start (the oldest sample when history is
    /// shorter than the window), or at the window's start itself when a run of equal
    /// samples spans it (the counter held that value there).
    fn span(&self, window_ms: i64) -> Option<((i64, u64), (i64, u64))> {
        let &(t_now, c_now) = self.samples.last()?;
        let window_start = t_now - window_ms;
        let start = match self.samples.iter().rposition(|(t, _)| *t <= window_start) {
            Some(i) => {
                let (t, c) = self.samples[i];
                let held = self.samples.get(i + 1).is_some_and(|next| next.1 == c);
                (if held { window_start } else { t }, c)
            }
            None => *self.samples.first()?,
        };
        Some((start, (t_now, c_now)))
    }

    /// Mean rate per second over the last `window_ms` (or over what history there is).
    /// `None` with fewer than two samples: no rate is known, which is not a rate of zero.
    pub fn rate_per_s(&self, window_ms: i64) -> Option<f64> {
        let ((t_then, c_then), (t_now, c_now)) = self.span(window_ms)?;
        let dt_ms = t_now - t_then;
        if dt_ms <= 0 {
            return None;
        }
        Some(c_now.saturating_sub(c_then) as f64 * 1000.0 / dt_ms as f64)
    }

    /// The increase over the last `window_ms`, over the same span as [`Self::rate_per_s`].
    pub fn increase(&self, window_ms: i64) -> Option<u64> {
        let ((_, c_then), (_, c_now)) = self.span(window_ms)?;
        Some(c_now.saturating_sub(c_then))
    }

    pub fn latest(&self) -> Option<(i64, u64)> {
        self.samples.last().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_from_cumulative_counters() {
        struct Case {
            samples: &'static [(i64, u64)],
            window_ms: i64,
            expected: Option<f64>,
        }
        let cases = [
            // Steady 10/s.
            Case {
                samples: &[(0, 0), (1000, 10), (2000, 20)],
                window_ms: 60_000,
                expected: Some(10.0),
            },
            // Window covers only the last second.
            Case {
                samples: &[(0, 0), (1000, 100), (2000, 105)],
                window_ms: 1000,
                expected: Some(5.0),
            },
            // A single sample: unknown, not zero.
            Case {
                samples: &[(0, 5)],
                window_ms: 1000,
                expected: None,
            },
            // Counter reset: history before it is dropped.
            Case {
                samples: &[(0, 50), (1000, 60), (2000, 3), (3000, 9)],
                window_ms: 60_000,
                expected: Some(6.0),
            },
            // dt = 0: the later value replaces the earlier one.
            Case {
                samples: &[(0, 0), (1000, 10), (1000, 12)],
                window_ms: 60_000,
                expected: Some(12.0),
            },
            // Idle.
            Case {
                samples: &[(0, 7), (1000, 7), (2000, 7)],
                window_ms: 60_000,
                expected: Some(0.0),
            },
        ];
        for (i, case) in cases.iter().enumerate() {
            let mut series = CounterSeries::new(3_600_000);
            for &(t, c) in case.samples {
                series.push(t, c);
            }
            assert_eq!(series.rate_per_s(case.window_ms), case.expected, "case {i}");
        }
    }

    #[test]
    fn old_samples_are_forgotten() {
        let mut series = CounterSeries::new(10_000);
        for s in 0..100 {
            series.push(s * 1000, s as u64);
        }
        assert!(series.samples.len() <= 12);
        assert_eq!(series.rate_per_s(5000), Some(1.0));
    }

    /// Rate over every sample kept, the way the span is defined: the reference the
    /// collapsed runs must read the same as.
    fn reference_rate(samples: &[(i64, u64)], window_ms: i64) -> Option<f64> {
        let &(t_now, c_now) = samples.last()?;
        let window_start = t_now - window_ms;
        let (t_then, c_then) = match samples.iter().rposition(|(t, _)| *t <= window_start) {
            Some(i) if samples.get(i + 1).is_some_and(|n| n.1 == samples[i].1) => {
                (window_start, samples[i].1)
            }
            Some(i) => samples[i],
            None => samples[0],
        };
        (t_now > t_then).then(|| (c_now - c_then) as f64 * 1000.0 / (t_now - t_then) as f64)
    }

    #[test]
    fn runs_of_equal_readings_are_two_samples_and_read_the_same() {
        // Idle stretches, bursts and single steps, read every 700 ms.
        let mut total = 0u64;
        let mut all = Vec::new();
        let mut series = CounterSeries::new(15_000);
        for i in 0..400i64 {
            let step = match i % 97 {
                0..=40 => 0,
                41..=45 => (i as u64 * 7) % 13,
                60 | 75 => 1,
                _ => 0,
            };
            total += step;
            let t = i * 700;
            all.push((t, total));
            series.push(t, total);
            // Windows shorter than what is kept, as the table's (10 s of 15 s kept).
            for window in [1_000, 5_000, 10_000, 14_000] {
                assert_eq!(
                    series.rate_per_s(window),
                    reference_rate(&all, window),
                    "at {t} ms over {window} ms"
                );
            }
        }
        // After an idle stretch of 40 readings, two samples hold it.
        let mut idle = CounterSeries::new(3_600_000);
        for i in 0..40 {
            idle.push(i * 1000, 9);
        }
        assert_eq!(idle.samples.len(), 2);
        assert!(!idle.samples.spilled(), "an idle counter allocates nothing");
        assert_eq!(idle.rate_per_s(10_000), Some(0.0));
        idle.push(40_000, 19);
        assert_eq!(idle.samples.len(), 3);
        // Ten more over the last 10 s, 1/s, as if every idle reading were kept.
        assert_eq!(idle.rate_per_s(10_000), Some(1.0));
        assert_eq!(idle.increase(10_000), Some(10));
    }

    #[test]
    fn increase_matches_the_rate_span() {
        let mut series = CounterSeries::new(3_600_000);
        series.push(0, 0);
        series.push(1000, 4);
        series.push(2000, 10);
        assert_eq!(series.increase(1000), Some(6));
        assert_eq!(series.increase(60_000), Some(10));
    }
}
