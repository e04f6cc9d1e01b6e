//! Tailing the queues' `events` streams (bullmq-model.md §6) with one XREAD for all queues.
//!
//! Rates come from here because events survive `removeOnComplete`/`removeOnFail`, which
//! delete the jobs themselves. A stream trimmed past qtop's last read is detected (its
//! first entry is newer than the last one read) so the poller can fall back to count deltas.

use std::collections::HashMap;

use redis::Value;

use crate::source::value::{as_array, as_pairs, as_string};

pub use super::interval::{FinishedJob, Interval, LazyInterval};

/// A stream entry id `ms-seq`, ordered numerically.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub fn parse(text: &str) -> Option<Self> {
        let (ms, seq) = text.split_once('-')?;
        Some(Self {
            ms: ms.parse().ok()?,
            seq: seq.parse().ok()?,
        })
    }

    pub fn to_arg(self) -> String {
        format!("{}-{}", self.ms, self.seq)
    }
}

/// What the events said of a job not finished yet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct JobTimes {
    /// When it became runnable (see [`FinishedJob::runnable_ms`]).
    runnable_ms: Option<u64>,
    /// A `delayed` event set `runnable_ms` to its due time: the `waiting` event of its
    /// promotion (which can come later, when a worker next fetches) must not move it.
    due_pending: bool,
    active_ms: Option<u64>,
}

/// BullMQ's default `maxLenEvents`.
pub const DEFAULT_MAX_LEN_EVENTS: u64 = 10_000;

/// Most job start times remembered per queue for event-based timings; beyond it the map is
/// cleared (timings then come from job hashes only).
const MAX_TRACKED_JOBS: usize = 10_000;

/// What one queue's stream told since the last poll.
#[derive(Debug, Default)]
pub struct StreamState {
    /// Last entry read; `None` until the stream's position is known.
    pub last_id: Option<StreamId>,
    /// The key holds a stream (or nothing yet); a foreign type is left out of XREAD.
    pub readable: bool,
    /// Read entries on the previous tick: checked for trimming on the next one.
    pub hot: bool,
    /// A quiet stream just returned entries: whether BullMQ trimmed past this position
    /// (our last read before them) is checked in the poll's next round trip.
    pub check_trim_after: Option<StreamId>,
    /// Entries the last read of this stream returned.
    pub last_batch: usize,
    /// The queue's `opts.maxLenEvents` (BullMQ trims the stream to about this many, never
    /// fewer): `None` until read, taken as BullMQ's default then.
    pub max_len: Option<u64>,
    /// What was read since the last poll.
    pub pending: LazyInterval,
    started: HashMap<String, JobTimes>,
    /// The job a `removed` entry just named, and the job a replacing `deduplicated` entry
    /// just kept (both only for the entry right after: one script writes them in a row).
    just_removed: Option<String>,
    replacing: Option<String>,
    rng: u64,
}

impl StreamState {
    pub fn new(last_id: Option<StreamId>, readable: bool) -> Self {
        Self {
            last_id,
            readable,
            rng: 0x9E37_79B9_7F4A_7C15,
            ..Self::default()
        }
    }

    /// A read returning fewer than this many entries proves nothing after our last read
    /// was trimmed: BullMQ trims with `MAXLEN ~`, which keeps at least `maxLenEvents`
    /// entries, so a trim past our position leaves at least that many entries after it, and
    /// the read returns them (or a full batch of `count`).
    pub fn gap_threshold(&self, count: usize) -> usize {
        let max_len = self.max_len.unwrap_or(DEFAULT_MAX_LEN_EVENTS);
        count
            .min(usize::try_from(max_len).unwrap_or(usize::MAX))
            .max(1)
    }

    /// Whether to check for a trim before the next read: only a stream whose reads come
    /// near the threshold (half of it) can be trimmed past between two reads; any other
    /// read that reaches it anyway is taken as a possible gap (see `tail.rs`).
    pub fn needs_trim_check(&self, count: usize) -> bool {
        self.hot && self.last_batch * 2 >= self.gap_threshold(count)
    }

    /// Hand over what was read since the last poll, and start counting anew.
    pub fn take_interval(&mut self) -> LazyInterval {
        std::mem::take(&mut self.pending)
    }

