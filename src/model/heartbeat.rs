//! A qtop worker's heartbeat, as `qtop worker` writes it and the monitor reads it.
//! Stored as JSON at `<prefix>:<queue>:qtop:hb:<worker>` with a TTL of a few beats, and
//! indexed in `<prefix>:<queue>:qtop:workers` (zset, score = last beat ms).

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Heartbeat {
    /// Worker name, also its connection name suffix (`qtop-<host>-<pid>`).
    pub worker: String,
    pub pid: u32,
    pub host: String,
    pub concurrency: u32,
    /// Jobs completed by this worker since it started.
    pub done: u64,
    /// Job attempts that failed in this worker since it started.
    pub failed: u64,
    /// Jobs skipped because their idempotency key was already done.
    pub duplicates: u64,
    /// Ids of the jobs it is processing now.
    pub current: Vec<String>,
    pub started_ms: i64,
    pub last_beat_ms: i64,
    /// Milliseconds between beats; the monitor calls a worker stale after three missed beats.
    pub beat_ms: u64,
}

impl Heartbeat {
    /// Parse a stored heartbeat; `None` for anything that is not one (never a panic).
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    pub fn is_stale(&self, now_ms: i64) -> bool {
        // Stored values can be anything: clamp so the arithmetic cannot overflow.
        let beat = self.beat_ms.clamp(100, 86_400_000) as i64;
        now_ms.saturating_sub(self.last_beat_ms) > 3 * beat
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heartbeats_round_trip_and_garbage_is_rejected() {
        let beat = Heartbeat {
            worker: "qtop-h-1".into(),
            pid: 1,
            concurrency: 4,
            last_beat_ms: 10_000,
            beat_ms: 1000,
            ..Heartbeat::default()
        };
        let text = serde_json::to_string(&beat).unwrap_or_default();
        assert_eq!(Heartbeat::parse(&text), Some(beat.clone()));
        assert_eq!(Heartbeat::parse("{not json"), None);
        assert_eq!(Heartbeat::parse("[1,2]"), None);
        assert!(!beat.is_stale(12_000));
        assert!(beat.is_stale(13_001));
    }
}
