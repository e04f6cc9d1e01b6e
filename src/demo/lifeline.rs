//! When a long-running demo command should stop gracefully: a `stop` line on stdin, stdin
//! EOF, SIGTERM or Ctrl-C.
//!
//! Stdin EOF is the lifeline: a parent (the demo pool) holds the write end of our stdin, so
//! when it exits, even by SIGKILL, the kernel closes the pipe and we stop. No unsafe
//! `prctl(PR_SET_PDEATHSIG)` is needed.

use std::io::BufRead;

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    StopLine,
    StdinClosed,
    Terminate,
    Interrupt,
}

impl StopReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StopLine => "stop requested on stdin",
            Self::StdinClosed => "stdin closed (parent gone)",
            Self::Terminate => "SIGTERM",
            Self::Interrupt => "Ctrl-C",
        }
    }
}

/// Whether stdin is a usable lifeline. A shell starts background jobs with stdin from
/// `/dev/null` (instant EOF): treat that as "no lifeline" instead of stopping at once.
pub fn stdin_is_lifeline() -> bool {
    match std::fs::read_link("/proc/self/fd/0") {
        Ok(target) => target != std::path::Path::new("/dev/null"),
        // Not Linux, or no /proc: assume a real stdin.
        Err(_) => true,
    }
}

/// Resolves with the first stop request. Signal handlers are installed before it returns,
/// so a SIGTERM that arrives right after startup is not lost.
pub fn stop_requests(watch_stdin: bool) -> std::io::Result<mpsc::Receiver<StopReason>> {
    let (tx, rx) = mpsc::channel(4);
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let signals = tx.clone();
    tokio::spawn(async move {
        let reason = tokio::select! {
            _ = terminate.recv() => StopReason::Terminate,
            _ = interrupt.recv() => StopReason::Interrupt,
        };
        let _ = signals.send(reason).await;
    });
    if watch_stdin {
        // A plain thread, not tokio's stdin: tokio reads stdin on a blocking-pool thread that
        // cannot be cancelled, and the runtime would wait for it at shutdown. A detached OS
        // thread simply ends with the process.
        std::thread::Builder::new()
            .name("qtop-stdin".into())
            .spawn(move || {
                let stdin = std::io::stdin();
                let mut line = String::new();
                loop {
                    line.clear();
                    match stdin.lock().read_line(&mut line) {
                        Ok(0) | Err(_) => {
                            let _ = tx.blocking_send(StopReason::StdinClosed);
                            return;
                        }
                        Ok(_) if line.trim() == "stop" => {
                            let _ = tx.blocking_send(StopReason::StopLine);
                            return;
                        }
                        Ok(_) => {}
                    }
                }
            })?;
    }
    Ok(rx)
}
