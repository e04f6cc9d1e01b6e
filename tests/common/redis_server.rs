//! A private, throw-away `redis-server` per test.
//!
//! Every test gets its own server in a fresh temp dir, listening on a unix
//! socket (and optionally a loopback TCP port), with persistence off. The
//! shared server on 6379 is never touched, so tests cannot see each other's
//! keys and can run in parallel. Drop always stops the process, also when
//! the test panics.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::resp::{Conn, Resp};
use super::{pid_alive, signal};

/// How long a fresh server gets to answer PING.
const READY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long `stop` waits after SIGTERM before falling back to SIGKILL.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

pub struct RedisServer {
    // Declared before `dir` only for readability: `Drop for RedisServer`
    // runs first anyway, so the process is gone before the dir is removed.
    child: Option<Child>,
    dir: TempDir,
    port: Option<u16>,
    extra_args: Vec<String>,
    /// Credentials `cmd` sends first (`AUTH [user] pass`), taken from a
    /// `--requirepass` in the extra args or set with `set_client_auth`.
    auth: Option<(Option<String>, String)>,
}

impl RedisServer {
    /// A unix-socket-only server.
    pub fn start() -> RedisServer {
        Self::start_with_args(&[])
    }

    /// Unix socket plus a free loopback TCP port (for TCP/URL/auth tests).
    pub fn start_tcp() -> RedisServer {
        Self::start_tcp_with_args(&[])
    }

    /// A unix-socket-only server with extra config, e.g.
    /// `&["--requirepass", "s3cret"]` or
    /// `&["--user", "mon", "on", ">pw", "~*", "+@all"]`.
    /// Pass each word of a directive as its own argument: redis-server quotes
    /// a single argument that contains spaces, so `"mon on >pw"` would be
    /// read as one user name (and redis exits with "Spaces not allowed").
    pub fn start_with_args(args: &[&str]) -> RedisServer {
        let mut server = Self::new(None, args);
        if let Err(msg) = server.spawn() {
            panic!("{msg}");
        }
        server
    }

    /// `start_tcp` with extra config.
    pub fn start_tcp_with_args(args: &[&str]) -> RedisServer {
        // The port is found by binding :0 and releasing it, so another
        // process can grab it before redis does; retry with a new port.
        let mut last_err = String::new();
        for _ in 0..5 {
            let mut server = Self::new(Some(free_loopback_port()), args);
            match server.spawn() {
                Ok(()) => return server,
                Err(msg) => last_err = msg,
            }
        }
        panic!("could not start a TCP redis-server after 5 tries: {last_err}");
    }

    fn new(port: Option<u16>, args: &[&str]) -> RedisServer {
        let dir = tempfile::Builder::new()
            .prefix("qtop-redis-")
            .tempdir()
            .expect("create temp dir for redis-server");
        RedisServer {
            child: None,
            dir,
            port,
            extra_args: args.iter().map(|s| s.to_string()).collect(),
            auth: requirepass(args).map(|p| (None, p)),
        }
    }

    /// `unix:///…/redis.sock`
    pub fn url(&self) -> String {
        format!("unix://{}", self.socket_path().display())
    }

