//! A plain RESP2 connection for the poller's reads: the events streams several times a
//! second, and each poll's pipelines. redis-rs decodes every value of a reply into its own
//! allocation (about 2.5 µs per event entry here, most of the dashboard's CPU at 1,000
//! jobs/s); this one keeps a reply as bytes, `xread.rs` looks only at the two fields of an
//! event qtop uses, and `value.rs` builds redis-rs values by hand for the rest.
//!
//! Over TCP, TLS (`tls.rs`: the same rustls as redis-rs) or a unix socket, to a single
//! Redis or to each master of a cluster; a Redis that refuses a second connection keeps the
//! redis-rs path. It authenticates and selects the database from the same URL.

use std::time::Duration;

use redis::ConnectionAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tokio_rustls::client::TlsStream;

use super::resp::{encode, Frame, ReadError, Reader, ReplyScanner};
use crate::source::connect::{ConnectError, RedisTarget};

/// The name operators see in `CLIENT LIST`.
const CLIENT_NAME: &[u8] = b"qtop:poll";
/// Read buffer growth step.
const READ_CHUNK: usize = 64 * 1024;
/// A reply buffer grown past this (a burst of events) is not kept between reads.
const KEEP_CAPACITY: usize = 4 * 1024 * 1024;
/// Room kept after a poll (see [`LeanConn::release_spare`]).
const SPARE_CAPACITY: usize = 64 * 1024;

enum Io {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Unix(UnixStream),
}

pub struct LeanConn {
    io: Io,
    at: String,
    timeout: Duration,
    buf: Vec<u8>,
    scanner: ReplyScanner,
}

/// Commands to send in one round trip, encoded as they are added.
#[derive(Default)]
pub struct Batch {
    bytes: Vec<u8>,
    count: usize,
}

impl Batch {
    /// A redis-rs pipeline's commands, already encoded.
    pub fn from_pipeline(pipe: &redis::Pipeline) -> Self {
        Self {
            bytes: pipe.get_packed_pipeline(),
            count: pipe.len(),
        }
    }

    pub fn push(&mut self, args: &[&[u8]]) {
        encode(&mut self.bytes, args);
        self.count += 1;
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// The replies of a batch, as bytes.
pub struct Replies<'a> {
    buf: &'a [u8],
    ends: &'a [usize],
}

impl<'a> Replies<'a> {
    pub fn get(&self, index: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(index)?;
        let start = if index == 0 { 0 } else { self.ends[index - 1] };
        self.buf.get(start..end)
    }
}

impl LeanConn {
    /// Connect, authenticate and select the database of `target`. `Ok(None)`: the target
    /// needs what this connection does not do, use redis-rs.
    pub async fn open(
        target: &RedisTarget,
        timeout: Duration,
    ) -> Result<Option<Self>, ConnectError> {
        let info = target.client()?.get_connection_info().clone();
        let certs = target.tls_certificates();
        let at = target.display().to_string();
        let connecting = async {
            match info.addr() {
                ConnectionAddr::Tcp(host, port) => {
                    let stream = TcpStream::connect((host.as_str(), *port)).await?;
                    stream.set_nodelay(true)?;
                    Ok(Some(Io::Tcp(stream)))
                }
                ConnectionAddr::TcpTls {
                    host,
                    port,
                    insecure,
                    ..
                } => {
                    let stream = TcpStream::connect((host.as_str(), *port)).await?;
                    stream.set_nodelay(true)?;
                    let tls = super::tls::handshake(stream, host, *insecure, certs).await?;
                    Ok(Some(Io::Tls(Box::new(tls))))
                }
                ConnectionAddr::Unix(path) => Ok(Some(Io::Unix(UnixStream::connect(path).await?))),
                _ => Ok::<_, std::io::Error>(None),
            }
        };
        let io = match tokio::time::timeout(timeout, connecting).await {
            Ok(Ok(Some(io))) => io,
            Ok(Ok(None)) => return Ok(None),
            Ok(Err(error)) => return Err(io_error(&at, &error)),
            Err(_) => return Err(ConnectError::Timeout(at)),
        };
        let mut conn = Self {
            io,
            at,
            timeout,
            buf: Vec::new(),
            scanner: ReplyScanner::default(),
        };
        let settings = info.redis_settings();
        let mut hello = Batch::default();
        match (settings.username(), settings.password()) {
            (Some(user), Some(password)) => {
                hello.push(&[b"AUTH", user.as_bytes(), password.as_bytes()])
            }
            (None, Some(password)) => hello.push(&[b"AUTH", password.as_bytes()]),
            _ => {}
        }
        let auth = hello.len();
        let db = settings.db().to_string();
        if settings.db() != 0 {
            hello.push(&[b"SELECT", db.as_bytes()]);
        }
        hello.push(&[b"CLIENT", b"SETNAME", CLIENT_NAME]);
        let setname = hello.len() - 1;
        // A server that refuses the connection itself (maxclients) answers an error here.
        hello.push(&[b"PING"]);
        let at = conn.at.clone();
        let replies = conn.exchange(&hello).await?;
        for index in 0..hello.len() {
            let frame = replies.get(index).map(|r| Reader::new(r).frame());
            let error = match frame {
                Some(Ok(Frame::Error(text))) => String::from_utf8_lossy(text).into_owned(),
                Some(Ok(Frame::Simple(b"PONG"))) => continue,
                Some(Ok(_)) if index + 1 < hello.len() => continue,
                _ => "no answer to PING".to_string(),
            };
            if index < auth {
                return Err(ConnectError::Auth(at));
            }
            // CLIENT SETNAME forbidden by an ACL is no reason to give up.
            if index == setname {
                continue;
            }
            return Err(ConnectError::Other(at, target.scrub(&error)));
        }
        Ok(Some(conn))
    }

