//! Everything about one BullMQ job, whatever its state: `qtop job show`. Read-only and
//! bounded: payload fields above the limit are reported by size, the log by its newest
//! lines, the flow around the job by depth and count (flow.rs).

use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Value};

use super::super::keys::QueueId;
use super::fields::{number, read_fields, Field, FieldRequest, SMALL_FIELD, UNBOUNDED};
use super::flow::{children_tree, parent_chain, ParentLink};
use super::state::{due_from_score, parse_probe, push_probe, Probe, PROBE_LEN};
use crate::model::failures::Payload;
use crate::model::jobs::{Attempts, JobDetail, ShowLimits};
use crate::model::System;
use crate::source::value::{as_array, as_i64, as_string, server_error};

/// How much of a field to read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Size {
    /// A number BullMQ writes: read without asking its size.
    Number,
    /// A name, an id: up to 64 KiB.
    Small,
    /// A payload: up to the payload limit.
    Big,
}

/// The job hash's fields qtop reads.
const FIELDS: [(&str, Size); 22] = [
    ("name", Small),
    ("timestamp", Number),
    ("delay", Number),
    ("priority", Number),
    ("processedOn", Number),
    ("finishedOn", Number),
    ("atm", Number),
    ("attemptsMade", Number),
    ("ats", Number),
    ("stc", Number),
    ("pb", Small),
    ("rjk", Small),
    ("deid", Small),
    ("parentKey", Small),
    ("parent", Small),
    ("defa", Small),
    ("data", Big),
    ("opts", Big),
    ("returnvalue", Big),
    ("progress", Big),
    ("stacktrace", Big),
    ("failedReason", Big),
];
use Size::{Big, Number, Small};

/// Tries at reading the state when the job moves between two of its sets mid-read.
const STATE_TRIES: usize = 3;

/// Everything about job `id`, or `None` when the queue has no such job (no hash, and in
/// none of its sets).
pub async fn job_detail(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    id: &str,
    limits: &ShowLimits,
) -> RedisResult<Option<JobDetail>> {
    let mut around = read_around(conn, queue, id, limits).await?;
    for _ in 1..STATE_TRIES {
        // A job that exists but is in no set is usually moving between two of them.
        if around.probe.state != "unknown" || around.key_type != "hash" {
            break;
        }
        around = read_around(conn, queue, id, limits).await?;
    }
    if around.key_type == "none" && around.probe.state == "unknown" {
        return Ok(None);
    }
    let requests = [FieldRequest {
        key: queue.job(id),
        fields: FIELDS
            .iter()
            .map(|(f, size)| {
                let limit = match size {
                    Number => UNBOUNDED,
                    Small => SMALL_FIELD,
                    Big => limits.max_payload,
                };
                (f.to_string(), limit)
            })
            .collect(),
    }];
    let mut read = read_fields(conn, &requests).await?;
    let fields = read.pop().unwrap_or_default();
    let get = |name: &str| -> &Field {
        FIELDS
            .iter()
            .position(|(f, _)| *f == name)
            .and_then(|i| fields.get(i))
            .unwrap_or(&Field::Absent)
    };

    let mut detail = JobDetail {
        system: System::Bullmq,
        prefix: queue.prefix.to_string(),
        queue: queue.name.to_string(),
        id: id.to_string(),
        state: around.probe.state.to_string(),
        lock_ttl_ms: (around.probe.state == "active")
            .then_some(around.lock_ttl_ms)
            .flatten(),
        logs: std::mem::take(&mut around.logs),
        logs_total: around.logs_total,
        problems: around.probe.problems.clone(),
        ..JobDetail::default()
    };
    match around.key_type.as_str() {
        "hash" => {}
        "none" => detail
            .problems
            .push("its job hash is missing (the id is left in a set)".to_string()),
        other => detail
            .problems
            .push(format!("its key is a {other}, not a hash")),
    }
    let mut num = |name: &str| match number(name, get(name)) {
        Ok(n) => n,
        Err(problem) => {
            detail.problems.push(problem);
            None
        }
    };
    let timestamp = num("timestamp");
    let delay = num("delay");
    let priority = num("priority");
    let processed_on = num("processedOn");
    let finished_on = num("finishedOn");
    let legacy_made = num("attemptsMade");
    let made = num("atm").or(legacy_made);
    // v5+ write `ats`/`stc` on the first start/stall (absent means 0, as BullMQ reads
    // them); ≤ v4 jobs (`attemptsMade`) never had them.
    let since_v5 = |n: Option<i64>| {
        if legacy_made.is_some() {
            n
        } else {
            n.or(Some(0))
        }
    };
    let started = since_v5(num("ats"));
    let stalled = since_v5(num("stc"));
    detail.timestamp = timestamp;
    detail.delay = delay;
    detail.priority = priority;
    detail.processed_on = processed_on;
    detail.finished_on = finished_on;
    let text = |name: &str| get(name).text();
    detail.name = text("name");
    detail.processed_by = text("pb");
    detail.scheduler_id = text("rjk");
    detail.deduplication_id = text("deid");
    detail.deferred_failure = text("defa");
    detail.data = get("data").payload();
    detail.opts = get("opts").payload();
    detail.return_value = get("returnvalue").payload();
    detail.progress = get("progress").payload();
    detail.failed_reason = text("failedReason");
    for (name, _) in FIELDS {
        match get(name) {
            // A key of another type already said so, once.
            Field::Unreadable(error) if around.key_type == "hash" => {
                detail.problems.push(format!("{name}: {error}"))
            }
            // The payloads say their size themselves.
            Field::TooLarge(size)
                if !matches!(name, "data" | "opts" | "returnvalue" | "progress") =>
            {
                detail
                    .problems
                    .push(format!("{name} is {size} bytes: not loaded"))
            }
            _ => {}
        }
    }
    dedupe(&mut detail.problems);
    match get("stacktrace") {
        Field::Value(bytes) => match serde_json::from_slice::<Vec<Option<String>>>(bytes) {
            Ok(traces) => detail.stacktrace = traces.into_iter().flatten().collect(),
            Err(_) => detail.stacktrace_unreadable = true,
        },
        Field::TooLarge(_) | Field::Unreadable(_) => detail.stacktrace_unreadable = true,
        Field::Absent => {}
    }
    let opts = match &detail.opts {
        Payload::Json { text } => serde_json::from_str::<serde_json::Value>(text).ok(),
        _ => None,
    };
    let opt = |name: &str| opts.as_ref().and_then(|o| o.get(name)).and_then(json_i64);
    detail.attempts = Attempts {
        made: made.unwrap_or(0).max(0) as u64,
        started: started.map(|n| n.max(0) as u64),
        stalled: stalled.map(|n| n.max(0) as u64),
        max: opt("attempts").filter(|n| *n > 0).map(|n| n as u64),
    };
    detail.due = match (around.probe.state, around.probe.score) {
        ("delayed", Some(score)) => due_from_score(score),
        _ => match (timestamp, opt("delay")) {
            (Some(t), Some(d)) if d > 0 => Some(t.saturating_add(d)),
            _ => None,
        },
    };
    detail.ahead = around.ahead();
    if around.key_type == "hash" && detail.name.is_none() && detail.timestamp.is_none() {
        detail
            .problems
            .push("the hash has no BullMQ job fields: it may not be a job".to_string());
    }

    let link = ParentLink::from_fields(queue, text("parent"), text("parentKey"));
    if let Some(link) = link {
        let (parents, truncated) = parent_chain(conn, link, limits).await?;
        detail.parents = parents;
        detail.parents_truncated = truncated;
    } else if text("parent").is_some() || text("parentKey").is_some() {
        detail
            .problems
            .push("its parent fields are unreadable".to_string());
    }
    detail.children = children_tree(conn, queue, id, limits, &mut detail.problems).await?;
    Ok(Some(detail))
}

