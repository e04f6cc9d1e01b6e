//! What the Celery reader remembers of one queue between polls, and how it becomes a
//! reading. Celery's messages carry no enqueue time: the oldest waiting age is a lower
//! bound, from when qtop first saw each list's head message, and absent until a head has
//! been seen at two polls (never a 0 that would look like data).

use super::keys::PRIORITY_STEPS;
use crate::model::{EventTotals, JobTiming, QueueCounts, QueueKey, QueueReading, RateSource};

/// A list's head message (the next to be fetched, at the list's right end) and when qtop
/// first saw it there (epoch ms).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub fingerprint: u64,
    pub first_seen_ms: i64,
    /// Seen at an earlier poll than the current one: its age is at least `now − first_seen`.
    pub seen_before: bool,
}

/// How a poll reads one queue's four lists (indices into [`steps`]).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ListReads {
    /// `LLEN` of these lists.
    pub lengths: Vec<usize>,
    /// `LINDEX -1` of these (non-empty at the last poll).
    pub heads: Vec<usize>,
    /// These priority lists, empty at the last poll, are probed by `EXISTS` together with
    /// other queues' ([`super::probe`]): most queues never use priorities. When one exists
    /// again, its `LLEN` follows in the same poll.
    pub probe: Vec<usize>,
}

#[derive(Debug, Default)]
pub struct QueueState {
    /// LLEN of each priority list (steps 0, 3, 6, 9) at the last poll.
    pub lengths: [Option<u64>; 4],
    pub heads: [Option<Head>; 4],
    /// Messages of this queue in `unacked`; `None` when not read.
    pub reserved: Option<u64>,
    /// Executing now, from heartbeats (only when the workers' queues are known).
    pub active: Option<u64>,
    /// Waiting + reserved at the previous poll (for the arrivals estimate).
    pub held_before: Option<u64>,
    pub totals: EventTotals,
    /// Whether totals are kept (and how) at this poll.
    pub rate_source: RateSource,
    pub failed_uncounted: bool,
    pub timings: Vec<JobTiming>,
    pub finished_in_interval: u64,
    pub problems: Vec<String>,
}

impl QueueState {
    /// Σ LLEN over the priority lists (kombu's `_size`); `None` when one was unreadable.
    pub fn waiting(&self) -> Option<u64> {
        self.lengths.iter().try_fold(0, |sum, n| n.map(|n| sum + n))
    }

    /// Take a list's head at poll time `now_ms` (`None`: the list is empty or unread).
    pub fn take_head(&mut self, step: usize, fingerprint: Option<u64>, now_ms: i64) {
        let Some(slot) = self.heads.get_mut(step) else {
            return;
        };
        *slot = fingerprint.map(|fingerprint| match *slot {
            Some(head) if head.fingerprint == fingerprint => Head {
                seen_before: true,
                ..head
            },
            _ => Head {
                fingerprint,
                first_seen_ms: now_ms,
                seen_before: false,
            },
        });
    }

    /// The list's head is no longer known (the list emptied or was not read this poll).
    pub fn forget_head(&mut self, step: usize) {
        if let Some(slot) = self.heads.get_mut(step) {
            *slot = None;
        }
    }

    /// The oldest first sighting among heads seen at an earlier poll (a lower bound of the
    /// oldest waiting message's enqueue time, read as an age).
    pub fn oldest_seen_ms(&self) -> Option<i64> {
        self.heads
            .iter()
            .flatten()
            .filter(|h| h.seen_before)
            .map(|h| h.first_seen_ms)
            .min()
    }

    /// What this poll reads of the queue's lists: the step-0 list (the one every queue
    /// uses, often emptied between polls) and every list not known empty by `LLEN`, the
    /// priority lists empty at the last poll by a probe.
    pub fn list_reads(&self) -> ListReads {
        let mut reads = ListReads::default();
        for (i, length) in self.lengths.iter().enumerate() {
            if i > 0 && *length == Some(0) {
                reads.probe.push(i);
            } else {
                reads.lengths.push(i);
            }
            if length.is_some_and(|n| n > 0) {
                reads.heads.push(i);
            }
        }
        reads
    }

    /// A probe found none of the lists `probe`: their lengths are 0 again.
    pub fn probed_empty(&mut self, probe: &[usize]) {
        for &i in probe {
            if let Some(length) = self.lengths.get_mut(i) {
                *length = Some(0);
            }
            self.forget_head(i);
        }
    }

    /// Count arrivals: what is held now minus before, plus what left to run (`taken`).
    pub fn count_arrivals(&mut self, taken: u64) {
        let held = self.waiting().map(|w| w + self.reserved.unwrap_or(0));
        if let (Some(before), Some(now)) = (self.held_before, held) {
            self.totals.added += (now + taken).saturating_sub(before);
        }
        self.held_before = held;
    }

