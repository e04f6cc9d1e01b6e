//! Finding queues with SCAN and starting to tail their events streams.

use std::time::Instant;

use super::{Poller, QueueState};
use crate::source::bullmq::keys::{discovery_pattern, queue_from_key, QueueId};
use crate::source::connect::ConnectError;
use crate::source::events::{parse_entries, StreamId, StreamState};
use crate::source::value::as_string;

impl Poller {
    pub async fn discover(&mut self) -> Result<(), ConnectError> {
        let mut found: Vec<QueueId> = Vec::new();
        if self.config.queues.is_empty() {
            for prefix in self.config.prefixes.clone() {
                let pattern = discovery_pattern(&prefix);
                let mut cursor: u64 = 0;
                loop {
                    let mut conn = self.conn()?;
                    let scanned: Result<(u64, Vec<Vec<u8>>), _> = redis::cmd("SCAN")
                        .arg(cursor)
                        .arg("MATCH")
                        .arg(&pattern)
                        .arg("COUNT")
                        .arg(1000)
                        .query_async(&mut conn)
                        .await;
                    let (next, keys) = scanned.map_err(|e| self.target.classify(&e))?;
                    for key in keys {
                        let key = String::from_utf8_lossy(&key);
                        if let Some(queue) = queue_from_key(&prefix, &key) {
                            found.push(queue);
                        }
                    }
                    cursor = next;
                    if cursor == 0 {
                        break;
                    }
                }
            }
        } else {
            for prefix in &self.config.prefixes {
                for name in &self.config.queues {
                    found.push(QueueId::new(prefix.clone(), name.clone()));
                }
            }
        }
        found.sort();
        found.dedup();
        let new: Vec<QueueId> = found
            .iter()
            .filter(|q| !self.queues.contains_key(q))
            .cloned()
            .collect();
        self.start_streams(&new).await?;
        // Queues whose keys are all gone (obliterated) leave the list.
        if self.config.queues.is_empty() {
            self.queues.retain(|q, _| found.binary_search(q).is_ok());
        }
        self.last_discovery = Some(Instant::now());
        Ok(())
    }

    /// Learn each new queue's events position (its last entry) and whether it is a stream.
    pub(super) async fn start_streams(&mut self, new: &[QueueId]) -> Result<(), ConnectError> {
        if new.is_empty() {
            return Ok(());
        }
        for chunk in new.chunks(1000) {
            let mut pipe = redis::pipe();
            pipe.ignore_errors();
            for queue in chunk {
                pipe.cmd("TYPE").arg(queue.events());
                pipe.cmd("XREVRANGE")
                    .arg(queue.events())
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1);
            }
            let replies = self.run(&pipe).await?;
            for (queue, pair) in chunk.iter().zip(replies.chunks(2)) {
                let kind = pair.first().and_then(as_string).unwrap_or_default();
                let readable = kind == "stream" || kind == "none";
                let last_id = pair
                    .get(1)
                    .map(parse_entries)
                    .and_then(|entries| entries.first().map(|(id, _)| *id))
                    .or(Some(StreamId::default()));
                let slot = self.next_slot;
                self.next_slot += 1;
                let state = QueueState {
                    stream: StreamState::new(last_id, readable),
                    slot,
                    ..QueueState::default()
                };
                self.queues.insert(queue.clone(), state);
            }
        }
        Ok(())
    }
}
