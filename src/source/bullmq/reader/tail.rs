//! Tailing the queues' events streams: one XREAD for all of them once per poll, and
//! between polls one for the busy ones only. An XREAD costs Redis a lookup per stream named,
//! so idle streams are named once per poll, not on every events tick.

use std::collections::{BTreeMap, HashMap};

use super::super::events::{parse_entries, parse_xread, StreamEntries, StreamId};
use super::super::keys::QueueId;
use super::super::lean_xread::{self as xread, XreadReply};
use super::super::read::push_first_event;
use super::{BullReader, PollerConfig, QueueState};
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;
use crate::source::lean::Batch;
use crate::source::value::{as_string, server_error};

/// Idle streams named per full read before they are read in turns.
const IDLE_STREAMS_PER_POLL: u64 = 250;
/// An idle queue's stream is read at least once per this many polls (how late a queue
/// waking up after a quiet spell can be seen, with thousands of queues).
const MAX_IDLE_STRIDE: u64 = 5;

/// In how many turns the idle streams are read: 1 (all each poll) for up to
/// `IDLE_STREAMS_PER_POLL` of them, at most `MAX_IDLE_STRIDE`.
fn idle_stride(idle: u64) -> u64 {
    idle.div_ceil(IDLE_STREAMS_PER_POLL)
        .clamp(1, MAX_IDLE_STRIDE)
}
/// One read of the events: the trim checks' first ids, then the XREAD's streams (or the
/// server error it answered).
struct StreamsRead<'a> {
    firsts: Vec<Option<StreamId>>,
    streams: Result<Vec<StreamEntries<'a>>, String>,
}

/// The streams one read names: the queues, which of them get a trim check first (indexes),
/// their events keys and the ids to read after.
struct ReadRound {
    pending: Vec<QueueId>,
    hot: Vec<usize>,
    keys: Vec<String>,
    ids: Vec<String>,
}

/// What to do after a read.
enum Next {
    /// Read these (full batches) again.
    Again(Vec<QueueId>),
    /// A key is not a stream: find it and leave it out.
    WrongType,
    Done,
}

impl BullReader {
    /// Read new events from the busy streams (those that had entries on their last read).
    /// Run several times per poll interval, it keeps busy queues ahead of BullMQ's stream
    /// trimming while idle queues cost nothing.
    pub async fn read_events(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        self.read_streams(conn, true).await
    }

    /// Read new events from every readable stream (once per poll).
    pub async fn read_events_all(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        self.read_streams(conn, false).await
    }

    async fn read_streams(&mut self, conn: &mut Conn, only_hot: bool) -> Result<(), ConnectError> {
        let count = self.config.xread_count;
        // Many idle streams are read in turns (a slice per poll), so naming thousands of
        // quiet streams does not dominate what monitoring costs Redis; busy ones every time.
        let idle = self
            .queues
            .values()
            .filter(|s| s.stream.readable && !s.stream.hot)
            .count() as u64;
        let stride = idle_stride(idle);
        let turn = self.poll_index % stride;
        let mut pending: Vec<QueueId> = self
            .queues
            .iter()
            .filter(|(_, s)| {
                s.stream.readable
                    && (s.stream.hot || (!only_hot && u64::from(s.slot) % stride == turn))
            })
            .map(|(q, _)| q.clone())
            .collect();
        // A stream that returned a full batch has more: read it again, a bounded number of times.
        for _ in 0..20 {
            if pending.is_empty() {
                break;
            }
            // First the trim check, then the read: a busy stream whose first entry is newer
            // than our last read lost entries we never saw (BullMQ trims with MAXLEN ~).
            // Checking before reading can only miss a trim in the instant between the two
            // commands, never report one that did not happen; and it needs no MULTI, which
            // a read-only ACL may forbid. Only streams read near the trim threshold are
            // checked; for the others a read reaching it counts as a possible gap.
            let hot: Vec<usize> = (0..pending.len())
                .filter(|i| {
                    self.queues
                        .get(&pending[*i])
                        .is_some_and(|s| s.stream.needs_trim_check(count))
                })
                .collect();
            let keys: Vec<String> = pending.iter().map(QueueId::events).collect();
            let ids: Vec<String> = pending
                .iter()
                .map(|q| {
                    let last = self.queues.get(q).and_then(|s| s.stream.last_id);
                    last.unwrap_or_default().to_arg()
                })
                .collect();
            let round = ReadRound {
                pending,
                hot,
                keys,
                ids,
            };
            let next = if conn.has_lean() {
                self.read_lean(conn, &round).await?
            } else {
                self.read_redis_rs(conn, &round).await?
            };
            match next {
                Next::Again(again) => pending = again,
                Next::WrongType => {
                    self.recheck_stream_types(conn).await?;
                    return Ok(());
                }
                Next::Done => return Ok(()),
            }
        }
        Ok(())
    }

