//! The queues table as data: one row per queue, computed once per report (never per
//! frame), then filtered and sorted for display.

use std::sync::Arc;

use crate::model::{QueueCounts, QueueKey, QueueLimits, QueueReading, QueueStats, RateSource};

/// Rates and p99 in the table cover this long (or three polls, if longer): "now", while
/// the charts give the history. One window means one `stats` call per queue per report,
/// which keeps 10,000 queues cheap (each call merges latency histograms).
pub const RATE_WINDOW_MS: i64 = 10_000;
/// Latency buckets of the table's histories: a 10 s window merges three of them.
pub const LATENCY_BUCKET_MS: i64 = 5_000;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueueRow {
    /// The queue's latest reading (key, counts, limits…), shared with the app's record of
    /// it: copied into each of 10,000 rows, it was 4 MB.
    pub reading: Arc<QueueReading>,
    /// Its rates over the table's window, shared by queues alike (quiet queues of one
    /// shape have equal ones).
    pub rates: Arc<RowRates>,
    pub paused: bool,
    pub oldest_wait_s: Option<f64>,
    /// `None`: unknown (an ACL forbids CLIENT LIST, which BullMQ's workers are known from).
    pub workers: Option<usize>,
    /// Of `workers`, those that fetch no jobs now (a quiet Sidekiq, a suspended RQ).
    pub resting_workers: usize,
    /// Arrivals outpace completions: the backlog is growing.
    pub growing: bool,
    pub problems: usize,
}

/// A row's golden signals over the table's window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RowRates {
    pub added_per_s: Option<f64>,
    pub completed_per_s: Option<f64>,
    pub failed_per_s: Option<f64>,
    pub error_rate: Option<f64>,
    pub p99_processing_ms: Option<u64>,
}

impl RowRates {
    pub fn of(stats: &QueueStats) -> Self {
        Self {
            added_per_s: stats.added_per_s,
            completed_per_s: stats.completed_per_s,
            failed_per_s: stats.failed_per_s,
            error_rate: stats.error_rate,
            p99_processing_ms: (stats.processing.count > 0).then_some(stats.processing.p99),
        }
    }
}

/// Why a queue with ready jobs looks unconsumed.
enum Unconsumed {
    /// Its only workers are quiet (Sidekiq) or suspended (RQ).
    AllResting,
    /// Jobs run, but no live worker of a heartbeat system lists the queue.
    NoneListsIt,
    /// Jobs run, but no worker connection is named.
    Unnamed,
    /// No worker at all.
    Nobody,
    /// Workers cannot be listed, and nothing runs or completes.
    NothingMoves,
}

impl QueueRow {
    /// The row of a queue's latest reading, with its statistics over the table's window.
    pub fn build(
        reading: &Arc<QueueReading>,
        rates: Arc<RowRates>,
        now_ms: i64,
        workers: Option<usize>,
    ) -> Self {
        let growing = match (rates.added_per_s, rates.completed_per_s) {
            (Some(added), Some(done)) => {
                let failed = rates.failed_per_s.unwrap_or(0.0);
                added > (done + failed) * 1.05 + 0.1
                    && reading.counts.is_some_and(|c| c.backlog() > 0)
            }
            _ => false,
        };
        Self {
            reading: Arc::clone(reading),
            rates,
            paused: reading.paused.unwrap_or(false),
            oldest_wait_s: reading.oldest_waiting_age_s(now_ms),
            workers,
            resting_workers: 0,
            growing,
            problems: reading.problems.len(),
        }
    }

    pub fn key(&self) -> &QueueKey {
        &self.reading.key
    }

    pub fn counts(&self) -> Option<QueueCounts> {
        self.reading.counts
    }

    pub fn limits(&self) -> &QueueLimits {
        &self.reading.limits
    }

    pub fn rate_source(&self) -> RateSource {
        self.reading.rate_source
    }

    /// Work is waiting and nobody is there to take it (on evidence: none listed, or, when
    /// workers cannot be listed, nothing completing and nothing running). Asked of every
    /// row each frame, so it builds no text.
    pub fn unconsumed(&self) -> bool {
        self.unconsumed_because().is_some()
    }

    /// Why the queue looks unconsumed (ready jobs only: delayed jobs, a job scheduler's
    /// next run say, are not a backlog nobody takes).
    fn unconsumed_because(&self) -> Option<Unconsumed> {
        let counts = self.counts()?;
        if self.paused || counts.ready() == 0 {
            return None;
        }
        let completing = self.rates.completed_per_s.is_some_and(|r| r > 0.0);
        let running = counts.active.unwrap_or(0) > 0;
        match self.workers {
            // Its workers were all quieted (or suspended): they finish, they take nothing.
            Some(n) if n > 0 && n == self.resting_workers => Some(Unconsumed::AllResting),
            // Jobs run, yet no live worker of a heartbeat system lists the queue: its
            // heartbeat lapsed, or the process serves it under another namespace.
            Some(0) if (completing || running) && !self.key().system.workers_from_client_list() => {
                Some(Unconsumed::NoneListsIt)
            }
            // Jobs run, yet no worker connection is named: Redis refused its name (BullMQ's
            // CLIENT SETNAME rejects spaces and non-ASCII), so it cannot be listed.
            Some(0) if completing || running => Some(Unconsumed::Unnamed),
            Some(0) => Some(Unconsumed::Nobody),
            Some(_) => None,
            // Workers unknown (CLIENT LIST not permitted): only when nothing moves.
            None => (!completing && !running && self.rates.completed_per_s.is_some())
                .then_some(Unconsumed::NothingMoves),
        }
    }

