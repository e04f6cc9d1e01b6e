//! Retrying and deleting RQ's dead letters exactly as RQ's API does.
//!
//! Retry = `FailedJobRegistry.requeue(id)`: the job must exist (else RQ's NoSuchJobError),
//! ZREM from the failed registry must remove it (else InvalidJobOperation), then the job
//! is saved with `started_at`/`ended_at` cleared and `exc_info` = zlib(""), and in one
//! MULTI set `queued` with a new `enqueued_at`, given its `ttl` as an expiry if it has
//! one, and RPUSHed onto its origin queue. A real RQ worker picks it up from there.
//!
//! Delete = `FailedJobRegistry.remove(id, delete_job=True)`: ZREM, then `Job.delete`:
//! LREM from its queue, its executions, its group membership, and DEL of the job hash
//! and its dependents/dependencies keys. Like RQ, the results stream is left to its TTL.

use redis::aio::MultiplexedConnection;
use redis::{Pipeline, Value};

use super::connect;
use crate::actions::dead_letters::Outcome;
use crate::actions::Writer;
use crate::source::rq::keys;
use crate::source::value::{as_array, as_i64, as_string};

/// Jobs handled per round trip.
const CHUNK: usize = 500;

/// The job fields a write needs: origin (also: does the hash exist), ttl, group.
const FIELDS: [&str; 3] = ["origin", "ttl", "group_id"];

struct Found {
    id: String,
    origin: String,
    ttl: Option<i64>,
    group: Option<String>,
}

/// RQ's time format (`utcformat`): microseconds, `Z`.
fn rq_now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// zlib of the empty string, as Python's `zlib.compress(b"")` writes it.
fn zlib_empty() -> Vec<u8> {
    let encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.finish().unwrap_or_default()
}

/// Read the jobs, keep those that exist, ZREM them from the failed registry and keep
/// those it removed; the others are skipped with RQ's reason.
async fn take_from_registry(
    conn: &mut MultiplexedConnection,
    queue: &str,
    ids: &[String],
    outcome: &mut Outcome,
) -> anyhow::Result<Vec<Found>> {
    let mut pipe = Pipeline::with_capacity(ids.len());
    for id in ids {
        pipe.cmd("HMGET").arg(keys::job(id)).arg(&FIELDS[..]);
    }
    let replies: Vec<Value> = pipe.query_async(conn).await?;
    let mut found = Vec::new();
    for (id, reply) in ids.iter().zip(&replies) {
        let fields = as_array(reply).unwrap_or_default();
        let text = |i: usize| fields.get(i).and_then(as_string).filter(|t| !t.is_empty());
        match text(0) {
            Some(origin) => found.push(Found {
                id: id.clone(),
                origin,
                ttl: text(1).and_then(|t| t.trim().parse().ok()),
                group: text(2),
            }),
            None => outcome.skip(id, "no such job"),
        }
    }
    if found.is_empty() {
        return Ok(found);
    }
    let failed = keys::failed(queue);
    let mut pipe = Pipeline::with_capacity(found.len());
    for job in &found {
        pipe.cmd("ZREM").arg(&failed).arg(&job.id);
    }
    let removed: Vec<Value> = pipe.query_async(conn).await?;
    let mut kept = Vec::with_capacity(found.len());
    for (job, reply) in found.into_iter().zip(&removed) {
        if as_i64(reply) == Some(1) {
            kept.push(job);
        } else {
            outcome.skip(&job.id, "not in the failed registry");
        }
    }
    Ok(kept)
}

/// Put these dead letters back on their queues, as `FailedJobRegistry.requeue` does.
pub async fn retry_jobs(writer: &Writer, queue: &str, ids: &[String]) -> anyhow::Result<Outcome> {
    let mut conn = connect(writer).await?;
    let mut outcome = Outcome {
        requested: ids.len() as u64,
        ..Outcome::default()
    };
    let empty = zlib_empty();
    for chunk in ids.chunks(CHUNK) {
        let jobs = take_from_registry(&mut conn, queue, chunk, &mut outcome).await?;
        if jobs.is_empty() {
            continue;
        }
        let mut pipe = Pipeline::with_capacity(jobs.len() * 6);
        for job in &jobs {
            let key = keys::job(&job.id);
            // `job.save()` with the cleared fields, then `_enqueue_job` in a MULTI.
            pipe.cmd("HSET")
                .arg(&key)
                .arg("started_at")
                .arg("")
                .arg("ended_at")
                .arg("")
                .arg("exc_info")
                .arg(&empty[..]);
            pipe.cmd("MULTI");
            pipe.cmd("HSET")
                .arg(&key)
                .arg("status")
                .arg("queued")
                .arg("enqueued_at")
                .arg(rq_now())
                .arg("origin")
                .arg(&job.origin);
            if let Some(ttl) = job.ttl.filter(|t| *t > 0) {
                pipe.cmd("EXPIRE").arg(&key).arg(ttl);
                pipe.cmd("EXPIRE")
                    .arg(keys::job_dependents(&job.id))
                    .arg(ttl);
                pipe.cmd("EXPIRE")
                    .arg(keys::job_dependencies(&job.id))
                    .arg(ttl);
            }
            pipe.cmd("RPUSH").arg(keys::queue(&job.origin)).arg(&job.id);
            pipe.cmd("EXEC");
        }
        let _: Vec<Value> = pipe.query_async(&mut conn).await?;
        outcome.done += jobs.len() as u64;
    }
    tracing::info!(
        queue,
        requested = outcome.requested,
        done = outcome.done,
        "retried RQ failed jobs"
    );
    Ok(outcome)
}

