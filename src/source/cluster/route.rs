//! Splitting one pipeline into per-node parts and merging the replies back in order.
//! Pure: which node serves a slot is the caller's business.
//!
//! - a command with a key goes to the slot of its first key;
//! - `XREAD` over many streams becomes one `XREAD` per slot (a cluster refuses keys of
//!   different slots in one command) and the replies are concatenated;
//! - a command without a key (`CLIENT LIST`, `INFO`) goes to every master and its reply is
//!   an array with one reply per master (in address order).

use redis::{Arg, Cmd, Pipeline, Value};

use super::slot::key_slot;

/// Where a part goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    Slot(u16),
    EveryMaster,
}

/// How the replies of one command's parts become its reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Merge {
    One,
    Streams,
    PerNode,
}

/// One command (or a slice of one) bound for one destination.
#[derive(Clone, Debug)]
pub struct Part {
    /// The command's position in the original pipeline.
    pub index: usize,
    pub cmd: Cmd,
    pub destination: Destination,
}

/// The parts of a pipeline and how to merge each command's replies.
#[derive(Debug, Default)]
pub struct Plan {
    pub parts: Vec<Part>,
    pub merges: Vec<Merge>,
}

/// Commands that name no key.
const KEYLESS: &[&str] = &[
    "CLIENT", "INFO", "PING", "SCAN", "DBSIZE", "CLUSTER", "TIME", "CONFIG", "MEMORY",
];

pub fn plan(pipe: &Pipeline) -> Plan {
    let mut plan = Plan::default();
    for (index, cmd) in pipe.cmd_iter().enumerate() {
        let args: Vec<&[u8]> = cmd
            .args_iter()
            .filter_map(|arg| match arg {
                Arg::Simple(bytes) => Some(bytes),
                _ => None,
            })
            .collect();
        let name = args
            .first()
            .map(|n| String::from_utf8_lossy(n).to_ascii_uppercase())
            .unwrap_or_default();
        if name == "XREAD" {
            if let Some(parts) = split_xread(index, &args) {
                plan.parts.extend(parts);
                plan.merges.push(Merge::Streams);
                continue;
            }
        }
        let destination = match args.get(1) {
            Some(key) if !KEYLESS.contains(&name.as_str()) => Destination::Slot(key_slot(key)),
            _ => Destination::EveryMaster,
        };
        plan.parts.push(Part {
            index,
            cmd: cmd.clone(),
            destination,
        });
        plan.merges.push(match destination {
            Destination::EveryMaster => Merge::PerNode,
            Destination::Slot(_) => Merge::One,
        });
    }
    plan
}

/// `XREAD [COUNT n] [BLOCK ms] STREAMS k1 … kn id1 … idn` → one XREAD per slot.
fn split_xread(index: usize, args: &[&[u8]]) -> Option<Vec<Part>> {
    let streams_at = args
        .iter()
        .position(|a| a.eq_ignore_ascii_case(b"STREAMS"))?;
    let rest = args.get(streams_at + 1..)?;
    if rest.is_empty() || rest.len() % 2 != 0 {
        return None;
    }
    let (keys, ids) = rest.split_at(rest.len() / 2);
    let mut groups: Vec<(u16, Vec<usize>)> = Vec::new();
    for (i, key) in keys.iter().enumerate() {
        let slot = key_slot(key);
        match groups.iter_mut().find(|(s, _)| *s == slot) {
            Some((_, members)) => members.push(i),
            None => groups.push((slot, vec![i])),
        }
    }
    let parts = groups
        .into_iter()
        .map(|(slot, members)| {
            let mut cmd = redis::cmd("XREAD");
            for option in args.get(1..streams_at).unwrap_or_default() {
                cmd.arg(*option);
            }
            cmd.arg("STREAMS");
            for &i in &members {
                cmd.arg(keys[i]);
            }
            for &i in &members {
                cmd.arg(ids[i]);
            }
            Part {
                index,
                cmd,
                destination: Destination::Slot(slot),
            }
        })
        .collect();
    Some(parts)
}

