//! Sidekiq processes as `Sidekiq::ProcessSet` and `Sidekiq::WorkSet` see them: the
//! heartbeat hash of each identity in `processes` (skipped when it is gone, as
//! `ProcessSet#each` does: qtop never runs the cleanup's SREM), and its in-progress jobs
//! (`<identity>:work` since 6.5, `:workers` before; one entry per busy thread).

use redis::{Pipeline, Value};
use serde_json::Value as Json;

use super::job::{payload_job, time_ms};
use super::keys::Keys;
use crate::model::{System, WorkerInfo, WorkerLibrary};
use crate::source::value::{as_array, as_pairs, as_string};

/// Sidekiq's own expiry of a heartbeat: a process silent this long is gone.
pub const STALE_AFTER_S: f64 = 60.0;

/// The heartbeat fields read, in this order (`concurrency` is a field of its own since
/// 8.1.2; before, it is inside `info`).
const FIELDS: [&str; 7] = [
    "info",
    "busy",
    "beat",
    "quiet",
    "rss",
    "rtt_us",
    "concurrency",
];

/// Commands per process: HMGET of the heartbeat, HGETALL of `:work` and of `:workers`.
pub const COMMANDS: usize = 3;

pub fn push_process(pipe: &mut Pipeline, keys: &Keys, identity: &str) {
    pipe.cmd("HMGET")
        .arg(keys.process(identity))
        .arg(&FIELDS[..]);
    pipe.cmd("HGETALL").arg(keys.work(identity));
    pipe.cmd("HGETALL").arg(keys.workers_legacy(identity));
}

/// One job a process is running.
#[derive(Clone, Debug, PartialEq)]
pub struct Work {
    pub thread: String,
    pub queue: String,
    pub jid: Option<String>,
    /// When it started (epoch ms; Sidekiq stores whole seconds).
    pub run_at_ms: Option<i64>,
    pub enqueued_at_ms: Option<i64>,
}

/// A live process and what it is running.
#[derive(Clone, Debug, PartialEq)]
pub struct Process {
    pub worker: WorkerInfo,
    /// Resident memory in KB, as the process reports it.
    pub rss_kb: Option<u64>,
    pub quiet: bool,
    pub work: Vec<Work>,
}

