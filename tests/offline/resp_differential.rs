//! The lean RESP reader (`src/source/lean/`) against redis-rs's own parser: random valid
//! RESP2 replies (nested arrays; bulk strings with binary bytes and CRLF inside; integers
//! over the whole i64 range; nil bulk strings and arrays; errors; simple strings) and
//! XREAD/XRANGE-shaped replies must read as the same values both ways:
//! - `lean::value::to_value` equals `redis::parse_redis_value`;
//! - replies sent back to back and arriving in random chunks are split where redis-rs's
//!   `Parser` splits them (`ReplyScanner`, `Reader::skip`);
//! - `lean::xread::parse_xread` and `first_entry_id` equal the redis-rs path
//!   (`source::events::parse_xread`/`parse_entries` on redis-rs's value).
//!
//! Seeded: a failure prints its case's seed; `QTOP_TEST_SEED=<seed>` replays that case first.

use qtop::source::bullmq::events::{self, StreamId};
use qtop::source::bullmq::lean_xread::{self as xread, XreadReply};
use qtop::source::lean::resp::{Reader, ReplyScanner};
use qtop::source::lean::value::to_value;
use qtop::source::value::server_error;
use redis::Value;

const CASES: u64 = 3_000;
const BASE_SEED: u64 = 0x5EED_0F1E_A4E5_0001;

struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // xorshift must not start at 0.
        Self(seed | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// Text for simple strings and errors: UTF-8 (redis-rs requires it) without CR or LF.
fn line_text(rng: &mut Rng) -> String {
    const WORDS: [&str; 12] = [
        "OK", "PONG", "QUEUED", "队列", "📦", "a b", "-", ":", "*3", "$5", "ü", "0",
    ];
    (0..rng.below(4)).map(|_| *rng.pick(&WORDS)).collect()
}

/// Any bytes, CR, LF and CRLF included: a bulk string carries its length.
fn binary(rng: &mut Rng) -> Vec<u8> {
    const PIECES: [&[u8]; 8] = [
        b"\r\n",
        b"\r",
        b"\n",
        b"*1\r\n:1\r\n",
        b"$-1\r\n",
        b"\x00\xff",
        b"event",
        b"jobId",
    ];
    let mut out = Vec::new();
    for _ in 0..rng.below(6) {
        if rng.chance(3) {
            let piece = *rng.pick(&PIECES);
            out.extend_from_slice(piece);
        } else {
            out.push(rng.next() as u8);
        }
    }
    if rng.chance(40) {
        out.extend((0..rng.below(3000)).map(|i| i as u8));
    }
    out
}

fn integer(rng: &mut Rng) -> i64 {
    match rng.below(4) {
        0 => *rng.pick(&[0, -1, 1, i64::MAX, i64::MIN, i64::MAX - 1, i64::MIN + 1]),
        1 => rng.below(1000) as i64 - 500,
        _ => rng.next() as i64,
    }
}

fn bulk(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(format!("${}\r\n", bytes.len()).as_bytes());
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
}

fn array_header(out: &mut Vec<u8>, len: usize) {
    out.extend_from_slice(format!("*{len}\r\n").as_bytes());
}

/// One random valid RESP2 value, written to `out`.
fn value(rng: &mut Rng, depth: u32, out: &mut Vec<u8>) {
    let kinds = if depth >= 6 { 7 } else { 9 };
    match rng.below(kinds) {
        0 => {
            let text = if rng.chance(3) {
                "OK".to_string()
            } else {
                line_text(rng)
            };
            out.extend_from_slice(format!("+{text}\r\n").as_bytes());
        }
        1 => {
            let code = rng.pick(&["ERR", "WRONGTYPE", "MOVED", "NOSCRIPT", "CUSTOMCODE", "x"]);
            let detail = if rng.chance(4) {
                String::new()
            } else {
                format!(" {}", line_text(rng))
            };
            out.extend_from_slice(format!("-{code}{detail}\r\n").as_bytes());
        }
        2 => out.extend_from_slice(format!(":{}\r\n", integer(rng)).as_bytes()),
        3 | 4 => bulk(out, &binary(rng)),
        5 => out.extend_from_slice(b"$-1\r\n"),
        6 => out.extend_from_slice(b"*-1\r\n"),
        _ => {
            let len = rng.below(6) as usize;
            array_header(out, len);
            for _ in 0..len {
                value(rng, depth + 1, out);
            }
        }
    }
}

/// A stream entry id: valid mostly, sometimes not one.
fn entry_id(rng: &mut Rng) -> Vec<u8> {
    match rng.below(8) {
        0 => binary(rng),
        1 => b"12-x".to_vec(),
        _ => format!("{}-{}", rng.below(2_000_000_000_000), rng.below(50)).into_bytes(),
    }
}

/// `[[id, [field, value, …]], …]`: XRANGE's reply and each stream's entries in XREAD.
fn entries(rng: &mut Rng, out: &mut Vec<u8>) {
    let count = rng.below(5) as usize;
    array_header(out, count);
    for _ in 0..count {
        array_header(out, 2);
        bulk(out, &entry_id(rng));
        let pairs = rng.below(4) as usize;
        array_header(out, pairs * 2);
        for _ in 0..pairs {
            const FIELDS: [&[u8]; 5] = [b"event", b"jobId", b"returnvalue", b"name", b"prev"];
            let field = *rng.pick(&FIELDS);
            bulk(out, field);
            let value = match rng.below(4) {
                0 => rng
                    .pick(&["added", "active", "completed", "failed", "drained"])
                    .as_bytes()
                    .to_vec(),
                1 => rng.below(100_000).to_string().into_bytes(),
                _ => binary(rng),
            };
            bulk(out, &value);
        }
    }
}

/// An XREAD reply: nil (nothing new), an error, or `[[key, entries], …]`.
fn xread_reply(rng: &mut Rng, out: &mut Vec<u8>) {
    match rng.below(10) {
        0 => out.extend_from_slice(b"*-1\r\n"),
        1 => out.extend_from_slice(b"-WRONGTYPE Operation against a key\r\n"),
        _ => {
            let streams = rng.below(4) as usize;
            array_header(out, streams);
            for n in 0..streams {
                array_header(out, 2);
                let key = if rng.chance(10) {
                    binary(rng)
                } else {
                    format!("bull:q{n}:events").into_bytes()
                };
                bulk(out, &key);
                entries(rng, out);
            }
        }
    }
}

fn shown(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).escape_debug().to_string()
}