/// Merge the replies of one command's parts (in part order).
pub fn merge(kind: Merge, mut replies: Vec<Value>) -> Value {
    match kind {
        Merge::One => replies.pop().unwrap_or(Value::Nil),
        Merge::PerNode => Value::Array(replies),
        Merge::Streams => {
            if let Some(error) = replies.iter().find(|r| matches!(r, Value::ServerError(_))) {
                return error.clone();
            }
            let mut streams = Vec::new();
            for reply in replies {
                match reply {
                    Value::Array(items) => streams.extend(items),
                    Value::Map(pairs) => streams.extend(
                        pairs
                            .into_iter()
                            .map(|(key, entries)| Value::Array(vec![key, entries])),
                    ),
                    _ => {}
                }
            }
            if streams.is_empty() {
                Value::Nil
            } else {
                Value::Array(streams)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(cmd: &Cmd) -> Vec<String> {
        cmd.args_iter()
            .filter_map(|a| match a {
                Arg::Simple(b) => Some(String::from_utf8_lossy(b).into_owned()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn keyed_commands_go_to_their_slot_and_keyless_ones_everywhere() {
        let mut pipe = redis::pipe();
        pipe.cmd("CLIENT").arg("LIST");
        pipe.cmd("LLEN").arg("{bull}:a:wait");
        pipe.cmd("ZCARD").arg("bull:{b}:failed");
        let plan = plan(&pipe);
        let destinations: Vec<Destination> = plan.parts.iter().map(|p| p.destination).collect();
        assert_eq!(
            destinations,
            [
                Destination::EveryMaster,
                Destination::Slot(key_slot(b"bull")),
                Destination::Slot(key_slot(b"b")),
            ]
        );
        assert_eq!(plan.merges, [Merge::PerNode, Merge::One, Merge::One]);
    }

    #[test]
    fn xread_is_split_per_slot_keeping_each_stream_with_its_id() {
        let mut pipe = redis::pipe();
        pipe.cmd("XREAD")
            .arg("COUNT")
            .arg(10)
            .arg("STREAMS")
            .arg("bull:{a}:events")
            .arg("bull:{b}:events")
            .arg("bull:{a}:x")
            .arg("1-0")
            .arg("2-0")
            .arg("3-0");
        let plan = plan(&pipe);
        assert_eq!(plan.merges, [Merge::Streams]);
        let parts: Vec<Vec<String>> = plan.parts.iter().map(|p| args(&p.cmd)).collect();
        assert_eq!(
            parts,
            [
                vec![
                    "XREAD",
                    "COUNT",
                    "10",
                    "STREAMS",
                    "bull:{a}:events",
                    "bull:{a}:x",
                    "1-0",
                    "3-0"
                ],
                vec!["XREAD", "COUNT", "10", "STREAMS", "bull:{b}:events", "2-0"],
            ]
        );
        assert!(plan.parts.iter().all(|p| p.index == 0));
    }

    #[test]
    fn replies_merge_by_kind() {
        let stream = |key: &str| {
            Value::Array(vec![
                Value::BulkString(key.as_bytes().to_vec()),
                Value::Array(vec![]),
            ])
        };
        let merged = merge(
            Merge::Streams,
            vec![
                Value::Array(vec![stream("a")]),
                Value::Nil,
                Value::Array(vec![stream("b")]),
            ],
        );
        assert_eq!(merged, Value::Array(vec![stream("a"), stream("b")]));
        assert_eq!(
            merge(Merge::Streams, vec![Value::Nil, Value::Nil]),
            Value::Nil
        );
        let per_node = merge(
            Merge::PerNode,
            vec![
                Value::BulkString(b"id=1 name=a".to_vec()),
                Value::BulkString(b"id=2 name=b".to_vec()),
            ],
        );
        assert_eq!(
            per_node,
            Value::Array(vec![
                Value::BulkString(b"id=1 name=a".to_vec()),
                Value::BulkString(b"id=2 name=b".to_vec()),
            ])
        );
    }
}
