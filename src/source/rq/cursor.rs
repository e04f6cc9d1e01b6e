//! Arrivals in a finished or failed registry between two reads. RQ keeps no counters: a
//! registry's score is the entry's expiry (`now + result_ttl` / `failure_ttl`), so with one
//! TTL per queue (the usual case) newer entries score at least as high as older ones. The
//! cursor remembers the highest score seen and the members at it; the next read lists the
//! entries from that score up. Jobs with a shorter TTL than their predecessors, and jobs
//! with `result_ttl=0` (never registered), are missed: the rates built on this are
//! estimates, and say so.

use std::collections::HashSet;

use redis::{Pipeline, Value};

use crate::source::value::{as_array, as_i64, as_string};

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cursor {
    /// The highest score seen.
    pub score: f64,
    /// Members seen at that score.
    pub at_score: HashSet<String>,
}

/// What one read of a registry's newest entries found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Arrivals {
    /// Entries that arrived since the previous read (0 on the first read).
    pub count: u64,
    /// Their ids, newest first (at most the sample size).
    pub ids: Vec<String>,
    /// The cursor for the next read (`None`: nothing seen yet).
    pub cursor: Option<Cursor>,
}

fn score_arg(score: f64) -> String {
    if score == f64::INFINITY {
        "+inf".to_string()
    } else if score == f64::NEG_INFINITY {
        "-inf".to_string()
    } else {
        score.to_string()
    }
}

impl Cursor {
    /// Two commands: the entries from the cursor's score up (newest first, at most
    /// `sample`), and how many score strictly above it (for a read cut at `sample`).
    pub fn push_read(cursor: Option<&Cursor>, pipe: &mut Pipeline, key: &str, sample: usize) {
        let from = cursor.map_or("-inf".to_string(), |c| score_arg(c.score));
        pipe.cmd("ZREVRANGEBYSCORE")
            .arg(key)
            .arg("+inf")
            .arg(&from)
            .arg("WITHSCORES")
            .arg("LIMIT")
            .arg(0)
            .arg(sample.max(1));
        let above = match cursor {
            Some(c) if c.score == f64::INFINITY => "+inf".to_string(),
            Some(c) if c.score == f64::NEG_INFINITY => "-inf".to_string(),
            Some(c) => format!("({}", score_arg(c.score)),
            None => "-inf".to_string(),
        };
        pipe.cmd("ZCOUNT").arg(key).arg(above).arg("+inf");
    }

    /// Parse the two replies of [`Cursor::push_read`].
    pub fn parse_read(cursor: Option<&Cursor>, entries: &Value, above: &Value) -> Arrivals {
        let items = as_array(entries).unwrap_or_default();
        let ranked: Vec<(String, f64)> = items
            .chunks_exact(2)
            .filter_map(|pair| Some((as_string(&pair[0])?, parse_score(&pair[1])?)))
            .collect();
        let Some(&(_, top)) = ranked.first() else {
            // Empty (or unreadable): nothing new; keep the cursor, or remember that the
            // registry was seen empty (everything that comes next is an arrival).
            return Arrivals {
                cursor: Some(cursor.cloned().unwrap_or(Cursor {
                    score: f64::NEG_INFINITY,
                    at_score: HashSet::new(),
                })),
                ..Arrivals::default()
            };
        };
        let next = Cursor {
            score: top,
            at_score: ranked
                .iter()
                .filter(|(_, s)| *s == top)
                .map(|(m, _)| m.clone())
                .collect(),
        };
        let Some(cursor) = cursor else {
            return Arrivals {
                cursor: Some(next),
                ..Arrivals::default()
            };
        };
        let new: Vec<&(String, f64)> = ranked
            .iter()
            .filter(|(m, s)| {
                *s > cursor.score || (*s == cursor.score && !cursor.at_score.contains(m))
            })
            .collect();
        let new_at_cursor = new.iter().filter(|(_, s)| *s == cursor.score).count() as u64;
        // A read cut at the sample size: those above the cursor are counted by ZCOUNT.
        let count = match as_i64(above) {
            Some(n) if cursor.score < f64::INFINITY => {
                (n.max(0) as u64 + new_at_cursor).max(new.len() as u64)
            }
            _ => new.len() as u64,
        };
        Arrivals {
            count,
            ids: new.iter().map(|(m, _)| m.clone()).collect(),
            cursor: Some(next),
        }
    }
}