    /// Account one entry. `sample_size` bounds the finished jobs kept per interval
    /// (reservoir sampling keeps the sample uniform however many jobs finish).
    pub fn apply(&mut self, entry: EventEntry<'_>, sample_size: usize) {
        self.pending.entries += 1;
        let id = entry.id;
        self.last_id = Some(id);
        let Some(event) = entry.event else {
            return;
        };
        let job_id = entry.job_id.unwrap_or_default();
        let just_removed = self.just_removed.take();
        let replacing = self.replacing.take();
        match event {
            // A debounce with `replace` removes the delayed job and adds its successor: that
            // add takes the removed job's place, it is no new arrival.
            "added" if replacing.as_deref() == Some(job_id) => {
                self.pending.replaced += 1;
                self.remember(job_id, |job| {
                    job.runnable_ms = Some(id.ms);
                    job.due_pending = false;
                });
            }
            "added" => {
                self.pending.added += 1;
                self.remember(job_id, |job| {
                    job.runnable_ms = Some(id.ms);
                    job.due_pending = false;
                });
            }
            // Due at the absolute time in its `delay` field (a delayed add, a backoff).
            "delayed" => {
                let due = entry.delay.and_then(|d| d.parse::<u64>().ok());
                self.remember(job_id, |job| {
                    job.runnable_ms = due.or(Some(id.ms));
                    job.due_pending = due.is_some();
                });
            }
            // Put (back) to wait: runnable now, unless this is the promotion of a due job.
            "waiting" => self.remember(job_id, |job| {
                if !std::mem::take(&mut job.due_pending) {
                    job.runnable_ms = Some(id.ms);
                }
            }),
            "active" => self.remember(job_id, |job| job.active_ms = Some(id.ms)),
            "completed" => {
                self.pending.completed += 1;
                self.finished(job_id, id.ms, sample_size);
            }
            "failed" => {
                self.pending.failed += 1;
                self.finished(job_id, id.ms, sample_size);
            }
            // Adds BullMQ dropped (the job runs once): counted apart from arrivals.
            "deduplicated" => {
                self.pending.deduplicated += 1;
                let dropped = entry.deduplicated_job_id;
                if dropped.is_some() && dropped == just_removed.as_deref() {
                    self.replacing = Some(job_id.to_string());
                }
            }
            // BullMQ ≤ 5 wrote it beside `deduplicated` for the same add (between the
            // removal and the `deduplicated` of a replacing debounce).
            "debounced" => {
                self.pending.debounced += 1;
                self.just_removed = just_removed;
            }
            // An add with the id of a job that exists.
            "duplicated" => self.pending.duplicated += 1,
            "removed" if !job_id.is_empty() => self.just_removed = Some(job_id.to_string()),
            _ => {}
        }
    }

    /// When a job not finished yet became runnable, if its events said so (a delayed job's
    /// due time): its age in the queue counts from there.
    pub fn runnable_ms(&self, job_id: &str) -> Option<u64> {
        self.started.get(job_id).and_then(|job| job.runnable_ms)
    }

    fn remember(&mut self, job_id: &str, update: impl FnOnce(&mut JobTimes)) {
        if job_id.is_empty() {
            return;
        }
        if self.started.len() >= MAX_TRACKED_JOBS && !self.started.contains_key(job_id) {
            self.started.clear();
        }
        update(self.started.entry(job_id.to_string()).or_default());
    }

    fn finished(&mut self, job_id: &str, finished_ms: u64, sample_size: usize) {
        if job_id.is_empty() {
            return;
        }
        let times = self.started.remove(job_id).unwrap_or_default();
        let job = FinishedJob {
            job_id: job_id.to_string(),
            runnable_ms: times.runnable_ms,
            event_wait_ms: times
                .runnable_ms
                .zip(times.active_ms)
                .map(|(r, s)| s.saturating_sub(r)),
            event_processing_ms: times.active_ms.map(|s| finished_ms.saturating_sub(s)),
        };
        self.pending.finished_seen += 1;
        if self.pending.sample.len() < sample_size {
            self.pending.sample.push(job);
        } else {
            let slot = self.next_random() % self.pending.finished_seen;
            if let Some(kept) = self.pending.sample.get_mut(slot as usize) {
                *kept = job;
            }
        }
    }

