//! Connecting to Redis: URL handling, password redaction, and one clear line per failure.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, ErrorKind, RedisError, ServerErrorKind};

/// Where to connect, with the URL as given and a display form that never shows a password.
#[derive(Clone)]
pub struct RedisTarget {
    url: String,
    display: String,
    secret: Option<String>,
    insecure: bool,
    tls: Option<redis::TlsCertificates>,
    /// `--cluster`: the URL must be a Redis Cluster node.
    cluster: bool,
    /// More cluster seeds (several `--redis`), tried when this one does not answer.
    more_seeds: Vec<RedisTarget>,
}

/// PEM files for TLS: a CA to verify the server with, and a client certificate and key.
#[derive(Clone, Debug, Default)]
pub struct TlsFiles {
    pub ca: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

impl fmt::Debug for RedisTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTarget")
            .field("url", &self.display)
            .finish()
    }
}

/// Why a connection could not be used, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectError {
    InvalidUrl(String),
    Refused(String),
    Timeout(String),
    Auth(String),
    NoAuth(String),
    Tls(String, String),
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
                "Redis at {at} requires a password: give it in the URL (redis://user:PASSWORD@host:port)"
            ),
            Self::Tls(at, detail) => write!(
                f,
                "TLS with Redis at {at} failed: {detail} (check the certificate; --insecure skips verification)"
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

impl RedisTarget {
    /// Accepts `redis://`, `rediss://`, `unix://` and `redis+unix://` URLs.
    pub fn parse(url: &str, insecure: bool) -> Result<Self, ConnectError> {
        let trimmed = url.trim();
        let normalized = match trimmed.strip_prefix("redis+unix://") {
            Some(rest) => format!("unix://{rest}"),
            None => trimmed.to_string(),
        };
        let scheme_ok = ["redis://", "rediss://", "unix://"]
            .iter()
            .any(|s| normalized.starts_with(s));
        let (display, secret) = redact(trimmed);
        if !scheme_ok {
            return Err(ConnectError::InvalidUrl(format!(
                "{display} (expected redis://host:port, rediss://host:port or unix:///path/to/socket)"
            )));
        }
        let target = Self {
            url: normalized,
            display,
            secret,
            insecure,
            tls: None,
            cluster: false,
            more_seeds: Vec::new(),
        };
        target.client()?;
        Ok(target)
    }

    /// Insist on a Redis Cluster (`--cluster`); without it a cluster is still detected.
    pub fn with_cluster(mut self, cluster: bool) -> Self {
        self.cluster = cluster;
        self
    }

    /// Further seed nodes of the same cluster (several `--redis`).
    pub fn with_seeds(mut self, seeds: Vec<RedisTarget>) -> Self {
        self.cluster |= !seeds.is_empty();
        self.more_seeds = seeds;
        self
    }

    /// Also try these cluster nodes (`host:port`) when the seeds do not answer: the nodes
    /// a cluster named before, so a dead seed does not stop qtop from following a failover.
    pub fn with_known_nodes(&self, addrs: &[String]) -> Self {
        let mut target = self.clone();
        for addr in addrs {
            if let Ok(node) = self.for_node(addr) {
                if target.seeds().iter().all(|s| s.display() != node.display()) {
                    target.more_seeds.push(node);
                }
            }
        }
        target
    }

    /// Whether the user said this is a cluster (`--cluster` or several seeds).
    pub fn wants_cluster(&self) -> bool {
        self.cluster
    }

    /// This target and the further seeds, each able to teach the cluster's topology.
    pub fn seeds(&self) -> Vec<RedisTarget> {
        let mut first = self.clone();
        first.more_seeds.clear();
        let mut seeds = vec![first];
        for seed in &self.more_seeds {
            let mut seed = seed.clone();
            seed.tls = seed.tls.or_else(|| self.tls.clone());
            seeds.push(seed);
        }
        seeds
    }

    /// The same credentials and TLS settings for another node (`host:port`) of a cluster.
    pub fn for_node(&self, addr: &str) -> Result<Self, ConnectError> {
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("redis", ""));
        let unix = scheme == "unix";
        let scheme = if unix { "redis" } else { scheme };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let userinfo = match authority.rfind('@') {
            Some(at) if !unix => &authority[..=at],
            _ => "",
        };
        let tail = if unix { "" } else { &rest[authority_end..] };
        // `CLUSTER NODES` gives IPv6 addresses bare: `::1:7000`.
        let host = match addr.rsplit_once(':') {
            Some((ip, port)) if ip.contains(':') && !ip.starts_with('[') => {
                format!("[{ip}]:{port}")
            }
            _ => addr.to_string(),
        };
        let mut target = Self::parse(&format!("{scheme}://{userinfo}{host}{tail}"), self.insecure)?;
        target.tls = self.tls.clone();
        target.cluster = true;
        Ok(target)
    }

    /// Use these certificate files (read now, so a wrong path fails before connecting).
    pub fn with_tls_files(mut self, files: TlsFiles) -> Result<Self, ConnectError> {
        if files.ca.is_none() && files.cert.is_none() {
            return Ok(self);
        }
        let read = |path: &PathBuf| {
            std::fs::read(path).map_err(|e| {
                ConnectError::InvalidUrl(format!("cannot read {}: {e}", path.display()))
            })
        };
        let root_cert = files.ca.as_ref().map(read).transpose()?;
        let client_tls = match (&files.cert, &files.key) {
            (Some(cert), Some(key)) => Some(redis::ClientTlsConfig {
                client_cert: read(cert)?,
                client_key: read(key)?,
            }),
            _ => None,
        };
        self.tls = Some(redis::TlsCertificates {
            client_tls,
            root_cert,
        });
        self.client()?;
        Ok(self)
    }

    /// The URL with any password replaced by `***`: the only form ever shown.
    pub fn display(&self) -> &str {
        &self.display
    }

    pub fn is_tls(&self) -> bool {
        self.url.starts_with("rediss://")
    }

    /// The URL to hand to a client library, secret included (never display it).
    pub fn connection_url(&self) -> String {
        if self.insecure && self.is_tls() && !self.url.contains('#') {
            format!("{}#insecure", self.url)
        } else {
            self.url.clone()
        }
    }

    /// Certificates given with --tls-ca/--tls-cert/--tls-key, if any.
    pub fn tls_certificates(&self) -> Option<&redis::TlsCertificates> {
        self.tls.as_ref()
    }

    pub fn client(&self) -> Result<Client, ConnectError> {
        let url = self.connection_url();
        let built = match &self.tls {
            Some(certs) => Client::build_with_tls(url.as_str(), certs.clone()),
            None => Client::open(url.as_str()),
        };
        built.map_err(|e| {
            ConnectError::InvalidUrl(format!("{} ({})", self.display, self.scrub(&e.to_string())))
        })
    }

    /// Remove the password from any text (error details can echo parts of the URL).
    pub fn scrub(&self, text: &str) -> String {
        match &self.secret {
            Some(secret) if !secret.is_empty() => text.replace(secret.as_str(), "***"),
            _ => text.to_string(),
        }
    }

    /// Open a multiplexed connection and check that the other end speaks Redis.
    pub async fn connect(&self, timeout: Duration) -> Result<MultiplexedConnection, ConnectError> {
        let client = self.client()?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let connecting = client.get_multiplexed_async_connection_with_config(&config);
        let mut conn = match tokio::time::timeout(timeout, connecting).await {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return Err(self.classify(&e)),
            Err(_) => return Err(ConnectError::Timeout(self.display.clone())),
        };
        let ping = redis::cmd("PING");
        match tokio::time::timeout(timeout, ping.query_async::<String>(&mut conn)).await {
            Ok(Ok(_)) => Ok(conn),
            Ok(Err(e)) => Err(self.classify(&e)),
            Err(_) => Err(ConnectError::NotRedis(
                self.display.clone(),
                "no reply to PING".to_string(),
            )),
        }
    }

    /// Turn a redis-rs error into one clear line.
    pub fn classify(&self, error: &RedisError) -> ConnectError {
        let at = self.display.clone();
        let detail = one_line(&self.scrub(&error.to_string()));
        let lower = detail.to_lowercase();
        if error.is_connection_refusal() || lower.contains("connection refused") {
            return ConnectError::Refused(at);
        }
        if error.is_timeout() {
            return ConnectError::Timeout(at);
        }
        if lower.contains("no such file or directory") {
            return ConnectError::Refused(at);
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

/// Error texts can span lines; an operator gets one line, of bounded length.
fn one_line(text: &str) -> String {
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &joined[..cut]),
        None => joined,
    }
}

/// Split a URL into its display form (password → `***`) and the password itself.
/// Handles `scheme://user:pass@host`, `scheme://:pass@host` and `?password=` / `?pass=` queries.
pub fn redact(url: &str) -> (String, Option<String>) {
    let mut display = url.to_string();
    let mut secret = None;
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some(colon) = userinfo.find(':') {
                let password = &userinfo[colon + 1..];
                if !password.is_empty() {
                    secret = Some(password.to_string());
                    display = format!(
                        "{}://{}:***{}",
                        &url[..scheme_end],
                        &userinfo[..colon],
                        &rest[at..]
                    );
                }
            }
        }
    }
    if let Some(query_start) = display.find('?') {
        let (head, query) = display.split_at(query_start + 1);
        let mut parts = Vec::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some((key, value)) if key == "password" || key == "pass" => {
                    if !value.is_empty() {
                        secret = Some(value.to_string());
                    }
                    parts.push(format!("{key}=***"));
                }
                _ => parts.push(pair.to_string()),
            }
        }
        display = format!("{head}{}", parts.join("&"));
    }
    (display, secret)
}

#[cfg(test)]
mod tests {
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
    fn redis_plus_unix_is_accepted() {
        let target = RedisTarget::parse("redis+unix:///tmp/x.sock", false);
        assert!(target.is_ok());
    }
}
