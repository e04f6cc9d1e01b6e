//! Names the commit in `qtop --version` when qtop is built from its git checkout:
//! `qtop 0.1.0 (git 699b768a1b2c)`, `… (git 699b768a1b2c, modified)` with uncommitted
//! changes to tracked files. Without git, or from a source tree that is not its own
//! repository (a vendored copy, a crate download), the version is the package's alone.
//!
//! Also packs the binary's relocations where the linker can (see [`pack_relocations`]).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=build.rs");
    let long = match commit(&root) {
        Some(commit) => format!("{version} (git {commit})"),
        None => version,
    };
    println!("cargo:rustc-env=QTOP_VERSION={long}");
    pack_relocations();
}

/// Links qtop with packed relative relocations (`DT_RELR`: binutils ≥ 2.38, glibc ≥ 2.36)
/// where the C linker driver takes them. The loader reads the 900 KB of `.rela.dyn` at
/// every start, and each page it reads stays mapped; packed, they are 18 KB, and a
/// dashboard's RSS is 0.9 MB lower (benches/RESULTS.md, "Packed relocations"). Tried on
/// an empty C program first: a toolchain without them links qtop as before.
fn pack_relocations() {
    const FLAG: &str = "-Wl,-z,pack-relative-relocs";
    let target = std::env::var("TARGET").unwrap_or_default();
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return;
    };
    if !target.ends_with("-linux-gnu") {
        return;
    }
    let source = out.join("relr_probe.c");
    if std::fs::write(&source, "int main(void) { return 0; }\n").is_err() {
        return;
    }
    // rustc links with `cc` unless told otherwise; `CC` names another driver.
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let linked = Command::new(cc)
        .arg(&source)
        .arg("-o")
        .arg(out.join("relr_probe"))
        .arg(FLAG)
        .output()
        .is_ok_and(|output| output.status.success());
    if linked {
        println!("cargo:rustc-link-arg-bins={FLAG}");
    }
}

/// The short commit hash, `, modified` appended when tracked files differ from it.
fn commit(root: &Path) -> Option<String> {
    let toplevel = git(root, &["rev-parse", "--show-toplevel"])?;
    // Only qtop's own repository: not a parent repository that happens to contain it.
    if std::fs::canonicalize(toplevel).ok()? != std::fs::canonicalize(root).ok()? {
        return None;
    }
    watch_git_state(root);
    let hash = git(root, &["rev-parse", "--short=12", "HEAD"])?;
    let dirty = git(root, &["status", "--porcelain", "--untracked-files=no"])
        .is_some_and(|status| !status.is_empty());
    Some(if dirty {
        format!("{hash}, modified")
    } else {
        hash
    })
}

/// Re-run when HEAD moves (commit, checkout) or the sources change (the `modified` mark).
fn watch_git_state(root: &Path) {
    let absolute = |path: String| {
        let path = PathBuf::from(path);
        if path.is_absolute() {
            path
        } else {
            root.join(path)
        }
    };
    let mut watched = vec![root.join("src"), root.join("Cargo.toml")];
    if let Some(git_dir) = git(root, &["rev-parse", "--git-dir"]).map(absolute) {
        watched.push(git_dir.join("HEAD"));
        watched.push(git_dir.join("index"));
    }
    if let Some(common) = git(root, &["rev-parse", "--git-common-dir"]).map(absolute) {
        watched.push(common.join("packed-refs"));
        if let Some(branch) = git(root, &["symbolic-ref", "-q", "HEAD"]) {
            watched.push(common.join(branch));
        }
    }
    for path in watched.iter().filter(|p| p.exists()) {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}
