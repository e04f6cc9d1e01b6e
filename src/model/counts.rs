//! Job counts per state, system-neutral: a state the queue's system keeps is `Some`, one it
//! lacks is `None` (shown blank, absent from JSON), never a fake 0. For BullMQ every state is
//! present and the figures are those of its own `getJobCounts`.

use serde::Serialize;

use super::system::State;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct QueueCounts {
    /// Ready to run (BullMQ: `wait` plus the legacy ≤ v5 `paused` list, markers excluded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prioritized: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delayed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_children: Option<u64>,
    /// Failed attempts that will run again (Sidekiq's retry set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry: Option<u64>,
    /// Fetched by a worker, not yet acknowledged (Celery's `unacked`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved: Option<u64>,
}

impl QueueCounts {
    pub fn get(&self, state: State) -> Option<u64> {
        match state {
            State::Waiting => self.waiting,
            State::Active => self.active,
            State::Prioritized => self.prioritized,
            State::Delayed => self.delayed,
            State::Retry => self.retry,
            State::Reserved => self.reserved,
            State::Failed => self.failed,
            State::Completed => self.completed,
            State::WaitingChildren => self.waiting_children,
        }
    }

    /// Jobs that can run now: waiting and prioritized.
    pub fn ready(&self) -> u64 {
        self.waiting.unwrap_or(0) + self.prioritized.unwrap_or(0)
    }

    /// Jobs not yet started: what the workers still have to get through (ready, delayed and
    /// retries due later).
    pub fn backlog(&self) -> u64 {
        self.ready() + self.delayed.unwrap_or(0) + self.retry.unwrap_or(0)
    }

    /// Jobs being worked on, as far as the system shows them.
    pub fn active_or_zero(&self) -> u64 {
        self.active.unwrap_or(0)
    }

    /// Every state summed (for "is there anything here").
    pub fn total(&self) -> u64 {
        [
            self.waiting,
            self.active,
            self.prioritized,
            self.delayed,
            self.completed,
            self.failed,
            self.waiting_children,
            self.retry,
            self.reserved,
        ]
        .iter()
        .map(|n| n.unwrap_or(0))
        .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backlog_counts_every_job_not_yet_started_and_absent_states_are_absent() {
        let counts = QueueCounts {
            waiting: Some(5),
            active: Some(2),
            prioritized: Some(4),
            delayed: Some(3),
            completed: Some(100),
            failed: Some(7),
            waiting_children: Some(1),
            retry: None,
            reserved: None,
        };
        assert_eq!(counts.backlog(), 12);
        assert_eq!(counts.ready(), 9);
        assert_eq!(counts.get(State::Retry), None);
        let json = serde_json::to_value(counts).unwrap_or_default();
        assert_eq!(json["waiting_children"], 1);
        assert!(json.get("retry").is_none(), "{json}");
        let sidekiq = QueueCounts {
            waiting: Some(1),
            delayed: Some(2),
            retry: Some(3),
            ..QueueCounts::default()
        };
        assert_eq!(sidekiq.backlog(), 6);
    }
}
