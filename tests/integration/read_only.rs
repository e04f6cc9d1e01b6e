//! qtop's reading sends no write command: a Redis user allowed everything but writes
//! runs every reading command, and Redis's ACL log records no refused command. With
//! `--read-only`, writes are refused before anything is sent.

use crate::common;

use std::time::Duration;

use common::{run_qtop, NodeScript, RedisServer};

const T: Duration = Duration::from_secs(60);

#[test]
fn reading_commands_send_no_write() {
    let redis = RedisServer::start();
    let mut scenario = NodeScript::new("scenario.js")
        .args(["--redis", &redis.url()])
        .spawn();
    scenario.wait_for_json("READY", T);
    // The scenario's reports worker stays connected, holding an active job.
    redis.cmd(&[
        "ACL",
        "SETUSER",
        "watcher",
        "on",
        ">pw",
        "~*",
        "&*",
        "+@all",
        "-@write",
        "-@dangerous",
        "+info",
        "+client|list",
    ]);
    redis.cmd(&["ACL", "LOG", "RESET"]);
    let url = format!("{}?user=watcher&pass=pw", redis.url());
    for args in [
        vec!["snapshot", "--window", "1s"],
        vec!["snapshot", "--json", "--window", "0s"],
        vec!["--queue", "billing", "dlq", "list", "--json"],
        vec!["--queue", "billing", "dlq", "groups"],
        vec!["--queue", "billing", "dlq", "export"],
        vec!["--queue", "reports", "advise", "--window", "1s"],
    ] {
        let mut all = vec!["--redis", url.as_str()];
        all.extend_from_slice(&args);
        let out = run_qtop(&all, T);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let id = redis.cmd(&["ZRANGE", "bull:billing:failed", "0", "0"]);
    let out = run_qtop(
        &["--redis", &url, "--queue", "billing", "dlq", "show", &id],
        T,
    );
    assert!(out.status.success());
    let denied = redis.cmd(&["ACL", "LOG"]);
    assert!(
        denied == "(empty array)" || denied.is_empty(),
        "refused commands: {denied}"
    );
    scenario.kill();
}

#[test]
fn read_only_mode_refuses_writes_before_connecting() {
    // Nothing listens here: a refusal that came after connecting would be a connection error.
    let dir = tempfile::tempdir().unwrap();
    let url = format!("unix://{}/none.sock", dir.path().display());
    for args in [
        vec![
            "--read-only",
            "--queue",
            "q",
            "dlq",
            "retry",
            "--all",
            "--yes",
        ],
        vec!["--read-only", "--queue", "q", "dlq", "delete", "1", "--yes"],
    ] {
        let mut all = vec!["--redis", url.as_str()];
        all.extend_from_slice(&args);
        let out = run_qtop(&all, T);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("read-only"), "{stderr}");
        assert!(!stderr.contains("connect"), "{stderr}");
    }
}
