//! Invariants a reviewer would forget: every rule has its docs and both fixture kinds,
//! ids are unique kebab-case, no orphan fixture folder or rule file, and every doc
//! example behaves as its fence says.

use iamlint::catalogue::Catalogue;
use iamlint::config::Settings;
use iamlint::lint::{FileOutcome, LintOptions, lint_bytes};
use iamlint::rules::{RULES, find};
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

const DOC_SECTIONS: [&str; 5] =
    ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## References"];
/// Fixture folders that belong to formats and the catalogue, not to a rule.
const NON_RULE_FIXTURES: [&str; 4] = ["catalogue", "diff", "examples", "formats"];

#[test]
fn ids_are_unique_kebab_case() {
    let mut seen = BTreeSet::new();
    for r in RULES {
        assert!(seen.insert(r.meta.id), "duplicate rule id {}", r.meta.id);
        assert!(
            !r.meta.id.is_empty()
                && r.meta
                    .id
                    .split('-')
                    .all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())),
            "rule id `{}` is not kebab-case",
            r.meta.id
        );
        assert!(!r.meta.summary.is_empty() && !r.meta.summary.ends_with('.'), "{}: summary", r.meta.id);
    }
}

#[test]
fn every_rule_has_docs_and_fixtures() {
    for r in RULES {
        let doc_path = format!("rules/{}.md", r.meta.id);
        let doc = fs::read_to_string(&doc_path).unwrap_or_else(|_| panic!("{doc_path} is missing"));
        assert_eq!(doc, r.meta.doc, "{}: RULE.doc must be include_str! of {doc_path}", r.meta.id);
        assert!(doc.starts_with(&format!("# {}\n", r.meta.id)), "{doc_path} must start with `# {}`", r.meta.id);
        for section in DOC_SECTIONS {
            assert!(doc.contains(section), "{doc_path} lacks `{section}`");
        }
        assert!(doc.contains("```json fail"), "{doc_path} has no ```json fail example");
        assert!(doc.contains("```json pass"), "{doc_path} has no ```json pass example");
        for kind in ["pass", "fail"] {
            let dir = Path::new("fixtures").join(r.meta.id).join(kind);
            let n = fs::read_dir(&dir)
                .map(|d| {
                    d.filter_map(Result::ok).filter(|e| e.path().extension().is_some_and(|x| x != "expected")).count()
                })
                .unwrap_or(0);
            assert!(n > 0, "{} has no {kind} fixture in {}", r.meta.id, dir.display());
        }
        let source = format!("src/rules/{}.rs", r.meta.id.replace('-', "_"));
        assert!(Path::new(&source).is_file(), "{} is not in {source}", r.meta.id);
    }
}

#[test]
fn no_orphans() {
    for entry in fs::read_dir("fixtures").unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            find(&name).is_some() || NON_RULE_FIXTURES.contains(&name.as_str()),
            "fixtures/{name} belongs to no rule"
        );
    }
    for entry in fs::read_dir("src/rules").unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".rs") else { continue };
        if stem == "mod" {
            continue;
        }
        assert!(find(&stem.replace('_', "-")).is_some(), "src/rules/{name} is not registered");
    }
    for entry in fs::read_dir("rules").unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(id) = name.strip_suffix(".md") {
            assert!(find(id).is_some(), "rules/{name} documents no rule");
        }
    }
}

/// ```json fail blocks must make the rule fire; ```json pass blocks must not.
#[test]
fn doc_examples_behave_as_their_fences_say() {
    let mut checked = 0;
    for r in RULES {
        let mut rest = r.meta.doc;
        while let Some(start) = rest.find("```json ") {
            let after = &rest[start + "```json ".len()..];
            let (kind, body) = after.split_once('\n').unwrap();
            let end = body.find("\n```").unwrap_or_else(|| panic!("{}: unclosed fence", r.meta.id));
            let example = &body[..end + 1];
            rest = &body[end + 4..];
            let options = LintOptions { rules: vec![r], kind: None, settings: Settings::default() };
            let path = Path::new("rules").join(format!("{}.md", r.meta.id));
            let n = match lint_bytes(&path, example.as_bytes().to_vec(), true, &options, Catalogue::bundled()) {
                FileOutcome::Linted(f) => f.len(),
                other => panic!("{}: example not linted: {other:?}", r.meta.id),
            };
            match kind.trim() {
                "fail" => assert!(n > 0, "{}: a `json fail` example produced no finding:\n{example}", r.meta.id),
                "pass" => assert!(n == 0, "{}: a `json pass` example produced {n} findings:\n{example}", r.meta.id),
                other => panic!("{}: unknown fence `json {other}`", r.meta.id),
            }
            checked += 1;
        }
    }
    assert!(checked >= 2 * RULES.len());
}
