//! A job's state as `job.getState()` (BullMQ 6.7's `getStateV2` script) decides it: the
//! first of completed, failed, delayed, prioritized, active, waiting (the `wait` list, then
//! a legacy `paused` list), waiting-children that holds the id, else `unknown`. Read with
//! eight pipelined commands per job instead of a script, so a read-only ACL suffices.

use redis::{Pipeline, Value};

use super::super::keys::QueueId;
use crate::source::value::{as_i64, as_string, server_error};

/// Commands [`push_probe`] adds per job.
pub const PROBE_LEN: usize = 8;

/// What the probe found, in `getState()`'s order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Probe {
    /// `getState()`'s word.
    pub state: &'static str,
    /// The job's score in the set it is in (ms for completed/failed, the encoded due time
    /// for delayed).
    pub score: Option<f64>,
    /// Its index (from the left) in the list it is in.
    pub index: Option<i64>,
    /// Replies that were errors (a key of another type, LPOS on Redis < 6.0.6, a key on
    /// another cluster node), in words.
    pub problems: Vec<String>,
}

const CHECKS: [(&str, &str); PROBE_LEN] = [
    ("completed", "ZSCORE"),
    ("failed", "ZSCORE"),
    ("delayed", "ZSCORE"),
    ("prioritized", "ZSCORE"),
    ("active", "LPOS"),
    ("waiting", "LPOS"),
    // A legacy (≤ v5) paused list counts as waiting, as in getState.
    ("waiting", "LPOS"),
    ("waiting-children", "ZSCORE"),
];

/// Add the probe's commands for job `id` of `queue`.
pub fn push_probe(pipe: &mut Pipeline, queue: &QueueId, id: &str) {
    let keys = [
        queue.completed(),
        queue.failed(),
        queue.delayed(),
        queue.prioritized(),
        queue.active(),
        queue.wait(),
        queue.paused(),
        queue.waiting_children(),
    ];
    for ((_, command), key) in CHECKS.iter().zip(keys) {
        pipe.cmd(command).arg(key).arg(id);
    }
}

/// Read the probe's replies (exactly [`PROBE_LEN`] of them; missing ones count as absent).
pub fn parse_probe(replies: &[Value]) -> Probe {
    let mut probe = Probe {
        state: "unknown",
        ..Probe::default()
    };
    for (i, (state, command)) in CHECKS.iter().enumerate() {
        let reply = replies.get(i).unwrap_or(&Value::Nil);
        if let Some(error) = server_error(reply) {
            probe
                .problems
                .push(format!("cannot tell whether it is {state}: {error}"));
            continue;
        }
        if matches!(reply, Value::Nil) || probe.state != "unknown" {
            continue;
        }
        match *command {
            "ZSCORE" => {
                probe.score = match reply {
                    Value::Double(x) => Some(*x),
                    other => as_string(other).and_then(|s| s.parse().ok()),
                };
            }
            _ => probe.index = as_i64(reply),
        }
        probe.state = state;
    }
    probe
}

/// The due time (ms) encoded in a delayed-set score (`due·4096 + k`).
pub fn due_from_score(score: f64) -> Option<i64> {
    (score.is_finite() && score >= 0.0).then(|| (score / 4096.0).floor() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn the_first_set_holding_the_job_wins_as_in_get_state() {
        let mut replies = vec![Value::Nil; PROBE_LEN];
        assert_eq!(parse_probe(&replies).state, "unknown");
        replies[5] = Value::Int(3);
        let probe = parse_probe(&replies);
        assert_eq!((probe.state, probe.index), ("waiting", Some(3)));
        replies[2] = bulk("6963200000");
        let probe = parse_probe(&replies);
        assert_eq!(probe.state, "delayed");
        assert_eq!(probe.score.and_then(due_from_score), Some(1_700_000));
        replies[7] = bulk("1");
        assert_eq!(parse_probe(&replies).state, "delayed");
        let mut children = vec![Value::Nil; PROBE_LEN];
        children[7] = Value::Double(5.0);
        assert_eq!(parse_probe(&children).state, "waiting-children");
    }

    #[test]
    fn errors_are_problems_not_panics() {
        let mut replies = vec![Value::Nil; PROBE_LEN];
        replies[4] = crate::source::lean::value::to_value(b"-ERR unknown command 'LPOS'\r\n");
        replies[1] = crate::source::lean::value::to_value(b"-WRONGTYPE Operation\r\n");
        let probe = parse_probe(&replies);
        assert_eq!(probe.state, "unknown");
        assert_eq!(probe.problems.len(), 2);
        // Fewer replies than commands: the rest count as absent.
        assert_eq!(parse_probe(&replies[..3]).state, "unknown");
        assert!(due_from_score(f64::NAN).is_none());
    }
}
