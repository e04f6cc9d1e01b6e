//! A progress line on stderr while a command measures (`snapshot`, `advise`): time left
//! and polls done, redrawn in place, erased when done. Only when stderr is a terminal:
//! piped or redirected, nothing is written.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Redraw at most this often.
const EVERY: Duration = Duration::from_millis(200);

pub struct Progress {
    shown: bool,
    deadline: Instant,
    last: Option<Instant>,
}

impl Progress {
    /// A progress line for a window of `window` starting now, if stderr is a terminal.
    pub fn new(window: Duration) -> Self {
        Self {
            shown: std::io::stderr().is_terminal() && !window.is_zero(),
            deadline: Instant::now() + window,
            last: None,
        }
    }

    /// Show the time left and `polls` done (throttled).
    pub fn update(&mut self, polls: u32) {
        if !self.shown || self.last.is_some_and(|t| t.elapsed() < EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        let left = self.deadline.saturating_duration_since(Instant::now());
        let line = line(left, polls);
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{line}");
        let _ = err.flush();
    }

    /// Erase the line, so the result starts on a clean one.
    pub fn finish(&mut self) {
        if self.shown && self.last.is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        }
        self.shown = false;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// `qtop: measuring, 3.2 s left, 2 polls done`
pub fn line(left: Duration, polls: u32) -> String {
    format!(
        "qtop: measuring, {:.1} s left, {polls} poll{} done",
        left.as_secs_f64(),
        if polls == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_time_left_and_polls() {
        assert_eq!(
            line(Duration::from_millis(3_240), 2),
            "qtop: measuring, 3.2 s left, 2 polls done"
        );
        assert_eq!(
            line(Duration::ZERO, 1),
            "qtop: measuring, 0.0 s left, 1 poll done"
        );
    }
}
