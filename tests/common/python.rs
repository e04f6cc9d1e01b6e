//! The real Python `bullmq` package for interop tests: a virtualenv in `tests/python/.venv`
//! with the pinned `tests/python/requirements.txt`, made on first use (like `npm ci`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::node::NodeChild;
use super::wait_until;

pub fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("python")
}

fn venv_python() -> PathBuf {
    python_dir().join(".venv").join("bin").join("python")
}

/// Create the virtualenv and install the pinned packages once (a lock directory keeps
/// parallel test processes from doing it at the same time).
pub fn ensure_python_env() -> PathBuf {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    let dir = python_dir();
    let ready = dir.join(".venv").join(".installed");
    INSTALL.call_once(|| {
        if ready.is_file() {
            return;
        }
        let lock = dir.join(".venv-install.lock");
        wait_until(
            &format!("{} to go away", lock.display()),
            Duration::from_secs(300),
            || std::fs::create_dir(&lock).is_ok(),
        );
        let result = (|| -> Result<(), String> {
            if ready.is_file() {
                return Ok(());
            }
            let run = |cmd: &mut Command| {
                let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
                if out.status.success() {
                    Ok(())
                } else {
                    Err(format!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr)))
                }
            };
            run(Command::new("python3")
                .args(["-m", "venv"])
                .arg(dir.join(".venv")))?;
            run(Command::new(venv_python())
                .args([
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(dir.join("requirements.txt")))?;
            std::fs::write(&ready, b"").map_err(|e| e.to_string())
        })();
        let _ = std::fs::remove_dir(&lock);
        if let Err(error) = result {
            panic!("cannot set up the Python fixtures (python3 with venv and pip needed): {error}");
        }
    });
    venv_python()
}

/// Start `tests/python/<script>` with the fixtures' Python.
pub fn spawn_python(script: &str, args: &[&str]) -> NodeChild {
    let python = ensure_python_env();
    let mut command = Command::new(python);
    command
        .arg(python_dir().join(script))
        .args(args)
        .current_dir(python_dir());
    NodeChild::spawn_command(format!("python {script}"), command)
}