    /// xorshift64: a uniform-enough choice for sampling; no crate needed.
    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

/// One events-stream entry: its id and the two fields qtop reads (`event`, `jobId`),
/// borrowed from the reply; the others (`returnvalue`, `prev`, `failedReason`…) are never
/// copied, which keeps a busy stream cheap to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventEntry<'a> {
    pub id: StreamId,
    pub event: Option<&'a str>,
    pub job_id: Option<&'a str>,
    /// The absolute due time (ms) of a `delayed` event.
    pub delay: Option<&'a str>,
    /// The job a `deduplicated` event dropped (or, replacing, removed).
    pub deduplicated_job_id: Option<&'a str>,
}

impl<'a> EventEntry<'a> {
    /// Keep `value` if `field` is one qtop reads.
    pub fn set_field(&mut self, field: &[u8], value: Option<&'a str>) {
        match field {
            b"event" => self.event = value,
            b"jobId" => self.job_id = value,
            b"delay" => self.delay = value,
            b"deduplicatedJobId" => self.deduplicated_job_id = value,
            _ => {}
        }
    }
}

/// One stream's entries from an XREAD reply: `(key, entries)`.
pub type StreamEntries<'a> = (String, Vec<EventEntry<'a>>);

/// Parse an XREAD reply (RESP2 array or RESP3 map). Malformed parts are skipped.
pub fn parse_xread(reply: &Value) -> Vec<StreamEntries<'_>> {
    let Some(streams) = as_pairs_or_nested(reply) else {
        return Vec::new();
    };
    streams
        .into_iter()
        .filter_map(|(key, entries)| {
            let key = as_string(key)?;
            Some((key, parse_entries(entries)))
        })
        .collect()
}

/// XREAD answers `[[key, entries], …]` in RESP2 and `{key: entries}` in RESP3.
fn as_pairs_or_nested(reply: &Value) -> Option<Vec<(&Value, &Value)>> {
    match reply {
        Value::Map(_) => as_pairs(reply),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(|item| match as_array(item) {
                    Some([key, entries]) => Some((key, entries)),
                    _ => None,
                })
                .collect(),
        ),
        _ => None,
    }
}

/// The text of a string reply, borrowed (`None` for other types and non-UTF-8 bytes).
fn as_str(value: &Value) -> Option<&str> {
    match value {
        Value::BulkString(bytes) => std::str::from_utf8(bytes).ok(),
        Value::SimpleString(text) => Some(text),
        _ => None,
    }
}

fn as_bytes(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(bytes) => Some(bytes),
        Value::SimpleString(text) => Some(text.as_bytes()),
        _ => None,
    }
}

