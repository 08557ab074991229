//! Runs every rule's fixtures: `fixtures/<rule-id>/pass/*` must produce no finding of
//! that rule; `fixtures/<rule-id>/fail/*` must produce at least one, rendered exactly as
//! the `.expected` file beside it. Only the rule under test runs, so adding a rule never
//! changes another rule's expectations.
//!
//! A fixture named `name.scp.json` (or `.boundary`, `.rcp`, `.trust`, `.resource`,
//! `.identity`) is linted as that kind of policy.
//!
//! `IAMLINT_BLESS=1 cargo test --test fixtures` writes missing or changed expectations
//! (never under `CI=true`); read every blessed file before committing it.

use iamlint::catalogue::Catalogue;
use iamlint::config::Settings;
use iamlint::lint::{FileOutcome, LintOptions, lint_bytes};
use iamlint::policy::PolicyKind;
use iamlint::report::human::{self, Style};
use iamlint::rules::{RULES, Rule};
use std::fs;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> =
        fs::read_dir(dir).map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    out.retain(|p| p.is_file() && p.extension().is_some_and(|e| e != "expected"));
    out.sort();
    out
}

/// A fixture named `name.<kind>.json` is linted as that kind of policy (what
/// `--policy-kind` does), for kinds that cannot be inferred from the document (SCPs,
/// boundaries).
fn kind_for(path: &Path) -> Option<PolicyKind> {
    let stem = path.file_stem()?.to_str()?;
    match stem.rsplit_once('.')?.1 {
        "identity" => Some(PolicyKind::Identity),
        "resource" => Some(PolicyKind::Resource),
        "trust" => Some(PolicyKind::Trust),
        "scp" => Some(PolicyKind::ServiceControl),
        "rcp" => Some(PolicyKind::ResourceControl),
        "boundary" => Some(PolicyKind::Boundary),
        _ => None,
    }
}

/// Renders what one rule reports on one file, as the fixture expectations store it.
pub fn render(rule: &'static Rule, path: &Path) -> (usize, String) {
    let bytes = fs::read(path).unwrap();
    let options = LintOptions {
        rules: vec![rule],
        kind: kind_for(path),
        settings: Settings::default(),
        scps: Default::default(),
    };
    match lint_bytes(path, bytes, true, &options, Catalogue::bundled()) {
        FileOutcome::Linted(findings) => {
            let text: String = findings.iter().map(|f| human::render(f, Style::PLAIN)).collect();
            (findings.len(), text)
        }
        other => panic!("{}: not linted: {other:?}", path.display()),
    }
}

#[test]
fn every_fixture_behaves_as_expected() {
    let bless = std::env::var_os("IAMLINT_BLESS").is_some() && std::env::var_os("CI").is_none();
    let mut failures = Vec::new();
    let mut checked = 0;
    for rule in RULES {
        let root = Path::new("fixtures").join(rule.meta.id);
        for path in files(&root.join("pass")) {
            checked += 1;
            let (n, text) = render(rule, &path);
            if n != 0 {
                failures.push(format!("{}: expected no {} finding, got:\n{text}", path.display(), rule.meta.id));
            }
        }
        for path in files(&root.join("fail")) {
            checked += 1;
            let (n, text) = render(rule, &path);
            if n == 0 {
                failures.push(format!("{}: expected a {} finding, got none", path.display(), rule.meta.id));
                continue;
            }
            let expected_path = path.with_extension("expected");
            match fs::read_to_string(&expected_path) {
                Ok(expected) if expected == text => {}
                _ if bless => fs::write(&expected_path, &text).unwrap(),
                Ok(expected) => failures.push(format!(
                    "{}: output differs from {}\n--- expected\n{expected}\n--- got\n{text}",
                    path.display(),
                    expected_path.display()
                )),
                Err(_) => failures.push(format!(
                    "{}: missing {} (IAMLINT_BLESS=1 writes it; read it before committing)\n--- got\n{text}",
                    path.display(),
                    expected_path.display()
                )),
            }
        }
    }
    assert!(checked > 0, "no fixtures found: run from the crate root");
    assert!(failures.is_empty(), "{} fixture failures:\n\n{}", failures.len(), failures.join("\n\n"));
}
