//! Rates from cumulative counters sampled at known times.

use std::collections::VecDeque;

/// Samples of one cumulative counter, oldest first, kept for at most `max_age_ms`.
#[derive(Clone, Debug)]
pub struct CounterSeries {
    samples: VecDeque<(i64, u64)>,
    max_age_ms: i64,
}

impl CounterSeries {
    pub fn new(max_age_ms: i64) -> Self {
        Self {
            samples: VecDeque::new(),
            max_age_ms,
        }
    }

    /// Record the counter's value at `t_ms`. A value lower than the previous one is a reset
    /// (the source restarted counting): history before it cannot be compared, so it is dropped.
    pub fn push(&mut self, t_ms: i64, total: u64) {
        if let Some(&(last_t, last_total)) = self.samples.back() {
            if total < last_total {
                self.samples.clear();
            } else if t_ms <= last_t {
                // Same instant (or a clock step back): keep the newest value only.
                self.samples.pop_back();
            }
        }
        self.samples.push_back((t_ms, total));
        while let Some(&(t, _)) = self.samples.front() {
            if t_ms - t > self.max_age_ms && self.samples.len() > 2 {
                self.samples.pop_front();
            } else {
                break;
            }
        }
    }

    /// The first and last samples covering the last `window_ms`: the span starts at the
    /// newest sample at or before the window's start (the oldest sample when history is
    /// shorter than the window).
    fn span(&self, window_ms: i64) -> Option<((i64, u64), (i64, u64))> {
        let &(t_now, c_now) = self.samples.back()?;
        let start = self
            .samples
            .iter()
            .rev()
            .find(|(t, _)| t_now - t >= window_ms)
            .or_else(|| self.samples.front())
            .copied()?;
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
        self.samples.back().copied()
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
