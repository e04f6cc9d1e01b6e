//! A BullMQ queue's job counts, as its own `getJobCounts` reports them: every state is
//! there. The system-neutral `model::QueueCounts` is made from these.

use crate::model::QueueCounts;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobCounts {
    /// `wait` plus the legacy (≤ v5) `paused` list, legacy `0:` markers excluded.
    pub waiting: u64,
    pub active: u64,
    pub prioritized: u64,
    pub delayed: u64,
    pub completed: u64,
    pub failed: u64,
    pub waiting_children: u64,
}

impl JobCounts {
    /// Jobs not yet started: what the workers still have to get through.
    pub fn backlog(&self) -> u64 {
        self.waiting + self.prioritized + self.delayed
    }

    /// Jobs somewhere between added and finished (used to derive completions from the
    /// arrivals counter when the events stream was trimmed: finished = added − Δ in system).
    pub fn in_system(&self) -> u64 {
        self.backlog() + self.active + self.waiting_children
    }
}

impl From<JobCounts> for QueueCounts {
    fn from(c: JobCounts) -> Self {
        QueueCounts {
            waiting: Some(c.waiting),
            active: Some(c.active),
            prioritized: Some(c.prioritized),
            delayed: Some(c.delayed),
            completed: Some(c.completed),
            failed: Some(c.failed),
            waiting_children: Some(c.waiting_children),
            retry: None,
            reserved: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_counts_every_job_not_yet_started() {
        let counts = JobCounts {
            waiting: 5,
            active: 2,
            prioritized: 4,
            delayed: 3,
            completed: 100,
            failed: 7,
            waiting_children: 1,
        };
        assert_eq!(counts.backlog(), 12);
        assert_eq!(counts.in_system(), 15);
    }
}
