//! The queues table as data: one row per queue, computed once per report (never per
//! frame), then filtered and sorted for display.

use std::cmp::Ordering;

use crate::model::{QueueCounts, QueueHistory, QueueKey, QueueLimits, QueueReading, RateSource};

/// Rates and p99 in the table cover this long (or three polls, if longer): "now", while
/// the charts give the history. One window means one `stats` call per queue per report,
/// which keeps 10,000 queues cheap (each call merges latency histograms).
pub const RATE_WINDOW_MS: i64 = 10_000;
/// Latency buckets of the table's histories: a 10 s window merges three of them.
pub const LATENCY_BUCKET_MS: i64 = 5_000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueRow {
    pub key: QueueKey,
    pub counts: Option<QueueCounts>,
    pub paused: bool,
    /// The system can pause a queue (BullMQ): `paused` is a figure, not a default.
    pub pausable: bool,
    pub oldest_wait_s: Option<f64>,
    /// `oldest_wait_s` is at least this (the system stores no enqueue time).
    pub oldest_is_lower_bound: bool,
    /// Where the rates come from: estimates are marked `~`, unavailable rates are blank.
    pub rate_source: RateSource,
    pub added_per_s: Option<f64>,
    pub completed_per_s: Option<f64>,
    pub error_rate: Option<f64>,
    pub p99_processing_ms: Option<u64>,
    /// `None`: unknown (an ACL forbids CLIENT LIST, which BullMQ's workers are known from).
    pub workers: Option<usize>,
    /// Arrivals outpace completions: the backlog is growing.
    pub growing: bool,
    pub problems: usize,
    pub unlocked_active: u64,
    /// On a cluster: the master holding the queue.
    pub node: Option<String>,
    pub limits: QueueLimits,
    /// Job schedulers / repeatable jobs, where the system has them.
    pub schedulers: Option<u64>,
}

impl QueueRow {
    pub fn build(
        reading: &QueueReading,
        history: &QueueHistory,
        now_ms: i64,
        rate_window_ms: i64,
        workers: Option<usize>,
    ) -> Self {
        let rates = history.stats(now_ms, rate_window_ms);
        let growing = match (rates.added_per_s, rates.completed_per_s) {
            (Some(added), Some(done)) => {
                let failed = rates.failed_per_s.unwrap_or(0.0);
                added > (done + failed) * 1.05 + 0.1
                    && reading.counts.is_some_and(|c| c.backlog() > 0)
            }
            _ => false,
        };
        Self {
            key: reading.key.clone(),
            counts: reading.counts,
            paused: reading.paused.unwrap_or(false),
            pausable: reading.paused.is_some(),
            oldest_wait_s: history.oldest_waiting_age_s(now_ms),
            oldest_is_lower_bound: reading.oldest_is_lower_bound,
            rate_source: reading.rate_source,
            added_per_s: rates.added_per_s,
            completed_per_s: rates.completed_per_s,
            error_rate: rates.error_rate,
            p99_processing_ms: (rates.processing.count > 0).then_some(rates.processing.p99),
            workers,
            growing,
            problems: reading.problems.len(),
            unlocked_active: reading.unlocked_active,
            node: reading.node.clone(),
            limits: reading.limits,
            schedulers: reading.schedulers,
        }
    }

    /// Work is waiting and nobody is there to take it (on evidence: none listed, or, when
    /// workers cannot be listed, nothing completing and nothing running).
    pub fn unconsumed(&self) -> bool {
        self.consumer_warning().is_some()
    }

    /// Why the queue looks unconsumed, saying what is there (ready jobs only: delayed jobs,
    /// a job scheduler's next run say, are not a backlog nobody takes).
    pub fn consumer_warning(&self) -> Option<String> {
        let counts = self.counts?;
        if self.paused || counts.ready() == 0 {
            return None;
        }
        let mut what = vec![plural(counts.waiting.unwrap_or(0), "waiting")];
        if let Some(prioritized) = counts.prioritized.filter(|n| *n > 0) {
            what.push(format!("{prioritized} prioritized"));
        }
        let what = what
            .into_iter()
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>();
        let what = what.join(", ");
        let completing = self.completed_per_s.is_some_and(|r| r > 0.0);
        let running = counts.active.unwrap_or(0) > 0;
        match self.workers {
            // Jobs run, yet no live worker of a heartbeat system lists the queue: its
            // heartbeat lapsed, or the process serves it under another namespace.
            Some(0) if (completing || running) && !self.key.system.workers_from_client_list() => {
                Some(format!(
                    "{what}; jobs are running but no live {} worker lists this queue",
                    self.key.system
                ))
            }
            // Jobs run, yet no worker connection is named: Redis refused its name (BullMQ's
            // CLIENT SETNAME rejects spaces and non-ASCII), so it cannot be listed.
            Some(0) if completing || running => Some(format!(
                "{what}; jobs are being processed but no worker connection is named (Redis \
                 refuses names with spaces or non-ASCII): workers cannot be listed"
            )),
            Some(0) => Some(format!("{what}, nobody is consuming this queue")),
            Some(_) => None,
            // Workers unknown (CLIENT LIST not permitted): only when nothing moves.
            None => (!completing && !running && self.completed_per_s.is_some()).then(|| {
                format!(
                    "{what}, none running or completing (workers unknown: CLIENT LIST \
                         is not permitted)"
                )
            }),
        }
    }

