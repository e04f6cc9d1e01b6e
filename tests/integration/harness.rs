//! Tests of the test harness itself (tests/common) and of the real-BullMQ
//! fixtures (tests/node). If these fail, every other integration test's
//! result is meaningless, so they check the harness honestly: real
//! processes, real sockets, real bullmq.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::{
    encode_command, pid_alive, read_reply, spawn_node, Conn, NodeScript, RedisServer, Resp,
};
use serde_json::Value;

const NODE_TIMEOUT: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------- redis ---

#[test]
fn server_starts_answers_and_has_no_persistence() {
    let redis = RedisServer::start();
    assert_eq!(redis.cmd(&["PING"]), "PONG");
    assert!(redis.socket_path().exists());
    assert_eq!(
        redis.url(),
        format!("unix://{}", redis.socket_path().display())
    );
    assert_eq!(redis.cmd(&["SET", "greeting", "hello world"]), "OK");
    assert_eq!(redis.cmd(&["GET", "greeting"]), "hello world");
    assert_eq!(redis.cmd(&["GET", "missing"]), "(nil)");
    // Not listening on TCP, and nothing is ever written to disk.
    assert_eq!(redis.cmd(&["CONFIG", "GET", "port"]), "port\n0");
    assert_eq!(redis.cmd(&["CONFIG", "GET", "save"]), "save\n");
    assert_eq!(
        redis.cmd(&["CONFIG", "GET", "appendonly"]),
        "appendonly\nno"
    );
    assert!(!redis.has_tcp());
}

#[test]
fn cmd_resp_returns_structured_replies() {
    let redis = RedisServer::start();
    assert_eq!(redis.cmd_resp(&["RPUSH", "l", "a", "b c"]), Resp::Int(2));
    assert_eq!(
        redis.cmd_resp(&["LRANGE", "l", "0", "-1"]),
        Resp::Array(vec![Resp::Bulk("a".into()), Resp::Bulk("b c".into())])
    );
    assert_eq!(redis.cmd(&["LRANGE", "l", "0", "-1"]), "a\nb c");
    assert_eq!(redis.cmd(&["LRANGE", "none", "0", "-1"]), "(empty array)");
    let err = redis.cmd_resp(&["INCR", "l"]);
    assert!(err.is_error(), "{err:?}");
    assert!(redis.cmd(&["NOSUCHCMD"]).starts_with("(error) ERR"));
}

#[test]
fn two_servers_are_independent() {
    let a = RedisServer::start();
    let b = RedisServer::start();
    assert_ne!(a.socket_path(), b.socket_path());
    assert_ne!(a.pid(), b.pid());
    a.cmd(&["SET", "k", "from-a"]);
    assert_eq!(b.cmd(&["GET", "k"]), "(nil)");
    assert_eq!(a.cmd(&["GET", "k"]), "from-a");
}

#[test]
fn restart_keeps_socket_and_port_and_comes_back_empty() {
    let mut redis = RedisServer::start_tcp();
    let (path, port, old_pid) = (redis.socket_path(), redis.port(), redis.pid());
    redis.cmd(&["SET", "k", "v"]);

    redis.restart();

    assert_ne!(redis.pid(), old_pid);
    assert!(!pid_alive(old_pid), "old redis-server {old_pid} survived");
    assert_eq!(redis.socket_path(), path);
    assert_eq!(redis.port(), port);
    // A brand-new connection on the same address works; no data survived.
    assert_eq!(redis.cmd(&["PING"]), "PONG");
    assert_eq!(redis.cmd(&["GET", "k"]), "(nil)");
    assert_eq!(tcp_ping(port), "+PONG");
}

#[test]
fn stop_then_start_again_and_kill() {
    let mut redis = RedisServer::start();
    let pid = redis.pid();
    redis.stop();
    assert!(!redis.is_running());
    assert!(!pid_alive(pid));
    assert!(Conn::connect(&redis.socket_path()).is_err());
    redis.stop(); // idempotent

    redis.start_again();
    assert_eq!(redis.cmd(&["PING"]), "PONG");
    let pid = redis.pid();
    redis.kill(); // abrupt crash: the socket file stays behind
    assert!(!pid_alive(pid));
    redis.start_again();
    assert_eq!(redis.cmd(&["PING"]), "PONG");
}

#[test]
fn drop_leaves_no_process_and_no_dir() {
    let redis = RedisServer::start();
    let (pid, dir) = (redis.pid(), redis.dir().to_path_buf());
    assert!(pid_alive(pid));
    drop(redis);
    assert!(
        !pid_alive(pid),
        "redis-server {pid} outlived its RedisServer"
    );
    assert!(!dir.exists(), "temp dir {} was left behind", dir.display());
}

#[test]
fn drop_stops_the_server_when_a_test_panics() {
    let (tx, rx) = std::sync::mpsc::channel();
    let result = std::panic::catch_unwind(move || {
        let redis = RedisServer::start();
        tx.send(redis.pid()).unwrap();
        panic!("simulated test failure");
    });
    assert!(result.is_err());
    let pid = rx.recv().unwrap();
    assert!(
        !pid_alive(pid),
        "redis-server {pid} survived a panicking test"
    );
}

