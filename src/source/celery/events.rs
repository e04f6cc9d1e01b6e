//! What Celery's event channel says, kept between polls: every worker's last heartbeat
//! (`worker-heartbeat`, `worker-online`, `worker-offline`) and, when workers send task
//! events (`-E`), how many tasks of each name were received, succeeded and failed, with
//! their runtimes. Pure: the listener feeds it messages, the reader drains it each poll.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde_json::Value as Json;

use super::message::parse_envelope;

/// Celery's own expiry (`celery.events.state.heartbeat_expires`): a worker is alive while
/// its last heartbeat is younger than `freq × 2` (HEARTBEAT_EXPIRE_WINDOW 200 %).
pub const EXPIRE_WINDOW: f64 = 2.0;
/// A worker whose heartbeats stopped is listed as stale this long, then forgotten.
pub const FORGET_AFTER_S: f64 = 60.0;
/// Task ids remembered between `task-received` and their end (a task's later events carry
/// only its id).
const MAX_TRACKED_TASKS: usize = 200_000;
/// Finished tasks kept one by one between two drains (the rest are counted by name).
const MAX_FINISHED: usize = 20_000;

/// A worker as its last heartbeat described it.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkerBeat {
    pub hostname: String,
    pub pid: Option<u32>,
    /// Tasks executing now.
    pub active: Option<u32>,
    /// Tasks accepted by its pool since it started (failures included).
    pub processed: Option<u64>,
    pub loadavg: Vec<f64>,
    /// Seconds between heartbeats.
    pub freq: f64,
    pub sw_ver: Option<String>,
    /// When qtop received the last heartbeat (Celery's expiry uses the local time too).
    pub last_beat: Instant,
    pub first_seen: Instant,
    /// Its last task event (`task-*` with its hostname): `None` while it sends none
    /// (started without `-E`).
    pub task_events_at: Option<Instant>,
}

impl WorkerBeat {
    /// Seconds after its last beat at which Celery considers it gone.
    pub fn expires_after_s(&self) -> f64 {
        let freq = if self.freq.is_finite() && self.freq > 0.0 {
            self.freq
        } else {
            2.0
        };
        freq * EXPIRE_WINDOW
    }
}

/// Task-event counts of one task name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TaskCounts {
    pub succeeded: u64,
    pub failed: u64,
}

/// A task that succeeded or failed.
#[derive(Clone, Debug, PartialEq)]
pub struct FinishedTask {
    pub id: String,
    /// From its `task-received` (`None`: qtop did not see it).
    pub name: Option<String>,
    pub failed: bool,
    /// `task-succeeded` carries the runtime; `task-failed` does not.
    pub runtime_ms: Option<u64>,
}

/// What happened since the last drain.
#[derive(Debug, Default, PartialEq)]
pub struct Drained {
    /// Tasks that finished, one by one (up to a bound per drain).
    pub finished: Vec<FinishedTask>,
    /// Beyond the bound: counts per task name only.
    pub overflow: BTreeMap<Option<String>, TaskCounts>,
}

#[derive(Debug, Default)]
pub struct EventState {
    pub workers: BTreeMap<String, WorkerBeat>,
    /// Task id → name, from `task-received`.
    names: HashMap<String, String>,
    pending: Drained,
    /// The last task event (workers run with `-E`).
    pub task_events_at: Option<Instant>,
    /// When the subscription was (last) confirmed; `None` while not subscribed.
    pub subscribed_at: Option<Instant>,
    /// Why the listener is not subscribed, in words.
    pub error: Option<String>,
    /// Messages that could not be read.
    pub unreadable: u64,
}

impl EventState {
    /// Take one pub/sub message of the events channel in.
    pub fn take_message(&mut self, payload: &[u8], now: Instant) {
        let Some(envelope) = parse_envelope(payload) else {
            self.unreadable += 1;
            return;
        };
        match &envelope.body {
            Json::Array(events) => {
                for event in events {
                    self.take_event(event, now);
                }
            }
            Json::Object(_) => self.take_event(&envelope.body, now),
            _ => self.unreadable += 1,
        }
    }

