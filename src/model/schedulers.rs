//! Job schedulers (jobs that repeat: BullMQ's `upsertJobScheduler`, and the repeatable jobs
//! of older BullMQ versions), as `qtop schedulers` lists them. JSON field names are a
//! contract (assets/schema/schedulers.schema.json).

use serde::Serialize;

use super::failures::Payload;
use super::system::System;

/// What a repeat entry is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SchedulerKind {
    /// A job scheduler (BullMQ ≥ 5.16: `repeat:<id>` holds its definition).
    #[default]
    Scheduler,
    /// A legacy repeatable job (BullMQ ≤ 5: `queue.add(…, {repeat})`), which BullMQ 6 no
    /// longer runs until it is migrated.
    Repeatable,
    /// Listed, but its definition is gone: no job will be made from it.
    Orphan,
}

/// One job scheduler.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Scheduler {
    /// Its id (BullMQ's scheduler id, or a legacy repeatable job's key).
    pub id: String,
    pub kind: SchedulerKind,
    /// Name of the jobs it makes.
    pub name: Option<String>,
    /// A cron pattern …
    pub pattern: Option<String>,
    /// … or an interval in ms.
    pub every: Option<u64>,
    pub tz: Option<String>,
    /// Epoch ms of its next run.
    pub next_run: Option<i64>,
    /// Jobs made so far (BullMQ's `ic`; absent for legacy repeatable jobs).
    pub iteration_count: Option<u64>,
    /// Most jobs it makes.
    pub limit: Option<u64>,
    /// Epoch ms it starts and ends.
    pub start_date: Option<i64>,
    pub end_date: Option<i64>,
    pub offset: Option<i64>,
    /// The data and options of the jobs it makes.
    pub template_data: Payload,
    pub template_opts: Payload,
    /// What could not be read, in words.
    pub problems: Vec<String>,
}

impl Scheduler {
    /// `cron 0 * * * * (Europe/Paris)`, `every 5s`, or `-`.
    pub fn schedule_text(&self) -> String {
        let tz = self
            .tz
            .as_deref()
            .map(|tz| format!(" ({tz})"))
            .unwrap_or_default();
        match (&self.pattern, self.every) {
            (Some(pattern), _) => format!("cron {pattern}{tz}"),
            (None, Some(every)) => format!("every {}", every_text(every)),
            (None, None) => "-".to_string(),
        }
    }
}

impl Scheduler {
    /// The template's data on one line (`-` without one).
    pub fn data_summary(&self) -> String {
        match &self.template_data {
            Payload::Json { text } => text.split_whitespace().collect::<Vec<_>>().join(" "),
            Payload::Missing => "-".to_string(),
            other => other.display_text(),
        }
    }
}

/// An interval as `250ms`, `5s`, `1.5s`, `10m`, `2h`, `1d`.
pub fn every_text(ms: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ];
    for (size, unit) in UNITS {
        if ms >= size {
            return if ms.is_multiple_of(size) {
                format!("{}{unit}", ms / size)
            } else {
                format!("{:.1}{unit}", ms as f64 / size as f64)
            };
        }
    }
    format!("{ms}ms")
}

/// A queue's schedulers, soonest next run first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SchedulerList {
    pub system: System,
    pub prefix: String,
    pub queue: String,
    /// How many there are.
    pub total: u64,
    pub schedulers: Vec<Scheduler>,
    /// More than were read (`--limit`).
    pub truncated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_read_as_words() {
        let cases = [
            (Some("0 * * * *"), None, Some("UTC"), "cron 0 * * * * (UTC)"),
            (None, Some(5_000), None, "every 5s"),
            (None, Some(1_500), None, "every 1.5s"),
            (None, Some(250), None, "every 250ms"),
            (None, Some(7_200_000), None, "every 2h"),
            (None, None, None, "-"),
        ];
        for (pattern, every, tz, expected) in cases {
            let scheduler = Scheduler {
                pattern: pattern.map(str::to_string),
                every,
                tz: tz.map(str::to_string),
                ..Scheduler::default()
            };
            assert_eq!(scheduler.schedule_text(), expected);
        }
    }
}
