//! The poller reads over a second, lean connection (raw RESP, no per-value decoding by
//! redis-rs): it must authenticate and select the database like the main one, show itself
//! in CLIENT LIST, read events and counts right, come back after a restart, and when Redis
//! refuses a second connection everything still arrives through the main one.

use crate::common;

use common::{Conn, RedisServer};
use qtop::model::{EventTotals, PollReport};
use qtop::source::{Poller, PollerConfig, RedisTarget};

/// Five jobs that complete and two that fail, with BullMQ's four events per job
/// (`name`, `prev`, `returnvalue` and `failedReason` fields included, as BullMQ writes them).
fn write_lifecycles(conn: &mut Conn) {
    for job in 1..=7 {
        let id = job.to_string();
        let xadd = |conn: &mut Conn, fields: &[&str]| {
            let mut args = vec!["XADD", "bull:q:events", "*"];
            args.extend_from_slice(fields);
            conn.call(&args).unwrap();
        };
        xadd(conn, &["event", "added", "jobId", &id, "name", "work"]);
        xadd(conn, &["event", "waiting", "jobId", &id]);
        xadd(conn, &["event", "active", "jobId", &id, "prev", "waiting"]);
        if job <= 5 {
            let done = [
                "event",
                "completed",
                "jobId",
                &id,
                "returnvalue",
                "{\"ok\":1}",
            ];
            xadd(conn, &done);
        } else {
            xadd(
                conn,
                &["event", "failed", "jobId", &id, "failedReason", "boom"],
            );
        }
    }
}

fn totals(report: &PollReport) -> EventTotals {
    report
        .queues
        .iter()
        .find(|q| q.key.name == "q")
        .and_then(|q| q.totals)
        .expect("queue q in the report, with totals")
}

fn client_list(conn: &mut Conn) -> String {
    conn.call(&["CLIENT", "LIST"]).unwrap().to_string()
}

fn seed_queue(conn: &mut Conn) {
    conn.call(&["HSET", "bull:q:meta", "version", "bullmq:6.7.0"])
        .unwrap();
    conn.call(&["XADD", "bull:q:events", "*", "event", "drained"])
        .unwrap();
}

#[tokio::test]
async fn events_are_read_over_an_authenticated_lean_connection_in_the_urls_database() {
    let mut redis = RedisServer::start_tcp_with_args(&["--requirepass", "admin-pw"]);
    redis.set_client_auth(None, "admin-pw");
    redis.cmd(&["ACL", "SETUSER", "mon", "on", ">mon-pw", "~*", "+@all"]);
    let mut conn = redis.conn();
    conn.call(&["SELECT", "3"]).unwrap();
    seed_queue(&mut conn);
    conn.call(&["LPUSH", "bull:q:wait", "a", "b", "c"]).unwrap();

    let url = format!("redis://mon:mon-pw@127.0.0.1:{}/3", redis.port());
    let mut poller = Poller::new(
        RedisTarget::parse(&url, false).unwrap(),
        PollerConfig::default(),
    );
    poller.connect().await.unwrap();
    let first = poller.poll().await.unwrap();
    assert_eq!(totals(&first), EventTotals::default());
    let counts = first
        .queues
        .iter()
        .find(|q| q.key.name == "q")
        .unwrap()
        .counts;
    assert_eq!(
        counts.and_then(|c| c.waiting),
        Some(3),
        "counts read from db 3"
    );

    let clients = client_list(&mut conn);
    let lean = clients
        .lines()
        .find(|line| line.contains("name=qtop:poll"))
        .unwrap_or_else(|| panic!("no lean connection in CLIENT LIST:\n{clients}"));
    assert!(lean.contains("db=3"), "{lean}");
    assert!(lean.contains("user=mon"), "{lean}");

    write_lifecycles(&mut conn);
    // Read between polls (the dashboard's events ticks) and at the poll: counted once.
    poller.read_events().await.unwrap();
    let second = poller.poll().await.unwrap();
    let got = totals(&second);
    assert_eq!((got.added, got.completed, got.failed), (7, 5, 2));
    // Every finished job was timed from its hash or, gone, from its events.
    let queue = second.queues.iter().find(|q| q.key.name == "q").unwrap();
    assert_eq!(queue.finished_in_interval, 7);
}

#[tokio::test]
async fn a_wrong_password_on_the_lean_connection_cannot_happen_silently() {
    // Same credentials for both connections: a wrong password fails the connect itself,
    // with the main connection's clear message, never a half-working poller.
    let redis = RedisServer::start_tcp_with_args(&["--requirepass", "right"]);
    let url = format!("redis://:wrong@127.0.0.1:{}", redis.port());
    let mut poller = Poller::new(
        RedisTarget::parse(&url, false).unwrap(),
        PollerConfig::default(),
    );
    let error = poller.connect().await.unwrap_err().to_string();
    assert!(error.contains("wrong username or password"), "{error}");
    assert!(!poller.is_connected());
}

#[tokio::test]
async fn events_still_arrive_when_redis_refuses_a_second_connection() {
    // Room for the test's own connection and qtop's main one only.
    let redis = RedisServer::start_with_args(&["--maxclients", "2"]);
    let mut conn = redis.conn();
    seed_queue(&mut conn);
    let mut poller = Poller::new(
        RedisTarget::parse(&redis.url(), false).unwrap(),
        PollerConfig::default(),
    );
    poller.connect().await.unwrap();
    poller.poll().await.unwrap();
    let clients = client_list(&mut conn);
    assert!(clients.contains("name=qtop:monitor"), "{clients}");
    assert!(!clients.contains("name=qtop:poll"), "{clients}");

    write_lifecycles(&mut conn);
    let report = poller.poll().await.unwrap();
    let got = totals(&report);
    assert_eq!((got.added, got.completed, got.failed), (7, 5, 2));
}

#[tokio::test]
async fn the_lean_connection_comes_back_after_a_redis_restart() {
    let mut redis = RedisServer::start();
    seed_queue(&mut redis.conn());
    let mut poller = Poller::new(
        RedisTarget::parse(&redis.url(), false).unwrap(),
        PollerConfig::default(),
    );
    poller.connect().await.unwrap();
    poller.poll().await.unwrap();
    redis.restart();
    // Nothing is kept on disk: the queue is there again before qtop reconnects.
    seed_queue(&mut redis.conn());
    // The first poll after the restart may fail (both connections are gone); the next
    // reconnects both.
    let mut report = None;
    for _ in 0..5 {
        if let Ok(r) = poller.poll().await {
            report = Some(r);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    report.expect("a poll succeeds after the restart");
    let mut conn = redis.conn();
    assert!(client_list(&mut conn).contains("name=qtop:poll"));
    let before = totals(&poller.poll().await.unwrap());
    write_lifecycles(&mut conn);
    let after = totals(&poller.poll().await.unwrap());
    assert_eq!(
        (
            after.added - before.added,
            after.completed - before.completed,
            after.failed - before.failed
        ),
        (7, 5, 2)
    );
}
