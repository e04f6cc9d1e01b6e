//! The poller as a background task: it owns the Redis connection and talks to the event
//! loop only through a channel, so the UI never awaits Redis.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::config::PollerConfig;
use super::connect::RedisTarget;
use super::poller::Poller;
use crate::model::PollReport;

/// What the poller tells the event loop.
#[derive(Debug)]
pub enum SourceEvent {
    /// Trying to connect; `attempt` starts at 1.
    Connecting {
        attempt: u32,
    },
    Connected {
        redis_version: String,
    },
    Report(Box<PollReport>),
    /// The connection failed or dropped; the next attempt is in `retry_in`.
    Disconnected {
        error: String,
        retry_in: Duration,
    },
}

/// Poll every `interval`, reading events several times in between so that busy streams are
/// never trimmed unread; reconnect with exponential backoff (0.5 s doubling to 10 s).
pub fn spawn_poller(
    target: RedisTarget,
    config: PollerConfig,
    interval: Duration,
    cancel: CancellationToken,
) -> (JoinHandle<()>, mpsc::Receiver<SourceEvent>) {
    // A few events of room: a report of 10,000 queues is ~5 MB, and a screen that falls
    // behind should hold the poller back, not pile up reports it will skip through.
    let (tx, rx) = mpsc::channel(4);
    let handle = tokio::spawn(async move {
        let mut poller = Poller::new(target, config);
        poll_loop(&mut poller, interval, &tx, &cancel).await;
    });
    (handle, rx)
}

const BACKOFF_START: Duration = Duration::from_millis(500);
const BACKOFF_MAX: Duration = Duration::from_secs(10);

async fn poll_loop(
    poller: &mut Poller,
    interval: Duration,
    tx: &mpsc::Sender<SourceEvent>,
    cancel: &CancellationToken,
) {
    let mut backoff = BACKOFF_START;
    let mut attempt = 0;
    let events_every = (interval / 4).clamp(Duration::from_millis(50), Duration::from_millis(250));
    while !cancel.is_cancelled() {
        attempt += 1;
        if tx.send(SourceEvent::Connecting { attempt }).await.is_err() {
            return;
        }
        match poller.connect().await {
            Ok(()) => {
                attempt = 0;
                backoff = BACKOFF_START;
                let version = poller.redis_version().to_string();
                if tx
                    .send(SourceEvent::Connected {
                        redis_version: version,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
                let error = connected_loop(poller, interval, events_every, tx, cancel).await;
                let Some(error) = error else {
                    return;
                };
                poller.disconnect();
                tracing::warn!(%error, retry_in = ?backoff, "connection lost");
                let event = SourceEvent::Disconnected {
                    error,
                    retry_in: backoff,
                };
                if tx.send(event).await.is_err() {
                    return;
                }
            }
            Err(error) => {
                tracing::warn!(%error, retry_in = ?backoff, "cannot connect");
                let event = SourceEvent::Disconnected {
                    error: error.to_string(),
                    retry_in: backoff,
                };
                if tx.send(event).await.is_err() {
                    return;
                }
            }
        }
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// Poll until cancelled (`None`) or an error (`Some(message)`).
async fn connected_loop(
    poller: &mut Poller,
    interval: Duration,
    events_every: Duration,
    tx: &mpsc::Sender<SourceEvent>,
    cancel: &CancellationToken,
) -> Option<String> {
    let mut poll_tick = tokio::time::interval(interval);
    poll_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut events_tick = tokio::time::interval(events_every);
    events_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return None,
            _ = poll_tick.tick() => {
                match poller.poll().await {
                    Ok(report) => {
                        if tx.send(SourceEvent::Report(Box::new(report))).await.is_err() {
                            return None;
                        }
                    }
                    Err(error) => return Some(error.to_string()),
                }
            }
            _ = events_tick.tick() => {
                if let Err(error) = poller.read_events().await {
                    return Some(error.to_string());
                }
                // Periodic discovery runs a SCAN step at a time, between polls.
                if let Err(error) = poller.discovery_step().await {
                    return Some(error.to_string());
                }
            }
        }
    }
}
