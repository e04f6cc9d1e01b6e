//! When the dashboard draws: input at once, reports on the frame tick.

use crossterm::event::{Event, EventStream};
use futures_util::StreamExt;
use std::time::Duration;

/// Redraw at least this often when nothing happens (countdowns, ages).
pub const IDLE_REDRAW: Duration = Duration::from_secs(1);
/// Input is drawn at once, but no more often than this (a mouse dragged across the
/// screen sends an event per cell).
pub const INPUT_FRAME: Duration = Duration::from_millis(16);

/// An input event already waiting, without waiting for one.
pub async fn ready_input(input: &mut EventStream) -> Option<std::io::Result<Event>> {
    std::future::poll_fn(|cx| match input.poll_next_unpin(cx) {
        std::task::Poll::Ready(event) => std::task::Poll::Ready(event),
        std::task::Poll::Pending => std::task::Poll::Ready(None),
    })
    .await
}

/// A key, a click or a resize is drawn at once (at most once per [`INPUT_FRAME`]: one that
/// comes sooner is drawn when that has passed, not at the next tick); a
/// report or a changed clock on the next frame tick; an unchanged screen once per
/// [`IDLE_REDRAW`]. The tick alone paces frames: comparing the time since the last draw
/// with the frame interval skipped every other tick (a draw ends after its tick, so the
/// next tick comes a little sooner than an interval later), which halved the frame rate
/// and made a key wait two ticks (~200 ms at the default 10 fps).
pub fn draw_now(typed: bool, ticked: bool, dirty: bool, since_draw: Duration) -> bool {
    if typed && since_draw >= INPUT_FRAME {
        return true;
    }
    ticked && (dirty || since_draw >= IDLE_REDRAW)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn a_key_is_drawn_at_once_and_a_report_on_the_next_tick() {
        // A key after a draw long enough ago: now, not at the next tick.
        assert!(draw_now(true, false, true, 20 * MS));
        // Input right after a frame waits until INPUT_FRAME has passed (the loop sleeps
        // until then), not for the tick.
        assert!(!draw_now(true, false, true, 5 * MS));
        // The tick after a report draws, even when it comes a little before a whole frame
        // interval since the last draw (that skipped every other tick).
        assert!(draw_now(false, true, true, 95 * MS));
        // A report between ticks waits for the tick.
        assert!(!draw_now(false, false, true, 500 * MS));
        // Nothing changed: no frame, but one per IDLE_REDRAW for the clocks.
        assert!(!draw_now(false, true, false, 300 * MS));
        assert!(draw_now(false, true, false, IDLE_REDRAW));
    }
}