    /// Send a batch and wait for all its replies.
    pub async fn exchange(&mut self, batch: &Batch) -> Result<Replies<'_>, ConnectError> {
        self.send(batch).await?;
        Ok(self.replies())
    }

    /// Send a batch and wait for all its replies, which [`Self::replies`] then lends (split
    /// from `exchange` so a caller can drop the connection on an error before borrowing).
    pub async fn send(&mut self, batch: &Batch) -> Result<(), ConnectError> {
        match tokio::time::timeout(self.timeout, self.round_trip(batch)).await {
            Ok(result) => result,
            Err(_) => Err(ConnectError::Timeout(self.at.clone())),
        }
    }

    /// The replies of the last batch sent.
    pub fn replies(&self) -> Replies<'_> {
        Replies {
            buf: &self.buf,
            ends: &self.scanner.ends,
        }
    }

    /// Between polls: give back a reply buffer much larger than the last reply (a first poll
    /// of 10,000 queues leaves 1.3 MB that idle polls never use again). A buffer the last
    /// reply needed most of is kept, so a steady load does not grow it anew each poll.
    pub fn release_spare(&mut self) {
        let used = self.buf.len().max(SPARE_CAPACITY);
        if self.buf.capacity() > 4 * used {
            self.buf.clear();
            self.buf.shrink_to(SPARE_CAPACITY);
        }
    }

    async fn round_trip(&mut self, batch: &Batch) -> Result<(), ConnectError> {
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::new();
        }
        self.buf.clear();
        self.scanner.reset();
        let written = match &mut self.io {
            Io::Tcp(stream) => stream.write_all(&batch.bytes).await,
            Io::Tls(stream) => write_flush(stream.as_mut(), &batch.bytes).await,
            Io::Unix(stream) => stream.write_all(&batch.bytes).await,
        };
        written.map_err(|e| io_error(&self.at, &e))?;
        loop {
            match self.scanner.scan(&self.buf, batch.len()) {
                Ok(true) => return Ok(()),
                Ok(false) | Err(ReadError::Incomplete) => {}
                Err(ReadError::Malformed(what)) => {
                    return Err(ConnectError::NotRedis(self.at.clone(), what.to_string()))
                }
            }
            self.buf.reserve(READ_CHUNK);
            let read = match &mut self.io {
                Io::Tcp(stream) => stream.read_buf(&mut self.buf).await,
                Io::Tls(stream) => stream.read_buf(&mut self.buf).await,
                Io::Unix(stream) => stream.read_buf(&mut self.buf).await,
            };
            match read {
                Ok(0) => {
                    return Err(ConnectError::Other(
                        self.at.clone(),
                        "the connection was closed".to_string(),
                    ))
                }
                Ok(_) => {}
                Err(error) => return Err(io_error(&self.at, &error)),
            }
        }
    }
}

/// A TLS stream buffers what it writes: flushed, or the request never leaves.
async fn write_flush(stream: &mut TlsStream<TcpStream>, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

fn io_error(at: &str, error: &std::io::Error) -> ConnectError {
    match error.kind() {
        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound => {
            ConnectError::Refused(at.to_string())
        }
        _ => ConnectError::Other(at.to_string(), error.to_string()),
    }
}
