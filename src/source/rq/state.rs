//! What the RQ reader remembers of one queue between polls, and how it becomes a reading.

use super::cursor::{Arrivals, Cursor};
use super::queue::{Figures, FullRead};
use crate::model::{EventTotals, JobTiming, QueueCounts, QueueKey, QueueReading, RateSource};

#[derive(Debug, Default)]
pub struct QueueState {
    /// Reconciliation turn: the queue is read in full when `poll % every == slot % every`.
    pub slot: u64,
    /// The last full read's figures (`None` before the first).
    pub figures: Option<Figures>,
    /// The last LLEN seen (probe or full read).
    pub waiting_seen: Option<u64>,
    /// The head job and when it was enqueued (epoch ms), once dated.
    pub head: Option<String>,
    pub head_enqueued_ms: Option<i64>,
    /// The head's `enqueued_at` was read (it may have had none).
    pub head_dated: bool,
    /// When an expiry changes the figures by itself (epoch s).
    pub due_at_s: Option<f64>,
    pub finished_cursor: Option<Cursor>,
    pub failed_cursor: Option<Cursor>,
    pub totals: EventTotals,
    /// Read in full in the next poll's first round trip (something moved).
    pub dirty: bool,
    pub problems: Vec<String>,
    /// Arrivals of the current poll to be timed: `(job id)`.
    pub to_time: Vec<String>,
    pub timings: Vec<JobTiming>,
    pub finished_in_interval: u64,
}

impl QueueState {
    pub fn new(slot: u64) -> Self {
        Self {
            slot,
            ..Self::default()
        }
    }

    /// Whether the next poll reads this queue in full at once (without waiting for a probe).
    pub fn due(&self, now_s: f64, poll_index: u64, every: u64) -> bool {
        self.figures.is_none()
            || self.dirty
            || self.due_at_s.is_some_and(|due| now_s >= due)
            || self.slot % every == poll_index % every
    }

    /// Take a full read in: figures, cursors, totals (estimated), the jobs to time.
    pub fn apply(&mut self, read: FullRead, sample: usize) {
        let before = self.figures;
        let FullRead {
            figures,
            head,
            next_expiry_s,
            finished,
            failed,
            problems,
        } = read;
        self.finished_cursor = finished.cursor.clone();
        self.failed_cursor = failed.cursor.clone();
        if let Some(before) = before {
            let done = finished.count + failed.count;
            self.totals.completed += finished.count;
            self.totals.failed += failed.count;
            // RQ counts no arrivals: jobs now in the queue's states, minus those there
            // before, plus those that left by finishing. Leaving otherwise (a job
            // deleted, a result_ttl=0 job) hides arrivals: an estimate.
            let now_in = figures.in_flight() + done;
            self.totals.added += now_in.saturating_sub(before.in_flight());
            self.finished_in_interval += done;
            self.to_time.extend(sampled(&finished, &failed, sample));
        }
        self.waiting_seen = figures.waiting;
        if head != self.head {
            self.head_enqueued_ms = None;
            self.head_dated = false;
        }
        self.head = head;
        self.figures = Some(figures);
        self.due_at_s = next_expiry_s;
        self.problems = problems;
        self.dirty = false;
    }

    /// The head job still to be dated (its `enqueued_at` read).
    pub fn undated_head(&self) -> Option<&str> {
        self.head.as_deref().filter(|_| !self.head_dated)
    }

    /// The reading for the report; the interval's timings move into it.
    pub fn reading(
        &mut self,
        name: &str,
        suspended: bool,
        library: Option<String>,
    ) -> QueueReading {
        let counts = self.figures.map(|f| QueueCounts {
            waiting: f.waiting,
            active: f.active,
            delayed: f.scheduled,
            completed: f.finished,
            failed: f.failed,
            waiting_children: f.deferred,
            ..QueueCounts::default()
        });
        QueueReading {
            key: QueueKey::new(crate::model::System::Rq, "", name),
            counts,
            paused: self.figures.map(|_| suspended),
            oldest_waiting_ts_ms: self.head_enqueued_ms,
            oldest_is_lower_bound: false,
            unlocked_active: self.figures.map_or(0, |f| f.abandoned),
            totals: self.figures.map(|_| self.totals),
            rate_source: RateSource::Estimated,
            timings: std::mem::take(&mut self.timings),
            finished_in_interval: std::mem::take(&mut self.finished_in_interval),
            library: library.map(compact_str::CompactString::from),
            problems: self.problems.clone(),
            node: None,
            ..QueueReading::default()
        }
    }
}

/// The arrivals to time: every one up to `sample`, finished first.
fn sampled(finished: &Arrivals, failed: &Arrivals, sample: usize) -> Vec<String> {
    finished
        .ids
        .iter()
        .chain(failed.ids.iter())
        .take(sample)
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(waiting: u64, active: u64, finished: u64, failed: u64) -> Figures {
        Figures {
            waiting: Some(waiting),
            active: Some(active),
            finished: Some(finished),
            failed: Some(failed),
            scheduled: Some(0),
            deferred: Some(0),
            abandoned: 0,
        }
    }

    fn read(figures: Figures, done: u64, failed: u64) -> FullRead {
        FullRead {
            figures,
            finished: Arrivals {
                count: done,
                ids: (0..done).map(|i| format!("f{i}")).collect(),
                cursor: Some(Cursor::default()),
            },
            failed: Arrivals {
                count: failed,
                ..Arrivals::default()
            },
            ..FullRead::default()
        }
    }

    #[test]
    fn totals_start_at_the_first_read_and_estimate_arrivals() {
        let mut state = QueueState::new(0);
        state.apply(read(figures(10, 1, 50, 2), 9, 9), 100);
        assert_eq!(
            state.totals,
            EventTotals::default(),
            "the first read is the baseline"
        );
        // 11 in flight before; 10 now and 6 finished since: 5 new jobs arrived.
        state.apply(read(figures(8, 2, 55, 3), 5, 1), 100);
        assert_eq!(
            state.totals,
            EventTotals {
                added: 5,
                completed: 5,
                failed: 1,
                ..EventTotals::default()
            }
        );
        assert_eq!(state.to_time.len(), 5);
        assert_eq!(state.finished_in_interval, 6);
        let reading = state.reading("q", false, None);
        assert_eq!(reading.rate_source, RateSource::Estimated);
        assert_eq!(reading.counts.and_then(|c| c.retry), None);
        assert_eq!(reading.key.to_string(), "rq:q");
    }

    #[test]
    fn a_new_head_must_be_dated_again() {
        let mut state = QueueState::new(0);
        let mut first = read(figures(1, 0, 0, 0), 0, 0);
        first.head = Some("a".into());
        state.apply(first.clone(), 10);
        assert_eq!(state.undated_head(), Some("a"));
        state.head_enqueued_ms = Some(5);
        state.head_dated = true;
        state.apply(first, 10);
        assert_eq!(state.undated_head(), None);
        let mut second = read(figures(1, 0, 0, 0), 0, 0);
        second.head = Some("b".into());
        state.apply(second, 10);
        assert_eq!(state.undated_head(), Some("b"));
        assert!(state.due(0.0, 1, 60) || state.slot % 60 != 1);
    }
}
