//! The queue systems qtop reads, and what each of them has: which job states, which remote
//! controls of its workers. The rest of qtop asks here instead of naming systems, so a state
//! that one system has and another lacks is shown where it exists and absent where it does
//! not.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A queue system on Redis. JSON and flags spell it in lowercase (`bullmq`, `sidekiq`, `rq`,
/// `celery`).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum System {
    #[default]
    Bullmq,
    Sidekiq,
    Rq,
    Celery,
}

/// A job state as the queues table and JSON name it (`counts.<state>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    Waiting,
    Active,
    Prioritized,
    Delayed,
    /// Failed attempts that will run again (Sidekiq's retry set).
    Retry,
    /// Messages a worker fetched but has not acknowledged (Celery's `unacked`).
    Reserved,
    Failed,
    Completed,
    WaitingChildren,
}

/// What an operator can ask a worker process to do remotely, as the system's own tools do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkerControl {
    /// Stop fetching new jobs, finish the current ones (Sidekiq's TSTP).
    Quiet,
    /// Shut down (Sidekiq's TERM, RQ's shutdown command, Celery's `shutdown`).
    Stop,
    /// Stop the job the worker runs now, the worker goes on (RQ's `stop-job` command:
    /// `qtop workers stop NAME --job`).
    StopJob,
    /// One more pool process (Celery's `pool_grow`).
    Grow,
    /// One pool process less (Celery's `pool_shrink`).
    Shrink,
}

impl System {
    pub const ALL: [System; 4] = [System::Bullmq, System::Sidekiq, System::Rq, System::Celery];

    pub fn name(self) -> &'static str {
        match self {
            System::Bullmq => "bullmq",
            System::Sidekiq => "sidekiq",
            System::Rq => "rq",
            System::Celery => "celery",
        }
    }

    /// The job states this system keeps, in the table's order.
    pub fn states(self) -> &'static [State] {
        use State::*;
        match self {
            System::Bullmq => &[
                Waiting,
                Active,
                Delayed,
                Prioritized,
                Failed,
                Completed,
                WaitingChildren,
            ],
            System::Sidekiq => &[Waiting, Active, Delayed, Retry, Failed],
            System::Rq => &[Waiting, Active, Delayed, Failed, Completed, WaitingChildren],
            System::Celery => &[Waiting, Active, Reserved],
        }
    }

    /// Its workers are known only from `CLIENT LIST` (BullMQ writes no heartbeat): when an
    /// ACL forbids that command, how many there are is unknown.
    pub fn workers_from_client_list(self) -> bool {
        self == System::Bullmq
    }

    /// The remote controls its workers accept (none for BullMQ: its workers take no
    /// commands through Redis).
    pub fn controls(self) -> &'static [WorkerControl] {
        use WorkerControl::*;
        match self {
            System::Bullmq => &[],
            System::Sidekiq => &[Quiet, Stop],
            System::Rq => &[Stop, StopJob],
            System::Celery => &[Grow, Shrink, Stop],
        }
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for System {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        System::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| format!("unknown queue system '{text}' (bullmq, sidekiq, rq, celery)"))
    }
}

impl State {
    /// The field name in JSON (`counts.waiting_children`).
    pub fn name(self) -> &'static str {
        match self {
            State::Waiting => "waiting",
            State::Active => "active",
            State::Prioritized => "prioritized",
            State::Delayed => "delayed",
            State::Retry => "retry",
            State::Reserved => "reserved",
            State::Failed => "failed",
            State::Completed => "completed",
            State::WaitingChildren => "waiting_children",
        }
    }
}

impl WorkerControl {
    pub fn name(self) -> &'static str {
        match self {
            WorkerControl::Quiet => "quiet",
            WorkerControl::Stop => "stop",
            WorkerControl::StopJob => "stop_job",
            WorkerControl::Grow => "grow",
            WorkerControl::Shrink => "shrink",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn systems_parse_and_print_as_flags_and_json_spell_them() {
        for system in System::ALL {
            assert_eq!(system.name().parse::<System>(), Ok(system));
            let json = serde_json::to_string(&system).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", system.name()));
        }
        assert_eq!("Sidekiq".parse::<System>(), Ok(System::Sidekiq));
        assert!("resque".parse::<System>().is_err());
    }

    #[test]
    fn every_system_has_waiting_and_active() {
        for system in System::ALL {
            assert!(system.states().contains(&State::Waiting), "{system}");
            assert!(system.states().contains(&State::Active), "{system}");
        }
        assert!(System::Bullmq.controls().is_empty());
    }
}
