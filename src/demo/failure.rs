//! Records a failed attempt's `failedReason` and `stacktrace` on the job hash, which
//! bullmq-official 1.4.4 does not do (defect 4 in shared/bullmq-official-notes.md): it writes
//! no trace at all, and the reason only on the final failure.
//!
//! It runs inside the processor, while this worker still holds the job's lock and before
//! the crate moves the job (to `delayed`, `wait` or `failed`). The crate's scripts pass no
//! fields to update, so they leave both fields as written here. That gives what Node does in
//! its own finishing script: every failed attempt appends one entry to the JSON array
//! (bullmq-model.md §2), trimmed to `opts.stackTraceLimit`, and sets the reason.

use super::DemoConn;
use redis::Script;

use crate::source::bullmq::keys::QueueId;

/// One atomic step: the job must exist (never create a stray hash for a removed job) and,
/// when we know our lock token, still be ours (a worker that lost the lock must not write).
const RECORD_FAILURE_LUA: &str = r#"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return -6 end
local trace = {}
local raw = redis.call('HGET', KEYS[1], 'stacktrace')
if raw then
  local ok, parsed = pcall(cjson.decode, raw)
  if ok and type(parsed) == 'table' then trace = parsed end
end
table.insert(trace, ARGV[3])
local limit = tonumber(ARGV[4])
if limit and limit >= 0 then
  local kept = {}
  for i = math.max(1, #trace - limit + 1), #trace do table.insert(kept, trace[i]) end
  trace = kept
end
local encoded = '[]'
if #trace > 0 then encoded = cjson.encode(trace) end
redis.call('HSET', KEYS[1], 'failedReason', ARGV[2], 'stacktrace', encoded)
return 1
"#;

/// What happened to the write (the job is failed by the crate either way).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded {
    Written,
    JobGone,
    LockLost,
}

pub struct FailureRecorder {
    script: Script,
    queue: QueueId,
}

impl FailureRecorder {
    pub fn new(queue: QueueId) -> Self {
        Self {
            script: Script::new(RECORD_FAILURE_LUA),
            queue,
        }
    }

    /// `limit`: the job's `stackTraceLimit` (`None` keeps every entry, like Node).
    pub async fn record(
        &self,
        conn: &mut DemoConn,
        job_id: &str,
        token: Option<&str>,
        reason: &str,
        trace: &str,
        limit: Option<u32>,
    ) -> redis::RedisResult<Recorded> {
        let limit = limit.map(i64::from).unwrap_or(-1);
        let code: i64 = self
            .script
            .key(self.queue.job(job_id))
            .key(self.queue.lock(job_id))
            .arg(token.unwrap_or(""))
            .arg(reason)
            .arg(trace)
            .arg(limit)
            .invoke_async(conn)
            .await?;
        Ok(match code {
            1 => Recorded::Written,
            0 => Recorded::JobGone,
            _ => Recorded::LockLost,
        })
    }
}

/// A stack-trace entry in the shape Node writes (`err.stack`): the message on the first
/// line, then where it happened.
pub fn trace_entry(reason: &str, worker: &str, job_id: &str, attempt: u32) -> String {
    format!("Error: {reason}\n    at qtop worker {worker} (job {job_id}, attempt {attempt})")
}
