//! The lean connection over TLS: it opens (named `qtop:poll`), authenticates as the URL's
//! ACL user, selects its database, reads what redis-rs would, and opens again after a
//! restart.

use crate::common;

use std::time::Duration;

use common::{make_certificates, RedisServer};
use qtop::model::PollReport;
use qtop::source::connect::TlsFiles;
use qtop::source::{Poller, PollerConfig, RedisTarget};

fn tls_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Queue `tls` in database 3: 4 waiting, 2 delayed, 1 failed.
fn fill(redis: &RedisServer) {
    let script = "redis.call('SELECT', 3) \
        for i = 1, 4 do redis.call('LPUSH', 'bull:tls:wait', i) end \
        redis.call('ZADD', 'bull:tls:delayed', 1, 'a', 2, 'b') \
        redis.call('ZADD', 'bull:tls:failed', 1, 'f') \
        redis.call('XADD', 'bull:tls:events', '*', 'event', 'added', 'jobId', '4') \
        redis.call('SELECT', 0) \
        redis.call('LPUSH', 'bull:db0only:wait', 1) return 1";
    redis.cmd(&["EVAL", script, "0"]);
    redis.cmd(&[
        "ACL",
        "SETUSER",
        "watcher",
        "on",
        ">s3cret",
        "~bull:*",
        "+@read",
        "+@connection",
        "+client|list",
        "+client|setname",
        "+info",
        "+select",
        "+dbsize",
        "+scan",
    ]);
}

fn counts(report: &PollReport) -> (u64, u64, u64) {
    let q = report.queues.iter().find(|q| q.key.name == "tls").unwrap();
    let c = q.counts.as_ref().unwrap();
    (c.waiting.unwrap(), c.delayed.unwrap(), c.failed.unwrap())
}

/// The lean connection as the server lists it: `user=… db=…`.
fn lean_client(redis: &RedisServer) -> Option<String> {
    redis
        .cmd(&["CLIENT", "LIST"])
        .lines()
        .find(|l| l.contains("name=qtop:poll"))
        .map(str::to_string)
}

#[tokio::test]
async fn the_lean_connection_reads_over_tls_as_an_acl_user_in_a_database_and_after_a_restart() {
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path());
    let port = tls_port();
    let cert = certs.path().join("server.pem");
    let key = certs.path().join("server.key");
    let mut redis = RedisServer::start_with_args(&[
        "--tls-port",
        &port.to_string(),
        "--tls-cert-file",
        cert.to_str().unwrap(),
        "--tls-key-file",
        key.to_str().unwrap(),
        "--tls-auth-clients",
        "no",
    ]);
    fill(&redis);
    let url = format!("rediss://watcher:s3cret@127.0.0.1:{port}/3");
    let target = RedisTarget::parse(&url, false)
        .unwrap()
        .with_tls_files(TlsFiles {
            ca: Some(certs.path().join("ca.pem")),
            ..TlsFiles::default()
        })
        .unwrap();
    let mut poller = Poller::new(target, PollerConfig::default());
    let report = poller.poll().await.unwrap();
    assert_eq!(counts(&report), (4, 2, 1));
    assert!(
        report.queues.iter().all(|q| q.key.name != "db0only"),
        "database 3 only"
    );
    let lean = lean_client(&redis).expect("a lean connection over TLS");
    assert!(lean.contains("user=watcher"), "{lean}");
    assert!(lean.contains(" db=3 "), "{lean}");
    // Polled through it: its last command is one of the poll's.
    let report = poller.poll().await.unwrap();
    assert_eq!(counts(&report), (4, 2, 1));
    assert!(report.poll.round_trips >= 2);

    // Restarted empty, filled again: the poller reconnects, the lean connection too.
    redis.restart();
    fill(&redis);
    redis.cmd(&[
        "EVAL",
        "redis.call('SELECT', 3) redis.call('LPUSH', 'bull:tls:wait', 5) return 1",
        "0",
    ]);
    let mut report = None;
    for _ in 0..50 {
        match poller.poll().await {
            Ok(r) if r.queues.iter().any(|q| q.key.name == "tls") => {
                report = Some(r);
                break;
            }
            Ok(_) => {}
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let report = report.expect("polled again after the restart");
    assert_eq!(counts(&report), (5, 2, 1));
    let lean = lean_client(&redis).expect("the lean connection again");
    assert!(
        lean.contains("user=watcher") && lean.contains(" db=3 "),
        "{lean}"
    );
}
