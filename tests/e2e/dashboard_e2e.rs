//! The real `qtop` binary in a real pseudo-terminal (tmux), against a private redis-server
//! filled by real BullMQ (`tests/node/scenario.js`): the queues and their counts appear,
//! `?` opens help, `q` and Ctrl-C exit 0 and leave the alternate screen.

use crate::common;

use std::time::Duration;

use common::{qtop_in_tmux, run_qtop, table, NodeScript, RedisServer, Tmux};

#[test]
fn dashboard_shows_real_bullmq_queues_help_and_quits_cleanly() {
    let redis = RedisServer::start();
    let mut scenario = NodeScript::new("scenario.js")
        .args(["--redis", &redis.url()])
        .spawn();
    scenario.wait_for_line("READY", Duration::from_secs(60));

    let tmux = Tmux::start(120, 30, &qtop_in_tmux(&redis.url(), &[]));
    let screen = tmux.wait_for("the queues table", |s| {
        ["emails", "billing", "paused-q", "reports"]
            .iter()
            .all(|q| s.contains(&format!("│{q} ")))
    });
    assert!(tmux.alternate_screen_on());
    assert!(screen.contains("● connected"), "{screen}");
    let rows = table(&screen);
    let cell = |queue: &str, column: &str| {
        rows.get(queue)
            .and_then(|r| r.get(column))
            .cloned()
            .unwrap_or_else(|| panic!("no {column} for {queue} in:\n{screen}"))
    };
    assert_eq!(cell("emails", "WAIT"), "5");
    assert_eq!(cell("emails", "DELAY"), "3");
    assert_eq!(cell("emails", "PRIO"), "4");
    assert_eq!(cell("emails", "WRK"), "0 !"); // nobody consumes it
    assert_eq!(cell("billing", "FAIL"), "4");
    assert_eq!(cell("billing", "DONE"), "2");
    assert_eq!(cell("reports", "ACT"), "1");
    assert_eq!(cell("reports", "DONE"), "6");
    assert_eq!(cell("reports", "WRK"), "1");
    assert_eq!(cell("paused-q", "FLAGS"), "P");
    // No flag: a blank cell, and the cells after it stay in their columns.
    assert_eq!(cell("reports", "FLAGS"), "");
    assert!(
        // Ready jobs only: its 3 delayed jobs are not a backlog nobody takes.
        screen.contains("emails: 5 jobs waiting, 4 prioritized"),
        "{screen}"
    );

    tmux.send(&["?"]);
    // Wait for the whole overlay, not its title: a capture can fall between the title and
    // the rest of a frame reaching the terminal.
    tmux.wait_for("the help overlay with its keys", |s| {
        s.contains("keys — dashboard") && s.contains("quit") && s.contains("zoom in")
    });
    tmux.send(&["Escape"]);
    tmux.wait_for("help to close", |s| !s.contains("keys — dashboard"));

    tmux.send(&["q"]);
    let after = tmux.wait_for("qtop to exit", |s| s.contains("QTOP_EXIT="));
    assert!(after.contains("QTOP_EXIT=0"), "{after}");
    assert!(!tmux.alternate_screen_on(), "still on the alternate screen");
    // The dashboard is gone from the normal screen: only the shell's line is there.
    assert!(!after.contains("queues ("), "{after}");
    scenario.stop(Duration::from_secs(30));
}

#[test]
fn unreachable_redis_shows_a_splash_and_ctrl_c_quits() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("unix://{}/nobody.sock", dir.path().display());
    let tmux = Tmux::start(80, 24, &qtop_in_tmux(&url, &[]));
    let screen = tmux.wait_for("the splash", |s| s.contains("cannot reach"));
    assert!(screen.contains("retrying"), "{screen}");
    // Never a table of zeros before the first data.
    assert!(!screen.contains("QUEUE"), "{screen}");
    tmux.send(&["C-c"]);
    let after = tmux.wait_for("qtop to exit", |s| s.contains("QTOP_EXIT="));
    // Quitting before Redis was ever reached is a failure, with the reason.
    assert!(after.contains("QTOP_EXIT=1"), "{after}");
    assert!(
        after.contains("quit before Redis could be reached"),
        "{after}"
    );
    assert!(!tmux.alternate_screen_on());
}

#[test]
fn without_a_terminal_it_points_to_snapshot_and_fails() {
    let output = run_qtop(&["--redis", "redis://127.0.0.1:1"], Duration::from_secs(20));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("qtop snapshot"), "{stderr}");
    assert!(output.stdout.is_empty());
}
