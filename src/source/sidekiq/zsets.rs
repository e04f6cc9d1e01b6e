//! A read-only mirror of one of Sidekiq's global job sets (`schedule`, `retry`, `dead`),
//! kept per queue without re-reading the set each poll.
//!
//! The set is cut into score ranges (buckets) of a few hundred jobs. Each poll sends one
//! `ZCOUNT` per bucket (O(log N) each); only a bucket whose count changed is read again
//! (`ZRANGEBYSCORE … WITHSCORES`), and only the jobs new to it are parsed. A bucket grown
//! too large is split at scores probed with `ZRANGE r r WITHSCORES`, so a set of 100,000
//! retries is first read a few thousand jobs per poll, never at once. A change that keeps a
//! bucket's count (one job out, one in, same range, same interval) is caught by re-reading
//! one bucket in turn every [`RECONCILE_EVERY`] polls. (Half of this file is its tests,
//! against a sorted set held in memory.)

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};

use redis::{Pipeline, Value};

use super::job::Job;
use crate::source::value::{as_array, as_i64, as_string};

/// A bucket above this many jobs is split.
const SPLIT_ABOVE: u64 = 512;
/// Target size of the buckets a split makes.
const TARGET: u64 = 256;
/// Jobs read per poll per set at most (a bigger change is read over several polls).
const READ_BUDGET: u64 = 4096;
/// One bucket is re-read in turn every this many polls.
pub const RECONCILE_EVERY: u64 = 60;

#[derive(Clone, Debug)]
struct Entry {
    score: f64,
    hash: u64,
    /// Index into `SetMirror::queues`; `None` when the job could not be read.
    queue: Option<u32>,
}

#[derive(Clone, Debug, Default)]
struct Bucket {
    /// Cached entries, in score order; `None` until read.
    entries: Option<Vec<Entry>>,
    /// What `ZCOUNT` said this poll.
    counted: Option<u64>,
    /// Its jobs share one score: it cannot be split, it is read whole.
    whole: bool,
}

/// What one poll asks of a set, to be answered in order.
#[derive(Clone, Debug, Default)]
pub struct ReadPlan {
    /// Buckets read in full this poll.
    reads: Vec<usize>,
    /// (bucket, ranks probed for split scores).
    probes: Vec<(usize, Vec<u64>)>,
}

impl ReadPlan {
    pub fn is_empty(&self) -> bool {
        self.reads.is_empty() && self.probes.is_empty()
    }
}

#[derive(Debug, Default)]
pub struct SetMirror {
    /// Bucket `i` covers `[bounds[i-1], bounds[i])`; the first starts at -inf, the last
    /// ends at +inf.
    bounds: Vec<f64>,
    buckets: Vec<Bucket>,
    queues: Vec<String>,
    queue_index: HashMap<String, u32>,
    /// Jobs per queue index, recomputed after a change.
    per_queue: BTreeMap<u32, u64>,
    unreadable: u64,
    /// Jobs that arrived since the last poll, per queue (not counted on the first read).
    pub arrived: BTreeMap<String, u64>,
    polls: u64,
    /// The whole set has been read once.
    filled: bool,
    /// The set's key held something other than a sorted set.
    pub wrong_type: bool,
}

fn member_hash(member: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    member.hash(&mut hasher);
    hasher.finish()
}

fn parse_score(value: &Value) -> Option<f64> {
    match value {
        Value::Double(x) => Some(*x),
        other => as_string(other)?.trim().parse().ok(),
    }
}

impl SetMirror {
    pub fn new() -> Self {
        Self {
            buckets: vec![Bucket::default()],
            ..Self::default()
        }
    }

    fn range(&self, i: usize) -> (String, String) {
        let lo = match i {
            0 => "-inf".to_string(),
            _ => self.bounds[i - 1].to_string(),
        };
        let hi = match self.bounds.get(i) {
            Some(bound) => format!("({bound}"),
            None => "+inf".to_string(),
        };
        (lo, hi)
    }

    /// Round trip 1: one ZCOUNT per bucket. Returns how many commands were added.
    pub fn push_counts(&self, pipe: &mut Pipeline, key: &str) -> usize {
        for i in 0..self.buckets.len() {
            let (lo, hi) = self.range(i);
            pipe.cmd("ZCOUNT").arg(key).arg(lo).arg(hi);
        }
        self.buckets.len()
    }