    /// Why the queue looks unconsumed, saying what is there.
    pub fn consumer_warning(&self) -> Option<String> {
        let because = self.unconsumed_because()?;
        let counts = self.counts()?;
        let mut what = vec![plural(counts.waiting.unwrap_or(0), "waiting")];
        if let Some(prioritized) = counts.prioritized.filter(|n| *n > 0) {
            what.push(format!("{prioritized} prioritized"));
        }
        let what = what
            .into_iter()
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>();
        let what = what.join(", ");
        Some(match because {
            Unconsumed::AllResting => format!(
                "{what}; its {} quiet: {} no new jobs",
                if self.resting_workers == 1 {
                    "only worker is".to_string()
                } else {
                    format!("{} workers are", self.resting_workers)
                },
                if self.resting_workers == 1 {
                    "it takes"
                } else {
                    "they take"
                }
            ),
            Unconsumed::NoneListsIt => format!(
                "{what}; jobs are running but no live {} worker lists this queue",
                self.key().system
            ),
            Unconsumed::Unnamed => format!(
                "{what}; jobs are being processed but no worker connection is named (Redis \
                 refuses names with spaces or non-ASCII): workers cannot be listed"
            ),
            Unconsumed::Nobody => format!("{what}, nobody is consuming this queue"),
            Unconsumed::NothingMoves => format!(
                "{what}, none running or completing (workers unknown: CLIENT LIST \
                     is not permitted)"
            ),
        })
    }

    /// The queue's name as shown: the prefix only when it is not the default.
    pub fn label(&self) -> String {
        queue_label(self.key())
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
        key.name.to_string()
    } else {
        format!("{}:{}", key.prefix, key.name)
    }
}

/// The table's columns and order live beside the rows.
pub use super::queue_columns::{visible, Column, Sort};

/// A BullMQ queue's row with `waiting` jobs and `workers` workers, for tests.
#[cfg(test)]
pub(super) fn sample_row(name: &str, waiting: u64, workers: usize) -> QueueRow {
    QueueRow {
        reading: Arc::new(QueueReading {
            key: QueueKey::bullmq("bull", name),
            counts: Some(QueueCounts {
                waiting: Some(waiting),
                ..QueueCounts::default()
            }),
            ..QueueReading::default()
        }),
        workers: Some(workers),
        ..QueueRow::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::sample_row as row;

    fn with_completed(row: QueueRow, completed_per_s: Option<f64>) -> QueueRow {
        QueueRow {
            rates: Arc::new(RowRates {
                completed_per_s,
                ..RowRates::default()
            }),
            ..row
        }
    }

    fn with_counts(mut row: QueueRow, counts: QueueCounts) -> QueueRow {
        Arc::make_mut(&mut row.reading).counts = Some(counts);
        row
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
        let delayed_only = with_counts(
            row("t", 0, 0),
            QueueCounts {
                waiting: Some(0),
                delayed: Some(1),
                ..QueueCounts::default()
            },
        );
        assert_eq!(delayed_only.consumer_warning(), None);
        assert_eq!(
            row("a", 1, 0).consumer_warning().as_deref(),
            Some("1 job waiting, nobody is consuming this queue")
        );
        // Jobs completing with no named worker: a name Redis refused, said as such.
        let unnamed = with_completed(row("n", 4, 0), Some(3.0));
        assert!(unnamed
            .consumer_warning()
            .is_some_and(|w| w.contains("no worker connection is named")));
        // Workers unknown: a warning only when nothing runs or completes.
        let unknown = QueueRow {
            workers: None,
            ..with_completed(row("u", 126, 0), Some(9.9))
        };
        assert_eq!(unknown.consumer_warning(), None);
        let stuck = with_completed(unknown.clone(), Some(0.0));
        assert!(stuck
            .consumer_warning()
            .is_some_and(|w| w.contains("workers unknown")));
        // Its only worker was quieted: it finishes its jobs and takes no new one.
        let quieted = QueueRow {
            resting_workers: 1,
            workers: Some(1),
            ..with_counts(
                row("q", 4, 1),
                QueueCounts {
                    waiting: Some(4),
                    active: Some(1),
                    ..QueueCounts::default()
                },
            )
        };
        assert_eq!(
            quieted.consumer_warning().as_deref(),
            Some("4 jobs waiting; its only worker is quiet: it takes no new jobs")
        );
        // `unconsumed` (asked of every row each frame, without text) says what the warning
        // does.
        for r in [
            row("a", 3, 0),
            row("a", 3, 1),
            paused,
            delayed_only,
            unnamed,
            stuck,
        ] {
            assert_eq!(r.unconsumed(), r.consumer_warning().is_some(), "{r:?}");
        }
        assert!(quieted.unconsumed());
    }

    #[test]
    fn labels_lead_with_a_prefix_only_where_there_is_one_to_tell_apart() {
        use crate::model::System;
        let label =
            |system, prefix: &str, name: &str| queue_label(&QueueKey::new(system, prefix, name));
        assert_eq!(label(System::Bullmq, "bull", "emails"), "emails");
        assert_eq!(label(System::Bullmq, "{bull}", "emails"), "{bull}:emails");
        // RQ and Sidekiq queues have no prefix: never `:mail`.
        assert_eq!(label(System::Rq, "", "mail"), "mail");
        assert_eq!(label(System::Sidekiq, "", "alpha"), "alpha");
        // A Sidekiq app under redis-namespace.
        assert_eq!(label(System::Sidekiq, "myapp", "default"), "myapp:default");
    }
}
