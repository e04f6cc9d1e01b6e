//! `qtop demo` leaves no process behind: not after SIGTERM, Ctrl-C (SIGINT), or even a
//! SIGKILL of qtop itself (workers and the embedded Redis watch a pipe from it).

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{pid_alive, qtop_bin, signal, wait_until};

/// Processes whose command line mentions `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    let out = Command::new("pgrep").args(["-f", needle]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}

fn wait_gone(what: &str, within: Duration, mut alive: impl FnMut() -> bool) {
    wait_until(&format!("{what} to be gone"), within, || !alive());
}

/// Start a headless demo; return it, its socket path and its workers' pids once jobs flow.
fn start_demo() -> (
    std::process::Child,
    String,
    Vec<u32>,
    mpsc::Receiver<String>,
) {
    let mut child = Command::new(qtop_bin())
        .args(["demo", "--headless", "--workers", "2"])
        .env_remove("REDIS_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut socket = String::new();
    let mut workers = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("demo output");
        if let Some(rest) = line.split("unix://").nth(1) {
            socket = rest.split_whitespace().next().unwrap().to_string();
        }
        if let Some(pid) = line.split("(pid ").nth(1) {
            workers.push(pid.trim_end_matches(')').parse().unwrap());
        }
        // Jobs flow: a status line with completed jobs.
        if line.starts_with("produced=") && !line.contains("completed=0 ") && workers.len() == 2 {
            break;
        }
    }
    assert!(
        !socket.is_empty() && !processes_with(&socket).is_empty(),
        "embedded redis running"
    );
    (child, socket, workers, rx)
}

fn assert_all_gone(socket: &str, workers: &[u32]) {
    for &pid in workers {
        wait_gone(&format!("worker {pid}"), Duration::from_secs(15), || {
            pid_alive(pid)
        });
    }
    wait_gone("the embedded redis-server", Duration::from_secs(15), || {
        !processes_with(socket).is_empty()
    });
}

#[test]
fn sigterm_and_ctrl_c_stop_everything_cleanly() {
    for sig in ["TERM", "INT"] {
        let (mut child, socket, workers, _rx) = start_demo();
        signal(sig, child.id());
        let status = child.wait().unwrap();
        assert!(status.success(), "SIG{sig}: {status:?}");
        assert_all_gone(&socket, &workers);
    }
}

#[test]
fn a_killed_qtop_leaves_no_orphans() {
    let (mut child, socket, workers, _rx) = start_demo();
    signal("KILL", child.id());
    let _ = child.wait();
    assert_all_gone(&socket, &workers);
}