/// Delete these dead letters, as `FailedJobRegistry.remove(id, delete_job=True)` does.
pub async fn delete_jobs(writer: &Writer, queue: &str, ids: &[String]) -> anyhow::Result<Outcome> {
    let mut conn = connect(writer).await?;
    let mut outcome = Outcome {
        requested: ids.len() as u64,
        ..Outcome::default()
    };
    for chunk in ids.chunks(CHUNK) {
        let jobs = take_from_registry(&mut conn, queue, chunk, &mut outcome).await?;
        if jobs.is_empty() {
            continue;
        }
        // Executions first (a failed job normally has none left).
        let mut pipe = Pipeline::with_capacity(jobs.len());
        for job in &jobs {
            pipe.cmd("ZRANGE")
                .arg(keys::job_executions(&job.id))
                .arg(0)
                .arg(-1);
        }
        let executions: Vec<Value> = pipe.query_async(&mut conn).await?;
        let mut pipe = Pipeline::with_capacity(jobs.len() * 6);
        for (job, execs) in jobs.iter().zip(&executions) {
            pipe.cmd("LREM")
                .arg(keys::queue(&job.origin))
                .arg(1)
                .arg(&job.id);
            pipe.cmd("ZREM").arg(keys::failed(&job.origin)).arg(&job.id);
            for exec in as_array(execs)
                .unwrap_or_default()
                .iter()
                .filter_map(as_string)
            {
                pipe.cmd("DEL").arg(keys::execution(&job.id, &exec));
                pipe.cmd("ZREM")
                    .arg(keys::started(&job.origin))
                    .arg(format!("{}:{exec}", job.id));
                pipe.cmd("ZREM")
                    .arg(keys::job_executions(&job.id))
                    .arg(&exec);
            }
            pipe.cmd("DEL").arg(keys::job_executions(&job.id));
            if let Some(group) = &job.group {
                pipe.cmd("SREM").arg(keys::group(group)).arg(&job.id);
            }
            pipe.cmd("DEL")
                .arg(keys::job(&job.id))
                .arg(keys::job_dependents(&job.id))
                .arg(keys::job_dependencies(&job.id));
        }
        let _: Vec<Value> = pipe.query_async(&mut conn).await?;
        outcome.done += jobs.len() as u64;
    }
    tracing::info!(
        queue,
        requested = outcome.requested,
        done = outcome.done,
        "deleted RQ failed jobs"
    );
    Ok(outcome)
}

/// The live ids of the failed registry (what RQ's `get_job_ids` returns after its cleanup).
async fn all_ids(writer: &Writer, queue: &str) -> anyhow::Result<Vec<String>> {
    let mut conn = connect(writer).await?;
    let ids: Vec<String> = redis::cmd("ZRANGEBYSCORE")
        .arg(keys::failed(queue))
        .arg(format!("({}", chrono::Utc::now().timestamp()))
        .arg("+inf")
        .query_async(&mut conn)
        .await?;
    Ok(ids)
}

/// Requeue every dead letter (as `rq requeue --all`). Returns how many moved.
pub async fn retry_all(writer: &Writer, queue: &str) -> anyhow::Result<u64> {
    let ids = all_ids(writer, queue).await?;
    Ok(retry_jobs(writer, queue, &ids).await?.done)
}

/// Delete every dead letter. Returns how many.
pub async fn delete_all(writer: &Writer, queue: &str) -> anyhow::Result<u64> {
    let ids = all_ids(writer, queue).await?;
    Ok(delete_jobs(writer, queue, &ids).await?.done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zlib_of_nothing_is_what_python_writes() {
        // zlib.compress(b"") in CPython (level 6).
        assert_eq!(
            zlib_empty(),
            vec![0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]
        );
        let now = rq_now();
        assert!(
            crate::source::rq::keys::parse_time_ms(&now).is_some(),
            "{now}"
        );
    }
}
