//! A queue's job schedulers (`P:Q:repeat`, scored by the next run, and each one's
//! `P:Q:repeat:<id>` definition, BullMQ ≥ 5.16) and the repeatable jobs of older versions,
//! as `queue.getJobSchedulers()` (and v5's `getRepeatableJobs()`) list them. Bounded: the
//! soonest `limit`, templates above the payload limit reported by size.

use redis::aio::MultiplexedConnection;
use redis::{RedisResult, Value};

use super::super::keys::QueueId;
use super::fields::{number, read_fields, Field, FieldRequest, SMALL_FIELD};
use crate::model::schedulers::{Scheduler, SchedulerKind, SchedulerList};
use crate::model::System;
use crate::source::value::{as_array, as_i64, as_string, server_error};

const SMALL: [&str; 9] = [
    "name",
    "every",
    "pattern",
    "tz",
    "limit",
    "startDate",
    "endDate",
    "offset",
    "ic",
];

/// The `limit` schedulers that run soonest, and how many there are.
pub async fn schedulers(
    conn: &mut MultiplexedConnection,
    queue: &QueueId,
    limit: u64,
    max_payload: u64,
) -> RedisResult<SchedulerList> {
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    pipe.cmd("ZCARD").arg(queue.repeat());
    pipe.cmd("ZRANGE")
        .arg(queue.repeat())
        .arg(0)
        .arg(limit.max(1) as i64 - 1)
        .arg("WITHSCORES");
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    let mut list = SchedulerList {
        system: System::Bullmq,
        prefix: queue.prefix.to_string(),
        queue: queue.name.to_string(),
        total: replies.first().and_then(as_i64).unwrap_or(0).max(0) as u64,
        ..SchedulerList::default()
    };
    let reply = replies.get(1).unwrap_or(&Value::Nil);
    if let Some(error) = server_error(reply) {
        list.schedulers.push(Scheduler {
            id: queue.repeat(),
            kind: SchedulerKind::Orphan,
            problems: vec![format!("the repeat key is unreadable: {error}")],
            ..Scheduler::default()
        });
        return Ok(list);
    }
    let entries = scored(reply);
    if limit == 0 {
        list.truncated = list.total > 0;
        return Ok(list);
    }
    let mut fields: Vec<(&str, u64)> = SMALL.iter().map(|f| (*f, SMALL_FIELD)).collect();
    fields.push(("data", max_payload));
    fields.push(("opts", max_payload));
    let requests: Vec<FieldRequest> = entries
        .iter()
        .map(|(id, _)| FieldRequest::new(queue.scheduler(id), &fields))
        .collect();
    let read = read_fields(conn, &requests).await?;
    list.schedulers = entries
        .into_iter()
        .zip(read)
        .map(|((id, next), fields)| scheduler(id, next, &fields))
        .collect();
    list.truncated = (list.schedulers.len() as u64) < list.total;
    Ok(list)
}

/// `[member, score, …]` (RESP2) or `[[member, score], …]` (RESP3).
fn scored(reply: &Value) -> Vec<(String, Option<f64>)> {
    let items = as_array(reply).unwrap_or_default();
    let score = |v: &Value| match v {
        Value::Double(x) => Some(*x),
        other => as_string(other).and_then(|s| s.parse().ok()),
    };
    if items.iter().all(|i| as_array(i).is_some()) {
        return items
            .iter()
            .filter_map(|pair| match as_array(pair)? {
                [member, s] => Some((as_string(member)?, score(s))),
                _ => None,
            })
            .collect();
    }
    items
        .chunks_exact(2)
        .filter_map(|pair| Some((as_string(&pair[0])?, score(&pair[1]))))
        .collect()
}

