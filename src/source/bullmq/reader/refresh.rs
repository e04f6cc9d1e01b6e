//! The poll's refreshes, in pipelines of at most [`MAX_PIPELINE`] commands: the first poll
//! of 10,000 queues is about 150,000 commands, and one pipeline of them held every command,
//! every reply's bytes and every decoded value at once (about 80 MB). In chunks, each
//! chunk's replies are parsed into the queues' state before the next is sent.

use std::ops::Bound;
use std::sync::Arc;

use redis::{Pipeline, Value};

use super::super::events::StreamId;
use super::super::keys::QueueId;
use super::super::read::{
    count_markers, parse_refresh, push_marker_scan, push_refresh, RefreshPlan,
};
use super::rates::apply_rates;
use super::schedule::meta_due;
use super::BullReader;
use crate::source::conn::Conn;
use crate::source::connect::ConnectError;

/// Commands in one pipeline at most (a queue's refresh is up to about 16). 2,048 rather
/// than 8,192: a chunk's commands and replies then stay under 1 MB, and at 10,000 queues the
/// dashboard's RSS when every queue is first on screen was 24.7 MB against 26.6 MB (the
/// first poll takes about 75 round trips instead of 20; all queues were on screen as soon,
/// 0.34-0.44 s against 0.33-0.54 s).
pub(super) const MAX_PIPELINE: usize = 2_048;

/// What was asked of one queue: its plan, the plan's command count, and a marker scan.
type Asked = (RefreshPlan, usize, bool);

impl BullReader {
    /// Send `pipe` (whose first `head` commands are the poll's own) with the refreshes of
    /// the queues marked `refreshing`, in as many pipelines as they need, each chunk's
    /// replies parsed as they come (after the trim checks among the `head` commands).
    /// Returns the replies to the `head` commands.
    pub(super) async fn refresh_in_chunks(
        &mut self,
        conn: &mut Conn,
        mut pipe: Pipeline,
        head: usize,
        trim_checks: &[(QueueId, StreamId)],
    ) -> Result<Vec<Value>, ConnectError> {
        let mut head_replies: Option<Vec<Value>> = None;
        let mut after: Option<QueueId> = None;
        loop {
            let (asked, last, done) = self.push_refreshes(&mut pipe, after.as_ref());
            let mut replies = conn.run(&pipe).await?;
            let refreshes = match head_replies {
                None => {
                    let rest = replies.split_off(head.min(replies.len()));
                    // Before any refresh is parsed: a gap makes its rates come from counts.
                    self.mark_gaps(trim_checks, &replies);
                    head_replies = Some(replies);
                    rest
                }
                Some(_) => replies,
            };
            if let Some(last) = &last {
                self.parse_refreshes(after.as_ref(), last, asked, &refreshes);
            }
            if done || last.is_none() {
                break;
            }
            after = last;
            pipe = Pipeline::new();
            pipe.ignore_errors();
        }
        Ok(head_replies.unwrap_or_default())
    }

    /// Add the refreshes of the queues after `after` (in map order) until the pipeline
    /// is full; returns what was asked, the last queue asked, and whether none is left.
    fn push_refreshes(
        &self,
        pipe: &mut Pipeline,
        after: Option<&QueueId>,
    ) -> (Vec<Asked>, Option<QueueId>, bool) {
        let mut asked = Vec::new();
        let mut last: Option<&QueueId> = None;
        let poll = self.poll_index;
        for (queue, state) in self
            .queues
            .range::<QueueId, _>((lower(after), Bound::Unbounded))
        {
            if !state.refreshing {
                continue;
            }
            if pipe.len() >= MAX_PIPELINE && !asked.is_empty() {
                return (asked, last.cloned(), false);
            }
            let changed = state.interval.entries > 0 || state.force_refresh;
            // Poll numbers kept in 32 bits wrap; the age between two of them does not.
            let age = (poll as u32).wrapping_sub(state.meta_read_at);
            let meta = changed || meta_due(u64::from(age), u64::from(state.slot), poll);
            let plan = RefreshPlan::after(state.refresh.as_ref(), changed, meta);
            let n = push_refresh(pipe, queue, &plan);
            if state.legacy_markers {
                push_marker_scan(pipe, queue);
            }
            asked.push((plan, n, state.legacy_markers));
            last = Some(queue);
        }
        (asked, last.cloned(), true)
    }

    /// Read back one chunk's replies, walking the map in the order they were asked.
    fn parse_refreshes(
        &mut self,
        after: Option<&QueueId>,
        last: &QueueId,
        asked: Vec<Asked>,
        replies: &[Value],
    ) {
        let poll = self.poll_index;
        let mut asked = asked.into_iter();
        let mut at = 0;
        let range = (lower(after), Bound::Included(last));
        for (queue, state) in self.queues.range_mut::<QueueId, _>(range) {
            if !state.refreshing {
                continue;
            }
            let Some((plan, n, legacy)) = asked.next() else {
                break;
            };
            let chunk = replies.get(at..at + n).unwrap_or_default();
            at += n;
            let mut refresh = parse_refresh(queue, &plan, chunk, state.refresh.as_ref());
            let kept = state
                .refresh
                .as_ref()
                .is_some_and(|prev| Arc::ptr_eq(&prev.meta, &refresh.meta));
            if !kept {
                refresh.meta = self.metas.share(refresh.meta);
            }
            if legacy {
                let markers = replies.get(at).map(count_markers).unwrap_or(0);
                at += 1;
                refresh.counts.waiting = refresh.counts.waiting.saturating_sub(markers);
            }
            // A quiet queue whose counts moved changed without events (a manual edit, a
            // lost event): read it whole next time.
            let quiet = plan != RefreshPlan::FULL && state.interval.entries == 0;
            let moved = quiet
                && state
                    .refresh
                    .as_ref()
                    .is_some_and(|prev| prev.counts != refresh.counts);
            state.force_refresh = moved || (refresh.saw_markers && !state.legacy_markers);
            state.legacy_markers |= refresh.saw_markers;
            if plan.meta {
                state.meta_read_at = poll as u32;
            }
            state.stream.max_len = refresh.meta.max_len_events.or(state.stream.max_len);
            let interval = std::mem::take(&mut state.interval);
            apply_rates(state, &interval, Some(&refresh));
            state.interval = interval;
            state.refresh = Some(refresh);
        }
        self.metas.forget_unused();
    }
}

fn lower(after: Option<&QueueId>) -> Bound<&QueueId> {
    after.map_or(Bound::Unbounded, Bound::Excluded)
}
