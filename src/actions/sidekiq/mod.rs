//! Sidekiq's writes, each exactly as Sidekiq's own API does it (../shared/sidekiq-model.md
//! §6): `Process#quiet!`/`#stop!` (a signal pushed to the process's list), and
//! `SortedEntry#retry`/`#delete` on the dead and retry sets (the exact member bytes as read;
//! several members may share a score). Only through a [`Writer`].

use anyhow::{Context, Result};
use redis::aio::MultiplexedConnection;
use serde_json::{Map, Value};

use super::dead_letters::Outcome;
use super::Writer;
use crate::source::sidekiq::dlq::{self, Entry};
use crate::source::sidekiq::job::Job;
use crate::source::sidekiq::{JobSet, Keys};

const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

async fn connect(writer: &Writer, key: &str) -> Result<MultiplexedConnection> {
    Ok(crate::source::link::connect_for_key(writer.target(), key, TIMEOUT, |_| Ok(())).await?)
}

/// `Process#quiet!` (`TSTP`) or `#stop!` (`TERM`): MULTI { LPUSH `<identity>-signals`
/// SIGNAL; EXPIRE … 60 }. The process acts on it at its next heartbeat.
pub async fn signal(writer: &Writer, keys: &Keys, identity: &str, signal: &str) -> Result<()> {
    let key = keys.signals(identity);
    let mut conn = connect(writer, &key).await?;
    let mut pipe = redis::pipe();
    pipe.atomic();
    pipe.cmd("LPUSH").arg(&key).arg(signal).ignore();
    pipe.cmd("EXPIRE").arg(&key).arg(60).ignore();
    let () = pipe.query_async(&mut conn).await?;
    Ok(())
}

/// `Sidekiq::Client.push` of a job read back from a set, as `SortedEntry#retry` does it:
/// `retry_count` one less, the client's defaults filled in, a fresh `enqueued_at` (float
/// seconds, or integer ms for an 8.x job), SADD `queues` and LPUSH `queue:<q>`; a job that
/// carries `at` goes to the schedule instead.
fn prepare_push(member: &[u8], now_ms: i64) -> Result<(Option<f64>, String, Vec<u8>)> {
    let mut job: Map<String, Value> =
        serde_json::from_slice(member).context("the job is not a JSON object")?;
    if let Some(Value::Number(n)) = job.get("retry_count") {
        if let Some(count) = n.as_i64() {
            job.insert("retry_count".into(), Value::from(count - 1));
        }
    }
    // Sidekiq.default_job_options merged under the job, then normalize_item.
    job.entry("retry").or_insert(Value::Bool(true));
    let queue = match job.get("queue").and_then(Value::as_str) {
        Some(q) if !q.is_empty() => q.to_string(),
        _ => "default".to_string(),
    };
    job.insert("queue".into(), Value::String(queue.clone()));
    let in_ms = Job::parse(member).is_some_and(|j| j.times_in_ms);
    let now = if in_ms {
        Value::from(now_ms)
    } else {
        Value::from(now_ms as f64 / 1000.0)
    };
    job.entry("created_at").or_insert_with(|| now.clone());
    if !job.contains_key("jid") {
        job.insert("jid".into(), Value::String(random_jid()));
    }
    let at = match job.remove("at") {
        Some(at) => Some(
            at.as_f64()
                .or_else(|| at.as_str().and_then(|s| s.parse().ok()))
                .context("the job's `at` is not a time")?,
        ),
        None => {
            job.insert("enqueued_at".into(), now);
            None
        }
    };
    Ok((at, queue, serde_json::to_vec(&job)?))
}

/// 24 hex digits, as `SecureRandom.hex(12)`.
fn random_jid() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mixed = nanos ^ (u128::from(std::process::id()) << 64);
    format!("{:024x}", mixed & ((1u128 << 96) - 1))
}