    /// The counts' replies; decides what round trip 2 reads.
    pub fn take_counts(&mut self, replies: &[Value]) -> ReadPlan {
        self.polls += 1;
        self.wrong_type = replies.iter().any(|r| matches!(r, Value::ServerError(_)));
        for (bucket, reply) in self.buckets.iter_mut().zip(replies) {
            bucket.counted = as_i64(reply).map(|n| n.max(0) as u64);
        }
        let mut plan = ReadPlan::default();
        let mut budget = READ_BUDGET;
        let mut rank = 0u64;
        let reconcile = (self.polls.is_multiple_of(RECONCILE_EVERY) && !self.buckets.is_empty())
            .then(|| (self.polls / RECONCILE_EVERY) as usize % self.buckets.len());
        for (i, bucket) in self.buckets.iter().enumerate() {
            let Some(counted) = bucket.counted else {
                continue;
            };
            let cached = bucket.entries.as_ref().map(|e| e.len() as u64);
            if cached != Some(counted) || reconcile == Some(i) {
                if counted > SPLIT_ABOVE && !bucket.whole {
                    let ranks = (1..counted.div_ceil(TARGET))
                        .map(|k| rank + k * TARGET)
                        .collect();
                    plan.probes.push((i, ranks));
                } else if counted <= budget || plan.reads.is_empty() {
                    budget = budget.saturating_sub(counted);
                    plan.reads.push(i);
                }
            }
            rank += counted;
        }
        plan
    }

    /// Round trip 2: the reads and probes of `plan`. Returns how many commands were added.
    pub fn push_reads(&self, pipe: &mut Pipeline, key: &str, plan: &ReadPlan) -> usize {
        for &i in &plan.reads {
            let (lo, hi) = self.range(i);
            pipe.cmd("ZRANGEBYSCORE")
                .arg(key)
                .arg(lo)
                .arg(hi)
                .arg("WITHSCORES");
        }
        let mut n = plan.reads.len();
        for (_, ranks) in &plan.probes {
            for rank in ranks {
                pipe.cmd("ZRANGE")
                    .arg(key)
                    .arg(rank)
                    .arg(rank)
                    .arg("WITHSCORES");
            }
            n += ranks.len();
        }
        n
    }

    /// The replies of [`Self::push_reads`]: cache the buckets read, split where probed.
    pub fn take_reads(&mut self, plan: &ReadPlan, replies: &[Value]) {
        self.arrived.clear();
        let (reads, probes) = replies.split_at(plan.reads.len().min(replies.len()));
        for (&i, reply) in plan.reads.iter().zip(reads) {
            self.store_bucket(i, reply);
        }
        // Split points, applied from the last bucket back so indices stay valid.
        let mut at = 0;
        let mut splits: Vec<(usize, Vec<f64>)> = Vec::new();
        for (i, ranks) in &plan.probes {
            let scores: Vec<f64> = probes
                .get(at..at + ranks.len())
                .unwrap_or_default()
                .iter()
                .filter_map(|reply| as_array(reply)?.get(1).and_then(parse_score))
                .collect();
            at += ranks.len();
            splits.push((*i, scores));
        }
        for (i, scores) in splits.into_iter().rev() {
            self.split(i, scores);
        }
        self.merge_small();
        self.recount();
        if self.buckets.iter().all(|b| b.entries.is_some()) {
            self.filled = true;
        }
    }

    fn store_bucket(&mut self, i: usize, reply: &Value) {
        let Some(items) = as_array(reply) else {
            return;
        };
        let old: HashMap<u64, Option<u32>> = self.buckets[i]
            .entries
            .iter()
            .flatten()
            .map(|e| (e.hash, e.queue))
            .collect();
        let mut entries = Vec::with_capacity(items.len() / 2);
        for pair in items.chunks_exact(2) {
            let (Value::BulkString(member), Some(score)) = (&pair[0], parse_score(&pair[1])) else {
                continue;
            };
            let hash = member_hash(member);
            let queue = match old.get(&hash) {
                Some(queue) => *queue,
                None => {
                    let queue = Job::parse(member).and_then(|job| job.queue);
                    let index = queue.as_deref().map(|q| self.intern(q));
                    if self.filled {
                        let name = queue.unwrap_or_default();
                        *self.arrived.entry(name).or_default() += 1;
                    }
                    index
                }
            };
            entries.push(Entry { score, hash, queue });
        }
        self.buckets[i].entries = Some(entries);
    }

