//! A private `redis-server` for the demo: no persistence, a unix socket in a fresh temp dir,
//! no TCP port, stopped on `stop()` or Drop.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use tempfile::TempDir;

const READY_TIMEOUT: Duration = Duration::from_secs(5);
const STOP_TIMEOUT: Duration = Duration::from_secs(3);

pub struct EmbeddedRedis {
    child: Option<Child>,
    // Dropped after `child` is stopped (Drop below), so the socket dir outlives the server.
    dir: TempDir,
}

impl EmbeddedRedis {
    /// Start `redis-server` from PATH and wait until it answers PING.
    pub fn start() -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("qtop-demo-redis-")
            .tempdir()
            .context("creating a temp dir for the demo's redis-server")?;
        let log = File::create(dir.path().join("redis.log")).context("creating redis.log")?;
        let log_err = log.try_clone().context("creating redis.log")?;
        let socket = dir.path().join("redis.sock");
        let spawned = Command::new("redis-server")
            .args(["--port", "0"])
            .arg("--unixsocket")
            .arg(&socket)
            .args(["--unixsocketperm", "700"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .args(["--daemonize", "no"])
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "the demo needs redis-server on PATH to run its own private Redis, and none was \
                 found: install it (apt-get install redis-server, or brew install redis), or pass \
                 --redis URL to use a Redis you already run"
            ),
            Err(e) => return Err(anyhow!(e).context("starting redis-server")),
        };
        let mut server = Self {
            child: Some(child),
            dir,
        };
        server.wait_ready()?;
        Ok(server)
    }

    /// `unix:///…/redis.sock`
    pub fn url(&self) -> String {
        format!("unix://{}", self.socket_path().display())
    }

    pub fn socket_path(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `SHUTDOWN NOSAVE`, then SIGKILL if it lingers; always reaped. Idempotent.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = send_inline(&self.socket_path(), "SHUTDOWN NOSAVE");
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    bail!(
                        "redis-server exited at startup ({status}): {}",
                        self.log_tail()
                    );
                }
            }
            if send_inline(&self.socket_path(), "PING").is_some_and(|r| r.starts_with("+PONG")) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                bail!(
                    "redis-server did not answer within {READY_TIMEOUT:?}: {}",
                    self.log_tail()
                );
            }
            sleep(Duration::from_millis(10));
        }
    }

    fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(self.dir.path().join("redis.log")) {
            let _ = file.read_to_string(&mut text);
        }
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(5)..].join(" | ")
    }
}

impl Drop for EmbeddedRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One inline command on a fresh connection; the first reply line, if any.
fn send_inline(socket: &Path, command: &str) -> Option<String> {
    let mut stream = UnixStream::connect(socket).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .ok()?;
    stream.write_all(format!("{command}\r\n").as_bytes()).ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|stat| {
                !stat
                    .rsplit_once(") ")
                    .is_some_and(|(_, s)| s.starts_with('Z'))
            })
            .unwrap_or(false)
    }

    #[test]
    fn starts_answers_and_leaves_nothing_behind() {
        let mut redis = match EmbeddedRedis::start() {
            Ok(redis) => redis,
            Err(e) => panic!("{e:#}"),
        };
        let pid = redis.pid().unwrap_or(0);
        assert!(redis.url().starts_with("unix:///"));
        assert_eq!(
            send_inline(&redis.socket_path(), "PING").as_deref(),
            Some("+PONG\r\n")
        );
        let dir = redis.dir.path().to_path_buf();
        redis.stop();
        assert!(!alive(pid), "redis-server {pid} survived stop()");
        redis.stop();
        drop(redis);
        assert!(!dir.exists(), "temp dir left behind");
    }
}