    pub fn reading(&mut self, name: &str, library: Option<String>) -> QueueReading {
        let waiting = self.waiting();
        let counted = !matches!(self.rate_source, RateSource::Unavailable);
        QueueReading {
            key: QueueKey::new(crate::model::System::Celery, "", name),
            counts: waiting.map(|waiting| QueueCounts {
                waiting: Some(waiting),
                active: self.active,
                reserved: self.reserved,
                ..QueueCounts::default()
            }),
            paused: None,
            oldest_waiting_ts_ms: self.oldest_seen_ms(),
            oldest_is_lower_bound: true,
            totals: counted.then_some(self.totals),
            rate_source: self.rate_source,
            failed_uncounted: self.failed_uncounted,
            timings: std::mem::take(&mut self.timings),
            finished_in_interval: std::mem::take(&mut self.finished_in_interval),
            library: library.map(compact_str::CompactString::from),
            problems: self.problems.clone(),
            ..QueueReading::default()
        }
    }
}

/// Steps in serving order, with their index in the arrays above.
pub fn steps() -> impl Iterator<Item = (usize, u8)> {
    PRIORITY_STEPS.into_iter().enumerate()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_sums_the_priority_lists_and_unread_is_absent() {
        let mut state = QueueState {
            lengths: [Some(3), Some(0), Some(2), Some(1)],
            ..QueueState::default()
        };
        assert_eq!(state.waiting(), Some(6));
        state.lengths[2] = None;
        assert_eq!(state.waiting(), None);
        assert_eq!(state.reading("q", None).counts, None);
    }

    #[test]
    fn the_oldest_age_is_a_lower_bound_and_never_from_a_first_sighting() {
        let mut state = QueueState::default();
        state.take_head(0, Some(7), 1_000);
        assert_eq!(
            state.oldest_seen_ms(),
            None,
            "first seen now: unknown, not 0"
        );
        state.take_head(0, Some(7), 2_000);
        assert_eq!(state.oldest_seen_ms(), Some(1_000));
        state.take_head(3, Some(9), 2_000);
        state.take_head(3, Some(9), 3_000);
        state.take_head(0, Some(8), 3_000);
        assert_eq!(
            state.oldest_seen_ms(),
            Some(2_000),
            "the step-0 head changed"
        );
        state.forget_head(3);
        assert_eq!(state.oldest_seen_ms(), None);
        let reading = state.reading("q", None);
        assert!(reading.oldest_is_lower_bound);
    }

    #[test]
    fn empty_priority_lists_are_probed_together_and_the_rest_read_by_llen() {
        let none = None;
        /// Lengths at the last poll; then the lists read by LLEN, LINDEX -1 and EXISTS.
        type Case = (
            [Option<u64>; 4],
            &'static [usize],
            &'static [usize],
            &'static [usize],
        );
        let cases: [Case; 7] = [
            ([none; 4], &[0, 1, 2, 3], &[], &[]),
            ([Some(0); 4], &[0], &[], &[1, 2, 3]),
            ([Some(1), Some(0), Some(0), Some(0)], &[0], &[0], &[1, 2, 3]),
            ([Some(0), Some(0), Some(0), Some(2)], &[0, 3], &[3], &[1, 2]),
            (
                [Some(0), Some(4), Some(0), Some(2)],
                &[0, 1, 3],
                &[1, 3],
                &[2],
            ),
            ([Some(0), none, Some(0), Some(0)], &[0, 1], &[], &[2, 3]),
            (
                [Some(5), Some(1), Some(1), Some(1)],
                &[0, 1, 2, 3],
                &[0, 1, 2, 3],
                &[],
            ),
        ];
        for (lengths, llen, heads, probe) in cases {
            let state = QueueState {
                lengths,
                ..QueueState::default()
            };
            let reads = state.list_reads();
            assert_eq!(
                reads,
                ListReads {
                    lengths: llen.to_vec(),
                    heads: heads.to_vec(),
                    probe: probe.to_vec(),
                },
                "{lengths:?}"
            );
        }
    }

    #[test]
    fn a_probe_that_finds_nothing_makes_its_lists_empty() {
        let mut state = QueueState {
            lengths: [Some(1), None, Some(0), Some(0)],
            ..QueueState::default()
        };
        state.take_head(1, Some(4), 1_000);
        assert_eq!(state.waiting(), None);
        state.probed_empty(&[1, 2, 3]);
        assert_eq!(state.waiting(), Some(1));
        assert_eq!(state.heads[1], None);
    }

    #[test]
    fn arrivals_are_what_is_held_now_minus_before_plus_what_left() {
        let mut state = QueueState {
            lengths: [Some(10), Some(0), Some(0), Some(0)],
            ..QueueState::default()
        };
        state.count_arrivals(0);
        assert_eq!(state.totals.added, 0, "the first poll is the baseline");
        state.lengths[0] = Some(4);
        state.reserved = Some(2);
        state.count_arrivals(9);
        // 10 held before, 6 now, 9 left: 5 arrived.
        assert_eq!(state.totals.added, 5);
    }
}
