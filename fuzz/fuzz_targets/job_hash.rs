//! A job hash's fields as Redis returns them (any bytes), through every parser that reads
//! jobs: timings, payload classification, reason grouping, heartbeats, refresh replies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qtop::model::failures::normalize_reason;
use qtop::model::Heartbeat;
use qtop::source::bullmq::dlq::classify_payload;
use qtop::source::bullmq::read::{parse_refresh, RefreshPlan};
use qtop::source::bullmq::timing::parse_job_timing;
use qtop::source::bullmq::QueueId;
use redis::Value;

fuzz_target!(|data: &[u8]| {
    // Split the input into fields on 0xff, each a bulk string (or nil when empty).
    let fields: Vec<Value> = data
        .split(|b| *b == 0xff)
        .map(|f| {
            if f.is_empty() {
                Value::Nil
            } else {
                Value::BulkString(f.to_vec())
            }
        })
        .collect();
    let _ = parse_job_timing(&Value::Array(fields.clone()), None);
    let _ = parse_refresh(
        &QueueId::new("bull", "q"),
        &RefreshPlan::FULL,
        &fields,
        None,
    );
    let _ = classify_payload(data);
    let text = String::from_utf8_lossy(data);
    let _ = normalize_reason(&text);
    let _ = Heartbeat::parse(&text);
});