    fn take_event(&mut self, event: &Json, now: Instant) {
        let Some(kind) = event.get("type").and_then(Json::as_str) else {
            self.unreadable += 1;
            return;
        };
        match kind {
            "worker-heartbeat" | "worker-online" => self.take_beat(event, now),
            "worker-offline" => {
                if let Some(host) = event.get("hostname").and_then(Json::as_str) {
                    self.workers.remove(host);
                }
            }
            kind if kind.starts_with("task-") => self.take_task(kind, event, now),
            _ => {}
        }
    }

    fn take_beat(&mut self, event: &Json, now: Instant) {
        let Some(hostname) = event.get("hostname").and_then(Json::as_str) else {
            self.unreadable += 1;
            return;
        };
        let uint = |field: &str| event.get(field).and_then(Json::as_u64);
        let before = self.workers.get(hostname);
        let first_seen = before.map_or(now, |worker| worker.first_seen);
        let task_events_at = before.and_then(|worker| worker.task_events_at);
        let beat = WorkerBeat {
            hostname: hostname.to_string(),
            pid: uint("pid").and_then(|n| u32::try_from(n).ok()),
            active: uint("active").and_then(|n| u32::try_from(n).ok()),
            processed: uint("processed"),
            loadavg: event
                .get("loadavg")
                .and_then(Json::as_array)
                .map(|l| l.iter().filter_map(Json::as_f64).collect())
                .unwrap_or_default(),
            freq: event.get("freq").and_then(Json::as_f64).unwrap_or(2.0),
            sw_ver: event
                .get("sw_ver")
                .and_then(Json::as_str)
                .map(str::to_string),
            last_beat: now,
            first_seen,
            task_events_at,
        };
        self.workers.insert(hostname.to_string(), beat);
    }

    fn take_task(&mut self, kind: &str, event: &Json, now: Instant) {
        self.task_events_at = Some(now);
        if let Some(worker) = event
            .get("hostname")
            .and_then(Json::as_str)
            .and_then(|host| self.workers.get_mut(host))
        {
            worker.task_events_at = Some(now);
        }
        let Some(id) = event.get("uuid").and_then(Json::as_str) else {
            return;
        };
        match kind {
            "task-received" => {
                let name = event
                    .get("name")
                    .and_then(Json::as_str)
                    .unwrap_or_default()
                    .to_string();
                if self.names.len() >= MAX_TRACKED_TASKS {
                    // Tasks whose end was never seen (a lost worker): start afresh.
                    self.names.clear();
                }
                self.names.insert(id.to_string(), name);
            }
            "task-succeeded" | "task-failed" => {
                let name = self.names.remove(id);
                let failed = kind == "task-failed";
                if self.pending.finished.len() < MAX_FINISHED {
                    let runtime_ms = event
                        .get("runtime")
                        .and_then(Json::as_f64)
                        .filter(|r| r.is_finite() && *r >= 0.0)
                        .map(|r| (r * 1000.0).round() as u64);
                    self.pending.finished.push(FinishedTask {
                        id: id.to_string(),
                        name,
                        failed,
                        runtime_ms,
                    });
                } else {
                    let counts = self.pending.overflow.entry(name).or_default();
                    if failed {
                        counts.failed += 1;
                    } else {
                        counts.succeeded += 1;
                    }
                }
            }
            "task-revoked" | "task-rejected" => {
                self.names.remove(id);
            }
            _ => {}
        }
    }

    /// Take what happened since the last drain.
    pub fn drain(&mut self) -> Drained {
        std::mem::take(&mut self.pending)
    }

