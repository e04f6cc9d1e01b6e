//! Whatever Redis returns, the parsers answer without panicking: random replies (nested
//! arrays, maps, binary strings, integers, errors) and random text, from a seeded
//! generator so a failure is reproducible; each test has its own seed, so no two walk the
//! same sequence. (`fuzz/` has cargo-fuzz targets for the same parsers, for longer,
//! coverage-guided runs.)

use qtop::model::failures::normalize_reason;
use qtop::model::Heartbeat;
use qtop::source::bullmq::clients::classify;
use qtop::source::bullmq::dlq::classify_payload;
use qtop::source::bullmq::events::{parse_entries, parse_xread};
use qtop::source::bullmq::read::{parse_refresh, RefreshPlan};
use qtop::source::bullmq::timing::parse_job_timing;
use qtop::source::bullmq::QueueId;
use qtop::source::client_list::parse_client_list;
use redis::Value;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self) -> Vec<u8> {
        // Mostly small, sometimes the shapes that matter: digits, dashes, colons, '='.
        const ALPHABET: &[u8] = b"0123456789-:= abcdefZGVtbw==\xff\x00\n";
        let len = self.below(40) as usize;
        (0..len)
            .map(|_| {
                if self.below(4) == 0 {
                    self.next() as u8
                } else {
                    ALPHABET[self.below(ALPHABET.len() as u64) as usize]
                }
            })
            .collect()
    }
    fn value(&mut self, depth: u32) -> Value {
        match self.below(if depth > 3 { 4 } else { 7 }) {
            0 => Value::Nil,
            1 => Value::Int(self.next() as i64),
            2 => Value::BulkString(self.bytes()),
            3 => Value::SimpleString(String::from_utf8_lossy(&self.bytes()).into_owned()),
            4 | 5 => Value::Array((0..self.below(6)).map(|_| self.value(depth + 1)).collect()),
            _ => Value::Map(
                (0..self.below(4))
                    .map(|_| (self.value(depth + 1), self.value(depth + 1)))
                    .collect(),
            ),
        }
    }
}

#[test]
fn reply_parsers_never_panic() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    let queue = QueueId::new("bull", "q");
    for _ in 0..20_000 {
        let reply = rng.value(0);
        let _ = parse_xread(&reply);
        let _ = parse_entries(&reply);
        let _ = parse_job_timing(&reply, None);
        let replies: Vec<Value> = (0..rng.below(20)).map(|_| rng.value(1)).collect();
        let _ = parse_refresh(&queue, &RefreshPlan::FULL, &replies, None);
    }
}

#[test]
fn text_parsers_never_panic() {
    let mut rng = Rng(0x5EED_1234_ABCD_0002);
    let prefixes = vec!["bull".to_string(), "{b}".to_string()];
    for _ in 0..50_000 {
        let bytes = rng.bytes();
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_client_list(&text);
        let _ = classify(&text, &prefixes, |_, q| q.len() % 2 == 0);
        let _ = normalize_reason(&text);
        let _ = Heartbeat::parse(&text);
        let _ = classify_payload(&bytes);
    }
}

#[test]
fn extreme_numbers_in_heartbeats_and_jobs_do_not_overflow() {
    let beat = Heartbeat::parse(r#"{"last_beat_ms": -9223372036854775808, "started_ms": -9223372036854775808, "beat_ms": 18446744073709551615}"#)
        .expect("a heartbeat with extreme numbers still parses");
    // A beat from the far past is stale; a beat from the far future is not (yet).
    assert!(beat.is_stale(0));
    let future = Heartbeat::parse(r#"{"last_beat_ms": 9223372036854775807, "beat_ms": 1000}"#)
        .expect("parses");
    assert!(!future.is_stale(i64::MIN));
    let reply = Value::Array(vec![
        Value::BulkString(b"-9223372036854775808".to_vec()),
        Value::BulkString(b"9223372036854775807".to_vec()),
        Value::Nil,
    ]);
    assert_eq!(parse_job_timing(&reply, None), Some((None, None)));
}

/// Random RESP2-shaped bytes (type bytes, lengths, CRLFs) through the lean connection's
/// readers: the reply scanner, the XREAD/XRANGE readers and the value builder.
#[test]
fn lean_reply_readers_never_panic() {
    use qtop::source::bullmq::lean_xread::{first_entry_id, parse_xread};
    use qtop::source::lean::resp::ReplyScanner;
    use qtop::source::lean::value::to_value;
    const PIECES: [&[u8]; 12] = [
        b"*", b"$", b":", b"+", b"-", b"\r\n", b"2", b"-1", b"3", b"event", b"jobId", b"5-0",
    ];
    let mut rng = Rng(0x5EED_1234_ABCD_0003);
    for _ in 0..20_000 {
        let mut bytes = Vec::new();
        for _ in 0..rng.below(40) {
            if rng.below(8) == 0 {
                bytes.push(rng.next() as u8);
            } else {
                bytes.extend_from_slice(PIECES[rng.below(PIECES.len() as u64) as usize]);
            }
        }
        let mut scanner = ReplyScanner::default();
        let _ = scanner.scan(&bytes, 3);
        let _ = parse_xread(&bytes);
        let _ = first_entry_id(&bytes);
        let _ = to_value(&bytes);
    }
}
