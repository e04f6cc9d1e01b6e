//! Tailing the queues' events streams: one XREAD for all of them once per poll, and
//! between polls one for the busy ones only. An XREAD costs Redis a lookup per stream named,
//! so idle streams are named once per poll, not on every events tick.

use std::collections::HashMap;

use super::Poller;

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
use crate::source::bullmq::keys::QueueId;
use crate::source::bullmq::read::push_first_event;
use crate::source::connect::ConnectError;
use crate::source::events::{parse_entries, parse_xread, StreamId};
use crate::source::value::{as_string, server_error};

impl Poller {
    /// Read new events from the busy streams (those that had entries on their last read).
    /// Run several times per poll interval, it keeps busy queues ahead of BullMQ's stream
    /// trimming while idle queues cost nothing.
    pub async fn read_events(&mut self) -> Result<(), ConnectError> {
        self.read_streams(true).await
    }

    /// Read new events from every readable stream (once per poll).
    pub async fn read_events_all(&mut self) -> Result<(), ConnectError> {
        self.read_streams(false).await
    }

    async fn read_streams(&mut self, only_hot: bool) -> Result<(), ConnectError> {
        let count = self.config.xread_count;
        let sample = self.config.latency_sample;
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
                s.stream.readable && (s.stream.hot || (!only_hot && s.slot % stride == turn))
            })
            .map(|(q, _)| q.clone())
            .collect();
        // A stream that returned a full batch has more: read it again, a bounded number of times.
        for _ in 0..20 {
            if pending.is_empty() {
                break;
            }
            let hot: Vec<QueueId> = pending
                .iter()
                .filter(|q| {
                    self.queues
                        .get(*q)
                        .is_some_and(|s| s.stream.needs_trim_check(count))
                })
                .cloned()
                .collect();
            // First the trim check, then the read: a busy stream whose first entry is newer
            // than our last read lost entries we never saw (BullMQ trims with MAXLEN ~).
            // Checking before reading can only miss a trim in the instant between the two
            // commands, never report one that did not happen; and it needs no MULTI, which
            // a read-only ACL may forbid. Only streams read near the trim threshold are
            // checked; for the others a read reaching it counts as a possible gap.
            let mut pipe = redis::pipe();
            for queue in &hot {
                push_first_event(&mut pipe, queue);
            }
            let mut xread = redis::cmd("XREAD");
            xread.arg("COUNT").arg(count).arg("STREAMS");
            for queue in &pending {
                xread.arg(queue.events());
            }
            for queue in &pending {
                let last = self
                    .queues
                    .get(queue)
                    .and_then(|s| s.stream.last_id)
                    .unwrap_or_default();
                xread.arg(last.to_arg());
            }
            pipe.add_command(xread);
            let replies = match self.run(&pipe).await {
                Ok(replies) => replies,
                Err(error) => {
                    if error.to_string().contains("WRONGTYPE") {
                        self.recheck_stream_types().await?;
                        return Ok(());
                    }
                    return Err(error);
                }
            };
            let Some(xread_reply) = replies.last() else {
                break;
            };
            if let Some(error) = server_error(xread_reply) {
                if error.contains("WRONGTYPE") {
                    self.recheck_stream_types().await?;
                }
                return Ok(());
            }
            for (queue, first) in hot.iter().zip(replies.iter()) {
                let first_id = parse_entries(first).first().map(|(id, _)| *id);
                if let Some(state) = self.queues.get_mut(queue) {
                    let last = state.stream.last_id.unwrap_or_default();
                    if first_id.is_some_and(|first| first > last) && last != StreamId::default() {
                        state.stream.pending.gap = true;
                    }
                }
            }
            let mut by_key: HashMap<String, QueueId> =
                pending.iter().map(|q| (q.events(), q.clone())).collect();
            let mut again = Vec::new();
            for (key, entries) in parse_xread(xread_reply) {
                let Some(queue) = by_key.remove(&key) else {
                    continue;
                };
                let Some(state) = self.queues.get_mut(&queue) else {
                    continue;
                };
                if !entries.is_empty() && !state.stream.hot {
                    let before = state.stream.last_id.unwrap_or_default();
                    if before != StreamId::default() {
                        state.stream.check_trim_after.get_or_insert(before);
                    }
                }
                let checked = hot.contains(&queue);
                if !checked
                    && state.stream.hot
                    && entries.len() >= state.stream.gap_threshold(count)
                {
                    state.stream.pending.gap = true;
                }
                state.stream.hot = !entries.is_empty();
                state.stream.last_batch = entries.len();
                let full = entries.len() >= count;
                for (id, fields) in &entries {
                    state.stream.apply(*id, fields, sample);
                }
                if full {
                    again.push(queue);
                }
            }
            // Pending streams that answered nothing are quiet now.
            for queue in by_key.values() {
                if let Some(state) = self.queues.get_mut(queue) {
                    state.stream.hot = false;
                    state.stream.last_batch = 0;
                }
            }
            pending = again;
        }
        Ok(())
    }

    /// XREAD failed with WRONGTYPE: find the foreign `events` keys and leave them out.
    pub(super) async fn recheck_stream_types(&mut self) -> Result<(), ConnectError> {
        let ids: Vec<QueueId> = self.queues.keys().cloned().collect();
        let mut pipe = redis::pipe();
        pipe.ignore_errors();
        for queue in &ids {
            pipe.cmd("TYPE").arg(queue.events());
        }
        let replies = self.run(&pipe).await?;
        for (queue, reply) in ids.iter().zip(replies.iter()) {
            let kind = as_string(reply).unwrap_or_default();
            if let Some(state) = self.queues.get_mut(queue) {
                state.stream.readable = kind == "stream" || kind == "none";
            }
        }
        Ok(())
    }
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
