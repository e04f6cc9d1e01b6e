//! Why a connection could not be used, and a redis-rs error turned into one line an
//! operator can act on.

use std::fmt;

use redis::{ErrorKind, RedisError, ServerErrorKind};

use super::RedisTarget;

/// Why a connection could not be used, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    InvalidUrl(String),
    Refused(String),
    /// A unix socket path where no socket file is: (URL, path).
    NoSocket(String, String),
    /// The host name does not resolve: (URL, host, the resolver's words).
    UnknownHost(String, String, String),
    Timeout(String),
    Auth(String),
    NoAuth(String),
    Tls(String, String),
    /// A `rediss://` URL, and the server speaks plain Redis.
    PlainServer(String),
    NotRedis(String, String),
    NoPermission(String, String),
    Other(String, String),
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(detail) => write!(f, "invalid Redis URL: {detail}"),
            Self::Refused(at) => write!(
                f,
                "cannot connect to Redis at {at}: connection refused (is redis-server running there? set --redis or REDIS_URL)"
            ),
            Self::NoSocket(at, path) => write!(
                f,
                "cannot connect to Redis at {at}: there is no socket file at {path} (is redis-server running with `unixsocket {path}`?)"
            ),
            Self::UnknownHost(at, host, detail) => write!(
                f,
                "cannot connect to Redis at {at}: the host name '{host}' does not resolve ({detail}; check the spelling and DNS)"
            ),
            Self::Timeout(at) => write!(
                f,
                "cannot connect to Redis at {at}: no answer (timed out; check the host, port and firewall)"
            ),
            Self::Auth(at) => write!(
                f,
                "Redis at {at} refused the credentials: wrong username or password"
            ),
            Self::NoAuth(at) => write!(
                f,
                "Redis at {at} requires a password: give it in the URL (redis://user:PASSWORD@host:port, unix://:PASSWORD@/path/to/socket) or with password_env in a context"
            ),
            Self::Tls(at, detail) => write!(
                f,
                "TLS with Redis at {at} failed: {detail} (check the certificate; --insecure skips verification)"
            ),
            Self::PlainServer(at) => write!(
                f,
                "cannot connect to Redis at {at} over TLS: the server answers plain Redis, without TLS (use redis:// instead of rediss://)"
            ),
            Self::NotRedis(at, detail) => write!(
                f,
                "{at} did not answer like a Redis server ({detail})"
            ),
            Self::NoPermission(at, detail) => {
                write!(f, "Redis at {at} denied a command qtop needs: {detail}")
            }
            Self::Other(at, detail) => write!(f, "Redis at {at}: {detail}"),
        }
    }
}

impl std::error::Error for ConnectError {}

impl ConnectError {
    /// Worth retrying: the server may be on its way (refused, no answer, no socket file
    /// yet, a connection lost, a server still loading). Wrong credentials, an ACL denial,
    /// TLS, a server that is not Redis, a bad URL or an unknown host are not: retrying
    /// cannot fix them.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            Self::Refused(_) | Self::NoSocket(..) | Self::Timeout(_) | Self::Other(..)
        )
    }
}

impl RedisTarget {
    /// Turn a redis-rs error into one clear line.
    pub fn classify(&self, error: &RedisError) -> ConnectError {
        let at = self.display.clone();
        let detail = one_line(&self.scrub(&error.to_string()));
        let lower = detail.to_lowercase();
        if lower.contains("no such file or directory") {
            if let Some(path) = self.socket_path() {
                return ConnectError::NoSocket(at, path);
            }
        }
        if error.is_connection_refusal() || lower.contains("connection refused") {
            return ConnectError::Refused(at);
        }
        if error.is_timeout() {
            return ConnectError::Timeout(at);
        }
        if let Some(cause) = resolver_failure(&lower) {
            if let Some(host) = self.host() {
                return match cause {
                    Resolver::Unknown(words) => {
                        ConnectError::UnknownHost(at, host, words.to_string())
                    }
                    // The DNS server did not answer: may pass, so retried.
                    Resolver::Temporary => ConnectError::Other(
                        at,
                        format!("cannot resolve the host name '{host}' now (temporary failure in name resolution)"),
                    ),
                };
            }
        }
        match error.kind() {
            ErrorKind::AuthenticationFailed => return ConnectError::Auth(at),
            ErrorKind::Server(ServerErrorKind::NoPerm) => {
                return ConnectError::NoPermission(at, detail)
            }
            _ => {}
        }
        let code = error.code().unwrap_or_default();
        if code == "WRONGPASS" || lower.contains("wrongpass") || lower.contains("invalid password")
        {
            return ConnectError::Auth(at);
        }
        if code == "NOAUTH" || lower.contains("noauth") {
            return ConnectError::NoAuth(at);
        }
        if lower.contains("tls") || lower.contains("certificate") || lower.contains("handshake") {
            return ConnectError::Tls(at, detail);
        }
        if matches!(error.kind(), ErrorKind::Parse)
            || lower.contains("parse")
            || lower.contains("invalid")
        {
            return ConnectError::NotRedis(at, detail);
        }
        if error.is_connection_dropped() || error.is_io_error() {
            return ConnectError::Other(at, format!("connection lost ({detail})"));
        }
        ConnectError::Other(at, detail)
    }
}

enum Resolver {
    Unknown(&'static str),
    Temporary,
}

/// A failed host name lookup, in the words of glibc, musl and macOS resolvers.
fn resolver_failure(lower: &str) -> Option<Resolver> {
    if lower.contains("temporary failure in name resolution") {
        return Some(Resolver::Temporary);
    }
    [
        "name or service not known",
        "no address associated with hostname",
        "nodename nor servname provided",
        "failed to lookup address information",
    ]
    .into_iter()
    .find(|words| lower.contains(words))
    .map(|_| Resolver::Unknown("no such host"))
}

/// Error texts can span lines; an operator gets one line, of bounded length.
fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}