    /// `redis://127.0.0.1:<port>`; panics if the server was not started with TCP.
    pub fn tcp_url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port())
    }

    pub fn socket_path(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    /// The temp dir holding the socket and `redis.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("redis.log")
    }

    /// The TCP port; panics for a unix-only server.
    pub fn port(&self) -> u16 {
        self.port
            .expect("this RedisServer has no TCP port: use RedisServer::start_tcp()")
    }

    pub fn has_tcp(&self) -> bool {
        self.port.is_some()
    }

    /// Pid of the running redis-server; panics while stopped.
    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .expect("redis-server is not running (stopped?)")
            .id()
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// SIGTERM, wait up to 5 s, then SIGKILL. Idempotent. The child is
    /// reaped, so no zombie is left behind.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id();
        // A frozen (SIGSTOPped) server would not act on SIGTERM.
        signal("CONT", pid);
        signal("TERM", pid);
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

    /// SIGKILL: an abrupt crash, for outage tests (no clean shutdown, the
    /// socket file may stay behind; the next start replaces it).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stop, then start again on the same socket path and port (and args).
    /// Data is lost (no persistence): the server comes back empty.
    pub fn restart(&mut self) {
        self.stop();
        self.start_again();
    }

    /// Start again after `stop`/`kill` (same socket path and port).
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "start_again: server is still running");
        // Someone may have taken the port while we were down; that is a
        // test environment problem worth a clear message, not a retry with
        // another port (the point of restart is keeping the address).
        if let Err(msg) = self.spawn() {
            panic!("restart failed: {msg}");
        }
    }

    /// SIGSTOP: the server keeps its sockets but stops answering (a hung
    /// server, for timeout tests). `thaw` resumes it; Drop handles both.
    pub fn freeze(&self) {
        signal("STOP", self.pid());
    }

    pub fn thaw(&self) {
        signal("CONT", self.pid());
    }

    /// Sets the credentials `cmd`/`cmd_resp`/`conn` authenticate with
    /// (`None` user means `AUTH pass`).
    pub fn set_client_auth(&mut self, user: Option<&str>, pass: &str) {
        self.auth = Some((user.map(str::to_string), pass.to_string()));
    }

    pub fn clear_client_auth(&mut self) {
        self.auth = None;
    }

    /// Runs one command on a fresh connection and returns a readable reply
    /// (see `Resp`'s Display: `OK`, `5`, `(nil)`, `(error) …`, lines for
    /// arrays). Redis errors are returned, I/O failures panic.
    pub fn cmd(&self, args: &[&str]) -> String {
        self.cmd_resp(args).to_string()
    }

    /// Like `cmd` but returns the parsed reply.
    pub fn cmd_resp(&self, args: &[&str]) -> Resp {
        let mut conn = self.conn();
        conn.call(args)
            .unwrap_or_else(|e| panic!("redis command {args:?} failed: {e}"))
    }

    /// A new authenticated connection over the unix socket.
    pub fn conn(&self) -> Conn {
        let path = self.socket_path();
        let mut conn =
            Conn::connect(&path).unwrap_or_else(|e| panic!("connect to {}: {e}", path.display()));
        if let Some((user, pass)) = &self.auth {
            let mut args = vec!["AUTH"];
            if let Some(user) = user {
                args.push(user);
            }
            args.push(pass);
            let reply = conn.call(&args).expect("AUTH");
            assert_eq!(reply, Resp::Simple("OK".into()), "AUTH as {user:?}");
        }
        conn
    }

    /// Last `n` lines of the server log.
    pub fn log_tail(&self, n: usize) -> String {
        tail(&self.log_path(), n)
    }

    /// Spawns redis-server and waits for PING. Errors carry the log tail.
    fn spawn(&mut self) -> Result<(), String> {
        let dir = self.dir.path().to_path_buf();
        let (log, log_err) = open_log(&self.log_path())?;
        let port = self.port.unwrap_or(0).to_string();
        let socket = self.socket_path();
        let mut cmd = Command::new("redis-server");
        cmd.args(["--port", &port])
            .arg("--unixsocket")
            .arg(&socket)
            .args(["--unixsocketperm", "700"])
            // No RDB snapshots and no AOF: nothing survives the test.
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .args(["--daemonize", "no"]);
        if self.port.is_some() {
            cmd.args(["--bind", "127.0.0.1"]);
        }
        cmd.args(&self.extra_args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err));
        let child = cmd.spawn().map_err(|e| {
            format!("cannot run redis-server ({e}); install it (apt-get install redis-server)")
        })?;
        self.child = Some(child);
        self.wait_ready(&socket)
    }

    fn wait_ready(&mut self, socket: &Path) -> Result<(), String> {
        let deadline = Instant::now() + READY_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(format!(
                        "redis-server exited during startup ({status}); log tail:\n{}",
                        self.log_tail(20)
                    ));
                }
            }
            if answers_ping(socket) {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                return Err(format!(
                    "redis-server did not answer PING on {} within {:?}; log tail:\n{}",
                    socket.display(),
                    READY_TIMEOUT,
                    self.log_tail(20)
                ));
            }
            sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// True when something on `socket` answers an inline PING. `-NOAUTH` counts:
/// a password-protected server is up, it just wants AUTH first.
fn answers_ping(socket: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut line = String::new();
    if BufReader::new(&mut stream).read_line(&mut line).is_err() {
        return false;
    }
    line.starts_with("+PONG") || line.starts_with("-NOAUTH")
}

/// A loopback port that was free a moment ago.
fn free_loopback_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

fn requirepass(args: &[&str]) -> Option<String> {
    args.windows(2)
        .find(|w| w[0] == "--requirepass")
        .map(|w| w[1].to_string())
}

fn tail(path: &Path, n: usize) -> String {
    let mut text = String::new();
    if let Ok(mut f) = File::open(path) {
        let _ = f.read_to_string(&mut text);
    }
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Convenience for assertions after a stop: the old pid must be gone.
/// A redis-server log file opened for appending, twice (stdout and stderr).
pub(super) fn open_log(path: &Path) -> Result<(File, File), String> {
    let log = File::options()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("open redis log: {e}"))?;
    let log_err = log.try_clone().map_err(|e| e.to_string())?;
    Ok((log, log_err))
}

pub fn assert_pid_gone(pid: u32) {
    assert!(!pid_alive(pid), "process {pid} is still alive");
}
