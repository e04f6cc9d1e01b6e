//! A `qtop worker`'s live counters and the heartbeat it writes from them every beat
//! (the format in `model::heartbeat`, read by the monitor).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use super::DemoConn;

use crate::model::Heartbeat;
use crate::source::bullmq::keys::QueueId;

use super::now_ms;

/// Time between heartbeats.
pub const BEAT: Duration = Duration::from_secs(1);
/// A heartbeat key outlives its writer by about three beats (the monitor's staleness rule).
const BEAT_TTL_BEATS: u64 = 3;
/// Index entries older than this are dropped by every beat, so dead workers do not pile up.
const INDEX_KEEP_MS: i64 = 60_000;

#[derive(Debug, Default)]
pub struct WorkerStats {
    pub done: AtomicU64,
    pub failed: AtomicU64,
    pub duplicates: AtomicU64,
    current: Mutex<BTreeSet<String>>,
}

impl WorkerStats {
    pub fn start_job(&self, job_id: &str) {
        if let Ok(mut current) = self.current.lock() {
            current.insert(job_id.to_string());
        }
    }

    pub fn end_job(&self, job_id: &str) {
        if let Ok(mut current) = self.current.lock() {
            current.remove(job_id);
        }
    }

    pub fn current(&self) -> Vec<String> {
        self.current
            .lock()
            .map(|c| c.iter().cloned().collect())
            .unwrap_or_default()
    }
}

/// Who is beating; the parts of a heartbeat that never change.
#[derive(Clone, Debug)]
pub struct Identity {
    pub worker: String,
    pub host: String,
    pub concurrency: u32,
    pub started_ms: i64,
}

pub fn heartbeat(identity: &Identity, stats: &WorkerStats, now_ms: i64) -> Heartbeat {
    Heartbeat {
        worker: identity.worker.clone(),
        pid: std::process::id(),
        host: identity.host.clone(),
        concurrency: identity.concurrency,
        done: stats.done.load(Ordering::Relaxed),
        failed: stats.failed.load(Ordering::Relaxed),
        duplicates: stats.duplicates.load(Ordering::Relaxed),
        current: stats.current(),
        started_ms: identity.started_ms,
        last_beat_ms: now_ms,
        beat_ms: BEAT.as_millis() as u64,
    }
}

/// Write one beat: the JSON with a TTL, the index entry, and prune the index.
pub async fn write_beat(
    conn: &mut DemoConn,
    queue: &QueueId,
    beat: &Heartbeat,
) -> redis::RedisResult<()> {
    let json = serde_json::to_string(beat).unwrap_or_default();
    let ttl_ms = beat.beat_ms * BEAT_TTL_BEATS;
    redis::pipe()
        .cmd("SET")
        .arg(queue.heartbeat(&beat.worker))
        .arg(json)
        .arg("PX")
        .arg(ttl_ms)
        .ignore()
        .cmd("ZADD")
        .arg(queue.heartbeat_index())
        .arg(beat.last_beat_ms)
        .arg(&beat.worker)
        .ignore()
        .cmd("ZREMRANGEBYSCORE")
        .arg(queue.heartbeat_index())
        .arg("-inf")
        .arg(format!("({}", beat.last_beat_ms - INDEX_KEEP_MS))
        .ignore()
        .query_async(conn)
        .await
}

/// On a graceful exit: remove our beat at once instead of letting the monitor wait for it to
/// go stale.
pub async fn remove_beat(
    conn: &mut DemoConn,
    queue: &QueueId,
    worker: &str,
) -> redis::RedisResult<()> {
    redis::pipe()
        .cmd("DEL")
        .arg(queue.heartbeat(worker))
        .ignore()
        .cmd("ZREM")
        .arg(queue.heartbeat_index())
        .arg(worker)
        .ignore()
        .query_async(conn)
        .await
}

/// Beats until the task is aborted. A failed write is retried on the next beat: the
/// connection manager reconnects by itself, and a missed beat is what the monitor should see.
pub async fn beat_forever(
    mut conn: DemoConn,
    queue: QueueId,
    identity: Identity,
    stats: std::sync::Arc<WorkerStats>,
) {
    let mut ticker = tokio::time::interval(BEAT);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let beat = heartbeat(&identity, &stats, now_ms());
        let _ = write_beat(&mut conn, &queue, &beat).await;
    }
}
