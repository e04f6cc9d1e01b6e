//! The events tail: stream id order, counts and timings per event, sampling, XREAD parsing, trims.

use super::*;

fn entry<'a>(ms: u64, pairs: &[(&str, &'a str)]) -> EventEntry<'a> {
    let mut entry = EventEntry {
        id: id(ms),
        ..EventEntry::default()
    };
    for (field, value) in pairs {
        entry.set_field(field.as_bytes(), Some(value));
    }
    entry
}

fn id(ms: u64) -> StreamId {
    StreamId { ms, seq: 0 }
}

#[test]
fn stream_ids_order_numerically() {
    assert!(StreamId::parse("10-0") > StreamId::parse("9-5"));
    assert!(StreamId::parse("10-10") > StreamId::parse("10-9"));
    assert_eq!(StreamId::parse("garbage"), None);
    assert_eq!(StreamId::parse("1-x"), None);
}

#[test]
fn events_are_counted_and_timed() {
    let mut state = StreamState::new(None, true);
    // Entries that name no job (an idle queue's `drained`) keep no job state.
    state.apply(entry(900, &[("event", "drained")]), 10);
    assert!(state.jobs.is_none());
    state.apply(entry(1000, &[("event", "added"), ("jobId", "1")]), 10);
    state.apply(entry(1000, &[("event", "waiting"), ("jobId", "1")]), 10);
    state.apply(entry(1250, &[("event", "active"), ("jobId", "1")]), 10);
    state.apply(entry(1400, &[("event", "completed"), ("jobId", "1")]), 10);
    state.apply(entry(1500, &[("event", "added"), ("jobId", "2")]), 10);
    state.apply(entry(1600, &[("event", "failed"), ("jobId", "2")]), 10);
    state.apply(entry(1700, &[("no-event", "x")]), 10);
    let interval = state.take_interval();
    assert_eq!(
        (interval.added, interval.completed, interval.failed),
        (2, 1, 1)
    );
    assert_eq!(interval.entries, 8);
    assert_eq!(interval.sample.len(), 2);
    assert_eq!(interval.sample[0].event_wait_ms, Some(250));
    assert_eq!(interval.sample[0].event_processing_ms, Some(150));
    assert_eq!(interval.sample[1].event_processing_ms, None);
    // A quiet interval reads as zeros and takes no room.
    let quiet = state.take_interval();
    assert_eq!(quiet.entries, 0);
    assert!(!quiet.is_allocated() && interval.is_allocated());
    assert_eq!(state.last_id, Some(id(1700)));
}

#[test]
fn wait_runs_from_the_due_time_of_a_delayed_job_and_from_a_retry() {
    let mut state = StreamState::new(None, true);
    // Added at 1000 with a delay due at 6000; promoted only at 6400 (a busy worker
    // fetched late): it waited 6000 → 6450, not from 1000 nor from 6400.
    state.apply(entry(1000, &[("event", "added"), ("jobId", "d")]), 10);
    state.apply(
        entry(
            1000,
            &[("event", "delayed"), ("jobId", "d"), ("delay", "6000")],
        ),
        10,
    );
    state.apply(entry(6400, &[("event", "waiting"), ("jobId", "d")]), 10);
    state.apply(entry(6450, &[("event", "active"), ("jobId", "d")]), 10);
    state.apply(entry(6500, &[("event", "completed"), ("jobId", "d")]), 10);
    // Failed at once and put back to wait at 2000: its last attempt waited from there.
    state.apply(entry(1000, &[("event", "added"), ("jobId", "r")]), 10);
    state.apply(entry(1000, &[("event", "waiting"), ("jobId", "r")]), 10);
    state.apply(entry(1100, &[("event", "active"), ("jobId", "r")]), 10);
    state.apply(entry(2000, &[("event", "waiting"), ("jobId", "r")]), 10);
    state.apply(entry(2030, &[("event", "active"), ("jobId", "r")]), 10);
    state.apply(entry(2100, &[("event", "completed"), ("jobId", "r")]), 10);
    let interval = state.take_interval();
    let job = |id: &str| interval.sample.iter().find(|j| j.job_id == id).cloned();
    assert_eq!(job("d").and_then(|j| j.runnable_ms), Some(6000));
    assert_eq!(job("d").and_then(|j| j.event_wait_ms), Some(450));
    assert_eq!(job("r").and_then(|j| j.event_wait_ms), Some(30));
    assert_eq!(job("r").and_then(|j| j.event_processing_ms), Some(70));
}

