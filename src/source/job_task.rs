//! The job reader as a background task, for the dashboard's job and schedulers views: the
//! UI says what it wants to see (one job, or a queue's schedulers) and gets answers on a
//! channel; only the newest want is served (a `watch`), so typing or refreshing fast never
//! queues up reads, and the UI never waits on Redis.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::connect::RedisTarget;
use super::jobs::JobReader;
use crate::model::jobs::{JobDetail, ShowLimits};
use crate::model::schedulers::SchedulerList;
use crate::model::QueueKey;

/// Schedulers read for the dashboard (the soonest).
pub const SCHEDULER_LIMIT: u64 = 1000;

/// Template data above this is reported by size.
const MAX_TEMPLATE: u64 = 64 * 1024;

/// What to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum JobWhat {
    #[default]
    Nothing,
    Job(String),
    Schedulers,
}

/// What the job views want now. `seq` tells answers to old wants apart (and a new `seq`
/// with the same job reads it again: a refresh).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobWant {
    pub seq: u64,
    pub queue: Option<QueueKey>,
    pub what: JobWhat,
}

#[derive(Debug)]
pub enum JobAnswer {
    /// `None`: the queue has no such job.
    Job {
        seq: u64,
        detail: Option<Box<JobDetail>>,
    },
    Schedulers {
        seq: u64,
        list: Option<SchedulerList>,
    },
    Error {
        seq: u64,
        message: String,
    },
}

impl JobAnswer {
    pub fn seq(&self) -> u64 {
        match self {
            JobAnswer::Job { seq, .. }
            | JobAnswer::Schedulers { seq, .. }
            | JobAnswer::Error { seq, .. } => *seq,
        }
    }
}

pub fn spawn_job_reader(
    target: RedisTarget,
    cancel: CancellationToken,
) -> (
    JoinHandle<()>,
    watch::Sender<JobWant>,
    mpsc::Receiver<JobAnswer>,
) {
    let (want_tx, mut want_rx) = watch::channel(JobWant::default());
    let (tx, rx) = mpsc::channel(8);
    let handle = tokio::spawn(async move {
        let mut reader: Option<(QueueKey, JobReader)> = None;
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                changed = want_rx.changed() => if changed.is_err() { return },
            }
            let want = want_rx.borrow_and_update().clone();
            let Some(queue) = want.queue.clone() else {
                continue;
            };
            if want.what == JobWhat::Nothing {
                continue;
            }
            // On a cluster each queue lives on its own master: reconnect on a switch.
            if reader.as_ref().is_none_or(|(q, _)| q != &queue) {
                reader = match JobReader::open(&target, &queue, Duration::from_secs(5)).await {
                    Ok(r) => Some((queue.clone(), r)),
                    Err(error) => {
                        let answer = JobAnswer::Error {
                            seq: want.seq,
                            message: error.to_string(),
                        };
                        if tx.send(answer).await.is_err() {
                            return;
                        }
                        continue;
                    }
                };
            }
            let Some((_, r)) = reader.as_mut() else {
                continue;
            };
            let answer = match &want.what {
                JobWhat::Job(id) => {
                    r.show(id, &ShowLimits::default())
                        .await
                        .map(|detail| JobAnswer::Job {
                            seq: want.seq,
                            detail: detail.map(Box::new),
                        })
                }
                JobWhat::Schedulers => {
                    r.schedulers(SCHEDULER_LIMIT, MAX_TEMPLATE)
                        .await
                        .map(|list| JobAnswer::Schedulers {
                            seq: want.seq,
                            list,
                        })
                }
                JobWhat::Nothing => continue,
            };
            let answer = answer.unwrap_or_else(|error| {
                reader = None;
                JobAnswer::Error {
                    seq: want.seq,
                    message: target.classify(&error).to_string(),
                }
            });
            if tx.send(answer).await.is_err() {
                return;
            }
        }
    });
    (handle, want_tx, rx)
}
