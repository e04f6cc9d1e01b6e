//! The events listener: a background task with its own connection, subscribed (read-only:
//! PSUBSCRIBE only) to Celery's event channel `/<db>.celeryev/*`. It feeds [`EventState`],
//! which the reader drains at each poll without waiting: a poll never awaits the listener.
//! It costs Redis the subscription and nothing else; it reconnects by itself.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_util::sync::CancellationToken;

use super::events::EventState;
use super::keys;
use crate::source::connect::RedisTarget;

/// A silent subscription is checked with a PING after this long (a dead peer without RST).
const PING_AFTER: Duration = Duration::from_secs(15);
const RETRY_START: Duration = Duration::from_millis(500);
const RETRY_MAX: Duration = Duration::from_secs(10);

pub struct Listener {
    state: Arc<Mutex<EventState>>,
    cancel: CancellationToken,
    started: Instant,
}

impl Listener {
    /// Start listening on broker db `db` of `target`.
    pub fn spawn(target: RedisTarget, db: i64, timeout: Duration) -> Self {
        let state = Arc::new(Mutex::new(EventState::default()));
        let cancel = CancellationToken::new();
        let task_state = Arc::clone(&state);
        let task_cancel = cancel.clone();
        tokio::spawn(async move {
            listen(target, db, timeout, task_state, task_cancel).await;
        });
        Self {
            state,
            cancel,
            started: Instant::now(),
        }
    }

    /// The state (a poisoned lock is taken over: the state is plain data).
    pub fn state(&self) -> MutexGuard<'_, EventState> {
        lock(&self.state)
    }

    /// How long the listener has run.
    pub fn age(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn lock(state: &Mutex<EventState>) -> MutexGuard<'_, EventState> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

async fn listen(
    target: RedisTarget,
    db: i64,
    timeout: Duration,
    state: Arc<Mutex<EventState>>,
    cancel: CancellationToken,
) {
    let pattern = keys::events_pattern(db);
    let mut retry = RETRY_START;
    while !cancel.is_cancelled() {
        let error = tokio::select! {
            _ = cancel.cancelled() => return,
            error = subscribed(&target, &pattern, timeout, &state) => error,
        };
        {
            let mut state = lock(&state);
            state.subscribed_at = None;
            state.error = Some(target.scrub(&error));
        }
        tracing::warn!(error = %target.scrub(&error), retry_in = ?retry, "celery events listener");
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(retry) => {}
        }
        retry = (retry * 2).min(RETRY_MAX);
    }
}

/// Subscribe and take messages in until the connection fails (the error, in words).
async fn subscribed(
    target: &RedisTarget,
    pattern: &str,
    timeout: Duration,
    state: &Mutex<EventState>,
) -> String {
    let client = match target.client() {
        Ok(client) => client,
        Err(error) => return error.to_string(),
    };
    let pubsub = match tokio::time::timeout(timeout, client.get_async_pubsub()).await {
        Ok(Ok(pubsub)) => pubsub,
        Ok(Err(error)) => return error.to_string(),
        Err(_) => return "no answer (timed out)".to_string(),
    };
    let (mut sink, mut stream) = pubsub.split();
    match tokio::time::timeout(timeout, sink.psubscribe(pattern)).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return error.to_string(),
        Err(_) => return "PSUBSCRIBE timed out".to_string(),
    }
    {
        let mut state = lock(state);
        state.subscribed_at = Some(Instant::now());
        state.error = None;
    }
    loop {
        match tokio::time::timeout(PING_AFTER, stream.next()).await {
            Ok(Some(message)) => {
                let now = Instant::now();
                let mut state = lock(state);
                state.take_message(message.get_payload_bytes(), now);
                state.forget_stale(now);
            }
            Ok(None) => return "the connection closed".to_string(),
            Err(_) => {
                let ping: Result<Result<redis::Value, _>, _> =
                    tokio::time::timeout(timeout, sink.ping()).await;
                match ping {
                    Ok(Ok(_)) => lock(state).forget_stale(Instant::now()),
                    Ok(Err(error)) => return error.to_string(),
                    Err(_) => return "PING timed out".to_string(),
                }
            }
        }
    }
}
