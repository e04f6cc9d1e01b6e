//! A tiny synchronous RESP2 client, just enough for tests to poke at a private
//! redis-server without going through the code under test (so a bug in
//! qtop's own Redis layer cannot hide behind a test that uses it to check
//! itself).

use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// One RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resp {
    /// `+OK`
    Simple(String),
    /// `-ERR …` (the whole message, including the error code word).
    Error(String),
    /// `:42`
    Int(i64),
    /// `$n` bulk string (lossily decoded as UTF-8: tests only store text).
    Bulk(String),
    /// `$-1` or `*-1`
    Nil,
    /// `*n`
    Array(Vec<Resp>),
}

impl Resp {
    /// The text of a simple or bulk string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Resp::Simple(s) | Resp::Bulk(s) => Some(s),
            _ => None,
        }
    }

    /// An integer reply, or a string that parses as one (e.g. `GET counter`).
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Resp::Int(n) => Some(*n),
            Resp::Simple(s) | Resp::Bulk(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Resp]> {
        match self {
            Resp::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Resp::Nil)
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Resp::Error(_))
    }

    /// Flattens an array of strings (e.g. `LRANGE`, `SMEMBERS`) into owned
    /// strings; non-string elements use their Display form.
    pub fn strings(&self) -> Vec<String> {
        match self {
            Resp::Array(items) => items.iter().map(|r| r.to_string()).collect(),
            Resp::Nil => Vec::new(),
            other => vec![other.to_string()],
        }
    }
}

/// Readable form used by `RedisServer::cmd`: strings as-is, integers in
/// decimal, `(nil)`, `(error) MSG`, and array elements joined by newlines
/// (`(empty array)` when empty).
impl fmt::Display for Resp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Resp::Simple(s) | Resp::Bulk(s) => f.write_str(s),
            Resp::Error(e) => write!(f, "(error) {e}"),
            Resp::Int(n) => write!(f, "{n}"),
            Resp::Nil => f.write_str("(nil)"),
            Resp::Array(items) if items.is_empty() => f.write_str("(empty array)"),
            Resp::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
        }
    }
}

/// Encodes a command as a RESP array of bulk strings (binary safe, unlike
/// inline commands, so arguments may contain spaces or quotes).
pub fn encode_command(args: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Reads one complete reply from `reader`.
pub fn read_reply<R: BufRead>(reader: &mut R) -> std::io::Result<Resp> {
    let line = read_line(reader)?;
    let (kind, rest) = line.split_at(1);
    let bad = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("bad RESP {what}: {line:?}"),
        )
    };
    Ok(match kind {
        "+" => Resp::Simple(rest.to_string()),
        "-" => Resp::Error(rest.to_string()),
        ":" => Resp::Int(rest.parse().map_err(|_| bad("integer"))?),
        "$" => {
            let len: i64 = rest.parse().map_err(|_| bad("bulk length"))?;
            if len < 0 {
                return Ok(Resp::Nil);
            }
            let mut buf = vec![0u8; len as usize + 2];
            reader.read_exact(&mut buf)?;
            buf.truncate(len as usize);
            Resp::Bulk(String::from_utf8_lossy(&buf).into_owned())
        }
        "*" => {
            let len: i64 = rest.parse().map_err(|_| bad("array length"))?;
            if len < 0 {
                return Ok(Resp::Nil);
            }
            let mut items = Vec::with_capacity(len as usize);
            for _ in 0..len {
                items.push(read_reply(reader)?);
            }
            Resp::Array(items)
        }
        _ => return Err(bad("type byte (RESP3 is not supported here)")),
    })
}

fn read_line<R: BufRead>(reader: &mut R) -> std::io::Result<String> {
    let mut line = String::new();
    let n = reader.read_line(&mut line)?;
    if n == 0 || !line.ends_with("\r\n") || line.len() < 3 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("connection closed mid-reply (got {line:?})"),
        ));
    }
    line.truncate(line.len() - 2);
    Ok(line)
}

/// A blocking connection over a unix socket. Tests normally go through
/// `RedisServer::cmd`, which opens one per call; keep a `Conn` when a test
/// needs connection state (MULTI, CLIENT SETNAME, a blocked client, …).
pub struct Conn {
    reader: BufReader<UnixStream>,
}

impl Conn {
    /// Connects with a generous I/O timeout so a wedged server fails the
    /// test instead of hanging it.
    pub fn connect(path: &Path) -> std::io::Result<Conn> {
        let stream = UnixStream::connect(path)?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        stream.set_write_timeout(Some(Duration::from_secs(10)))?;
        Ok(Conn {
            reader: BufReader::new(stream),
        })
    }

    pub fn call(&mut self, args: &[&str]) -> std::io::Result<Resp> {
        self.reader.get_mut().write_all(&encode_command(args))?;
        read_reply(&mut self.reader)
    }
}
