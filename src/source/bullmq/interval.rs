//! What one poll interval's events said of a queue: counts by event and a sample of the
//! jobs that finished, in room taken only when something happened.

use crate::model::JobTiming;

/// A finished job picked for latency measurement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinishedJob {
    pub job_id: String,
    /// When its last attempt became runnable, as the events said (the due time of a delayed
    /// job or a backoff, else when it was added or put back to wait): wait is measured
    /// from here, not from its creation, so a healthy delayed job waits ~0.
    pub runnable_ms: Option<u64>,
    /// Timings from the events themselves, used when the job hash is already gone.
    pub event_wait_ms: Option<u64>,
    pub event_processing_ms: Option<u64>,
}

/// The accumulators of one poll interval.
#[derive(Debug, Default)]
pub struct Interval {
    pub added: u64,
    pub completed: u64,
    pub failed: u64,
    /// Adds dropped by deduplication or replaced by a debounce (`deduplicated` events).
    pub deduplicated: u64,
    /// `debounced` events (BullMQ ≤ 5, beside `deduplicated` for the same adds).
    pub debounced: u64,
    /// Adds of an id that existed (`duplicated` events).
    pub duplicated: u64,
    /// Adds that replaced a debounced job (not counted in `added`).
    pub replaced: u64,
    pub gap: bool,
    pub entries: u64,
    pub finished_seen: u64,
    pub sample: Vec<FinishedJob>,
    /// The sample's timings, read from the job hashes, for the poll's reading.
    pub timings: Vec<JobTiming>,
}

/// An [`Interval`] that takes no room until something is counted in it: most queues are
/// idle most polls, and 10,000 idle queues held two empty 104-byte intervals each. Reading
/// an empty one reads [`EMPTY`]; writing to it makes room.
#[derive(Debug, Default)]
pub struct LazyInterval(Option<Box<Interval>>);

static EMPTY: Interval = Interval {
    added: 0,
    completed: 0,
    failed: 0,
    deduplicated: 0,
    debounced: 0,
    duplicated: 0,
    replaced: 0,
    gap: false,
    entries: 0,
    finished_seen: 0,
    sample: Vec::new(),
    timings: Vec::new(),
};

impl std::ops::Deref for LazyInterval {
    type Target = Interval;

    fn deref(&self) -> &Interval {
        self.0.as_deref().unwrap_or(&EMPTY)
    }
}

impl std::ops::DerefMut for LazyInterval {
    fn deref_mut(&mut self) -> &mut Interval {
        self.0.get_or_insert_with(Box::default)
    }
}

impl LazyInterval {
    /// Whether it holds room (something was written to it).
    pub fn is_allocated(&self) -> bool {
        self.0.is_some()
    }

    /// The timings, moved out (an empty interval stays without room).
    pub fn take_timings(&mut self) -> Vec<JobTiming> {
        self.0
            .as_mut()
            .map(|interval| std::mem::take(&mut interval.timings))
            .unwrap_or_default()
    }
}
