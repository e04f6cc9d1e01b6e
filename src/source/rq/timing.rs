//! The reader's third round trip, only when needed: `enqueued_at` of new head jobs (the
//! oldest waiting job's age) and the timing fields of the jobs that finished since the last
//! read (wait and processing time).

use redis::Pipeline;

use super::keys;
use super::queue::{parse_timing, TIMING_FIELDS};
use super::reader::RqReader;
use crate::model::JobTiming;
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;
use crate::source::value::as_string;

impl RqReader {
    pub(super) async fn date_and_time(&mut self, conn: &mut Conn) -> Result<(), ConnectError> {
        let heads: Vec<(String, String)> = self
            .queues
            .iter()
            .filter_map(|(name, s)| s.undated_head().map(|id| (name.clone(), id.to_string())))
            .collect();
        let timed: Vec<(String, Vec<String>)> = self
            .queues
            .iter_mut()
            .filter(|(_, s)| !s.to_time.is_empty())
            .map(|(name, s)| (name.clone(), std::mem::take(&mut s.to_time)))
            .collect();
        if heads.is_empty() && timed.is_empty() {
            return Ok(());
        }
        let mut pipe = Pipeline::new();
        pipe.ignore_errors();
        for (_, id) in &heads {
            pipe.cmd("HGET").arg(keys::job(id)).arg("enqueued_at");
        }
        for (_, ids) in &timed {
            for id in ids {
                pipe.cmd("HMGET").arg(keys::job(id)).arg(&TIMING_FIELDS[..]);
            }
        }
        let replies = conn.run(&pipe).await?;
        let mut replies = replies.iter();
        for (name, id) in &heads {
            let enqueued = replies
                .next()
                .and_then(as_string)
                .and_then(|t| keys::parse_time_ms(&t));
            if let Some(state) = self.queues.get_mut(name) {
                if state.head.as_deref() == Some(id.as_str()) {
                    state.head_enqueued_ms = enqueued;
                    state.head_dated = true;
                }
            }
        }
        for (name, ids) in &timed {
            for _ in ids {
                let timing = replies.next().and_then(parse_timing);
                if let (Some(state), Some((wait_ms, processing_ms))) =
                    (self.queues.get_mut(name), timing)
                {
                    state.timings.push(JobTiming {
                        wait_ms,
                        processing_ms,
                    });
                }
            }
        }
        Ok(())
    }
}
