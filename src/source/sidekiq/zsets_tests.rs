//! The set mirror against an in-memory sorted set: counts per queue, big sets, ties, swaps.

use super::*;

/// A sorted set held in memory, answering the mirror's commands as Redis would.
struct FakeSet(Vec<(f64, String)>);

fn bound(text: &str) -> (f64, bool) {
    let (text, open) = match text.strip_prefix('(') {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let x = match text {
        "-inf" => f64::NEG_INFINITY,
        "+inf" => f64::INFINITY,
        other => other.parse().unwrap_or(0.0),
    };
    (x, open)
}

impl FakeSet {
    fn sorted(&mut self) {
        self.0
            .sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    }

    fn answer(&mut self, pipe: &Pipeline) -> Vec<Value> {
        self.sorted();
        pipe.cmd_iter()
            .map(|cmd| {
                let args: Vec<String> = cmd
                    .args_iter()
                    .map(|a| match a {
                        redis::Arg::Simple(b) => String::from_utf8_lossy(b).into_owned(),
                        _ => String::new(),
                    })
                    .collect();
                let inside = |lo: &str, hi: &str| {
                    let (lo, lo_open) = bound(lo);
                    let (hi, hi_open) = bound(hi);
                    self.0
                        .iter()
                        .filter(|(s, _)| {
                            (if lo_open { *s > lo } else { *s >= lo })
                                && (if hi_open { *s < hi } else { *s <= hi })
                        })
                        .cloned()
                        .collect::<Vec<_>>()
                };
                let pairs = |items: Vec<(f64, String)>| {
                    Value::Array(
                        items
                            .into_iter()
                            .flat_map(|(s, m)| {
                                [
                                    Value::BulkString(m.into_bytes()),
                                    Value::BulkString(format!("{s}").into_bytes()),
                                ]
                            })
                            .collect(),
                    )
                };
                match args[0].as_str() {
                    "ZCOUNT" => Value::Int(inside(&args[2], &args[3]).len() as i64),
                    "ZRANGEBYSCORE" => pairs(inside(&args[2], &args[3])),
                    "ZRANGE" => {
                        let r: usize = args[2].parse().unwrap_or(0);
                        pairs(self.0.get(r).cloned().into_iter().collect())
                    }
                    _ => Value::Nil,
                }
            })
            .collect()
    }
}

fn job(queue: &str, n: usize) -> String {
    format!(r#"{{"queue":"{queue}","jid":"j{n}","class":"C"}}"#)
}

/// One poll of the mirror against the fake set.
fn poll(mirror: &mut SetMirror, set: &mut FakeSet) {
    let mut pipe = redis::pipe();
    mirror.push_counts(&mut pipe, "retry");
    let counts = set.answer(&pipe);
    let plan = mirror.take_counts(&counts);
    let mut pipe = redis::pipe();
    mirror.push_reads(&mut pipe, "retry", &plan);
    let reads = set.answer(&pipe);
    mirror.take_reads(&plan, &reads);
}

fn settle(mirror: &mut SetMirror, set: &mut FakeSet) -> usize {
    for polls in 1..100 {
        poll(mirror, set);
        if mirror.progress().is_none() {
            return polls;
        }
    }
    100
}

#[test]
fn counts_per_queue_follow_adds_removals_and_big_sets() {
    let mut set = FakeSet(
        (0..10_000)
            .map(|n| {
                (
                    1000.0 + n as f64,
                    job(if n % 4 == 0 { "a" } else { "b" }, n),
                )
            })
            .collect(),
    );
    let mut mirror = SetMirror::new();
    let polls = settle(&mut mirror, &mut set);
    assert!(polls > 2, "a big set is read over several polls ({polls})");
    assert_eq!(mirror.count("a"), 2500);
    assert_eq!(mirror.count("b"), 7500);
    assert!(mirror.buckets() >= 10_000 / SPLIT_ABOVE as usize);
    // A few arrive anywhere, some leave from the bottom and the middle.
    set.0.push((5000.5, job("c", 20_000)));
    set.0.push((20_000.0, job("a", 20_001)));
    set.0.retain(|(s, _)| *s >= 1010.0 && *s != 7000.0);
    poll(&mut mirror, &mut set);
    assert_eq!(mirror.progress(), None);
    assert_eq!(mirror.count("c"), 1);
    assert_eq!(mirror.arrived.get("c"), Some(&1));
    let a = set.0.iter().filter(|(_, m)| m.contains("\"a\"")).count() as u64;
    assert_eq!(mirror.count("a"), a);
    // Emptied: everything goes to zero and the buckets merge.
    set.0.clear();
    settle(&mut mirror, &mut set);
    assert_eq!(mirror.count("a") + mirror.count("b"), 0);
    assert_eq!(mirror.buckets(), 1);
}

#[test]
fn many_jobs_with_one_score_and_garbage_members() {
    let mut set = FakeSet((0..600).map(|n| (42.0, job("same", n))).collect());
    set.0.push((43.0, "not json".to_string()));
    let mut mirror = SetMirror::new();
    settle(&mut mirror, &mut set);
    assert_eq!(mirror.count("same"), 600);
    assert_eq!(mirror.unreadable(), 1);
}

#[test]
fn a_swap_inside_one_bucket_is_caught_by_reconciliation() {
    let mut set = FakeSet((0..10).map(|n| (n as f64, job("a", n))).collect());
    let mut mirror = SetMirror::new();
    settle(&mut mirror, &mut set);
    set.0[3] = (3.5, job("b", 99));
    for _ in 0..=RECONCILE_EVERY {
        poll(&mut mirror, &mut set);
    }
    assert_eq!(mirror.count("b"), 1);
    assert_eq!(mirror.count("a"), 9);
}
