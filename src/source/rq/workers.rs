//! RQ's workers: `rq:workers` lists them, each `rq:worker:<name>` hash describes one
//! (../shared/rq-model.md §5). The list is what `Worker.all()` returns, reached without its
//! write: `Worker.all()` SREMs members whose hash is gone, qtop only leaves them out of the
//! live list (and shows the ones it saw alive as stale: their TTL lapsed, so the process
//! is gone, but RQ has not cleaned it up yet).
//!
//! Liveness is the key's existence: an idle worker beats only every ~405 s (its BLPOP
//! timeout) with an EXPIRE of 480 s, so a 7-minute-old heartbeat is healthy.

use redis::Value;

use super::keys::{parse_time_ms, worker_name};
use crate::model::{System, WorkerInfo, WorkerLibrary};
use crate::source::value::{as_array, as_pairs, as_string, server_error};

/// One worker hash, as read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RqWorker {
    pub name: String,
    pub queues: Vec<String>,
    pub state: Option<String>,
    pub current_job: Option<String>,
    pub successful: Option<u64>,
    pub failed: Option<u64>,
    pub working_time_s: Option<f64>,
    pub birth_ms: Option<i64>,
    pub last_heartbeat_ms: Option<i64>,
    pub host: Option<String>,
    pub pid: Option<u32>,
    pub ip_address: Option<String>,
    pub version: Option<String>,
}

/// What the HGETALL of a listed worker said.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkerRead {
    Alive(Box<RqWorker>),
    /// The hash is gone: its TTL lapsed (a crashed worker RQ has not cleaned up yet).
    Gone,
    /// Not a hash, or garbage: in words.
    Unreadable(String),
}