#[test]
fn deduplicated_and_duplicated_adds_are_counted_apart_from_arrivals() {
    // As BullMQ 6.7 writes them (measured): a dropped add writes only `deduplicated`;
    // a replacing debounce writes removed, deduplicated, added; an existing id only
    // `duplicated`.
    let mut state = StreamState::new(None, true);
    let events: &[&[(&str, &str)]] = &[
        &[("event", "added"), ("jobId", "1")],
        &[
            ("event", "deduplicated"),
            ("jobId", "1"),
            ("deduplicatedJobId", "2"),
        ],
        &[("event", "added"), ("jobId", "5")],
        &[("event", "removed"), ("jobId", "5"), ("prev", "delayed")],
        &[
            ("event", "deduplicated"),
            ("jobId", "6"),
            ("deduplicatedJobId", "5"),
        ],
        &[("event", "added"), ("jobId", "6")],
        &[("event", "duplicated"), ("jobId", "custom")],
        // BullMQ 5 names the replacement `debounced` too, right after the removal.
        &[("event", "removed"), ("jobId", "6"), ("prev", "delayed")],
        &[("event", "debounced"), ("jobId", "7")],
        &[
            ("event", "deduplicated"),
            ("jobId", "7"),
            ("deduplicatedJobId", "6"),
        ],
        &[("event", "added"), ("jobId", "7")],
        // A removal not followed by its replacement: the next add is an arrival.
        &[("event", "removed"), ("jobId", "8")],
        &[("event", "added"), ("jobId", "9")],
    ];
    for (n, fields) in events.iter().enumerate() {
        state.apply(entry(n as u64, fields), 10);
    }
    let interval = state.take_interval();
    assert_eq!(interval.added, 3, "jobs 1, 5 and 9 arrived");
    assert_eq!(interval.replaced, 2);
    assert_eq!(interval.deduplicated, 3);
    assert_eq!(interval.duplicated, 1);
    assert_eq!(interval.debounced, 1);
}

#[test]
fn the_sample_stays_bounded() {
    let mut state = StreamState::new(None, true);
    for n in 0..10_000u64 {
        let job = n.to_string();
        state.apply(entry(n, &[("event", "completed"), ("jobId", &job)]), 50);
    }
    let interval = state.take_interval();
    assert_eq!(interval.sample.len(), 50);
    assert_eq!(interval.finished_seen, 10_000);
    // Uniform sampling reaches beyond the first 50 jobs.
    assert!(interval
        .sample
        .iter()
        .any(|j| j.job_id.parse::<u64>().unwrap_or(0) > 5_000));
}

#[test]
fn every_part_of_an_interval_is_sampled_alike() {
    // 200 intervals of 1,000 finished jobs, 100 kept from each: every tenth of an
    // interval (early, middle, late jobs) should hold about a tenth of the sample.
    let mut state = StreamState::new(None, true);
    let mut per_tenth = [0u64; 10];
    for _ in 0..200 {
        for n in 0..1_000u64 {
            let job = n.to_string();
            state.apply(entry(n, &[("event", "completed"), ("jobId", &job)]), 100);
        }
        let interval = state.take_interval();
        assert_eq!(interval.sample.len(), 100);
        for job in &interval.sample {
            per_tenth[(job.job_id.parse::<u64>().unwrap_or(0) / 100) as usize] += 1;
        }
    }
    // 2,000 expected per tenth; a binomial's standard deviation here is about 42.
    for (tenth, count) in per_tenth.iter().enumerate() {
        assert!(
            (1_800..=2_200).contains(count),
            "tenth {tenth}: {per_tenth:?}"
        );
    }
}

#[test]
fn xread_replies_parse_and_tolerate_garbage() {
    let entry = |ms: &str, ev: &str| {
        Value::Array(vec![
            Value::BulkString(ms.as_bytes().to_vec()),
            Value::Array(vec![
                Value::BulkString(b"event".to_vec()),
                Value::BulkString(ev.as_bytes().to_vec()),
            ]),
        ])
    };
    let reply = Value::Array(vec![
        Value::Array(vec![
            Value::BulkString(b"bull:q:events".to_vec()),
            Value::Array(vec![
                entry("5-0", "added"),
                entry("bad", "added"),
                Value::Int(3),
            ]),
        ]),
        Value::Int(9),
    ]);
    let parsed = parse_xread(&reply);
    assert_eq!(parsed.len(), 1);
    assert_eq!(parsed[0].0, "bull:q:events");
    assert_eq!(parsed[0].1.len(), 1);
    assert!(parse_xread(&Value::Nil).is_empty());
}

#[test]
fn only_streams_read_near_the_trim_threshold_need_a_trim_check() {
    let mut state = StreamState::new(None, true);
    state.hot = true;
    state.last_batch = 10;
    // Default maxLenEvents 10,000, batches of 2,000: the threshold is 2,000.
    assert_eq!(state.gap_threshold(2000), 2000);
    assert!(!state.needs_trim_check(2000));
    state.last_batch = 1000;
    assert!(state.needs_trim_check(2000));
    // A queue keeping 20 events: 10 per read is already near it.
    state.max_len = Some(20);
    state.last_batch = 10;
    assert_eq!(state.gap_threshold(2000), 20);
    assert!(state.needs_trim_check(2000));
    state.hot = false;
    assert!(!state.needs_trim_check(2000));
    state.max_len = Some(0);
    assert_eq!(state.gap_threshold(2000), 1);
}
