//! The real Python `bullmq` package for interop tests: a virtualenv in `tests/python/.venv`
//! with the pinned `tests/python/requirements.txt`, made on first use (like `npm ci`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::node::NodeChild;

pub fn python_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("python")
}

fn venv_python() -> PathBuf {
    python_dir().join(".venv").join("bin").join("python")
}

/// The virtualenv with the pinned Python `bullmq`, made once; its interpreter.
pub fn ensure_python_env() -> PathBuf {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| super::venv::ensure_venv(&python_dir(), "the Python fixtures"));
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