/// A sorted-set score: `inf`, `-inf`, decimals (RESP2 strings or RESP3 doubles).
pub fn parse_score(value: &Value) -> Option<f64> {
    match value {
        Value::Double(x) => Some(*x),
        Value::Int(n) => Some(*n as f64),
        other => as_string(other)?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| !x.is_nan()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(items: &[(&str, &str)]) -> Value {
        Value::Array(
            items
                .iter()
                .flat_map(|(m, s)| {
                    [
                        Value::BulkString(m.as_bytes().to_vec()),
                        Value::BulkString(s.as_bytes().to_vec()),
                    ]
                })
                .collect(),
        )
    }

    #[test]
    fn arrivals_are_counted_across_reads_with_ties_at_the_cursor() {
        let first = Cursor::parse_read(
            None,
            &entries(&[("a", "100"), ("b", "100")]),
            &Value::Int(0),
        );
        assert_eq!(first.count, 0);
        let cursor = first.cursor.clone();
        // `c` arrived in the same second as a and b; `d` and `e` later.
        let second = Cursor::parse_read(
            cursor.as_ref(),
            &entries(&[
                ("e", "101"),
                ("d", "101"),
                ("c", "100"),
                ("b", "100"),
                ("a", "100"),
            ]),
            &Value::Int(2),
        );
        assert_eq!(second.count, 3);
        assert_eq!(second.ids, vec!["e", "d", "c"]);
        let third = Cursor::parse_read(
            second.cursor.as_ref(),
            &entries(&[("e", "101"), ("d", "101")]),
            &Value::Int(0),
        );
        assert_eq!(third.count, 0);
    }

    #[test]
    fn a_read_cut_at_the_sample_counts_with_zcount_and_inf_scores_work() {
        let cursor = Cursor {
            score: 100.0,
            at_score: HashSet::new(),
        };
        let cut = Cursor::parse_read(
            Some(&cursor),
            &entries(&[("z", "105"), ("y", "104")]),
            &Value::Int(40),
        );
        assert_eq!(cut.count, 40);
        assert_eq!(cut.ids.len(), 2);
        let forever = Cursor::parse_read(None, &entries(&[("k", "inf")]), &Value::Int(0));
        let next = Cursor::parse_read(
            forever.cursor.as_ref(),
            &entries(&[("l", "inf"), ("k", "inf")]),
            &Value::Int(0),
        );
        assert_eq!((next.count, next.ids.clone()), (1, vec!["l".to_string()]));
        let mut pipe = redis::pipe();
        Cursor::push_read(next.cursor.as_ref(), &mut pipe, "rq:finished:q", 10);
        assert_eq!(pipe.len(), 2);
    }

    #[test]
    fn a_registry_seen_empty_counts_everything_that_arrives() {
        let empty = Cursor::parse_read(None, &Value::Array(vec![]), &Value::Int(0));
        assert_eq!(empty.count, 0);
        let next = Cursor::parse_read(
            empty.cursor.as_ref(),
            &entries(&[("b", "100"), ("a", "100")]),
            &Value::Int(2),
        );
        assert_eq!(next.count, 2);
    }

    #[test]
    fn garbage_keeps_the_cursor() {
        let cursor = Cursor::default();
        let read = Cursor::parse_read(Some(&cursor), &Value::Int(7), &Value::Nil);
        assert_eq!(read.count, 0);
        assert_eq!(read.cursor, Some(cursor));
    }
}
