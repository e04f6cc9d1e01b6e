//! Python virtualenvs for the tests, one per pin set (`tests/python`, `tests/rq`,
//! `tests/celery`: kept apart so that no pin set constrains another), made on first use
//! from the folder's `requirements.txt`, like `npm ci`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::wait_until;

/// Make `dir/.venv` with `dir/requirements.txt` installed, unless it is there already. A
/// lock directory keeps parallel test processes from doing it at the same time; `what`
/// names the fixtures in the panic when it cannot be done.
pub fn ensure_venv(dir: &Path, what: &str) {
    let ready = dir.join(".venv").join(".installed");
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
        run(Command::new(dir.join(".venv").join("bin").join("python"))
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
        panic!("cannot set up {what} for the tests (python3 with venv and pip needed): {error}");
    }
}