fn dedupe(problems: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    problems.retain(|p| seen.insert(p.clone()));
}

fn json_i64(value: &serde_json::Value) -> Option<i64> {
    value
        .as_i64()
        .or_else(|| value.as_f64().filter(|x| x.is_finite()).map(|x| x as i64))
}

/// What is read around the job hash in one round trip: its state, its place in line, its
/// lock and its log.
struct Around {
    key_type: String,
    probe: Probe,
    wait_len: Option<i64>,
    paused_len: Option<i64>,
    delayed_rank: Option<i64>,
    prioritized_rank: Option<i64>,
    lock_ttl_ms: Option<i64>,
    logs_total: u64,
    logs: Vec<String>,
}

impl Around {
    /// Jobs that will run before this one: workers take the `wait` list from its right end,
    /// and all of `wait` before `prioritized` (then by priority); delayed jobs by due time.
    fn ahead(&self) -> Option<u64> {
        let index = self.probe.index;
        let ahead = match self.probe.state {
            "waiting" => match (self.wait_len, self.paused_len, index) {
                (Some(len), _, Some(i)) if i < len => Some(len - 1 - i),
                (_, Some(len), Some(i)) if i < len => Some(len - 1 - i),
                _ => None,
            },
            "prioritized" => self
                .prioritized_rank
                .map(|rank| rank + self.wait_len.unwrap_or(0)),
            "delayed" => self.delayed_rank,
            _ => None,
        };
        ahead.map(|n| n.max(0) as u64)
    }
}

async fn read_around(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    id: &str,
    limits: &ShowLimits,
) -> RedisResult<Around> {
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    pipe.cmd("TYPE").arg(queue.job(id));
    push_probe(&mut pipe, queue, id);
    pipe.cmd("LLEN").arg(queue.wait());
    pipe.cmd("LLEN").arg(queue.paused());
    pipe.cmd("ZRANK").arg(queue.delayed()).arg(id);
    pipe.cmd("ZRANK").arg(queue.prioritized()).arg(id);
    pipe.cmd("PTTL").arg(queue.lock(id));
    pipe.cmd("LLEN").arg(queue.logs(id));
    let lines = limits.log_lines.clamp(1, i64::MAX as u64) as i64;
    pipe.cmd("LRANGE").arg(queue.logs(id)).arg(-lines).arg(-1);
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    let get = |i: usize| replies.get(i).unwrap_or(&Value::Nil);
    let after = 1 + PROBE_LEN;
    let int = |i: usize| as_i64(get(i));
    let mut probe = parse_probe(&replies[1.min(replies.len())..]);
    let key_type = match server_error(get(0)) {
        Some(error) => {
            probe.problems.push(format!("its key: {error}"));
            "unreadable".to_string()
        }
        None => as_string(get(0)).unwrap_or_else(|| "none".to_string()),
    };
    let logs = if limits.log_lines == 0 {
        Vec::new()
    } else {
        as_array(get(after + 6))
            .unwrap_or_default()
            .iter()
            .filter_map(as_string)
            .collect()
    };
    Ok(Around {
        key_type,
        probe,
        wait_len: int(after),
        paused_len: int(after + 1),
        delayed_rank: int(after + 2),
        prioritized_rank: int(after + 3),
        lock_ttl_ms: int(after + 4),
        logs_total: int(after + 5).unwrap_or(0).max(0) as u64,
        logs,
    })
}
