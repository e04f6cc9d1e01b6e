//! The real `qtop` binary in a real pseudo-terminal: a private tmux server per test.

use std::collections::HashMap;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::{qtop_bin, wait_for};

/// How long a screen gets to show what a test waits for: generous, only a hang reaches it.
const SCREEN_TIMEOUT: Duration = Duration::from_secs(30);

/// A private tmux server running one command in a fixed-size window; killed on drop.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn start(width: u16, height: u16, command: &str) -> Tmux {
        Self::start_in(&std::env::temp_dir(), width, height, command)
    }

    /// Like `start`, with `dir` as the command's working directory.
    pub fn start_in(dir: &std::path::Path, width: u16, height: u16, command: &str) -> Tmux {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let socket = format!(
            "qtop-e2e-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let tmux = Tmux { socket };
        let output = tmux.run(&[
            "new-session",
            "-d",
            "-c",
            &dir.to_string_lossy(),
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            command,
        ]);
        assert!(
            output.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        tmux
    }

    pub fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg("/dev/null")
            .args(args)
            .env_remove("TMUX")
            .output()
            .unwrap_or_else(|e| panic!("cannot run tmux ({e}); is it installed?"))
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "0"];
        args.extend_from_slice(keys);
        assert!(self.run(&args).status.success(), "send-keys {keys:?}");
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    pub fn alternate_screen_on(&self) -> bool {
        let out = self.run(&["display-message", "-p", "-t", "0", "#{alternate_on}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Wait until the screen satisfies `check`; panic with the screen if it never does.
    pub fn wait_for(&self, what: &str, check: impl Fn(&str) -> bool) -> String {
        self.wait_for_within(what, SCREEN_TIMEOUT, check)
    }

    /// `wait_for` with its own deadline.
    pub fn wait_for_within(
        &self,
        what: &str,
        timeout: Duration,
        check: impl Fn(&str) -> bool,
    ) -> String {
        wait_for(what, timeout, || {
            let screen = self.screen();
            if check(&screen) {
                Ok(screen)
            } else {
                Err(Screen(screen))
            }
        })
    }
}

/// A captured screen, shown as it looks in a failure message.
struct Screen(String);

impl std::fmt::Debug for Screen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the screen:\n{}", self.0)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// qtop in the pane (`--redis URL --interval 500ms` and `extra`), then its exit status
/// printed on the normal screen, then a pause so the pane stays around to be read.
pub fn qtop_in_tmux(url: &str, extra: &[&str]) -> String {
    let extra: String = extra.iter().map(|a| format!(" '{a}'")).collect();
    format!(
        "env -u REDIS_URL -u QTOP_READ_ONLY NO_COLOR= '{}' --redis '{url}' --interval 500ms{extra}; echo QTOP_EXIT=$?; sleep 60",
        qtop_bin()
    )
}

/// Each queue row of the table as `column title → cell`, keyed by queue name. Cells are
/// cut at the columns' title positions, so a blank cell (a figure the queue's system lacks)
/// reads as `""` and never shifts the cells after it.
pub fn table(screen: &str) -> HashMap<String, HashMap<String, String>> {
    let mut lines = screen.lines().skip_while(|l| !l.contains("QUEUE"));
    let Some(header) = lines.next() else {
        return HashMap::new();
    };
    let header: Vec<char> = header.chars().collect();
    let starts: Vec<usize> = (0..header.len())
        .filter(|&i| {
            let blank = |c: char| c == ' ' || c == '│';
            !blank(header[i]) && (i == 0 || blank(header[i - 1]))
        })
        .collect();
    let cell = |chars: &[char], i: usize| -> String {
        let from = starts[i].min(chars.len());
        let to = starts
            .get(i + 1)
            .copied()
            .unwrap_or(chars.len())
            .min(chars.len());
        chars[from..to]
            .iter()
            .collect::<String>()
            .trim_matches(|c: char| c == '│' || c.is_whitespace())
            .trim_end_matches(['↓', '↑'])
            .to_string()
    };
    let titles: Vec<String> = (0..starts.len()).map(|i| cell(&header, i)).collect();
    lines
        .take_while(|l| l.starts_with('│'))
        .map(|l| {
            let chars: Vec<char> = l.chars().collect();
            let row: Vec<String> = (0..starts.len()).map(|i| cell(&chars, i)).collect();
            let name = row.first().cloned().unwrap_or_default();
            (name, titles.iter().cloned().zip(row).collect())
        })
        .collect()
}