#[test]
fn a_frozen_server_is_still_stopped_by_drop() {
    let redis = RedisServer::start();
    let pid = redis.pid();
    redis.freeze();
    let started = std::time::Instant::now();
    drop(redis);
    assert!(!pid_alive(pid));
    // SIGCONT before SIGTERM: no need for the 5 s SIGKILL fallback.
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[test]
fn tcp_server_listens_on_loopback() {
    let redis = RedisServer::start_tcp();
    assert_eq!(
        redis.tcp_url(),
        format!("redis://127.0.0.1:{}", redis.port())
    );
    assert_eq!(tcp_ping(redis.port()), "+PONG");
    // The unix socket is there too.
    assert_eq!(redis.cmd(&["PING"]), "PONG");
}

#[test]
fn requirepass_is_applied_and_cmd_authenticates() {
    let redis = RedisServer::start_with_args(&["--requirepass", "s3cret"]);
    assert_eq!(redis.cmd(&["PING"]), "PONG");
    let mut anonymous = Conn::connect(&redis.socket_path()).unwrap();
    let reply = anonymous.call(&["GET", "x"]).unwrap();
    assert!(
        matches!(&reply, Resp::Error(e) if e.starts_with("NOAUTH")),
        "{reply:?}"
    );
}

#[test]
fn acl_users_from_args() {
    let mut redis =
        RedisServer::start_with_args(&["--user", "mon", "on", ">pw", "~*", "&*", "+@all"]);
    redis.set_client_auth(Some("mon"), "pw");
    assert_eq!(redis.cmd(&["ACL", "WHOAMI"]), "mon");
}

#[test]
fn resp_parser_handles_every_resp2_type() {
    let parse = |bytes: &[u8]| read_reply(&mut BufReader::new(bytes)).unwrap();
    assert_eq!(parse(b"+OK\r\n"), Resp::Simple("OK".into()));
    assert_eq!(parse(b"-ERR no\r\n"), Resp::Error("ERR no".into()));
    assert_eq!(parse(b":-7\r\n"), Resp::Int(-7));
    assert_eq!(parse(b"$5\r\na\r\nbc\r\n"), Resp::Bulk("a\r\nbc".into()));
    assert_eq!(parse(b"$-1\r\n"), Resp::Nil);
    assert_eq!(parse(b"*-1\r\n"), Resp::Nil);
    assert_eq!(
        parse(b"*2\r\n:1\r\n*1\r\n$0\r\n\r\n"),
        Resp::Array(vec![Resp::Int(1), Resp::Array(vec![Resp::Bulk("".into())])])
    );
    assert_eq!(
        encode_command(&["SET", "a b"]),
        b"*2\r\n$3\r\nSET\r\n$3\r\na b\r\n"
    );
    let nested = Resp::Array(vec![Resp::Bulk("a".into()), Resp::Int(2), Resp::Nil]);
    assert_eq!(nested.to_string(), "a\n2\n(nil)");
    assert_eq!(Resp::Bulk("12".into()).as_int(), Some(12));
}

/// A raw PING over TCP, independent of the unix-socket client.
fn tcp_ping(port: u16) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect tcp");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(b"PING\r\n").unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line.trim_end().to_string()
}

// ------------------------------------------------------------- fixtures ---

fn counts(ready: &Value, queue: &str, state: &str) -> Value {
    ready[queue][state].clone()
}

#[test]
fn scenario_builds_every_state_and_stops_cleanly() {
    let redis = RedisServer::start();
    let mut node = spawn_node("scenario.js", &["--redis", &redis.url()]);
    let ready = node.wait_for_json("READY ", NODE_TIMEOUT);
    let c = |q: &str, s: &str| counts(&ready, q, s);

    assert_eq!(c("emails", "waiting"), 5, "{ready}");
    assert_eq!(c("emails", "delayed"), 3, "{ready}");
    assert_eq!(c("emails", "prioritized"), 4, "{ready}");
    assert_eq!(c("emails", "waiting-children"), 1, "{ready}");
    assert_eq!(c("emails-children", "waiting"), 1, "{ready}");
    assert_eq!(c("reports", "active"), 1, "{ready}");
    assert_eq!(c("reports", "completed"), 6, "{ready}");
    assert_eq!(c("billing", "failed"), 4, "{ready}");
    assert_eq!(c("billing", "completed"), 2, "{ready}");
    assert_eq!(c("paused-q", "isPaused"), true, "{ready}");
    assert_eq!(c("paused-q", "waiting"), 3, "{ready}");
    for state in ["waiting", "active", "completed", "failed", "delayed"] {
        assert_eq!(c("ephemeral", state), 0, "{ready}");
    }
    assert_eq!(ready["worker_names"], serde_json::json!(["w-reports"]));
    assert_eq!(ready["pid"], node.pid());

    // Cross-check with our own client that this really is BullMQ's layout.
    assert_eq!(redis.cmd(&["LLEN", "bull:emails:wait"]), "5");
    assert_eq!(redis.cmd(&["ZCARD", "bull:billing:failed"]), "4");
    assert_eq!(
        redis.cmd(&["HGET", "bull:billing:1", "failedReason"]),
        "card declined for order 1234"
    );
    assert_eq!(redis.cmd(&["HGET", "bull:paused-q:meta", "paused"]), "1");
    let active = redis.cmd(&["LRANGE", "bull:reports:active", "0", "-1"]);
    let ttl = redis.cmd_resp(&["PTTL", &format!("bull:reports:{active}:lock")]);
    assert!(ttl.as_int().unwrap() > 0, "held job has no lock: {ttl:?}");
    let clients = redis.cmd(&["CLIENT", "LIST"]);
    // base64("reports") = cmVwb3J0cw==
    assert!(
        clients.contains("name=bull:cmVwb3J0cw==:w:w-reports"),
        "{clients}"
    );
    let events = redis.cmd_resp(&["XLEN", "bull:ephemeral:events"]);
    assert!(events.as_int().unwrap() >= 12 * 3, "{events:?}");

    let pid = node.pid();
    let status = node.stop(NODE_TIMEOUT);
    assert!(
        status.success(),
        "scenario exited {status}: {}",
        node.stderr()
    );
    drop(node);
    assert!(!pid_alive(pid));
}