fn scheduler(id: String, next: Option<f64>, fields: &[Field]) -> Scheduler {
    let get = |name: &str| {
        SMALL
            .iter()
            .chain(&["data", "opts"])
            .position(|f| *f == name)
            .and_then(|i| fields.get(i))
            .unwrap_or(&Field::Absent)
    };
    let mut problems = Vec::new();
    let mut num = |name: &str| match number(name, get(name)) {
        Ok(n) => n,
        Err(problem) => {
            problems.push(problem);
            None
        }
    };
    let every = num("every");
    let limit = num("limit");
    let start_date = num("startDate");
    let end_date = num("endDate");
    let offset = num("offset");
    let iteration_count = num("ic");
    let unsigned = |n: Option<i64>| n.filter(|n| *n >= 0).map(|n| n as u64);
    for field in fields {
        if let Field::Unreadable(error) = field {
            problems.push(format!("its definition: {error}"));
            break;
        }
    }
    let exists = fields.iter().any(|f| !matches!(f, Field::Absent));
    let mut scheduler = Scheduler {
        kind: if iteration_count.is_some() {
            SchedulerKind::Scheduler
        } else {
            SchedulerKind::Repeatable
        },
        name: get("name").text(),
        pattern: get("pattern").text().filter(|p| !p.is_empty()),
        every: unsigned(every),
        tz: get("tz").text().filter(|t| !t.is_empty()),
        next_run: next.filter(|x| x.is_finite()).map(|x| x as i64),
        iteration_count: unsigned(iteration_count),
        limit: unsigned(limit),
        start_date,
        end_date,
        offset,
        template_data: get("data").payload(),
        template_opts: get("opts").payload(),
        problems,
        id,
    };
    if !exists {
        match legacy_key(&scheduler.id) {
            Some(legacy) => {
                scheduler.kind = SchedulerKind::Repeatable;
                scheduler.name = Some(legacy.name);
                scheduler.end_date = legacy.end_date;
                scheduler.tz = legacy.tz;
                scheduler.pattern = legacy.pattern;
                scheduler.every = legacy.every;
            }
            None => {
                scheduler.kind = SchedulerKind::Orphan;
                scheduler
                    .problems
                    .push("its definition (repeat:<id>) is gone".to_string());
            }
        }
    }
    scheduler
}

/// What a legacy repeatable key says of itself.
#[derive(Debug, PartialEq, Eq)]
struct LegacyKey {
    name: String,
    end_date: Option<i64>,
    tz: Option<String>,
    pattern: Option<String>,
    every: Option<u64>,
}

/// A legacy repeatable job's key `name:jobId:endDate:tz:pattern-or-every` (BullMQ ≤ 3 kept
/// no definition hash), with the shape BullMQ 6 recognises: an empty or numeric end date,
/// and a cron pattern (it has spaces) or a numeric interval.
fn legacy_key(key: &str) -> Option<LegacyKey> {
    let mut parts = key.splitn(5, ':');
    let (name, _job_id, end_date, tz, suffix) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if (!end_date.is_empty() && !numeric(end_date)) || suffix.is_empty() {
        return None;
    }
    let (pattern, every) = if suffix.contains(' ') {
        (Some(suffix.to_string()), None)
    } else if numeric(suffix) {
        (None, suffix.parse().ok())
    } else {
        return None;
    };
    Some(LegacyKey {
        name: name.to_string(),
        end_date: end_date.parse().ok(),
        tz: (!tz.is_empty()).then(|| tz.to_string()),
        pattern,
        every,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_keys_read_as_bullmq_6_recognises_them() {
        assert_eq!(
            legacy_key("report::1700000000000:Europe/Paris:0 * * * *"),
            Some(LegacyKey {
                name: "report".into(),
                end_date: Some(1_700_000_000_000),
                tz: Some("Europe/Paris".into()),
                pattern: Some("0 * * * *".into()),
                every: None,
            })
        );
        assert_eq!(
            legacy_key("tick:::: 5000").map(|k| k.pattern),
            Some(Some(" 5000".into()))
        );
        assert_eq!(legacy_key("tick::::5000").and_then(|k| k.every), Some(5000));
        for not_legacy in ["daily", "a:b:c:d", "a:b:xx:tz:5000", "a:b:::abc", "a:b:::"] {
            assert_eq!(legacy_key(not_legacy), None, "{not_legacy}");
        }
    }

    #[test]
    fn a_scheduler_without_its_hash_is_an_orphan() {
        let fields = vec![Field::Absent; SMALL.len() + 2];
        let s = scheduler("daily".into(), Some(1000.0), &fields);
        assert_eq!(s.kind, SchedulerKind::Orphan);
        assert_eq!(s.next_run, Some(1000));
        let mut fields = fields;
        fields[0] = Field::Value(b"tick".to_vec());
        fields[1] = Field::Value(b"garbage".to_vec());
        fields[8] = Field::Value(b"3".to_vec());
        let s = scheduler("t".into(), None, &fields);
        assert_eq!(s.kind, SchedulerKind::Scheduler);
        assert_eq!(s.every, None);
        assert_eq!(s.iteration_count, Some(3));
        assert_eq!(s.problems.len(), 1, "{:?}", s.problems);
    }
}
