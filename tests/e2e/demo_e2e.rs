//! `qtop demo` as a presenter runs it: the real binary in a real pseudo-terminal (tmux),
//! with its own redis-server and `qtop worker` processes. Jobs flow within seconds, `+`
//! adds a worker to the workers pane, and `q` exits 0 leaving no process of the demo's.

use crate::common;

use std::process::Command;
use std::time::Duration;

use common::{pid_alive, qtop_bin, table, wait_until, Tmux};

/// The demo's private socket directory, from the header (`unix:///tmp/qtop-demo-…/redis.sock`).
fn socket_dir(screen: &str) -> Option<String> {
    let start = screen.find("unix://")? + "unix://".len();
    let rest = &screen[start..];
    let end = rest.find("/redis.sock")?;
    Some(rest[..end].to_string())
}

/// Rows of qtop workers in the workers pane.
fn qtop_workers(screen: &str) -> usize {
    screen
        .lines()
        .filter(|l| l.contains("│qtop-") && l.contains(" qtop "))
        .count()
}

/// The pid of the `qtop demo` process and its children (the workers, redis-server's guard).
fn demo_pids(queue: &str) -> (u32, Vec<u32>) {
    let pids = |args: &[&str]| -> Vec<u32> {
        let out = Command::new("pgrep").args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    let pattern = format!("^{} demo --queue {queue} ", qtop_bin());
    let qtop = *pids(&["-f", &pattern])
        .first()
        .unwrap_or_else(|| panic!("no qtop demo process"));
    (qtop, pids(&["-P", &qtop.to_string()]))
}

fn pgrep(pattern: &str) -> Vec<String> {
    let out = Command::new("pgrep")
        .args(["-fa", pattern])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn done(screen: &str) -> Option<u64> {
    table(screen).get(QUEUE)?.get("DONE")?.parse().ok()
}

/// Each test's own queue name, so parallel tests find their own `qtop demo` process.
const QUEUE: &str = "e2e-demo";

#[test]
fn the_demo_runs_in_the_dashboard_scales_on_plus_and_leaves_nothing_on_q() {
    // Full worker names need the wide workers pane; DONE needs a wide table.
    let command = format!(
        "env -u REDIS_URL -u QTOP_SCALE_CMD NO_COLOR= '{}' demo --queue {QUEUE} --interval 500ms; \
         echo QTOP_EXIT=$?; sleep 60",
        qtop_bin()
    );
    let tmux = Tmux::start(160, 40, &command);
    let started = std::time::Instant::now();
    // Jobs flow on their own: process start, redis-server, 2 workers, first poll. How fast is
    // not asserted (a busy machine is slow); the deadline only catches nothing ever showing.
    let first = tmux.wait_for_within("completed demo jobs", Duration::from_secs(90), |s| {
        done(s).is_some_and(|d| d > 0)
    });
    eprintln!(
        "completed jobs on screen {:?} after start",
        started.elapsed()
    );
    let dir = socket_dir(&first).unwrap_or_else(|| panic!("no socket in:\n{first}"));
    assert!(first.contains("autoscale off"), "{first}");
    let before = done(&first).unwrap();
    tmux.wait_for("more completed jobs", |s| {
        done(s).is_some_and(|d| d > before)
    });
    let two = tmux.wait_for("two workers", |s| qtop_workers(s) == 2);
    assert!(
        two.contains("demo 40.0/s · workers 2 (new c4)"),
        "the demo status line:\n{two}"
    );

    tmux.send(&["+"]);
    let three = tmux.wait_for("a third worker in the workers pane", |s| {
        qtop_workers(s) == 3
    });
    assert!(three.contains("started (pid"), "the event log:\n{three}");
    assert!(
        three.contains("backlog active · 1m"),
        "+ did not zoom:\n{three}"
    );
    let (_, children) = demo_pids(QUEUE);
    assert!(
        children.len() >= 4,
        "3 workers and redis' guard: {children:?}"
    );
    assert!(!pgrep(&dir).is_empty(), "redis-server should run in {dir}");

    tmux.send(&["q"]);
    let after = tmux.wait_for("qtop to exit", |s| s.contains("QTOP_EXIT="));
    assert!(after.contains("QTOP_EXIT=0"), "{after}");
    assert!(!tmux.alternate_screen_on());
    // Everything the demo started is gone by the time qtop exits.
    for pid in &children {
        assert!(!pid_alive(*pid), "child {pid} survived the demo");
    }
    wait_until(
        "no process on the demo's socket",
        Duration::from_secs(10),
        || pgrep(&dir).is_empty(),
    );
    assert!(!std::path::Path::new(&dir).exists(), "{dir} left behind");
}

#[test]
fn sigterm_stops_the_demo_and_restores_the_terminal() {
    let command = format!(
        "env -u REDIS_URL NO_COLOR= '{}' demo --queue e2e-term --workers 1; echo QTOP_EXIT=$?; sleep 60",
        qtop_bin()
    );
    let tmux = Tmux::start(160, 40, &command);
    let screen = tmux.wait_for("one worker", |s| qtop_workers(s) == 1);
    let dir = socket_dir(&screen).unwrap();
    let (qtop, children) = demo_pids("e2e-term");
    assert!(children.len() >= 2, "{children:?}");
    common::signal("TERM", qtop);
    let after = tmux.wait_for("qtop to exit", |s| s.contains("QTOP_EXIT="));
    assert!(after.contains("QTOP_EXIT=0"), "{after}");
    assert!(after.contains("qtop demo: stopped"), "{after}");
    assert!(!tmux.alternate_screen_on());
    for pid in &children {
        assert!(!pid_alive(*pid), "child {pid} survived SIGTERM");
    }
    wait_until(
        "no process on the demo's socket",
        Duration::from_secs(10),
        || pgrep(&dir).is_empty(),
    );
}