    /// The queue's name as shown: the prefix only when it is not the default.
    pub fn label(&self) -> String {
        queue_label(&self.key)
    }
}

/// `3 jobs waiting`, `1 job prioritized`; empty for 0.
fn plural(n: u64, state: &str) -> String {
    match n {
        0 => String::new(),
        1 => format!("1 job {state}"),
        n => format!("{n} jobs {state}"),
    }
}

/// The name alone for BullMQ's default prefix and for systems whose queues have no prefix
/// (RQ, Sidekiq without a namespace); `prefix:name` otherwise. The system is its own column.
pub fn queue_label(key: &QueueKey) -> String {
    if key.prefix == "bull" || key.prefix.is_empty() {
        key.name.clone()
    } else {
        format!("{}:{}", key.prefix, key.name)
    }
}

/// The table's columns, in display order; `s` cycles through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Name,
    /// The queue's system (shown when more than one system is present).
    System,
    Waiting,
    Active,
    Delayed,
    Prioritized,
    /// Sidekiq's retry set (shown when some queue has one).
    Retry,
    /// Celery's reserved (unacknowledged) messages (shown when some queue has them).
    Reserved,
    Failed,
    Completed,
    /// Compact flags: paused, limits, schedulers, flows, crashed workers' jobs
    /// (`queue_text::FLAG_LEGEND`).
    Flags,
    OldestWait,
    AddedPerS,
    CompletedPerS,
    ErrorRate,
    P99,
    Workers,
    /// The cluster master holding the queue (shown on a Redis Cluster only).
    Node,
}

