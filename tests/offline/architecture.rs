//! The layering the code promises (../shared/STYLE.md), checked on the source text:
//! - no import cycle between qtop's top-level modules, nor between the modules of `source`;
//! - `source`, `model` and `demo` never name ratatui, crossterm, `crate::ui` or `crate::app`;
//! - `app` never names `crate::ui` (the UI reads the app, never the reverse).
//!
//! Paths are resolved from each file's own module (`crate::…`, `super::…`, `self::…`, and
//! grouped `use crate::{a::…, b::…}`), so a moved file cannot hide an edge.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/source/poller/mod.rs` → `["source", "poller"]`; `src/app/data.rs` → `["app", "data"]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap_or(file).with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The code without comments (doc examples and prose name modules too).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every absolute module path this file names, as segments from the crate root.
fn named_paths(module: &[String], code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if !code.is_char_boundary(i) {
            i += 1;
            continue;
        }
        let starts = i == 0 || !is_ident(bytes[i - 1]) && bytes[i - 1] != b':';
        let rest = &code[i..];
        let head = ["crate::", "super::", "self::"]
            .into_iter()
            .find(|h| rest.starts_with(h));
        let (Some(head), true) = (head, starts) else {
            i += 1;
            continue;
        };
        // Resolve the leading crate/super/self chain.
        let mut base: Vec<String> = match head {
            "crate::" => Vec::new(),
            "self::" => module.to_vec(),
            _ => module[..module.len().saturating_sub(1)].to_vec(),
        };
        let mut j = i + head.len();
        while code[j..].starts_with("super::") {
            base.pop();
            j += "super::".len();
        }
        // A group `{a::b, c}`: each member's first segments.
        if code[j..].starts_with('{') {
            let end = code[j..].find('}').map_or(code.len(), |e| j + e);
            for member in code[j + 1..end].split(',') {
                let segs: Vec<String> = member
                    .trim()
                    .split("::")
                    .map(|s| s.trim().to_string())
                    .take_while(|s| !s.is_empty() && s.bytes().all(is_ident))
                    .collect();
                if let Some(first) = segs.first() {
                    let mut path = base.clone();
                    path.push(first.clone());
                    if let Some(second) = segs.get(1) {
                        path.push(second.clone());
                    }
                    out.push(path);
                }
            }
            i = end;
            continue;
        }
        let mut path = base;
        for seg in code[j..].split("::").take(2) {
            let ident: String = seg
                .bytes()
                .take_while(|&b| is_ident(b))
                .map(char::from)
                .collect();
            if ident.is_empty() {
                break;
            }
            path.push(ident);
        }
        out.push(path);
        i = j;
    }
    out
}

struct Source {
    module: Vec<String>,
    code: String,
    file: PathBuf,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            Source {
                module: module_of(&src, &file),
                code: code_of(&text),
                file,
            }
        })
        .collect()
}

/// Edges between the children of `parent` (the crate root when empty).
fn graph(sources: &[Source], parent: &[String]) -> BTreeMap<String, BTreeSet<String>> {
    let depth = parent.len();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for source in sources {
        if source.module.len() <= depth || source.module[..depth] != *parent {
            continue;
        }
        let from = &source.module[depth];
        for path in named_paths(&source.module, &source.code) {
            if path.len() <= depth || path[..depth] != *parent {
                continue;
            }
            let to = &path[depth];
            if to != from {
                edges.entry(from.clone()).or_default().insert(to.clone());
            }
        }
    }
    edges
}

/// A cycle in `edges`, if there is one, as the modules along it.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut cycle = stack[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, stack, done) {
                return Some(cycle);
            }
        }
        stack.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

#[test]
fn top_level_modules_import_without_cycles() {
    let sources = sources();
    let edges = graph(&sources, &[]);
    assert!(edges.contains_key("ui"), "the graph is empty: {edges:?}");
    assert!(edges["ui"].contains("app"), "ui reads app: {edges:?}");
    if let Some(cycle) = find_cycle(&edges) {
        panic!("import cycle: {}\n{edges:#?}", cycle.join(" → "));
    }
}

#[test]
fn modules_of_source_import_without_cycles() {
    let sources = sources();
    let edges = graph(&sources, &["source".to_string()]);
    if let Some(cycle) = find_cycle(&edges) {
        panic!("import cycle in source: {}\n{edges:#?}", cycle.join(" → "));
    }
}

#[test]
fn the_data_side_never_names_the_ui_and_app_never_names_ui() {
    let mut offences = Vec::new();
    for source in sources() {
        let top = source.module.first().map(String::as_str).unwrap_or("");
        let forbidden: &[&str] = match top {
            "source" | "model" | "demo" => &["ratatui", "crossterm", "crate::ui", "crate::app"],
            "app" => &["crate::ui"],
            _ => &[],
        };
        let named: Vec<Vec<String>> = named_paths(&source.module, &source.code);
        for word in forbidden {
            let hit = match word.strip_prefix("crate::") {
                Some(module) => named.iter().any(|p| p.first().is_some_and(|m| m == module)),
                None => source.code.contains(&format!("{word}::")),
            };
            if hit {
                offences.push(format!("{} names {word}", source.file.display()));
            }
        }
    }
    assert!(offences.is_empty(), "{}", offences.join("\n"));
}

#[test]
fn the_checker_sees_edges_and_cycles() {
    // The checks above pass on an empty or unread graph only if these fail to see things.
    let module = vec!["app".to_string(), "data".to_string()];
    let paths = named_paths(
        &module,
        "use crate::{model::X, ui::y};\nuse super::rows::Row;",
    );
    let names = |want: &[&str]| {
        paths
            .iter()
            .any(|p| p.len() >= want.len() && p.iter().zip(want).all(|(a, b)| a == b))
    };
    assert!(names(&["ui", "y"]), "{paths:?}");
    assert!(names(&["model", "X"]), "{paths:?}");
    assert!(names(&["app", "rows"]), "{paths:?}");
    let mut edges = BTreeMap::new();
    edges.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    edges.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert!(find_cycle(&edges).is_some());
    edges.remove("b");
    assert!(find_cycle(&edges).is_none());
}
