//! Connecting to Redis: where to connect (the URL's parts, TLS, cluster seeds) and a
//! connection checked with a PING. Failures become one clear line (`connect_error.rs`);
//! URLs are rewritten for redis-rs and shown without passwords (`connect_url.rs`).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client};

#[path = "connect_error.rs"]
mod error;
#[path = "connect_url.rs"]
mod url;

pub use error::ConnectError;
pub use url::redact;
use url::unix_credentials_to_query;

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
    /// `--celery-backend`: where Celery's result backend keeps its task metas, when not
    /// on this Redis and db.
    celery_backend: Option<Box<RedisTarget>>,
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

/// How long a TLS handshake may take before qtop checks whether the server speaks TLS.
const TLS_SUSPICION: Duration = Duration::from_secs(1);

impl RedisTarget {
    /// Accepts `redis://`, `rediss://`, `unix://` and `redis+unix://` URLs.
    pub fn parse(url: &str, insecure: bool) -> Result<Self, ConnectError> {
        let trimmed = url.trim();
        let normalized = match trimmed.strip_prefix("redis+unix://") {
            Some(rest) => format!("unix://{rest}"),
            None => trimmed.to_string(),
        };
        let normalized = unix_credentials_to_query(&normalized);
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
            celery_backend: None,
        };
        target.client()?;
        Ok(target)
    }

    /// Celery's result backend is on `backend` (another db or server), not on this one.
    pub fn with_celery_backend(mut self, backend: RedisTarget) -> Self {
        self.celery_backend = Some(Box::new(backend));
        self
    }

    /// Where Celery's task metas are read: `--celery-backend`, else this Redis.
    pub fn celery_backend(&self) -> &RedisTarget {
        self.celery_backend.as_deref().unwrap_or(self)
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
        let mut connecting = std::pin::pin!(connecting);
        // A TLS handshake that takes over a second: see whether the server speaks plain
        // Redis (it would never answer the handshake) rather than wait the whole timeout.
        if self.is_tls() && timeout > TLS_SUSPICION {
            if let Ok(done) = tokio::time::timeout(TLS_SUSPICION, &mut connecting).await {
                return self.with_ping(done, timeout).await;
            }
            if let Some(plain) = self.plain_server().await {
                return Err(plain);
            }
        }
        let done = match tokio::time::timeout(timeout, connecting).await {
            Ok(done) => done,
            Err(_) => return Err(ConnectError::Timeout(self.display.clone())),
        };
        self.with_ping(done, timeout).await
    }

    /// The opened connection checked with a PING.
    async fn with_ping(
        &self,
        opened: redis::RedisResult<MultiplexedConnection>,
        timeout: Duration,
    ) -> Result<MultiplexedConnection, ConnectError> {
        let mut conn = match opened {
            Ok(conn) => conn,
            Err(e) if e.is_timeout() => return Err(ConnectError::Timeout(self.display.clone())),
            Err(e) => return Err(self.classify(&e)),
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

    /// `PlainServer` when the server of this `rediss://` URL answers plain Redis.
    async fn plain_server(&self) -> Option<ConnectError> {
        let addr = self.host_port()?;
        answers_plain_redis(&addr)
            .await
            .then(|| ConnectError::PlainServer(self.display.clone()))
    }

    /// `host:port` of a TCP URL (port 6379 when not given).
    fn host_port(&self) -> Option<String> {
        let hostport = self.hostport()?;
        let port = match hostport.strip_prefix('[') {
            Some(v6) => v6.split_once("]:").map(|(_, port)| port),
            None => hostport.split_once(':').map(|(_, port)| port),
        };
        let port = port.and_then(|p| p.parse::<u16>().ok()).unwrap_or(6379);
        let host = self.host()?;
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        Some(format!("{host}:{port}"))
    }

    /// The host of a TCP URL, without brackets or port.
    fn host(&self) -> Option<String> {
        let hostport = self.hostport()?;
        match hostport.strip_prefix('[') {
            Some(v6) => v6.split_once(']').map(|(host, _)| host.to_string()),
            None => Some(hostport.split(':').next().unwrap_or(hostport).to_string()),
        }
    }

    /// `host[:port]` of a TCP URL: the authority without its user information.
    fn hostport(&self) -> Option<&str> {
        let (scheme, rest) = self.url.split_once("://")?;
        if scheme == "unix" {
            return None;
        }
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        Some(authority.rsplit_once('@').map_or(authority, |(_, h)| h))
    }

    /// The socket path of a unix URL.
    fn socket_path(&self) -> Option<String> {
        let rest = self.url.strip_prefix("unix://")?;
        let path = &rest[rest.find('/')?..];
        Some(path.split('?').next().unwrap_or(path).to_string())
    }
}

/// Whether `addr` answers a plain-text PING like Redis does (`+PONG`, or an error such
/// as `-NOAUTH`): the sign that a `rediss://` URL points at a server without TLS.
async fn answers_plain_redis(addr: &str) -> bool {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let probe = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
        stream.write_all(b"PING\r\n").await.ok()?;
        let mut reply = [0u8; 64];
        let n = stream.read(&mut reply).await.ok()?;
        let reply = reply.get(..n)?;
        Some(
            reply.starts_with(b"+PONG")
                || reply.starts_with(b"-NOAUTH")
                || reply.starts_with(b"-ERR"),
        )
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(1), probe).await,
        Ok(Some(true))
    )
}

#[cfg(test)]
#[path = "connect_tests.rs"]
mod tests;
