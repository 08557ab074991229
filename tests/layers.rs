//! The layers, enforced: every `use crate::...` in `src/` points at a module on the same
//! floor or below, and no two modules import each other. Bottom first:
//! `source`, `diagnostic`, `config`, the pack loader; `catalogue`; `policy`, the
//! sensitive-actions pack; `discover`, `formats`; `resolve`; `rules`; `lint`; `filter`;
//! `diff`; `report`; `cli`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floor of a module, by its path under `src/` (`packs/sensitive.rs` sits above the
/// catalogue it reads; the loader in `packs/mod.rs` is at the bottom).
fn floor(module: &str) -> usize {
    match module {
        "source" | "diagnostic" | "config" | "packs" => 0,
        "catalogue" => 1,
        "policy" | "packs::sensitive" => 2,
        "discover" | "formats" => 3,
        "resolve" => 4,
        "rules" => 5,
        "lint" => 6,
        "filter" => 7,
        "diff" => 8,
        "report" => 9,
        "cli" | "main" | "lib" | "bin" | "testing" => 10,
        other => panic!("src/{other}: a new top-level module needs its floor in tests/layers.rs"),
    }
}

/// `src/packs/sensitive.rs` -> `packs::sensitive`; `src/rules/x.rs` -> `rules`.
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix("src").unwrap();
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string()).collect();
    match parts.as_slice() {
        [packs, sensitive] if packs == "packs" && sensitive == "sensitive" => "packs::sensitive".into(),
        [first, ..] => first.clone(),
        [] => unreachable!(),
    }
}

/// The module a `crate::a::b` path names, at the granularity `floor` knows.
fn target_of(path: &str) -> String {
    let mut parts = path.split("::").map(|p| p.trim_matches(|c: char| c == '{' || c.is_whitespace()));
    let first = parts.next().unwrap_or_default().to_string();
    if first == "packs" && parts.next() == Some("sensitive") { "packs::sensitive".into() } else { first }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn imports_point_down_and_never_back() {
    let mut files = Vec::new();
    rust_files(Path::new("src"), &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut wrong = Vec::new();
    for file in &files {
        let from = module_of(file);
        let text = std::fs::read_to_string(file).unwrap();
        // Test modules sit above everything: only what a file uses outside them counts.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (i, _) in code.match_indices("crate::") {
            let to = target_of(&code[i + "crate::".len()..]);
            if to.is_empty() || to == from || to.starts_with(char::is_uppercase) {
                continue;
            }
            if floor(&to) > floor(&from) {
                wrong.push(format!("{} (floor {}) imports {to} (floor {})", file.display(), floor(&from), floor(&to)));
            }
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    for (from, tos) in &edges {
        for to in tos {
            if edges.get(to).is_some_and(|back| back.contains(from)) {
                wrong.push(format!("{from} and {to} import each other"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
