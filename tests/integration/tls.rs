//! TLS: certificates are verified by default; a private CA can be given; `--insecure` skips
//! verification and says so.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{make_certificates, run_qtop, RedisServer};

fn tls_server(dir: &Path) -> (RedisServer, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cert = dir.join("server.pem");
    let key = dir.join("server.key");
    let server = RedisServer::start_with_args(&[
        "--tls-port",
        &port.to_string(),
        "--tls-cert-file",
        cert.to_str().unwrap(),
        "--tls-key-file",
        key.to_str().unwrap(),
        "--tls-auth-clients",
        "no",
    ]);
    server.cmd(&["LPUSH", "bull:secure:wait", "1"]);
    (server, port)
}

#[test]
fn certificates_are_verified_unless_told_otherwise() {
    let certs = tempfile::tempdir().unwrap();
    make_certificates(certs.path());
    let (_server, port) = tls_server(certs.path());
    let url = format!("rediss://127.0.0.1:{port}");
    let snapshot = |extra: &[&str]| {
        let mut args = vec!["--redis", url.as_str(), "snapshot", "--window", "0s"];
        args.extend_from_slice(extra);
        run_qtop(&args, Duration::from_secs(30))
    };

    // Unknown CA: refused, in one line that names TLS.
    let refused = snapshot(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("TLS with Redis"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");

    // The private CA given: verified and read.
    let ca = certs.path().join("ca.pem");
    let trusted = snapshot(&["--tls-ca", ca.to_str().unwrap()]);
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    assert!(String::from_utf8_lossy(&trusted.stdout).contains("secure"));
    assert!(trusted.stderr.is_empty());

    // --insecure: works, with a warning.
    let insecure = snapshot(&["--insecure"]);
    assert!(insecure.status.success());
    assert!(String::from_utf8_lossy(&insecure.stderr).contains("NOT verified"));
}