    /// Forget workers whose heartbeats stopped long ago.
    pub fn forget_stale(&mut self, now: Instant) {
        self.workers.retain(|_, w| {
            now.duration_since(w.last_beat).as_secs_f64() < w.expires_after_s() + FORGET_AFTER_S
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use std::time::Duration;

    fn envelope(body: &Json) -> Vec<u8> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(body.to_string());
        serde_json::json!({
            "body": encoded,
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": {"hostname": "w1@vm"},
            "properties": {"body_encoding": "base64"},
        })
        .to_string()
        .into_bytes()
    }

    fn beat(active: u64, processed: u64) -> Json {
        serde_json::json!({"hostname": "w1@vm", "pid": 27856, "freq": 2.0, "active": active,
            "processed": processed, "loadavg": [0.0, 0.0, 0.05], "sw_ver": "5.5.3",
            "timestamp": 1796366300.6, "type": "worker-heartbeat"})
    }

    #[test]
    fn heartbeats_make_workers_and_offline_removes_them() {
        let mut state = EventState::default();
        let t0 = Instant::now();
        state.take_message(&envelope(&beat(1, 7)), t0);
        let t1 = t0 + Duration::from_secs(2);
        state.take_message(&envelope(&beat(2, 9)), t1);
        let worker = &state.workers["w1@vm"];
        assert_eq!(worker.active, Some(2));
        assert_eq!(worker.processed, Some(9));
        assert_eq!(worker.pid, Some(27856));
        assert_eq!(worker.first_seen, t0);
        assert_eq!(worker.last_beat, t1);
        assert_eq!(worker.expires_after_s(), 4.0);
        let mut offline = beat(0, 9);
        offline["type"] = "worker-offline".into();
        state.take_message(&envelope(&offline), t1);
        assert!(state.workers.is_empty());
    }

    #[test]
    fn task_events_count_per_name_with_runtimes() {
        let mut state = EventState::default();
        let now = Instant::now();
        let events = serde_json::json!([
            {"type": "task-received", "uuid": "a", "name": "tasks.nap"},
            {"type": "task-received", "uuid": "b", "name": "tasks.boom"},
            {"type": "task-started", "uuid": "a"},
            {"type": "task-succeeded", "uuid": "a", "runtime": 0.25},
            {"type": "task-failed", "uuid": "b", "exception": "ValueError()"},
            {"type": "task-succeeded", "uuid": "unseen", "runtime": 1.0},
        ]);
        state.take_message(&envelope(&events), now);
        assert_eq!(state.task_events_at, Some(now));
        let drained = state.drain();
        let summary: Vec<(&str, Option<&str>, bool, Option<u64>)> = drained
            .finished
            .iter()
            .map(|t| (t.id.as_str(), t.name.as_deref(), t.failed, t.runtime_ms))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a", Some("tasks.nap"), false, Some(250)),
                ("b", Some("tasks.boom"), true, None),
                ("unseen", None, false, Some(1000)),
            ]
        );
        assert_eq!(state.drain(), Drained::default());
    }

    #[test]
    fn garbage_is_counted_not_fatal() {
        let mut state = EventState::default();
        let now = Instant::now();
        state.take_message(b"nope", now);
        state.take_message(&envelope(&serde_json::json!(42)), now);
        state.take_message(&envelope(&serde_json::json!({"no": "type"})), now);
        state.take_message(
            &envelope(&serde_json::json!({"type": "worker-heartbeat"})),
            now,
        );
        assert_eq!(state.unreadable, 4);
        assert!(state.workers.is_empty());
    }

    #[test]
    fn stale_workers_are_forgotten_after_a_while() {
        let mut state = EventState::default();
        let t0 = Instant::now();
        state.take_message(&envelope(&beat(0, 0)), t0);
        state.forget_stale(t0 + Duration::from_secs(30));
        assert_eq!(state.workers.len(), 1);
        state.forget_stale(t0 + Duration::from_secs(65));
        assert!(state.workers.is_empty());
    }
}
