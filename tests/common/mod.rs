//! Shared harness of the test binaries (tests/offline, tests/integration, tests/e2e).
//!
//! - `RedisServer`: a private redis-server per test (unix socket, optional
//!   loopback TCP, no persistence), stopped on Drop.
//! - `RedisCluster`: a private Redis Cluster per test (3 masters, 3 replicas),
//!   with failover and restart helpers; killed on Drop.
//! - `Resp`/`Conn`: a tiny independent RESP2 client for checking Redis state.
//! - `spawn_node`/`run_node`/`NodeScript`: the real-BullMQ fixture scripts in
//!   `tests/node/` (needs `npm ci --prefix tests/node`).
//! - `Tmux`/`qtop_in_tmux`: the real binary in a private tmux server's pane.
//! - `run_qtop`/`qtop_json`: the real binary run to completion; every JSON it prints is
//!   checked against its schema in `assets/schema/` (`schema`), so no test can skip that.
//! - `wait_for`/`wait_until` (and `_async`): the one way to wait for a condition;
//!   `assert_holds`: what must not happen over a span of time.
//! - `demo`: `qtop worker`/`qtop produce` processes and queue sizes for the demo tests.
//! - `poller`: qtop's poller of one system in the test's process, and a runtime for it.
//! - `make_certificates`: a CA and a server certificate for 127.0.0.1 (openssl).
//! - `Prometheus`/`http_get`: a private Prometheus server per test, and its HTTP API.
//!
//! Mounted by each test binary (`#[path = "../common/mod.rs"] mod common;`) and by the
//! benches. Each uses a subset, hence the dead-code allowance; tests may unwrap/expect
//! freely, hence the clippy allowances.
#![allow(dead_code, unused_imports)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod celery;
mod certs;
mod cluster;
pub mod demo;
mod node;
pub mod poller;
mod prometheus;
mod python;
mod qtop;
mod redis_server;
mod resp;
pub mod rq;
pub mod schema;
pub mod sidekiq;
mod tmux;
mod venv;
mod wait;

use std::process::Command;

pub use certs::make_certificates;
pub use cluster::{parse_cluster_nodes, NodeInfo, RedisCluster, SLOTS};
pub use node::{
    ensure_node_modules, node_dir, run_node, spawn_node, NodeChild, NodeScript, RUN_TIMEOUT,
    SCENARIO_QUEUES,
};
pub use prometheus::{http_get, url_encode, HttpResponse, Prometheus};
pub use python::{ensure_python_env, spawn_python};
pub use qtop::{
    assert_counts_match, assert_rate, qtop_bin, qtop_json, queue, read_export, run_qtop,
    snapshot_json,
};
pub use redis_server::{assert_pid_gone, RedisServer};
pub use resp::{encode_command, read_reply, Conn, Resp};
pub use tmux::{qtop_in_tmux, table, Tmux};
pub use wait::{
    assert_holds, assert_holds_async, poll_until, wait_for, wait_for_async, wait_until,
    wait_until_async,
};

/// True while `pid` is a live process. A zombie (exited, not yet reaped)
/// counts as dead: it holds no sockets and runs no code.
pub fn pid_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .map(|(_, rest)| !rest.starts_with('Z'))
            .unwrap_or(true),
        Err(_) => false,
    }
}

/// Sends `SIG<name>` to `pid` with the `kill` command (the package forbids
/// unsafe code, so no libc). Failures (process already gone) are ignored.
pub fn signal(name: &str, pid: u32) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stderr(std::process::Stdio::null())
        .status();
}

/// `tests/node/load.js` on `url`: `rate` jobs/s for `duration` s on `queue`, paced evenly,
/// with its own worker (add flags with `.args`).
pub fn load_script(url: &str, queue: &str, rate: &str, duration: &str) -> NodeScript {
    NodeScript::new("load.js").args([
        "--redis",
        url,
        "--queue",
        queue,
        "--rate",
        rate,
        "--duration",
        duration,
    ])
}