fn redis_rs(bytes: &[u8], seed: u64) -> Value {
    redis::parse_redis_value(bytes).unwrap_or_else(|e| {
        panic!(
            "seed {seed:#x}: redis-rs rejects a generated reply ({e}): {}",
            shown(bytes)
        )
    })
}

/// One value, read both ways.
fn same_value(bytes: &[u8], seed: u64) {
    let theirs = redis_rs(bytes, seed);
    assert_eq!(
        to_value(bytes),
        theirs,
        "seed {seed:#x}: lean and redis-rs differ on {}",
        shown(bytes)
    );
    let mut reader = Reader::new(bytes);
    assert_eq!(reader.skip(), Ok(()), "seed {seed:#x}: {}", shown(bytes));
    assert_eq!(
        reader.position(),
        bytes.len(),
        "seed {seed:#x}: {}",
        shown(bytes)
    );
}

/// Several replies back to back, arriving in random chunks: the scanner finds each end
/// where redis-rs's streaming parser does, and each reply reads as redis-rs reads it.
fn same_split(replies: &[Vec<u8>], rng: &mut Rng, seed: u64) {
    let stream: Vec<u8> = replies.concat();
    let ends: Vec<usize> = replies
        .iter()
        .scan(0, |end, reply| {
            *end += reply.len();
            Some(*end)
        })
        .collect();
    let mut scanner = ReplyScanner::default();
    let mut arrived = 0;
    while arrived < stream.len() {
        arrived = (arrived + 1 + rng.below(64) as usize).min(stream.len());
        let complete = scanner.scan(&stream[..arrived], replies.len());
        let expected = arrived == stream.len();
        assert_eq!(
            complete,
            Ok(expected),
            "seed {seed:#x}: after {arrived} of {} bytes of {}",
            stream.len(),
            shown(&stream)
        );
    }
    assert_eq!(scanner.ends, ends, "seed {seed:#x}: {}", shown(&stream));

    let mut parser = redis::Parser::new();
    let mut rest: &[u8] = &stream;
    let mut start = 0;
    for end in &ends {
        let theirs = parser
            .parse_value(&mut rest)
            .unwrap_or_else(|e| panic!("seed {seed:#x}: redis-rs stream parse: {e}"));
        assert_eq!(
            to_value(&stream[start..*end]),
            theirs,
            "seed {seed:#x}: reply at {start}..{end} of {}",
            shown(&stream)
        );
        start = *end;
    }
}

