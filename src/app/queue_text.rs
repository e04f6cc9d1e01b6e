//! A queue row's figures as the table and the focus line show them, one convention for all
//! systems:
//!
//! - blank: the queue's system has no such figure (Sidekiq keeps no completed jobs, RQ no
//!   priorities, Celery no per-queue rates): nothing is there to show, so nothing is shown;
//! - `-`: the system has it, qtop does not know it yet (no reading, no job finished in the
//!   window, rates before a second reading);
//! - `?`: it cannot be read (workers when an ACL forbids `CLIENT LIST`);
//! - `~12.3`: an estimate (`rates.source` says `estimated` or `count_deltas`);
//! - `>45s`: a lower bound (the system stores no enqueue time; qtop dates the head job from
//!   when it first saw it).

use super::format;
use super::rows::QueueRow;
use crate::model::{RateSource, State};

/// What a system lacks shows as this.
pub const ABSENT: &str = "";

/// The count of `state`: blank where the queue's system has no such state.
pub fn count(row: &QueueRow, state: State) -> String {
    if !row.key().system.states().contains(&state) {
        return ABSENT.into();
    }
    format::opt_count(row.counts().and_then(|c| c.get(state)))
}

/// Whether the queue's system keeps `state` (its count is a figure, not a blank).
pub fn has(row: &QueueRow, state: State) -> bool {
    row.key().system.states().contains(&state)
}

/// A rate of the row (`row.rates.added_per_s`…): blank where the system keeps no rates, `~` in
/// front of an estimate.
pub fn rate(row: &QueueRow, value: Option<f64>) -> String {
    if row.rate_source() == RateSource::Unavailable {
        return ABSENT.into();
    }
    estimate(row, format::rate(value))
}

/// The error rate, as the rates it comes from.
pub fn error_percent(row: &QueueRow) -> String {
    if row.rate_source() == RateSource::Unavailable {
        return ABSENT.into();
    }
    estimate(row, format::percent(row.rates.error_rate))
}

fn estimate(row: &QueueRow, text: String) -> String {
    if row.rate_source().is_estimate() && text != "-" {
        format!("~{text}")
    } else {
        text
    }
}

/// Age of the oldest waiting job: `>` in front of a lower bound.
pub fn oldest(row: &QueueRow) -> String {
    match row.oldest_wait_s {
        None => "-".into(),
        Some(s) if row.reading.oldest_is_lower_bound && s > 0.0 => format!(">{}", format::age_s(s)),
        Some(s) => format::age_s(s),
    }
}

/// One thing about a queue that changes how its figures read (FLAGS column, focus view).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flag {
    pub letter: char,
    /// Spelled out, with its figure: `global concurrency 2`.
    pub words: String,
    /// Trouble (crashed workers' jobs), not a setting.
    pub bad: bool,
}

/// The FLAGS column's letters, in its order, with what each means (the help overlay and the
/// README's legend read this table).
pub const FLAG_LEGEND: [(char, &str); 7] = [
    ('P', "paused"),
    ('L', "rate-limited now"),
    ('C', "global concurrency"),
    ('R', "global rate limit"),
    ('S', "job schedulers"),
    ('F', "flow parents waiting"),
    ('X', "active without a lock"),
];

/// The queue's flags, in the legend's order.
pub fn flags(row: &QueueRow) -> Vec<Flag> {
    let flag = |letter: char, words: String| Flag {
        letter,
        words,
        bad: letter == 'X',
    };
    let mut out = Vec::new();
    if row.paused {
        out.push(flag('P', "paused".into()));
    }
    if let Some(ms) = row.limits().rate_limited_ms.filter(|ms| *ms > 0) {
        out.push(flag(
            'L',
            format!("rate-limited, {} left", format::millis(ms as f64)),
        ));
    }
    if let Some(n) = row.limits().global_concurrency {
        out.push(flag('C', format!("global concurrency {n}")));
    }
    if let Some(limit) = row.limits().global_rate_limit {
        out.push(flag(
            'R',
            format!(
                "global rate limit {} per {}",
                limit.max,
                format::millis(limit.duration_ms as f64)
            ),
        ));
    }
    if let Some(n) = row.reading.schedulers.filter(|n| *n > 0) {
        out.push(flag('S', plural(n, "job scheduler")));
    }
    if let Some(n) = row
        .counts()
        .and_then(|c| c.waiting_children)
        .filter(|n| *n > 0)
    {
        out.push(flag(
            'F',
            format!("{} waiting for children", plural(n, "flow parent")),
        ));
    }
    if row.reading.unlocked_active > 0 {
        out.push(flag(
            'X',
            format!(
                "{} without a lock (a crashed worker's)",
                plural(row.reading.unlocked_active, "active job")
            ),
        ));
    }
    out
}