impl Column {
    pub const ALL: [Column; 18] = [
        Column::Name,
        Column::System,
        Column::Waiting,
        Column::Active,
        Column::Delayed,
        Column::Prioritized,
        Column::Retry,
        Column::Reserved,
        Column::Failed,
        Column::Completed,
        Column::Flags,
        Column::OldestWait,
        Column::AddedPerS,
        Column::CompletedPerS,
        Column::ErrorRate,
        Column::P99,
        Column::Workers,
        Column::Node,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Column::Name => "QUEUE",
            Column::System => "SYSTEM",
            Column::Retry => "RETRY",
            Column::Reserved => "RESV",
            Column::Waiting => "WAIT",
            Column::Active => "ACT",
            Column::Delayed => "DELAY",
            Column::Prioritized => "PRIO",
            Column::Failed => "FAIL",
            Column::Completed => "DONE",
            Column::Flags => "FLAGS",
            Column::OldestWait => "OLDEST",
            Column::AddedPerS => "IN/s",
            Column::CompletedPerS => "OUT/s",
            Column::ErrorRate => "ERR%",
            Column::P99 => "P99",
            Column::Workers => "WRK",
            Column::Node => "NODE",
        }
    }

    pub fn next(self) -> Column {
        let i = Column::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Column::ALL[(i + 1) % Column::ALL.len()]
    }

    /// Names read A→Z; numbers read biggest first, where trouble is.
    pub fn descending_by_default(self) -> bool {
        !matches!(self, Column::Name | Column::System | Column::Node)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Default for Sort {
    /// The most backed-up queues first.
    fn default() -> Self {
        Sort {
            column: Column::Waiting,
            descending: true,
        }
    }
}

fn count(row: &QueueRow, f: fn(&QueueCounts) -> Option<u64>) -> Option<u64> {
    row.counts.as_ref().and_then(f)
}

fn cmp_opt<T: PartialOrd>(a: Option<T>, b: Option<T>) -> Ordering {
    // Unknown sorts below every known value.
    match (a, b) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

fn compare(column: Column, a: &QueueRow, b: &QueueRow) -> Ordering {
    match column {
        Column::Name => a.key.cmp(&b.key),
        Column::System => a.key.system.cmp(&b.key.system),
        Column::Retry => cmp_opt(count(a, |c| c.retry), count(b, |c| c.retry)),
        Column::Reserved => cmp_opt(count(a, |c| c.reserved), count(b, |c| c.reserved)),
        Column::Waiting => cmp_opt(count(a, |c| c.waiting), count(b, |c| c.waiting)),
        Column::Active => cmp_opt(count(a, |c| c.active), count(b, |c| c.active)),
        Column::Delayed => cmp_opt(count(a, |c| c.delayed), count(b, |c| c.delayed)),
        Column::Prioritized => cmp_opt(count(a, |c| c.prioritized), count(b, |c| c.prioritized)),
        Column::Failed => cmp_opt(count(a, |c| c.failed), count(b, |c| c.failed)),
        Column::Completed => cmp_opt(count(a, |c| c.completed), count(b, |c| c.completed)),
        Column::Flags => super::queue_text::flags(a)
            .len()
            .cmp(&super::queue_text::flags(b).len()),
        Column::OldestWait => cmp_opt(a.oldest_wait_s, b.oldest_wait_s),
        Column::AddedPerS => cmp_opt(a.added_per_s, b.added_per_s),
        Column::CompletedPerS => cmp_opt(a.completed_per_s, b.completed_per_s),
        Column::ErrorRate => cmp_opt(a.error_rate, b.error_rate),
        Column::P99 => cmp_opt(a.p99_processing_ms, b.p99_processing_ms),
        Column::Workers => cmp_opt(a.workers, b.workers),
        Column::Node => a.node.cmp(&b.node),
    }
}

/// Indices of `rows` that match `filter` (case-insensitive substring), in `sort` order;
/// ties fall back to the name so the order is stable between reports.
pub fn visible(rows: &[QueueRow], filter: &str, sort: Sort) -> Vec<usize> {
    let needle = filter.to_lowercase();
    let mut indices: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| needle.is_empty() || r.label().to_lowercase().contains(&needle))
        .map(|(i, _)| i)
        .collect();
    indices.sort_by(|&a, &b| {
        let (ra, rb) = (&rows[a], &rows[b]);
        let primary = compare(sort.column, ra, rb);
        let primary = if sort.descending {
            primary.reverse()
        } else {
            primary
        };
        // By key, not label: no allocation per comparison with 10,000 queues.
        primary.then_with(|| ra.key.cmp(&rb.key))
    });
    indices
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, waiting: u64, workers: usize) -> QueueRow {
        QueueRow {
            key: QueueKey::bullmq("bull", name),
            counts: Some(QueueCounts {
                waiting: Some(waiting),
                ..QueueCounts::default()
            }),
            workers: Some(workers),
            ..QueueRow::default()
        }
    }

    #[test]
    fn sorting_and_filtering() {
        let rows = vec![row("b", 5, 1), row("a", 5, 0), row("c", 9, 2)];
        assert_eq!(visible(&rows, "", Sort::default()), vec![2, 1, 0]);
        let by_name = Sort {
            column: Column::Name,
            descending: false,
        };
        assert_eq!(visible(&rows, "", by_name), vec![1, 0, 2]);
        assert_eq!(visible(&rows, "C", by_name), vec![2]);
        assert!(visible(&rows, "zzz", by_name).is_empty());
        let by_workers = Sort {
            column: Column::Workers,
            descending: true,
        };
        assert_eq!(visible(&rows, "", by_workers), vec![2, 0, 1]);
    }

    #[test]
    fn unconsumed_means_backlog_and_no_workers() {
        assert!(row("a", 3, 0).unconsumed());
        assert!(!row("a", 3, 1).unconsumed());
        assert!(!row("a", 0, 0).unconsumed());
        let mut paused = row("a", 3, 0);
        paused.paused = true;
        assert!(!paused.unconsumed());
        // A scheduler's next run (delayed only) is no backlog nobody takes.
        let delayed_only = QueueRow {
            counts: Some(QueueCounts {
                waiting: Some(0),
                delayed: Some(1),
                ..QueueCounts::default()
            }),
            ..row("t", 0, 0)
        };
        assert_eq!(delayed_only.consumer_warning(), None);
        assert_eq!(
            row("a", 1, 0).consumer_warning().as_deref(),
            Some("1 job waiting, nobody is consuming this queue")
        );
        // Jobs completing with no named worker: a name Redis refused, said as such.
        let unnamed = QueueRow {
            completed_per_s: Some(3.0),
            ..row("n", 4, 0)
        };
        assert!(unnamed
            .consumer_warning()
            .is_some_and(|w| w.contains("no worker connection is named")));
        // Workers unknown: a warning only when nothing runs or completes.
        let unknown = QueueRow {
            workers: None,
            completed_per_s: Some(9.9),
            ..row("u", 126, 0)
        };
        assert_eq!(unknown.consumer_warning(), None);
        let stuck = QueueRow {
            completed_per_s: Some(0.0),
            ..unknown
        };
        assert!(stuck
            .consumer_warning()
            .is_some_and(|w| w.contains("workers unknown")));
    }

    #[test]
    fn columns_cycle_through_all() {
        let mut c = Column::Name;
        for _ in 0..Column::ALL.len() {
            c = c.next();
        }
        assert_eq!(c, Column::Name);
    }
}
