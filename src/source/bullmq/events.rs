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
    pub last_batch: u32,
    /// The queue's `opts.maxLenEvents` (BullMQ trims the stream to about this many, never
    /// fewer): `None` until read, taken as BullMQ's default then.
    pub max_len: Option<u64>,
    /// What was read since the last poll.
    pub pending: LazyInterval,
    /// From the first entry that names a job: an idle queue's stream holds none of it.
    jobs: Option<Box<JobsSeen>>,
    rng: u64,
}

/// What the entries said of jobs not finished yet.
#[derive(Debug, Default)]
struct JobsSeen {
    started: HashMap<String, JobTimes>,
    /// The job a `removed` entry just named, and the job a replacing `deduplicated` entry
    /// just kept (both only for the entry right after: one script writes them in a row).
    just_removed: Option<String>,
    replacing: Option<String>,
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
        self.hot
            && usize::try_from(self.last_batch).unwrap_or(usize::MAX) * 2
                >= self.gap_threshold(count)
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
        let (just_removed, replacing) = match &mut self.jobs {
            Some(jobs) => (jobs.just_removed.take(), jobs.replacing.take()),
            None => (None, None),
        };
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
                    self.jobs().replacing = Some(job_id.to_string());
                }
            }
            // BullMQ ≤ 5 wrote it beside `deduplicated` for the same add (between the
            // removal and the `deduplicated` of a replacing debounce).
            "debounced" => {
                self.pending.debounced += 1;
                if just_removed.is_some() {
                    self.jobs().just_removed = just_removed;
                }
            }
            // An add with the id of a job that exists.
            "duplicated" => self.pending.duplicated += 1,
            "removed" if !job_id.is_empty() => {
                self.jobs().just_removed = Some(job_id.to_string());
            }
            _ => {}
        }
    }

    /// When a job not finished yet became runnable, if its events said so (a delayed job's
    /// due time): its age in the queue counts from there.
    pub fn runnable_ms(&self, job_id: &str) -> Option<u64> {
        self.jobs.as_ref()?.started.get(job_id)?.runnable_ms
    }

    fn jobs(&mut self) -> &mut JobsSeen {
        self.jobs.get_or_insert_with(Box::default)
    }

    fn remember(&mut self, job_id: &str, update: impl FnOnce(&mut JobTimes)) {
        if job_id.is_empty() {
            return;
        }
        let started = &mut self.jobs().started;
        if started.len() >= MAX_TRACKED_JOBS && !started.contains_key(job_id) {
            started.clear();
        }
        update(started.entry(job_id.to_string()).or_default());
    }

    fn finished(&mut self, job_id: &str, finished_ms: u64, sample_size: usize) {
        if job_id.is_empty() {
            return;
        }
        let times = self
            .jobs
            .as_mut()
            .and_then(|jobs| jobs.started.remove(job_id))
            .unwrap_or_default();
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
#[path = "events_tests.rs"]
mod tests;
