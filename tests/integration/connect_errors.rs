//! A wrong URL, a stopped server, a wrong password, a port that is not Redis or a server
//! that never answers: one clear line on stderr, a non-zero exit, no panic, no password.

use crate::common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use common::{run_qtop, RedisServer};

/// Run `qtop --redis URL snapshot` and return its stderr, asserting the failure contract.
fn failing_snapshot(url: &str) -> String {
    let output = run_qtop(
        &["--redis", url, "snapshot", "--window", "0s"],
        Duration::from_secs(30),
    );
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    assert!(!output.status.success(), "qtop should fail for {url}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line, got: {stderr}"
    );
    assert!(output.stdout.is_empty(), "nothing on stdout for a failure");
    stderr
}

#[test]
fn an_unknown_scheme_is_an_invalid_url() {
    let stderr = failing_snapshot("http://127.0.0.1:6379");
    assert!(stderr.contains("invalid Redis URL"), "{stderr}");
}

#[test]
fn a_stopped_server_is_connection_refused() {
    let mut redis = RedisServer::start_tcp();
    let url = redis.tcp_url();
    redis.stop();
    let stderr = failing_snapshot(&url);
    assert!(stderr.contains("connection refused"), "{stderr}");
    assert!(stderr.contains(&url), "names the address: {stderr}");
}

#[test]
fn a_missing_socket_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = format!("{}/nothing.sock", dir.path().display());
    let stderr = failing_snapshot(&format!("unix://{path}"));
    assert!(
        stderr.contains(&format!("there is no socket file at {path}")),
        "{stderr}"
    );
}

#[test]
fn a_wrong_password_is_named_and_never_shown() {
    let redis = RedisServer::start_tcp_with_args(&["--requirepass", "right-one"]);
    let url = format!("redis://:wrong-secret@127.0.0.1:{}", redis.port());
    let stderr = failing_snapshot(&url);
    assert!(stderr.contains("wrong username or password"), "{stderr}");
    assert!(
        !stderr.contains("wrong-secret"),
        "password leaked: {stderr}"
    );
    assert!(stderr.contains(":***@"), "{stderr}");
}

#[test]
fn a_missing_password_says_one_is_required() {
    let redis = RedisServer::start_tcp_with_args(&["--requirepass", "right-one"]);
    let stderr = failing_snapshot(&redis.tcp_url());
    assert!(stderr.contains("requires a password"), "{stderr}");
}

#[test]
fn the_right_password_works() {
    let redis = RedisServer::start_tcp_with_args(&["--requirepass", "right-one"]);
    let url = format!("redis://:right-one@127.0.0.1:{}", redis.port());
    let output = run_qtop(
        &["--redis", &url, "snapshot", "--window", "0s"],
        Duration::from_secs(30),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains("right-one"), "{stdout}");
}

/// A TCP server that answers anything with `reply` (or nothing) and then closes.
fn fake_server(reply: Option<&'static [u8]>) -> (u16, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        listener.set_nonblocking(false).unwrap();
        // Serve a few connections, then stop (the test ends before this matters).
        for stream in listener.incoming().take(3) {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 512];
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = stream.read(&mut buf);
            match reply {
                Some(bytes) => {
                    let _ = stream.write_all(bytes);
                }
                None => std::thread::sleep(Duration::from_secs(8)),
            }
        }
    });
    (port, handle)
}

#[test]
fn a_port_that_is_not_redis_is_named_as_such() {
    let (port, _server) = fake_server(Some(
        b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n",
    ));
    let stderr = failing_snapshot(&format!("redis://127.0.0.1:{port}"));
    assert!(
        stderr.contains("did not answer like a Redis server") || stderr.contains("connection lost"),
        "{stderr}"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let (port, _server) = fake_server(None);
    let started = std::time::Instant::now();
    let stderr = failing_snapshot(&format!("redis://127.0.0.1:{port}"));
    assert!(
        stderr.contains("no answer") || stderr.contains("no reply"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn the_log_file_records_connections_without_the_password() {
    let redis = RedisServer::start_tcp_with_args(&["--requirepass", "log-secret"]);
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("qtop.log");
    let good = format!("redis://:log-secret@127.0.0.1:{}", redis.port());
    let bad = format!("redis://:wrong-secret@127.0.0.1:{}", redis.port());
    for url in [&good, &bad] {
        let _ = run_qtop(
            &[
                "--redis",
                url,
                "--log-file",
                log.to_str().unwrap(),
                "snapshot",
                "--window",
                "0s",
            ],
            Duration::from_secs(30),
        );
    }
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains("connected"), "{text}");
    assert!(
        !text.contains("log-secret") && !text.contains("wrong-secret"),
        "{text}"
    );
}
