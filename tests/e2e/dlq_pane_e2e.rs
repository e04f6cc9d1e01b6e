//! The dead-letter pane of the real `qtop` binary in a real pseudo-terminal (tmux), against a
//! private redis-server filled by real BullMQ (`tests/node/scenario.js`: `billing` has 4 jobs
//! failed by a Node worker after 3 attempts): `d` opens them, Enter shows a stack trace,
//! `R` + `y` retries them all, and Redis agrees; with `--read-only` nothing changes.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{qtop_in_tmux, wait_until, NodeChild, NodeScript, RedisServer, Tmux};

fn scenario() -> (RedisServer, NodeChild) {
    let redis = RedisServer::start();
    let mut scenario = NodeScript::new("scenario.js")
        .args(["--redis", &redis.url()])
        .spawn();
    scenario.wait_for_line("READY", Duration::from_secs(60));
    (redis, scenario)
}

/// qtop in tmux with the billing queue's dead letters open.
fn open_billing_dead_letters(redis: &RedisServer, dir: &Path, extra: &[&str]) -> Tmux {
    let tmux = Tmux::start_in(dir, 160, 48, &qtop_in_tmux(&redis.url(), extra));
    tmux.wait_for("the queues table", |s| s.contains("│billing "));
    // Select billing by filtering the queues down to it.
    tmux.send(&["/"]);
    for c in "billing".chars() {
        tmux.send(&[&c.to_string()]);
    }
    tmux.send(&["Enter"]);
    tmux.send(&["d"]);
    let screen = tmux.wait_for("billing's dead letters", |s| {
        s.contains("dead letters · bull:billing · 1–4 of 4")
    });
    assert!(screen.contains("card declined for order 1234"), "{screen}");
    tmux
}

fn failed_count(redis: &RedisServer) -> String {
    redis.cmd(&["ZCARD", "bull:billing:failed"])
}

#[test]
fn retry_all_from_the_pane_moves_the_failed_jobs_to_wait() {
    let (redis, mut scenario) = scenario();
    assert_eq!(failed_count(&redis), "4");
    let dir = tempfile::tempdir().unwrap();
    let tmux = open_billing_dead_letters(&redis, dir.path(), &[]);

    tmux.send(&["Enter"]);
    let detail = tmux.wait_for("the detail with a stack trace", |s| {
        s.contains("stack trace 1 of") && s.contains("    at ")
    });
    assert!(detail.contains("attempts    3 made"), "{detail}");
    assert!(detail.contains("\"amount\""), "data as JSON: {detail}");
    tmux.send(&["Escape"]);
    tmux.wait_for("the list again", |s| {
        s.contains("dead letters · bull:billing")
    });

    tmux.send(&["R"]);
    tmux.wait_for("the question", |s| {
        s.contains("Retry all 4 failed jobs of bull:billing? y/N")
    });
    tmux.send(&["y"]);
    let done = tmux.wait_for("the outcome", |s| s.contains("retried 4 of 4"));
    // The pane reads again: nothing is left.
    tmux.wait_for("the emptied list", |s| {
        s.contains("no failed jobs in bull:billing")
    });
    assert_eq!(failed_count(&redis), "0", "{done}");
    wait_until("4 jobs waiting", Duration::from_secs(5), || {
        redis.cmd(&["LLEN", "bull:billing:wait"]) == "4"
    });

    tmux.send(&["q"]);
    let after = tmux.wait_for("qtop to exit", |s| s.contains("QTOP_EXIT="));
    assert!(after.contains("QTOP_EXIT=0"), "{after}");
    scenario.stop(Duration::from_secs(30));
}

#[test]
fn read_only_keys_refuse_and_leave_the_failed_set_alone() {
    let (redis, mut scenario) = scenario();
    let dir = tempfile::tempdir().unwrap();
    let tmux = open_billing_dead_letters(&redis, dir.path(), &["--read-only"]);
    let screen = tmux.screen();
    assert!(screen.contains("retry (read-only)"), "{screen}");

    for (key, verb) in [
        ("R", "retry"),
        ("r", "retry"),
        ("X", "delete"),
        ("x", "delete"),
    ] {
        tmux.send(&[key]);
        let refused = tmux.wait_for("the refusal", |s| {
            s.contains(&format!("read-only: {verb} is disabled"))
        });
        assert!(
            !refused.contains("y/N"),
            "no confirmation in read-only mode:\n{refused}"
        );
        // Move on so the next notice is a new one.
        tmux.send(&["Down"]);
    }
    assert_eq!(failed_count(&redis), "4");
    assert_eq!(redis.cmd(&["LLEN", "bull:billing:wait"]), "0");

    // Export only reads: it works in read-only mode, into the current directory.
    tmux.send(&["e"]);
    let exported = tmux.wait_for("the export", |s| s.contains("exported 4 failed jobs to"));
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("qtop-dlq-billing-") && name.ends_with(".jsonl"),
        "{name}"
    );
    assert!(
        exported.contains(&name),
        "the pane names the file:\n{exported}"
    );
    let lines = common::read_export(&files[0]);
    assert_eq!(lines.len(), 4);
    assert!(lines
        .iter()
        .all(|l| l["failed_reason"] == "card declined for order 1234"));

    tmux.send(&["q"]);
    let after = tmux.wait_for("qtop to exit", |s| s.contains("QTOP_EXIT="));
    assert!(after.contains("QTOP_EXIT=0"), "{after}");
    scenario.stop(Duration::from_secs(30));
}
