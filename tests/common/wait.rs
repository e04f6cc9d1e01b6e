//! Waiting for a condition: the one way tests wait (never a fixed sleep standing in for one).
//!
//! A check runs at once, then again after a pause that doubles from 10 ms up to 100 ms, so
//! a fast condition is seen quickly and an expensive check (a tmux capture, a Redis round
//! trip) does not spin. Deadlines are generous: they only decide when to give up on
//! something that is not going to happen, never how fast it must happen.

use std::fmt::Debug;
use std::time::{Duration, Instant};

const FIRST_PAUSE: Duration = Duration::from_millis(10);
const MAX_PAUSE: Duration = Duration::from_millis(100);

/// What `wait_until` reports when its condition never held.
pub struct StillFalse;

impl Debug for StillFalse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the condition was still false")
    }
}

/// The schedule shared by the blocking and the async waits.
struct Schedule {
    deadline: Instant,
    pause: Duration,
}

impl Schedule {
    fn new(timeout: Duration) -> Self {
        Self {
            deadline: Instant::now() + timeout,
            pause: FIRST_PAUSE,
        }
    }

    /// How long to pause before the next check, or `None` when the deadline has passed.
    fn next_pause(&mut self) -> Option<Duration> {
        let left = self.deadline.checked_duration_since(Instant::now())?;
        let pause = self.pause.min(left);
        self.pause = (self.pause * 2).min(MAX_PAUSE);
        Some(pause)
    }
}

/// Runs `check` until it gives `Ok`, pausing between tries; after `timeout`, the last
/// `Err` (what was seen instead). For harness code that reports a timeout its own way.
pub fn poll_until<T, E>(
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let mut schedule = Schedule::new(timeout);
    loop {
        let last = match check() {
            Ok(value) => return Ok(value),
            Err(last) => last,
        };
        match schedule.next_pause() {
            Some(pause) => std::thread::sleep(pause),
            None => return Err(last),
        }
    }
}

/// Runs `check` until it gives `Ok` and returns the value; panics after `timeout`, naming
/// `what` and showing the last `Err` (what was seen instead).
pub fn wait_for<T, E: Debug>(
    what: &str,
    timeout: Duration,
    check: impl FnMut() -> Result<T, E>,
) -> T {
    poll_until(timeout, check).unwrap_or_else(|last| timed_out(what, timeout, &last))
}

/// Waits until `check` is true; panics after `timeout`, naming `what`.
pub fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    wait_for(what, timeout, || {
        if check() {
            Ok(())
        } else {
            Err(StillFalse)
        }
    })
}

/// `wait_for` inside a tokio test: pauses with `tokio::time::sleep`, so the runtime's other
/// tasks (a demo's producer, a poller) keep running while the test waits.
pub async fn wait_for_async<T, E: Debug>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, E>,
) -> T {
    let mut schedule = Schedule::new(timeout);
    loop {
        let last = match check() {
            Ok(value) => return value,
            Err(last) => last,
        };
        match schedule.next_pause() {
            Some(pause) => tokio::time::sleep(pause).await,
            None => timed_out(what, timeout, &last),
        }
    }
}

/// `wait_until` inside a tokio test.
pub async fn wait_until_async(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    wait_for_async(what, timeout, || {
        if check() {
            Ok(())
        } else {
            Err(StillFalse)
        }
    })
    .await
}

fn timed_out(what: &str, timeout: Duration, last: &dyn Debug) -> ! {
    panic!("timed out after {timeout:?} waiting for {what}; last seen: {last:#?}")
}

/// How often `assert_holds` looks.
const HOLD_EVERY: Duration = Duration::from_millis(50);

/// Asserts that `check` stays true for all of `span` (looked at every 50 ms, and at the
/// end): for what must *not* happen in that time (a wedged job leaving `active`, a stuck job
/// appearing). A span of time is the only way to observe that, so it is named as such.
pub fn assert_holds(what: &str, span: Duration, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    loop {
        assert!(
            check(),
            "{what} stopped holding after {:?}",
            started.elapsed()
        );
        let Some(left) = span.checked_sub(started.elapsed()) else {
            return;
        };
        std::thread::sleep(left.min(HOLD_EVERY));
    }
}

/// `assert_holds` inside a tokio test.
pub async fn assert_holds_async(what: &str, span: Duration, mut check: impl FnMut() -> bool) {
    let started = Instant::now();
    loop {
        assert!(
            check(),
            "{what} stopped holding after {:?}",
            started.elapsed()
        );
        let Some(left) = span.checked_sub(started.elapsed()) else {
            return;
        };
        tokio::time::sleep(left.min(HOLD_EVERY)).await;
    }
}
