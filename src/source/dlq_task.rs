//! The dead-letter reader as a background task, for the dashboard: the UI sends what it
//! wants to see (a page, a job's detail, the groups) and gets answers on a channel; only
//! the newest request of each kind is served, so scrolling fast never queues up reads.

use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::connect::RedisTarget;
use super::dead_letters::{DeadLetterReader, DlqSet, DEFAULT_MAX_PAYLOAD};
use crate::model::failures::{
    group_failures, FailedJob, FailedJobDetail, FailedPage, FailureGroup,
};
use crate::model::QueueKey;

/// What the dead-letter pane wants now. `seq` tells answers to old requests apart.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DlqWant {
    pub seq: u64,
    pub queue: Option<QueueKey>,
    pub offset: u64,
    pub limit: u64,
    /// A job whose detail is open.
    pub detail: Option<String>,
    /// Compute failure groups (a scan of the whole failed set).
    pub groups: bool,
    /// Which of the queue's failure sets (Sidekiq's retry set is a second view).
    pub set: DlqSet,
}

#[derive(Debug)]
pub enum DlqAnswer {
    Page {
        seq: u64,
        queue: QueueKey,
        page: FailedPage,
    },
    Detail {
        seq: u64,
        queue: QueueKey,
        detail: Option<Box<FailedJobDetail>>,
    },
    Groups {
        seq: u64,
        queue: QueueKey,
        groups: Vec<FailureGroup>,
        scanned: u64,
    },
    Error {
        seq: u64,
        message: String,
    },
}

/// Most failed jobs scanned for groups in the dashboard (the CLI scans everything).
pub const GROUP_SCAN_LIMIT: u64 = 100_000;

pub fn spawn_dlq_reader(
    target: RedisTarget,
    cancel: CancellationToken,
) -> (
    JoinHandle<()>,
    watch::Sender<DlqWant>,
    mpsc::Receiver<DlqAnswer>,
) {
    let (want_tx, mut want_rx) = watch::channel(DlqWant::default());
    let (tx, rx) = mpsc::channel(16);
    let handle = tokio::spawn(async move {
        let mut conn = None;
        let mut conn_queue: Option<(QueueKey, DlqSet)> = None;
        let mut served = DlqWant::default();
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                changed = want_rx.changed() => if changed.is_err() { return },
            }
            let want = want_rx.borrow_and_update().clone();
            let Some(queue) = want.queue.clone() else {
                continue;
            };
            // On a cluster each queue lives on its own master: reconnect on a switch.
            // (And a reader reads one set: reopen for the other.)
            if conn_queue.as_ref() != Some(&(queue.clone(), want.set)) {
                conn = None;
            }
            if conn.is_none() {
                let opened =
                    DeadLetterReader::open_set(&target, &queue, want.set, Duration::from_secs(5))
                        .await;
                match opened {
                    Ok(c) => {
                        conn = Some(c);
                        conn_queue = Some((queue.clone(), want.set));
                    }
                    Err(error) => {
                        let _ = tx
                            .send(DlqAnswer::Error {
                                seq: want.seq,
                                message: error.to_string(),
                            })
                            .await;
                        continue;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { continue };
            let page_changed = want.queue != served.queue
                || want.offset != served.offset
                || want.limit != served.limit
                || want.seq != served.seq
                || want.set != served.set;
            let answers = serve(c, &queue, &want, &served, page_changed).await;
            match answers {
                Ok(answers) => {
                    for answer in answers {
                        if tx.send(answer).await.is_err() {
                            return;
                        }
                    }
                    served = want;
                }
                Err(error) => {
                    conn = None;
                    let _ = tx
                        .send(DlqAnswer::Error {
                            seq: want.seq,
                            message: target.classify(&error).to_string(),
                        })
                        .await;
                }
            }
        }
    });
    (handle, want_tx, rx)
}

async fn serve(
    conn: &mut DeadLetterReader,
    queue: &QueueKey,
    want: &DlqWant,
    served: &DlqWant,
    page_changed: bool,
) -> redis::RedisResult<Vec<DlqAnswer>> {
    let mut answers = Vec::new();
    if page_changed {
        let page = conn.page(want.offset, want.limit.max(1)).await?;
        answers.push(DlqAnswer::Page {
            seq: want.seq,
            queue: queue.clone(),
            page,
        });
    }
    if let Some(id) = &want.detail {
        if page_changed || served.detail.as_ref() != Some(id) {
            let detail = conn.detail(id, DEFAULT_MAX_PAYLOAD).await?;
            answers.push(DlqAnswer::Detail {
                seq: want.seq,
                queue: queue.clone(),
                detail: detail.map(Box::new),
            });
        }
    }
    if want.groups && (page_changed || !served.groups) {
        let mut jobs: Vec<FailedJob> = Vec::new();
        let scanned = conn
            .scan(1000, |page| {
                jobs.extend_from_slice(page);
                (jobs.len() as u64) < GROUP_SCAN_LIMIT
            })
            .await?;
        answers.push(DlqAnswer::Groups {
            seq: want.seq,
            queue: queue.clone(),
            groups: group_failures(&jobs),
            scanned,
        });
    }
    Ok(answers)
}