/// The worker names in the reply to `SMEMBERS rq:workers` (members that are not worker
/// keys are ignored, as RQ refuses them).
pub fn parse_members(reply: &Value) -> Vec<String> {
    let mut names: Vec<String> = as_array(reply)
        .unwrap_or_default()
        .iter()
        .filter_map(as_string)
        .filter_map(|key| worker_name(&key).map(str::to_string))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The reply to `HGETALL rq:worker:<name>`.
pub fn parse_worker(name: &str, reply: &Value) -> WorkerRead {
    if let Some(error) = server_error(reply) {
        return WorkerRead::Unreadable(format!("rq:worker:{name}: {error}"));
    }
    let Some(pairs) = as_pairs(reply) else {
        return WorkerRead::Unreadable(format!("rq:worker:{name}: not a hash"));
    };
    if pairs.is_empty() {
        return WorkerRead::Gone;
    }
    let mut worker = RqWorker {
        name: name.to_string(),
        ..RqWorker::default()
    };
    for (field, value) in pairs {
        let (Some(field), Some(value)) = (as_string(field), as_string(value)) else {
            continue;
        };
        let text = || Some(value.clone()).filter(|v| !v.is_empty());
        match field.as_str() {
            "queues" => {
                worker.queues = value
                    .split(',')
                    .map(str::trim)
                    .filter(|q| !q.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            "state" => worker.state = text(),
            "current_job" => worker.current_job = text(),
            "successful_job_count" => worker.successful = value.trim().parse().ok(),
            "failed_job_count" => worker.failed = value.trim().parse().ok(),
            "total_working_time" => {
                worker.working_time_s = value.trim().parse().ok().filter(|s: &f64| s.is_finite())
            }
            "birth" => worker.birth_ms = parse_time_ms(&value),
            "last_heartbeat" => worker.last_heartbeat_ms = parse_time_ms(&value),
            "hostname" => worker.host = text(),
            "pid" => worker.pid = value.trim().parse().ok(),
            "ip_address" => worker.ip_address = text(),
            "version" => worker.version = text(),
            _ => {}
        }
    }
    WorkerRead::Alive(Box::new(worker))
}

impl RqWorker {
    /// The neutral worker entry at `now_ms`.
    pub fn info(&self, now_ms: i64) -> WorkerInfo {
        let age = |ms: Option<i64>| ms.map(|t| (now_ms - t).max(0));
        let busy = self.state.as_deref() == Some("busy") || self.current_job.is_some();
        WorkerInfo {
            system: System::Rq,
            prefix: String::new(),
            queue: self.queues.first().cloned().unwrap_or_default(),
            name: self.name.clone(),
            addr: self
                .ip_address
                .clone()
                .or_else(|| self.host.clone())
                .unwrap_or_default(),
            age_s: age(self.birth_ms).map_or(0, |ms| (ms / 1000) as u64),
            library: WorkerLibrary::Rq,
            queues: self.queues.clone(),
            // An RQ worker runs one job at a time (its work horse).
            busy: Some(u32::from(busy)),
            concurrency: Some(1),
            beat_age_s: age(self.last_heartbeat_ms).map(|ms| ms as f64 / 1000.0),
            host: self.host.clone(),
            pid: self.pid,
            state: self.state.clone(),
            stale: false,
            current_job: self.current_job.clone(),
            successful_jobs: self.successful,
            failed_jobs: self.failed,
            working_time_s: self.working_time_s,
            ..WorkerInfo::default()
        }
    }

    /// What changed since `before` that may have changed its queues' figures (a job
    /// started or finished).
    pub fn moved_since(&self, before: &RqWorker) -> bool {
        self.state != before.state
            || self.current_job != before.current_job
            || self.successful != before.successful
            || self.failed != before.failed
    }
}

/// A listed worker whose hash is gone, as last seen alive (or only its name): stale.
pub fn stale_info(name: &str, last_seen: Option<&RqWorker>, now_ms: i64) -> WorkerInfo {
    let mut info = match last_seen {
        Some(worker) => worker.info(now_ms),
        None => RqWorker {
            name: name.to_string(),
            ..RqWorker::default()
        }
        .info(now_ms),
    };
    info.stale = true;
    info.busy = None;
    info.state = Some("gone".to_string());
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    fn hash(fields: &[(&str, &str)]) -> Value {
        Value::Array(
            fields
                .iter()
                .flat_map(|(k, v)| [bulk(k), bulk(v)])
                .collect(),
        )
    }

    #[test]
    fn a_busy_worker_hash_reads_whole() {
        let reply = hash(&[
            ("birth", "2026-12-04T10:00:00.000000Z"),
            ("last_heartbeat", "2026-12-04T10:00:30.500000Z"),
            ("queues", "high,default"),
            ("pid", "4242"),
            ("hostname", "box"),
            ("ip_address", "127.0.0.1:5000"),
            ("state", "busy"),
            ("current_job", "abc"),
            ("successful_job_count", "7"),
            ("failed_job_count", "2"),
            ("total_working_time", "1.5"),
        ]);
        let WorkerRead::Alive(worker) = parse_worker("w1", &reply) else {
            panic!("not read");
        };
        let now = parse_time_ms("2026-12-04T10:01:00Z").unwrap_or_default();
        let info = worker.info(now);
        assert_eq!(info.queue, "high");
        assert_eq!(info.queues, vec!["high", "default"]);
        assert_eq!(info.age_s, 60);
        assert_eq!(info.beat_age_s, Some(29.5));
        assert_eq!(info.busy, Some(1));
        assert_eq!(info.pid, Some(4242));
        assert_eq!(info.successful_jobs, Some(7));
        assert_eq!(info.current_job.as_deref(), Some("abc"));
        assert_eq!(info.addr, "127.0.0.1:5000");
    }

    #[test]
    fn gone_wrong_type_and_garbage_never_panic() {
        assert_eq!(parse_worker("w", &Value::Array(vec![])), WorkerRead::Gone);
        assert!(matches!(
            parse_worker("w", &Value::Int(3)),
            WorkerRead::Unreadable(_)
        ));
        let garbage = hash(&[
            ("pid", "-x"),
            ("birth", "soon"),
            ("successful_job_count", "NaN"),
        ]);
        let WorkerRead::Alive(worker) = parse_worker("w", &garbage) else {
            panic!("not read");
        };
        assert_eq!(
            (worker.pid, worker.birth_ms, worker.successful),
            (None, None, None)
        );
        let stale = stale_info("w", None, 0);
        assert!(stale.stale && !stale.serves(System::Rq, "", ""));
    }

    #[test]
    fn members_that_are_not_worker_keys_are_ignored() {
        let reply = Value::Array(vec![bulk("rq:worker:b"), bulk("junk"), bulk("rq:worker:a")]);
        assert_eq!(parse_members(&reply), vec!["a", "b"]);
    }
}