/// Read one process from its three replies; `Ok(None)` when its heartbeat hash is gone
/// (dead, or stopped since `processes` was read); `Err` for garbage, in words.
pub fn parse_process(
    keys: &Keys,
    identity: &str,
    replies: &[Value],
    now_ms: i64,
) -> Result<Option<Process>, String> {
    let fields = replies.first().and_then(as_array).unwrap_or_default();
    let text = |i: usize| fields.get(i).and_then(as_string);
    let Some(info_text) = text(0) else {
        if let Some(Value::ServerError(_)) = replies.first() {
            return Err(format!("process {identity}: its key is not a hash"));
        }
        return Ok(None);
    };
    let info: Json = serde_json::from_str(&info_text)
        .map_err(|_| format!("process {identity}: its info is not JSON"))?;
    let number = |i: usize| text(i).and_then(|t| t.trim().parse::<f64>().ok());
    let beat_ms = text(2).and_then(|t| time_ms(&Json::String(t)));
    let started_ms = info.get("started_at").and_then(time_ms);
    let busy = number(1).map(|n| n.max(0.0) as u32);
    let quiet = text(3).as_deref() == Some("true");
    let concurrency = number(6)
        .or_else(|| info.get("concurrency").and_then(Json::as_f64))
        .map(|n| n.max(0.0) as u32);
    let queues: Vec<String> = info
        .get("queues")
        .and_then(Json::as_array)
        .map(|qs| {
            qs.iter()
                .filter_map(|q| q.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let host = info
        .get("hostname")
        .and_then(Json::as_str)
        .map(str::to_string);
    let pid = info.get("pid").and_then(Json::as_u64).map(|p| p as u32);
    let beat_age_s = beat_ms.map(|b| (now_ms - b).max(0) as f64 / 1000.0);
    let state = if quiet {
        "quiet"
    } else if busy.unwrap_or(0) > 0 {
        "busy"
    } else {
        "idle"
    };
    let mut work = Vec::new();
    for reply in replies.get(1..COMMANDS).unwrap_or_default() {
        for (thread, entry) in as_pairs(reply).unwrap_or_default() {
            let (Some(thread), Some(entry)) = (as_string(thread), as_string(entry)) else {
                continue;
            };
            let Ok(entry) = serde_json::from_str::<Json>(&entry) else {
                continue;
            };
            let job = entry.get("payload").and_then(payload_job);
            let queue = entry
                .get("queue")
                .and_then(Json::as_str)
                .map(str::to_string)
                .or_else(|| job.as_ref().and_then(|j| j.queue.clone()))
                .unwrap_or_default();
            work.push(Work {
                thread,
                queue,
                jid: job.as_ref().and_then(|j| j.jid.clone()),
                run_at_ms: entry.get("run_at").and_then(time_ms),
                enqueued_at_ms: job.as_ref().and_then(|j| j.enqueued_at_ms),
            });
        }
    }
    let worker = WorkerInfo {
        system: System::Sidekiq,
        prefix: keys.namespace().to_string(),
        queue: queues.first().cloned().unwrap_or_default(),
        name: identity.to_string(),
        addr: host.clone().unwrap_or_default(),
        age_s: started_ms.map_or(0, |s| ((now_ms - s).max(0) / 1000) as u64),
        idle_s: None,
        library: WorkerLibrary::Sidekiq,
        queues,
        busy,
        concurrency,
        beat_age_s,
        host,
        pid,
        state: Some(state.to_string()),
        stale: beat_age_s.is_none_or(|age| age > STALE_AFTER_S),
        rss_kb: number(4).map(|kb| kb.max(0.0) as u64),
        ..WorkerInfo::default()
    };
    Ok(Some(Process {
        rss_kb: worker.rss_kb,
        worker,
        quiet,
        work,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    fn hmget(info: &str, concurrency: Option<&str>) -> Value {
        Value::Array(vec![
            bulk(info),
            bulk("2"),
            bulk("1796365723.5"),
            bulk("false"),
            bulk("51234"),
            bulk("310"),
            concurrency.map_or(Value::Nil, bulk),
        ])
    }

    fn work(queue: &str, payload: &str) -> Value {
        let entry = serde_json::json!({"queue": queue, "payload": payload, "run_at": 1796365720});
        Value::Array(vec![bulk("jzh"), bulk(&entry.to_string())])
    }

    /// Fixtures written from each version's launcher: what a heartbeat looks like.
    #[test]
    fn heartbeats_of_every_version() {
        let now = 1_796_365_725_500;
        let payload_6 = r#"{"class":"A","queue":"slow","jid":"j1","enqueued_at":1796365719.25}"#;
        let payload_8 = r#"{"class":"A","queue":"slow","jid":"j1","enqueued_at":1796365719250}"#;
        struct Case {
            version: &'static str,
            replies: Vec<Value>,
            concurrency: u32,
        }
        let info_6 = r#"{"hostname":"web-1","started_at":1796365000.1,"pid":4242,"tag":"app","concurrency":3,"queues":["default","slow"],"labels":[],"identity":"web-1:4242:abcdef012345"}"#;
        let info_8 = r#"{"hostname":"web-1","started_at":1796365000.1,"pid":4242,"tag":"app","queues":["default","slow"],"weights":[{"default":2,"slow":1}],"capsules":{"default":{"concurrency":5,"mode":"weighted","weights":{"default":2,"slow":1}}},"labels":[],"identity":"web-1:4242:abcdef012345","version":"8.1.7","embedded":false}"#;
        let cases = [
            Case {
                version: "6.4 (:workers)",
                replies: vec![
                    hmget(info_6, None),
                    Value::Array(vec![]),
                    work("slow", payload_6),
                ],
                concurrency: 3,
            },
            Case {
                version: "7.x (:work)",
                replies: vec![
                    hmget(info_6, None),
                    work("slow", payload_6),
                    Value::Array(vec![]),
                ],
                concurrency: 3,
            },
            Case {
                version: "8.1.2+ (concurrency field, int ms)",
                replies: vec![
                    hmget(info_8, Some("5")),
                    work("slow", payload_8),
                    Value::Nil,
                ],
                concurrency: 5,
            },
        ];
        let keys = Keys::new("");
        for case in cases {
            let process = parse_process(&keys, "web-1:4242:abcdef012345", &case.replies, now)
                .unwrap_or_default()
                .unwrap_or_else(|| panic!("{}: no process", case.version));
            let w = &process.worker;
            assert_eq!(w.concurrency, Some(case.concurrency), "{}", case.version);
            assert_eq!(w.queues, ["default", "slow"], "{}", case.version);
            assert_eq!(w.pid, Some(4242));
            assert_eq!(w.busy, Some(2));
            assert_eq!(w.beat_age_s, Some(2.0));
            assert_eq!(process.rss_kb, Some(51234));
            assert_eq!(w.state.as_deref(), Some("busy"));
            assert!(!w.stale);
            assert_eq!(process.work.len(), 1, "{}", case.version);
            assert_eq!(process.work[0].queue, "slow");
            assert_eq!(process.work[0].enqueued_at_ms, Some(1_796_365_719_250));
            assert_eq!(process.work[0].run_at_ms, Some(1_796_365_720_000));
        }
    }

    #[test]
    fn a_gone_heartbeat_is_skipped_and_garbage_is_reported() {
        let keys = Keys::new("");
        let gone = [Value::Array(vec![Value::Nil; 7]), Value::Nil, Value::Nil];
        assert_eq!(parse_process(&keys, "x", &gone, 0), Ok(None));
        let garbage = [hmget("{not json", None), bulk("?"), Value::Int(3)];
        assert!(parse_process(&keys, "x", &garbage, 0).is_err());
    }
}