    fn intern(&mut self, queue: &str) -> u32 {
        if let Some(&i) = self.queue_index.get(queue) {
            return i;
        }
        let i = self.queues.len() as u32;
        self.queues.push(queue.to_string());
        self.queue_index.insert(queue.to_string(), i);
        i
    }

    /// Split bucket `i` at the probed scores (those strictly inside its range, distinct).
    fn split(&mut self, i: usize, mut scores: Vec<f64>) {
        let lo = if i == 0 {
            f64::NEG_INFINITY
        } else {
            self.bounds[i - 1]
        };
        let hi = self.bounds.get(i).copied().unwrap_or(f64::INFINITY);
        scores.retain(|s| s.is_finite() && *s > lo && *s < hi);
        scores.sort_by(f64::total_cmp);
        scores.dedup();
        if scores.is_empty() {
            // One score holds them all: read it whole.
            self.buckets[i].whole = true;
            return;
        }
        let mut parts: Vec<Bucket> = (0..=scores.len()).map(|_| Bucket::default()).collect();
        // Keep the cache where it still applies: each part is re-read only if its count
        // then differs from what it holds.
        if let Some(entries) = self.buckets[i].entries.take() {
            for part in parts.iter_mut() {
                part.entries = Some(Vec::new());
            }
            for entry in entries {
                let at = scores.partition_point(|s| *s <= entry.score);
                if let Some(list) = parts[at].entries.as_mut() {
                    list.push(entry);
                }
            }
        }
        for (offset, score) in scores.iter().enumerate() {
            self.bounds.insert(i + offset, *score);
        }
        self.buckets.splice(i..=i, parts.drain(..));
    }

    /// Merge neighbouring read buckets that together stay small (keeps ZCOUNTs few).
    fn merge_small(&mut self) {
        let mut i = 0;
        while i + 1 < self.buckets.len() {
            let size = |b: &Bucket| b.entries.as_ref().map(|e| e.len() as u64);
            match (size(&self.buckets[i]), size(&self.buckets[i + 1])) {
                (Some(a), Some(b)) if a + b <= TARGET / 2 => {
                    let next = self.buckets.remove(i + 1);
                    if let (Some(left), Some(right)) =
                        (self.buckets[i].entries.as_mut(), next.entries)
                    {
                        left.extend(right);
                    }
                    self.bounds.remove(i);
                }
                _ => i += 1,
            }
        }
    }

    fn recount(&mut self) {
        self.per_queue.clear();
        self.unreadable = 0;
        for entry in self.buckets.iter().flat_map(|b| b.entries.iter().flatten()) {
            match entry.queue {
                Some(q) => *self.per_queue.entry(q).or_default() += 1,
                None => self.unreadable += 1,
            }
        }
    }

    /// Jobs of `queue` in the set (as far as it has been read).
    pub fn count(&self, queue: &str) -> u64 {
        self.queue_index
            .get(queue)
            .and_then(|i| self.per_queue.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Every queue that has jobs in the set.
    pub fn queue_names(&self) -> impl Iterator<Item = &str> {
        self.per_queue
            .keys()
            .filter_map(|&i| self.queues.get(i as usize).map(String::as_str))
    }

    /// Jobs whose JSON could not be read (no queue to count them under).
    pub fn unreadable(&self) -> u64 {
        self.unreadable
    }

    /// `(read, total)` while part of the set has never been read (its counts are then
    /// lower bounds).
    pub fn progress(&self) -> Option<(u64, u64)> {
        if self.buckets.iter().all(|b| b.entries.is_some()) {
            return None;
        }
        let total: u64 = self.buckets.iter().filter_map(|b| b.counted).sum();
        let read: u64 = self
            .buckets
            .iter()
            .filter_map(|b| b.entries.as_ref().map(|e| e.len() as u64))
            .sum();
        Some((read.min(total), total))
    }

    pub fn buckets(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
#[path = "zsets_tests.rs"]
mod tests;
