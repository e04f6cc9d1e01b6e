//! Redis URLs: schemes, hosts, unix sockets, password redaction, and which failures are retried.

use super::*;

#[test]
fn passwords_never_reach_the_display_form() {
    let cases = [
        ("redis://127.0.0.1:6379", "redis://127.0.0.1:6379", None),
        (
            "redis://:s3cret@host:6379/2",
            "redis://:***@host:6379/2",
            Some("s3cret"),
        ),
        (
            "rediss://alice:p@ss@host:6380",
            "rediss://alice:***@host:6380",
            Some("p@ss"),
        ),
        ("redis://alice@host", "redis://alice@host", None),
        (
            "unix:///tmp/r.sock?db=1&pass=hunter2",
            "unix:///tmp/r.sock?db=1&pass=***",
            Some("hunter2"),
        ),
    ];
    for (url, shown, secret) in cases {
        let (display, found) = redact(url);
        assert_eq!(display, shown, "url {url}");
        assert_eq!(found.as_deref(), secret, "url {url}");
    }
}

#[test]
fn scrub_removes_the_password_from_error_text() {
    let target = RedisTarget::parse("redis://u:topsecret@127.0.0.1:1", false).ok();
    let target = target.unwrap_or_else(|| panic!("valid url"));
    assert_eq!(target.scrub("auth topsecret failed"), "auth *** failed");
    assert!(!format!("{target:?}").contains("topsecret"));
}

#[test]
fn unknown_schemes_are_refused_clearly() {
    let err = RedisTarget::parse("http://localhost:6379", false).err();
    let message = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(message.starts_with("invalid Redis URL"), "{message}");
}

#[test]
fn unix_credentials_move_to_the_query_redis_rs_reads() {
    let cases = [
        ("unix:///run/r.sock", "unix:///run/r.sock"),
        ("unix://:pw@/run/r.sock", "unix:///run/r.sock?pass=pw"),
        (
            "unix://alice:p%40ss@/run/r.sock",
            "unix:///run/r.sock?user=alice&pass=p%40ss",
        ),
        (
            "unix://alice@/run/r.sock?db=2",
            "unix:///run/r.sock?db=2&user=alice",
        ),
        ("redis://:pw@h:1", "redis://:pw@h:1"),
    ];
    for (url, expected) in cases {
        assert_eq!(unix_credentials_to_query(url), expected, "{url}");
    }
    let target = RedisTarget::parse("redis+unix://:s3cret@/run/r.sock", false)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(target.connection_url(), "unix:///run/r.sock?pass=s3cret");
    assert_eq!(target.display(), "redis+unix://:***@/run/r.sock");
}

#[test]
fn hosts_and_ports_are_read_from_tcp_urls() {
    for (url, host, host_port) in [
        ("rediss://h:6380", "h", "h:6380"),
        ("rediss://u:p@h", "h", "h:6379"),
        ("rediss://[::1]:7000/2", "::1", "[::1]:7000"),
    ] {
        let target = RedisTarget::parse(url, false).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(target.host().as_deref(), Some(host), "{url}");
        assert_eq!(target.host_port().as_deref(), Some(host_port), "{url}");
    }
    let unix = RedisTarget::parse("unix:///run/r.sock?db=1", false);
    let unix = unix.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(unix.host(), None);
    assert_eq!(unix.socket_path().as_deref(), Some("/run/r.sock"));
}

#[test]
fn only_causes_that_can_pass_are_retried() {
    let at = || "redis://h:1".to_string();
    let transient = [
        ConnectError::Refused(at()),
        ConnectError::Timeout(at()),
        ConnectError::NoSocket(at(), "/x".into()),
        ConnectError::Other(at(), "connection lost".into()),
    ];
    let permanent = [
        ConnectError::InvalidUrl(at()),
        ConnectError::Auth(at()),
        ConnectError::NoAuth(at()),
        ConnectError::Tls(at(), "bad certificate".into()),
        ConnectError::PlainServer(at()),
        ConnectError::NotRedis(at(), "HTTP".into()),
        ConnectError::NoPermission(at(), "NOPERM".into()),
        ConnectError::UnknownHost(at(), "h".into(), "no such host".into()),
    ];
    assert!(transient.iter().all(ConnectError::is_transient));
    assert!(!permanent.iter().any(ConnectError::is_transient));
}

#[test]
fn redis_plus_unix_is_accepted() {
    let target = RedisTarget::parse("redis+unix:///tmp/x.sock", false);
    assert!(target.is_ok());
}
