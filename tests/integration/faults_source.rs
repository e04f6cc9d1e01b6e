//! The poller task through Redis outages: it reports the outage, retries with backoff
//! (no busy loop), reconnects, and goes on reporting, without panicking.

use crate::common;

use std::time::{Duration, Instant};

use common::RedisServer;
use qtop::source::{spawn_poller, PollerConfig, RedisTarget, SourceEvent};
use tokio_util::sync::CancellationToken;

async fn next_event(
    rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>,
    within: Duration,
) -> SourceEvent {
    tokio::time::timeout(within, rx.recv())
        .await
        .expect("an event in time")
        .expect("the poller is alive")
}

/// Wait for a report listing `queue`, skipping other events; panics after `within`.
async fn report_with(
    rx: &mut tokio::sync::mpsc::Receiver<SourceEvent>,
    queue: &str,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if let SourceEvent::Report(report) = next_event(rx, left).await {
            if report.queues.iter().any(|q| q.key.name == queue) {
                return;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_is_survived_with_backoff() {
    let mut redis = RedisServer::start_tcp();
    redis.cmd(&["LPUSH", "bull:q:wait", "1"]);
    let target = RedisTarget::parse(&redis.tcp_url(), false).unwrap();
    let cancel = CancellationToken::new();
    let (task, mut rx) = spawn_poller(
        target,
        PollerConfig::default(),
        Duration::from_millis(200),
        cancel.clone(),
    );
    report_with(&mut rx, "q", Duration::from_secs(10)).await;

    redis.stop();
    let outage_started = Instant::now();
    let mut attempts = 0;
    let mut disconnected = None;
    // Three seconds of outage: count connection attempts.
    while outage_started.elapsed() < Duration::from_secs(3) {
        match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            Ok(Some(SourceEvent::Connecting { .. })) => attempts += 1,
            Ok(Some(SourceEvent::Disconnected { error, retry_in })) => {
                disconnected.get_or_insert((error, retry_in));
            }
            Ok(Some(_)) | Err(_) => {}
            Ok(None) => panic!("the poller task ended"),
        }
    }
    let (error, retry_in) = disconnected.expect("the outage was reported");
    assert!(
        error.contains("refused") || error.contains("connection"),
        "{error}"
    );
    assert!(retry_in >= Duration::from_millis(500));
    assert!(
        attempts <= 6,
        "{attempts} attempts in 3 s: backoff is too eager"
    );

    redis.start_again();
    redis.cmd(&["LPUSH", "bull:after:wait", "1"]);
    // Reconnected within the longest backoff plus a discovery.
    report_with(&mut rx, "after", Duration::from_secs(15)).await;

    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}