/// `SortedEntry#retry` of one entry: take every member with its score out (MULTI
/// ZRANGEBYSCORE + ZREMRANGEBYSCORE), push the one with its jid, put the others back.
/// Returns whether the job was still there.
async fn retry_entry(
    conn: &mut MultiplexedConnection,
    keys: &Keys,
    set: JobSet,
    entry: &Entry,
) -> Result<bool> {
    let key = keys.set(set);
    let score = &entry.score_text;
    let mut take = redis::pipe();
    take.atomic();
    take.cmd("ZRANGEBYSCORE").arg(&key).arg(score).arg(score);
    take.cmd("ZREMRANGEBYSCORE")
        .arg(&key)
        .arg(score)
        .arg(score)
        .ignore();
    let (members,): (Vec<Vec<u8>>,) = take.query_async(conn).await?;
    let jid = entry.jid().unwrap_or_default();
    let (matched, others): (Vec<Vec<u8>>, Vec<Vec<u8>>) = if members.len() == 1 {
        (members, Vec::new())
    } else {
        members.into_iter().partition(|m| {
            Job::parse(m).and_then(|j| j.jid).as_deref() == Some(jid) && !jid.is_empty()
        })
    };
    if !others.is_empty() {
        let mut back = redis::pipe();
        back.atomic();
        for member in &others {
            back.cmd("ZADD").arg(&key).arg(score).arg(member).ignore();
        }
        let () = back.query_async(conn).await?;
    }
    let Some(member) = matched.into_iter().next() else {
        return Ok(false);
    };
    let now_ms = chrono::Utc::now().timestamp_millis();
    let (at, queue, json) = prepare_push(&member, now_ms)?;
    let mut push = redis::pipe();
    match at {
        Some(at) => {
            push.cmd("ZADD")
                .arg(keys.set(JobSet::Schedule))
                .arg(at.to_string())
                .arg(&json)
                .ignore();
        }
        None => {
            push.cmd("SADD").arg(keys.queues()).arg(&queue).ignore();
            push.cmd("LPUSH")
                .arg(keys.queue(&queue))
                .arg(&json)
                .ignore();
        }
    }
    let () = push.query_async(conn).await?;
    Ok(true)
}

/// Retry (or delete) the entries of `queue` in `set` with these jids.
pub async fn act_on(
    writer: &Writer,
    keys: &Keys,
    set: JobSet,
    queue: &str,
    ids: &[String],
    retry: bool,
) -> Result<Outcome> {
    let mut conn = connect(writer, &keys.set(set)).await?;
    let found = dlq::find(&mut conn, keys, set, queue, ids).await?;
    let mut outcome = Outcome {
        requested: ids.len() as u64,
        ..Outcome::default()
    };
    for id in ids {
        let Some(entry) = found.iter().find(|e| e.jid() == Some(id.as_str())) else {
            outcome.skip(
                id,
                format!("not in the {} set of queue {queue}", set.name()),
            );
            continue;
        };
        let done = if retry {
            retry_entry(&mut conn, keys, set, entry).await?
        } else {
            // SortedEntry#delete: ZREM of the exact member as read.
            let removed: i64 = redis::cmd("ZREM")
                .arg(keys.set(set))
                .arg(&entry.member)
                .query_async(&mut conn)
                .await?;
            removed > 0
        };
        if done {
            outcome.done += 1;
        } else {
            outcome.skip(id, "gone before it could be changed");
        }
    }
    Ok(outcome)
}

/// Retry or delete every entry of `queue` in `set` (`retry_all` restricted to the queue).
pub async fn act_on_all(
    writer: &Writer,
    keys: &Keys,
    set: JobSet,
    queue: &str,
    retry: bool,
) -> Result<u64> {
    let mut conn = connect(writer, &keys.set(set)).await?;
    let mut entries = Vec::new();
    dlq::walk(&mut conn, keys, set, queue, |entry| {
        entries.push(entry);
        true
    })
    .await?;
    let mut done = 0;
    for entry in &entries {
        let changed = if retry {
            retry_entry(&mut conn, keys, set, entry).await?
        } else {
            let removed: i64 = redis::cmd("ZREM")
                .arg(keys.set(set))
                .arg(&entry.member)
                .query_async(&mut conn)
                .await?;
            removed > 0
        };
        done += u64::from(changed);
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retried_job_is_pushed_as_the_client_would() {
        let dead = br#"{"retry":0,"queue":"mail","class":"DeadJob","args":["7"],"jid":"abc","created_at":1796365700.5,"enqueued_at":1796365701.0,"error_message":"no","error_class":"ArgumentError","failed_at":1796365702.0,"retry_count":0}"#;
        let (at, queue, json) = prepare_push(dead, 1_796_370_000_250).unwrap_or_default();
        assert_eq!((at, queue.as_str()), (None, "mail"));
        let job: Value = serde_json::from_slice(&json).unwrap_or_default();
        assert_eq!(job["retry_count"], -1);
        assert_eq!(job["enqueued_at"].as_f64(), Some(1_796_370_000.25));
        assert_eq!(job["error_class"], "ArgumentError");
        assert_eq!(job["jid"], "abc");
        // An 8.x job keeps its times in ms.
        let v8 = br#"{"queue":"q","class":"A","args":[],"jid":"j","created_at":1796365700500}"#;
        let (_, _, json) = prepare_push(v8, 1_796_370_000_250).unwrap_or_default();
        let job: Value = serde_json::from_slice(&json).unwrap_or_default();
        assert_eq!(job["enqueued_at"], 1_796_370_000_250i64);
        assert_eq!(job["retry"], true);
        assert!(prepare_push(b"[1]", 0).is_err());
        assert_eq!(random_jid().len(), 24);
    }
}
