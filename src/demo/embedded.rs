//! A private `redis-server` for the demo: no persistence, a unix socket in a fresh temp dir,
//! no TCP port, stopped on `stop()` or Drop.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rustix::process::{kill_process, Pid, Signal};
use tempfile::TempDir;

const READY_TIMEOUT: Duration = Duration::from_secs(5);
const STOP_TIMEOUT: Duration = Duration::from_secs(3);

/// redis-server has no "exit with my parent" option, so a small `sh` guard runs it: when the
/// guard's stdin (a pipe from us) closes, also because we were SIGKILLed, it SIGTERMs Redis.
/// `$1` is the log file; the rest are redis-server's arguments. First line out: Redis's pid.
const GUARD_SCRIPT: &str = r#"log=$1; shift
redis-server "$@" >"$log" 2>&1 </dev/null &
pid=$!
echo "$pid"
read _ignored
kill "$pid" 2>/dev/null
wait "$pid"
"#;

pub struct EmbeddedRedis {
    guard: Option<Child>,
    /// Write end of the guard's stdin: dropping it stops Redis.
    lifeline: Option<ChildStdin>,
    pid: Option<u32>,
    // Dropped after the server is stopped (Drop below), so the socket dir outlives it.
    dir: TempDir,
}

impl EmbeddedRedis {
    /// Start `redis-server` from PATH and wait until it answers PING.
    pub fn start() -> Result<Self> {
        if find_on_path("redis-server").is_none() {
            bail!(
                "the demo runs its own private Redis and needs redis-server on PATH, which was \
                 not found: install it (apt-get install redis-server, or brew install redis), \
                 or pass --redis URL to use a Redis you already run"
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("qtop-demo-redis-")
            .tempdir()
            .context("creating a temp dir for the demo's redis-server")?;
        let socket = dir.path().join("redis.sock");
        let mut guard = Command::new("sh")
            .arg("-c")
            .arg(GUARD_SCRIPT)
            .arg("qtop-redis-guard")
            .arg(dir.path().join("redis.log"))
            .args(["--port", "0"])
            .arg("--unixsocket")
            .arg(&socket)
            .args(["--unixsocketperm", "700"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(dir.path())
            .args(["--daemonize", "no"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            // Its own process group: a terminal's Ctrl-C goes to us, and we stop Redis last,
            // after the workers that still need it.
            .process_group(0)
            .spawn()
            .context("starting redis-server")?;
        let pid = guard
            .stdout
            .take()
            .and_then(|out| BufReader::new(out).lines().next())
            .and_then(|line| line.ok())
            .and_then(|line| line.trim().parse().ok());
        let mut server = Self {
            lifeline: guard.stdin.take(),
            guard: Some(guard),
            pid,
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

    /// The redis-server's own pid (not the guard's), while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.guard.as_ref().and(self.pid)
    }

    /// `SHUTDOWN NOSAVE`, close the lifeline (the guard SIGTERMs Redis and exits), reap the
    /// guard; SIGKILL both if they linger. Idempotent.
    pub fn stop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        let _ = send_inline(&self.socket_path(), "SHUTDOWN NOSAVE");
        self.lifeline = None;
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = guard.try_wait() {
                return;
            }
            sleep(Duration::from_millis(10));
        }
        if let Some(pid) = self
            .pid
            .and_then(|p| i32::try_from(p).ok())
            .and_then(Pid::from_raw)
        {
            let _ = kill_process(pid, Signal::KILL);
        }
        let _ = guard.kill();
        let _ = guard.wait();
    }

    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(guard) = self.guard.as_mut() {
                if let Ok(Some(status)) = guard.try_wait() {
                    self.guard = None;
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

/// The first executable `name` in PATH.
fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
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

    #[test]
    fn a_lost_lifeline_stops_redis() {
        let mut redis = match EmbeddedRedis::start() {
            Ok(redis) => redis,
            Err(e) => panic!("{e:#}"),
        };
        let pid = redis.pid().unwrap_or(0);
        assert!(alive(pid));
        // What happens when the demo process dies: the pipe closes.
        redis.lifeline = None;
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive(pid) && Instant::now() < deadline {
            sleep(Duration::from_millis(20));
        }
        assert!(!alive(pid), "redis-server {pid} outlived its lifeline");
    }
}