    /// The read through the lean connection: replies stay bytes, entries borrow them.
    async fn read_lean(
        &mut self,
        conn: &mut Conn,
        round: &ReadRound,
    ) -> Result<Next, ConnectError> {
        let (hot, keys, ids) = (&round.hot, &round.keys, &round.ids);
        let count = self.config.xread_count.to_string();
        let mut batch = Batch::default();
        for &i in hot {
            batch.push(&[b"XRANGE", keys[i].as_bytes(), b"-", b"+", b"COUNT", b"1"]);
        }
        let mut xread: Vec<&[u8]> = Vec::with_capacity(4 + 2 * keys.len());
        xread.extend_from_slice(&[b"XREAD", b"COUNT", count.as_bytes(), b"STREAMS"]);
        xread.extend(keys.iter().map(|k| k.as_bytes()));
        xread.extend(ids.iter().map(|id| id.as_bytes()));
        batch.push(&xread);
        let Some(replies) = conn.exchange_lean(&batch).await? else {
            return Ok(Next::Done);
        };
        let firsts = (0..hot.len())
            .map(|i| replies.get(i).and_then(xread::first_entry_id))
            .collect();
        let streams = match replies.get(hot.len()).map(xread::parse_xread) {
            Some(XreadReply::Streams(streams)) => Ok(streams),
            Some(XreadReply::Error(error)) => Err(error),
            None => Ok(Vec::new()),
        };
        let read = StreamsRead { firsts, streams };
        Ok(apply_read(&mut self.queues, round, read, &self.config))
    }

    /// The read through redis-rs (TLS, clusters, or when the lean connection is refused).
    async fn read_redis_rs(
        &mut self,
        conn: &mut Conn,
        round: &ReadRound,
    ) -> Result<Next, ConnectError> {
        let (pending, hot, keys, ids) = (&round.pending, &round.hot, &round.keys, &round.ids);
        let count = self.config.xread_count;
        let mut pipe = redis::pipe();
        for &i in hot {
            push_first_event(&mut pipe, &pending[i]);
        }
        let mut xread = redis::cmd("XREAD");
        xread
            .arg("COUNT")
            .arg(count)
            .arg("STREAMS")
            .arg(keys)
            .arg(ids);
        pipe.add_command(xread);
        let replies = match conn.run(&pipe).await {
            Ok(replies) => replies,
            Err(error) if error.to_string().contains("WRONGTYPE") => return Ok(Next::WrongType),
            Err(error) => return Err(error),
        };
        let Some(xread_reply) = replies.last() else {
            return Ok(Next::Done);
        };
        let firsts = replies
            .iter()
            .take(hot.len())
            .map(|first| parse_entries(first).first().map(|entry| entry.id))
            .collect();
        let streams = match server_error(xread_reply) {
            Some(error) => Err(error),
            None => Ok(parse_xread(xread_reply)),
        };
        let read = StreamsRead { firsts, streams };
        Ok(apply_read(&mut self.queues, round, read, &self.config))
    }

    /// XREAD failed with WRONGTYPE: find the foreign `events` keys and leave them out.
    pub(super) async fn recheck_stream_types(
        &mut self,
        conn: &mut Conn,
    ) -> Result<(), ConnectError> {
        let ids: Vec<QueueId> = self.queues.keys().cloned().collect();
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for queue in &ids {
            pipe.cmd("TYPE").arg(queue.events());
        }
        let replies = conn.run(&pipe).await?;
        for (queue, reply) in ids.iter().zip(replies.iter()) {
            let kind = as_string(reply).unwrap_or_default();
            if let Some(state) = self.queues.get_mut(queue) {
                state.stream.readable = kind == "stream" || kind == "none";
            }
        }
        Ok(())
    }
}

/// Account what one read found: trim gaps, then every entry of every stream.
fn apply_read(
    queues: &mut BTreeMap<QueueId, Box<QueueState>>,
    round: &ReadRound,
    read: StreamsRead<'_>,
    config: &PollerConfig,
) -> Next {
    let (pending, hot, keys) = (&round.pending, &round.hot, &round.keys);
    let (count, sample) = (config.xread_count, config.latency_sample);
    for (&i, first_id) in hot.iter().zip(read.firsts) {
        if let Some(state) = queues.get_mut(&pending[i]) {
            let last = state.stream.last_id.unwrap_or_default();
            if first_id.is_some_and(|first| first > last) && last != StreamId::default() {
                state.stream.pending.gap = true;
            }
        }
    }
    let streams = match read.streams {
        Ok(streams) => streams,
        Err(error) if error.contains("WRONGTYPE") => return Next::WrongType,
        Err(_) => return Next::Done,
    };
    let mut by_key: HashMap<&str, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| (key.as_str(), i))
        .collect();
    let mut again = Vec::new();
    for (key, entries) in streams {
        let Some(i) = by_key.remove(key.as_str()) else {
            continue;
        };
        let Some(state) = queues.get_mut(&pending[i]) else {
            continue;
        };
        if !entries.is_empty() && !state.stream.hot {
            let before = state.stream.last_id.unwrap_or_default();
            if before != StreamId::default() {
                state.stream.check_trim_after.get_or_insert(before);
            }
        }
        let checked = hot.contains(&i);
        if !checked && state.stream.hot && entries.len() >= state.stream.gap_threshold(count) {
            state.stream.pending.gap = true;
        }
        state.stream.hot = !entries.is_empty();
        state.stream.last_batch = u32::try_from(entries.len()).unwrap_or(u32::MAX);
        let full = entries.len() >= count;
        for entry in entries {
            state.stream.apply(entry, sample);
        }
        if full {
            again.push(pending[i].clone());
        }
    }
    // Pending streams that answered nothing are quiet now.
    for i in by_key.into_values() {
        if let Some(state) = queues.get_mut(&pending[i]) {
            state.stream.hot = false;
            state.stream.last_batch = 0;
        }
    }
    Next::Again(again)
}

#[cfg(test)]
mod tests {
    use super::idle_stride;

    #[test]
    fn idle_streams_are_read_in_at_most_five_turns() {
        for (idle, stride) in [(0, 1), (10, 1), (250, 1), (251, 2), (1000, 4), (10_000, 5)] {
            assert_eq!(idle_stride(idle), stride, "{idle} idle streams");
        }
    }
}