fn plural(n: u64, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// How many flags the queue has, without spelling them (sorting 10,000 rows by FLAGS).
pub fn flag_count(row: &QueueRow) -> usize {
    [
        row.paused,
        row.limits().rate_limited_ms.is_some_and(|ms| ms > 0),
        row.limits().global_concurrency.is_some(),
        row.limits().global_rate_limit.is_some(),
        row.reading.schedulers.is_some_and(|n| n > 0),
        row.counts()
            .and_then(|c| c.waiting_children)
            .is_some_and(|n| n > 0),
        row.reading.unlocked_active > 0,
    ]
    .into_iter()
    .filter(|set| *set)
    .count()
}

/// The FLAGS cell: the letters (`PC`), empty when none applies.
pub fn flag_letters(row: &QueueRow) -> String {
    flags(row).iter().map(|f| f.letter).collect()
}

pub fn p99(row: &QueueRow) -> String {
    row.rates
        .p99_processing_ms
        .map_or("-".into(), |ms| format::millis(ms as f64))
}

pub fn workers(row: &QueueRow) -> String {
    row.workers.map_or("?".to_string(), |n| n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    use crate::app::rows::RowRates;
    use crate::model::{QueueCounts, QueueKey, QueueReading, System};

    fn row(system: System, rate_source: RateSource) -> QueueRow {
        QueueRow {
            reading: Arc::new(QueueReading {
                key: QueueKey::new(system, "", "default"),
                counts: Some(QueueCounts {
                    waiting: Some(3),
                    active: Some(1),
                    delayed: Some(0),
                    retry: (system == System::Sidekiq).then_some(2),
                    ..QueueCounts::default()
                }),
                rate_source,
                ..QueueReading::default()
            }),
            rates: Arc::new(RowRates {
                added_per_s: Some(1.5),
                error_rate: Some(0.0),
                ..RowRates::default()
            }),
            oldest_wait_s: Some(45.0),
            ..QueueRow::default()
        }
    }

    #[test]
    fn absent_figures_are_blank_unknown_ones_a_dash() {
        let sidekiq = row(System::Sidekiq, RateSource::Counters);
        assert_eq!(count(&sidekiq, State::Retry), "2");
        assert_eq!(count(&sidekiq, State::Completed), "");
        assert_eq!(count(&sidekiq, State::Prioritized), "");
        // Sidekiq keeps failed (its dead set): unknown here, so a dash.
        assert_eq!(count(&sidekiq, State::Failed), "-");
        assert_eq!(rate(&sidekiq, sidekiq.rates.added_per_s), "1.5");
        assert_eq!(rate(&sidekiq, None), "-");
        let celery = row(System::Celery, RateSource::Unavailable);
        assert_eq!(rate(&celery, celery.rates.added_per_s), "");
        assert_eq!(error_percent(&celery), "");
        let bull = row(System::Bullmq, RateSource::Events);
        assert_eq!(count(&bull, State::Retry), "");
        assert_eq!(count(&bull, State::Completed), "-");
    }

    #[test]
    fn flags_say_what_is_set_and_what_is_wrong() {
        use crate::model::{QueueLimits, RateLimit};
        let mut bull = row(System::Bullmq, RateSource::Events);
        assert_eq!(flag_letters(&bull), "");
        bull.paused = true;
        let reading = Arc::make_mut(&mut bull.reading);
        reading.limits = QueueLimits {
            global_concurrency: Some(2),
            global_rate_limit: Some(RateLimit {
                max: 10,
                duration_ms: 1000,
            }),
            rate_limited_ms: Some(1_500),
        };
        reading.schedulers = Some(3);
        reading.counts = reading.counts.map(|c| QueueCounts {
            waiting_children: Some(4),
            ..c
        });
        reading.unlocked_active = 1;
        assert_eq!(flag_letters(&bull), "PLCRSFX");
        assert_eq!(flag_count(&bull), 7);
        let words: Vec<String> = flags(&bull).into_iter().map(|f| f.words).collect();
        assert_eq!(
            words,
            [
                "paused",
                "rate-limited, 1.5s left",
                "global concurrency 2",
                "global rate limit 10 per 1.0s",
                "3 job schedulers",
                "4 flow parents waiting for children",
                "1 active job without a lock (a crashed worker's)",
            ]
        );
        assert!(flags(&bull).last().is_some_and(|f| f.bad));
        // Not limited now, no schedulers: no L, no S.
        let reading = Arc::make_mut(&mut bull.reading);
        reading.limits.rate_limited_ms = Some(0);
        reading.schedulers = Some(0);
        assert_eq!(flag_letters(&bull), "PCRFX");
        assert_eq!(flag_count(&bull), 5);
        let legend: String = FLAG_LEGEND.iter().map(|(c, _)| *c).collect();
        assert_eq!(legend, "PLCRSFX");
    }

    #[test]
    fn estimates_and_lower_bounds_are_marked() {
        let mut rq = row(System::Rq, RateSource::Estimated);
        assert_eq!(rate(&rq, rq.rates.added_per_s), "~1.5");
        assert_eq!(error_percent(&rq), "~0");
        assert_eq!(rate(&rq, None), "-");
        assert_eq!(oldest(&rq), "45s");
        Arc::make_mut(&mut rq.reading).oldest_is_lower_bound = true;
        assert_eq!(oldest(&rq), ">45s");
        rq.oldest_wait_s = Some(0.0);
        assert_eq!(oldest(&rq), "0s");
    }
}
