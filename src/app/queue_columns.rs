//! The queues table's columns and its order: which column `s` sorts by, how rows compare
//! (unknown below every known value), and the filter. Rows themselves: `app::rows`.

use std::cmp::Ordering;

use super::rows::QueueRow;
use crate::model::QueueCounts;

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
    row.counts().as_ref().and_then(f)
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
        Column::Name => a.key().cmp(b.key()),
        Column::System => a.key().system.cmp(&b.key().system),
        Column::Retry => cmp_opt(count(a, |c| c.retry), count(b, |c| c.retry)),
        Column::Reserved => cmp_opt(count(a, |c| c.reserved), count(b, |c| c.reserved)),
        Column::Waiting => cmp_opt(count(a, |c| c.waiting), count(b, |c| c.waiting)),
        Column::Active => cmp_opt(count(a, |c| c.active), count(b, |c| c.active)),
        Column::Delayed => cmp_opt(count(a, |c| c.delayed), count(b, |c| c.delayed)),
        Column::Prioritized => cmp_opt(count(a, |c| c.prioritized), count(b, |c| c.prioritized)),
        Column::Failed => cmp_opt(count(a, |c| c.failed), count(b, |c| c.failed)),
        Column::Completed => cmp_opt(count(a, |c| c.completed), count(b, |c| c.completed)),
        Column::Flags => super::queue_text::flag_count(a).cmp(&super::queue_text::flag_count(b)),
        Column::OldestWait => cmp_opt(a.oldest_wait_s, b.oldest_wait_s),
        Column::AddedPerS => cmp_opt(a.rates.added_per_s, b.rates.added_per_s),
        Column::CompletedPerS => cmp_opt(a.rates.completed_per_s, b.rates.completed_per_s),
        Column::ErrorRate => cmp_opt(a.rates.error_rate, b.rates.error_rate),
        Column::P99 => cmp_opt(a.rates.p99_processing_ms, b.rates.p99_processing_ms),
        Column::Workers => cmp_opt(a.workers, b.workers),
        Column::Node => a.reading.node.cmp(&b.reading.node),
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
        primary.then_with(|| ra.key().cmp(rb.key()))
    });
    indices
}

#[cfg(test)]
mod tests {
    use super::super::rows::sample_row as row;
    use super::*;

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
    fn columns_cycle_through_all() {
        let mut c = Column::Name;
        for _ in 0..Column::ALL.len() {
            c = c.next();
        }
        assert_eq!(c, Column::Name);
    }
}