/// An XREAD reply read by the lean reader and by the redis-rs path.
fn same_xread(bytes: &[u8], seed: u64) {
    let theirs = redis_rs(bytes, seed);
    let ours = xread::parse_xread(bytes);
    match server_error(&theirs) {
        Some(error) => assert_eq!(ours, XreadReply::Error(error), "seed {seed:#x}"),
        None => assert_eq!(
            ours,
            XreadReply::Streams(events::parse_xread(&theirs)),
            "seed {seed:#x}: {}",
            shown(bytes)
        ),
    }
}

/// An XRANGE reply: the first entry's id, both ways.
fn same_first_entry(bytes: &[u8], seed: u64) {
    let theirs: Option<StreamId> = events::parse_entries(&redis_rs(bytes, seed))
        .first()
        .map(|entry| entry.id);
    assert_eq!(
        xread::first_entry_id(bytes),
        theirs,
        "seed {seed:#x}: {}",
        shown(bytes)
    );
}

/// The seeds to run: `QTOP_TEST_SEED` first when set, then the fixed series.
fn seeds(salt: u64) -> Vec<u64> {
    let replay = std::env::var("QTOP_TEST_SEED").ok().and_then(|s| {
        let s = s.trim();
        match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).ok(),
            None => s.parse().ok(),
        }
    });
    replay
        .into_iter()
        .chain((0..CASES).map(|n| BASE_SEED ^ salt ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15)))
        .collect()
}

#[test]
fn random_replies_read_as_redis_rs_reads_them() {
    for seed in seeds(0x01) {
        let mut rng = Rng::new(seed);
        let mut bytes = Vec::new();
        value(&mut rng, 0, &mut bytes);
        same_value(&bytes, seed);
    }
}

#[test]
fn replies_back_to_back_split_where_redis_rs_splits_them() {
    for seed in seeds(0x02) {
        let mut rng = Rng::new(seed);
        let replies: Vec<Vec<u8>> = (0..1 + rng.below(5))
            .map(|_| {
                let mut bytes = Vec::new();
                if rng.chance(3) {
                    xread_reply(&mut rng, &mut bytes);
                } else {
                    value(&mut rng, 0, &mut bytes);
                }
                bytes
            })
            .collect();
        same_split(&replies, &mut rng, seed);
    }
}

#[test]
fn xread_and_xrange_replies_read_as_the_redis_rs_path_reads_them() {
    for seed in seeds(0x03) {
        let mut rng = Rng::new(seed);
        let mut reply = Vec::new();
        xread_reply(&mut rng, &mut reply);
        same_value(&reply, seed);
        same_xread(&reply, seed);
        let mut range = Vec::new();
        entries(&mut rng, &mut range);
        same_value(&range, seed);
        same_first_entry(&range, seed);
    }
}

/// The generators make what the tests claim: every kind of value, at every depth they
/// reach (a generator that stopped making arrays would pass everything above).
#[test]
fn the_generators_cover_every_kind_of_reply() {
    let mut seen = [false; 7];
    let mut deepest = 0;
    for seed in seeds(0x01) {
        let mut rng = Rng::new(seed);
        let mut bytes = Vec::new();
        value(&mut rng, 0, &mut bytes);
        let mut stack = vec![(redis_rs(&bytes, seed), 0)];
        while let Some((value, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            let kind = match value {
                Value::Okay | Value::SimpleString(_) => 0,
                Value::ServerError(_) => 1,
                Value::Int(n) if n == i64::MIN || n == i64::MAX => 2,
                Value::Int(_) => 3,
                Value::BulkString(ref b) if b.windows(2).any(|w| w == b"\r\n") => 4,
                Value::BulkString(_) | Value::Nil => 5,
                Value::Array(items) => {
                    stack.extend(items.into_iter().map(|item| (item, depth + 1)));
                    6
                }
                _ => continue,
            };
            seen[kind] = true;
        }
    }
    assert_eq!(seen, [true; 7], "kinds of reply generated");
    assert!(deepest >= 4, "deepest nesting generated: {deepest}");
}
