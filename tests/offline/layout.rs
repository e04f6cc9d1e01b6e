//! The test binaries stay few: a test file is a module of `tests/offline`, `tests/integration`
//! or `tests/e2e`, declared in that folder's `main.rs`. A file at the top of `tests/` would
//! build a binary of its own (linking tokio, redis, ratatui and rustls once more), and a file
//! in a group folder without its `mod` line would never be compiled, so never run.

use std::path::{Path, PathBuf};

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn rust_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".rs"))
        .collect();
    names.sort();
    names
}

#[test]
fn no_test_file_builds_a_binary_of_its_own() {
    let loose = rust_files(&tests_dir());
    assert!(
        loose.is_empty(),
        "{loose:?} at the top of tests/ each build a test binary of their own: move each \
         into tests/offline/ (no process), tests/integration/ (a redis-server, the qtop \
         binary, Node/Python fixtures) or tests/e2e/ (clusters, demo pools, tmux), and add \
         `mod <name>;` to that folder's main.rs"
    );
}

#[test]
fn every_file_of_a_group_is_declared_in_its_main() {
    for group in ["offline", "integration", "e2e"] {
        let dir = tests_dir().join(group);
        let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
        let declared = |module: &str| {
            main.lines()
                .any(|line| line.trim() == format!("mod {module};"))
        };
        for file in rust_files(&dir) {
            let module = file.trim_end_matches(".rs");
            assert!(
                module == "main" || declared(module),
                "tests/{group}/{file} is never compiled: add `mod {module};` to tests/{group}/main.rs"
            );
        }
    }
}
