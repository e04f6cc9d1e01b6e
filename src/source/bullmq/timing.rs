//! How long a finished BullMQ job waited and ran, from its hash: the commands appended to
//! a poll's pipeline and the tolerant parse of their reply.

use redis::{Pipeline, Value};

use super::keys::QueueId;
use crate::source::value::{as_array, as_i64};

/// Append `HMGET <job> timestamp processedOn finishedOn` for a finished job.
pub fn push_job_timing(pipe: &mut Pipeline, queue: &QueueId, job_id: &str) {
    pipe.cmd("HMGET")
        .arg(queue.job(job_id))
        .arg("timestamp")
        .arg("processedOn")
        .arg("finishedOn");
}

/// `(wait_ms, processing_ms)` from the reply of [`push_job_timing`]; `None` when the hash
/// is gone (removeOnComplete) or its fields are not numbers. Wait runs from when the job
/// became runnable: `runnable_ms` (from its events: a delayed job's due time, a retry's
/// return to wait) when later than its creation, so intended delays are not counted as lag.
pub fn parse_job_timing(
    reply: &Value,
    runnable_ms: Option<u64>,
) -> Option<(Option<u64>, Option<u64>)> {
    let fields = as_array(reply)?;
    let ms = |i: usize| fields.get(i).and_then(as_i64);
    let (created, processed, finished) = (ms(0), ms(1), ms(2));
    let runnable = runnable_ms.and_then(|r| i64::try_from(r).ok());
    let ready = match (created, runnable) {
        (Some(c), Some(r)) => Some(c.max(r)),
        (c, r) => c.or(r),
    };
    if created.is_none() && processed.is_none() && finished.is_none() {
        return None;
    }
    let span = |from: Option<i64>, to: Option<i64>| match (from, to) {
        // Garbage can be any i64: never overflow.
        (Some(a), Some(b)) if b >= a => b.checked_sub(a).map(|d| d as u64),
        _ => None,
    };
    // A runnable time a little after the start (two clocks: Redis's for events, the
    // worker's for processedOn) is a wait of 0, not an unknown one.
    let wait = match (ready, processed) {
        (Some(r), Some(p)) if r > p && r.checked_sub(p).is_some_and(|d| d < 1000) => Some(0),
        _ => span(ready, processed),
    };
    Some((wait, span(processed, finished)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn job_timings_tolerate_missing_and_garbage_fields() {
        let timing =
            |a: Value, b: Value, c: Value| parse_job_timing(&Value::Array(vec![a, b, c]), None);
        assert_eq!(
            timing(bulk("1000"), bulk("1250"), bulk("1400")),
            Some((Some(250), Some(150)))
        );
        assert_eq!(timing(Value::Nil, Value::Nil, Value::Nil), None);
        assert_eq!(
            timing(bulk("x"), bulk("1250"), bulk("1000")),
            Some((None, None))
        );
    }

    #[test]
    fn wait_runs_from_when_the_job_became_runnable() {
        let hash = Value::Array(vec![bulk("1000"), bulk("6020"), bulk("6100")]);
        // Added at 1000 with a 5 s delay, due at 6000, started at 6020: 20 ms of lag.
        assert_eq!(
            parse_job_timing(&hash, Some(6000)),
            Some((Some(20), Some(80)))
        );
        // No events seen: from creation, as before.
        assert_eq!(parse_job_timing(&hash, None), Some((Some(5020), Some(80))));
        // An event a little after the start (two clocks) is no wait, not an unknown one.
        assert_eq!(
            parse_job_timing(&hash, Some(6300)),
            Some((Some(0), Some(80)))
        );
        // A runnable time before creation cannot shorten the wait.
        assert_eq!(
            parse_job_timing(&hash, Some(10)),
            Some((Some(5020), Some(80)))
        );
    }
}