/// Parse the entries of XRANGE/XREAD: `[[id, [field, value, …]], …]`.
pub fn parse_entries(value: &Value) -> Vec<EventEntry<'_>> {
    let Some(items) = as_array(value) else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| {
            let [id, fields] = as_array(item)? else {
                return None;
            };
            let mut entry = EventEntry {
                id: StreamId::parse(as_str(id)?)?,
                ..EventEntry::default()
            };
            for (field, value) in as_pairs(fields).unwrap_or_default() {
                if let Some(field) = as_bytes(field) {
                    entry.set_field(field, as_str(value));
                }
            }
            Some(entry)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(ms: u64, pairs: &[(&str, &'a str)]) -> EventEntry<'a> {
        let mut entry = EventEntry {
            id: id(ms),
            ..EventEntry::default()
        };
        for (field, value) in pairs {
            entry.set_field(field.as_bytes(), Some(value));
        }
        entry
    }

    fn id(ms: u64) -> StreamId {
        StreamId { ms, seq: 0 }
    }

    #[test]
    fn stream_ids_order_numerically() {
        assert!(StreamId::parse("10-0") > StreamId::parse("9-5"));
        assert!(StreamId::parse("10-10") > StreamId::parse("10-9"));
        assert_eq!(StreamId::parse("garbage"), None);
        assert_eq!(StreamId::parse("1-x"), None);
    }

    #[test]
    fn events_are_counted_and_timed() {
        let mut state = StreamState::new(None, true);
        state.apply(entry(1000, &[("event", "added"), ("jobId", "1")]), 10);
        state.apply(entry(1000, &[("event", "waiting"), ("jobId", "1")]), 10);
        state.apply(entry(1250, &[("event", "active"), ("jobId", "1")]), 10);
        state.apply(entry(1400, &[("event", "completed"), ("jobId", "1")]), 10);
        state.apply(entry(1500, &[("event", "added"), ("jobId", "2")]), 10);
        state.apply(entry(1600, &[("event", "failed"), ("jobId", "2")]), 10);
        state.apply(entry(1700, &[("no-event", "x")]), 10);
        let interval = state.take_interval();
        assert_eq!(
            (interval.added, interval.completed, interval.failed),
            (2, 1, 1)
        );
        assert_eq!(interval.entries, 7);
        assert_eq!(interval.sample.len(), 2);
        assert_eq!(interval.sample[0].event_wait_ms, Some(250));
        assert_eq!(interval.sample[0].event_processing_ms, Some(150));
        assert_eq!(interval.sample[1].event_processing_ms, None);
        // A quiet interval reads as zeros and takes no room.
        let quiet = state.take_interval();
        assert_eq!(quiet.entries, 0);
        assert!(!quiet.is_allocated() && interval.is_allocated());
        assert_eq!(state.last_id, Some(id(1700)));
    }

    #[test]
    fn wait_runs_from_the_due_time_of_a_delayed_job_and_from_a_retry() {
        let mut state = StreamState::new(None, true);
        // Added at 1000 with a delay due at 6000; promoted only at 6400 (a busy worker
        // fetched late): it waited 6000 → 6450, not from 1000 nor from 6400.
        state.apply(entry(1000, &[("event", "added"), ("jobId", "d")]), 10);
        state.apply(
            entry(
                1000,
                &[("event", "delayed"), ("jobId", "d"), ("delay", "6000")],
            ),
            10,
        );
        state.apply(entry(6400, &[("event", "waiting"), ("jobId", "d")]), 10);
        state.apply(entry(6450, &[("event", "active"), ("jobId", "d")]), 10);
        state.apply(entry(6500, &[("event", "completed"), ("jobId", "d")]), 10);
        // Failed at once and put back to wait at 2000: its last attempt waited from there.
        state.apply(entry(1000, &[("event", "added"), ("jobId", "r")]), 10);
        state.apply(entry(1000, &[("event", "waiting"), ("jobId", "r")]), 10);
        state.apply(entry(1100, &[("event", "active"), ("jobId", "r")]), 10);
        state.apply(entry(2000, &[("event", "waiting"), ("jobId", "r")]), 10);
        state.apply(entry(2030, &[("event", "active"), ("jobId", "r")]), 10);
        state.apply(entry(2100, &[("event", "completed"), ("jobId", "r")]), 10);
        let interval = state.take_interval();
        let job = |id: &str| interval.sample.iter().find(|j| j.job_id == id).cloned();
        assert_eq!(job("d").and_then(|j| j.runnable_ms), Some(6000));
        assert_eq!(job("d").and_then(|j| j.event_wait_ms), Some(450));
        assert_eq!(job("r").and_then(|j| j.event_wait_ms), Some(30));
        assert_eq!(job("r").and_then(|j| j.event_processing_ms), Some(70));
    }

    #[test]
    fn deduplicated_and_duplicated_adds_are_counted_apart_from_arrivals() {
        // As BullMQ 6.7 writes them (measured): a dropped add writes only `deduplicated`;
        // a replacing debounce writes removed, deduplicated, added; an existing id only
        // `duplicated`.
        let mut state = StreamState::new(None, true);
        let events: &[&[(&str, &str)]] = &[
            &[("event", "added"), ("jobId", "1")],
            &[
                ("event", "deduplicated"),
                ("jobId", "1"),
                ("deduplicatedJobId", "2"),
            ],
            &[("event", "added"), ("jobId", "5")],
            &[("event", "removed"), ("jobId", "5"), ("prev", "delayed")],
            &[
                ("event", "deduplicated"),
                ("jobId", "6"),
                ("deduplicatedJobId", "5"),
            ],
            &[("event", "added"), ("jobId", "6")],
            &[("event", "duplicated"), ("jobId", "custom")],
            // BullMQ 5 names the replacement `debounced` too, right after the removal.
            &[("event", "removed"), ("jobId", "6"), ("prev", "delayed")],
            &[("event", "debounced"), ("jobId", "7")],
            &[
                ("event", "deduplicated"),
                ("jobId", "7"),
                ("deduplicatedJobId", "6"),
            ],
            &[("event", "added"), ("jobId", "7")],
            // A removal not followed by its replacement: the next add is an arrival.
            &[("event", "removed"), ("jobId", "8")],
            &[("event", "added"), ("jobId", "9")],
        ];
        for (n, fields) in events.iter().enumerate() {
            state.apply(entry(n as u64, fields), 10);
        }
        let interval = state.take_interval();
        assert_eq!(interval.added, 3, "jobs 1, 5 and 9 arrived");
        assert_eq!(interval.replaced, 2);
        assert_eq!(interval.deduplicated, 3);
        assert_eq!(interval.duplicated, 1);
        assert_eq!(interval.debounced, 1);
    }

    #[test]
    fn the_sample_stays_bounded() {
        let mut state = StreamState::new(None, true);
        for n in 0..10_000u64 {
            let job = n.to_string();
            state.apply(entry(n, &[("event", "completed"), ("jobId", &job)]), 50);
        }
        let interval = state.take_interval();
        assert_eq!(interval.sample.len(), 50);
        assert_eq!(interval.finished_seen, 10_000);
        // Uniform sampling reaches beyond the first 50 jobs.
        assert!(interval
            .sample
            .iter()
            .any(|j| j.job_id.parse::<u64>().unwrap_or(0) > 5_000));
    }

    #[test]
    fn every_part_of_an_interval_is_sampled_alike() {
        // 200 intervals of 1,000 finished jobs, 100 kept from each: every tenth of an
        // interval (early, middle, late jobs) should hold about a tenth of the sample.
        let mut state = StreamState::new(None, true);
        let mut per_tenth = [0u64; 10];
        for _ in 0..200 {
            for n in 0..1_000u64 {
                let job = n.to_string();
                state.apply(entry(n, &[("event", "completed"), ("jobId", &job)]), 100);
            }
            let interval = state.take_interval();
            assert_eq!(interval.sample.len(), 100);
            for job in &interval.sample {
                per_tenth[(job.job_id.parse::<u64>().unwrap_or(0) / 100) as usize] += 1;
            }
        }
        // 2,000 expected per tenth; a binomial's standard deviation here is about 42.
        for (tenth, count) in per_tenth.iter().enumerate() {
            assert!(
                (1_800..=2_200).contains(count),
                "tenth {tenth}: {per_tenth:?}"
            );
        }
    }

    #[test]
    fn xread_replies_parse_and_tolerate_garbage() {
        let entry = |ms: &str, ev: &str| {
            Value::Array(vec![
                Value::BulkString(ms.as_bytes().to_vec()),
                Value::Array(vec![
                    Value::BulkString(b"event".to_vec()),
                    Value::BulkString(ev.as_bytes().to_vec()),
                ]),
            ])
        };
        let reply = Value::Array(vec![
            Value::Array(vec![
                Value::BulkString(b"bull:q:events".to_vec()),
                Value::Array(vec![
                    entry("5-0", "added"),
                    entry("bad", "added"),
                    Value::Int(3),
                ]),
            ]),
            Value::Int(9),
        ]);
        let parsed = parse_xread(&reply);
        assert_eq!(parsed.len(), 1);
        assert_eq!(parsed[0].0, "bull:q:events");
        assert_eq!(parsed[0].1.len(), 1);
        assert!(parse_xread(&Value::Nil).is_empty());
    }

    #[test]
    fn only_streams_read_near_the_trim_threshold_need_a_trim_check() {
        let mut state = StreamState::new(None, true);
        state.hot = true;
        state.last_batch = 10;
        // Default maxLenEvents 10,000, batches of 2,000: the threshold is 2,000.
        assert_eq!(state.gap_threshold(2000), 2000);
        assert!(!state.needs_trim_check(2000));
        state.last_batch = 1000;
        assert!(state.needs_trim_check(2000));
        // A queue keeping 20 events: 10 per read is already near it.
        state.max_len = Some(20);
        state.last_batch = 10;
        assert_eq!(state.gap_threshold(2000), 20);
        assert!(state.needs_trim_check(2000));
        state.hot = false;
        assert!(!state.needs_trim_check(2000));
        state.max_len = Some(0);
        assert_eq!(state.gap_threshold(2000), 1);
    }
}