#[test]
fn dropping_a_node_child_kills_it() {
    let redis = RedisServer::start();
    let mut node = spawn_node("scenario.js", &["--redis", &redis.url()]);
    node.wait_for_line("READY ", NODE_TIMEOUT);
    let pid = node.pid();
    drop(node);
    assert!(!pid_alive(pid), "node {pid} outlived its NodeChild");
}

#[test]
fn load_produces_paced_jobs_and_processes_them() {
    let redis = RedisServer::start();
    let url = redis.url();
    let mut node = NodeScript::new("load.js")
        .args([
            "--redis",
            &url,
            "--queue",
            "lq",
            "--rate",
            "40",
            "--duration",
            "1",
        ])
        .args(["--work-ms", "2", "--fail-rate", "0.5", "--seed", "3"])
        .args(["--concurrency", "2"])
        .spawn();
    assert_eq!(node.wait_for_line("ADDED ", NODE_TIMEOUT), "40");
    let done = node.wait_for_json("DONE ", NODE_TIMEOUT);
    assert!(node.wait_exit(NODE_TIMEOUT).success(), "{}", node.stderr());

    let (completed, failed) = (done["completed"].as_u64(), done["failed"].as_u64());
    assert_eq!(done["added"], 40, "{done}");
    assert_eq!(completed.unwrap() + failed.unwrap(), 40, "{done}");
    assert!(failed.unwrap() > 0 && completed.unwrap() > 0, "{done}");
    assert_eq!(done["counts"]["completed"], done["completed"], "{done}");
    assert_eq!(done["counts"]["failed"], done["failed"], "{done}");
    // Paced over the duration, not a burst: 39 ticks of 25 ms between the
    // first and last add (the upper bound only guards against a stalled loop).
    let first: i64 = redis
        .cmd(&["HGET", "bull:lq:1", "timestamp"])
        .parse()
        .unwrap();
    let last: i64 = redis
        .cmd(&["HGET", "bull:lq:40", "timestamp"])
        .parse()
        .unwrap();
    assert!(
        (800..1200).contains(&(last - first)),
        "spread {} ms",
        last - first
    );
    let failed_id = redis.cmd(&["ZRANGE", "bull:lq:failed", "0", "0"]);
    assert_eq!(
        redis.cmd(&["HGET", &format!("bull:lq:{failed_id}"), "failedReason"]),
        format!("boom {failed_id}")
    );
}

#[test]
fn fixtures_accept_tcp_urls_with_acl_user_db_and_prefix() {
    // The default user is off, so only the URL's credentials can work.
    let mut redis = RedisServer::start_tcp_with_args(&[
        "--user", "default", "off", //
        "--user", "app", "on", ">pw", "~*", "&*", "+@all",
    ]);
    let url = format!("redis://app:pw@127.0.0.1:{}/2", redis.port());
    let out = NodeScript::new("load.js")
        .args([
            "--redis",
            &url,
            "--queue",
            "tq",
            "--rate",
            "10",
            "--duration",
            "0.5",
        ])
        .args(["--no-worker", "--prefix", "qp"])
        .run();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("ADDED 5\n"), "{stdout}");

    assert!(redis.cmd(&["DBSIZE"]).starts_with("(error) NOAUTH"));
    redis.set_client_auth(Some("app"), "pw");
    let mut conn = redis.conn();
    assert_eq!(
        conn.call(&["SELECT", "2"]).unwrap(),
        Resp::Simple("OK".into())
    );
    assert_eq!(conn.call(&["LLEN", "qp:tq:wait"]).unwrap(), Resp::Int(5));
    assert_eq!(redis.cmd(&["DBSIZE"]), "0", "db 0 must stay empty");
}
