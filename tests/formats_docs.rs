//! Docs pages (`fixtures/formats/docs/`): every policy block is a document located by its
//! line, with spans into the page; non-policy blocks are passed over; runs of statements
//! are one document; the rules fire as on raw JSON; hostile pages neither panic nor hang.

mod common;

use iamlint::catalogue::Catalogue;
use iamlint::config::Settings;
use iamlint::formats::snippet;
use iamlint::formats::{self, LoadOptions, Loaded, LoadedFile};
use iamlint::lint::{FileOutcome, LintOptions, lint_bytes};
use iamlint::policy::PolicyKind;
use iamlint::rules::RULES;
use iamlint::source::SourceFile;
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DIR: &str = "fixtures/formats/docs";

fn load(name: &str, text: &str) -> Loaded {
    formats::load(
        Arc::new(SourceFile::new(name, text.to_string())),
        &LoadOptions { kind: None, explicit: true, tree: None },
    )
}

fn page(file: &str) -> (String, LoadedFile) {
    let text = fs::read_to_string(Path::new(DIR).join(file)).unwrap();
    match load(file, &text) {
        Loaded::Policy(loaded) => (text, loaded),
        other => panic!("{file}: {other:?}"),
    }
}

fn lint(name: &Path, bytes: Vec<u8>) -> FileOutcome {
    let options =
        LintOptions { rules: RULES.to_vec(), kind: None, settings: Settings::default(), scps: Default::default() };
    lint_bytes(name, bytes, true, &options, Catalogue::bundled())
}

fn rule_ids(name: &Path, bytes: Vec<u8>) -> Vec<&'static str> {
    match lint(name, bytes) {
        FileOutcome::Linted(findings) => {
            findings.iter().map(|f| f.rule.id).collect::<BTreeSet<_>>().into_iter().collect()
        }
        other => panic!("{}: not linted: {other:?}", name.display()),
    }
}

/// (locator, kind, bare or run, statement count) of each document.
fn shapes(loaded: &LoadedFile) -> Vec<(String, PolicyKind, bool, usize)> {
    loaded.documents.iter().map(|d| (d.locator.clone(), d.kind, d.bare_statement, d.statements.len())).collect()
}

#[test]
fn markdown_fenced_and_indented_blocks_are_documents_and_other_json_is_passed_over() {
    let (text, loaded) = page("vendor-integration.md");
    // The policy, the trust policy, and the indented single statement; not the API body.
    assert_eq!(
        shapes(&loaded),
        vec![
            ("line 12".into(), PolicyKind::Identity, false, 2),
            ("line 49".into(), PolicyKind::Trust, false, 1),
            ("line 76".into(), PolicyKind::Identity, true, 1),
        ]
    );
    assert!(loaded.syntax.is_empty());
    let st = &loaded.documents[0].statements[1];
    assert_eq!(st.locator, "line 12.Statement[1]");
    assert_eq!(&text[st.sid.as_ref().unwrap().span.clone()], "\"AcmeLogForwarder\"");
    let (line, _) = loaded.source.line_col(st.span.start);
    assert_eq!(line, 26);
    assert_eq!(
        rule_ids(Path::new("vendor-integration.md"), text.into_bytes()),
        [
            "data-exfiltration",
            "malformed-policy",
            "passrole-unscoped",
            "placeholder",
            "privilege-escalation",
            "unscoped-write"
        ]
    );
}

#[test]
fn an_escalation_hidden_in_a_run_of_statements_is_found() {
    let (text, loaded) = page("lambda-deploy-snippet.md");
    assert_eq!(shapes(&loaded), vec![("line 7".into(), PolicyKind::Identity, true, 3)]);
    let doc = &loaded.documents[0];
    assert_eq!(doc.problems.len(), 1, "{:?}", doc.problems);
    assert_eq!(doc.problems[0].message, "3 statements separated by commas, not a policy");
    // The run is spanned from its first `{` to its last `}`.
    assert!(text[doc.span.clone()].starts_with("{\n    \"Sid\": \"PassExecutionRole\""));
    assert!(text[doc.span.clone()].ends_with('}'));
    let options = LintOptions {
        rules: vec![RULES.iter().find(|r| r.meta.id == "privilege-escalation").unwrap()],
        kind: None,
        settings: Settings::default(),
        scps: Default::default(),
    };
    let FileOutcome::Linted(findings) =
        lint_bytes(Path::new("lambda-deploy-snippet.md"), text.into_bytes(), true, &options, Catalogue::bundled())
    else {
        panic!("not linted")
    };
    assert_eq!(findings.len(), 1);
    assert!(findings[0].message.contains("lambda-001"), "{}", findings[0].message);
}

#[test]
fn restructured_text_code_blocks_are_read() {
    let (text, loaded) = page("s3-backup.rst");
    assert_eq!(shapes(&loaded), vec![("line 9".into(), PolicyKind::Identity, false, 3)]);
    let action = &loaded.documents[0].statements[2].action.as_ref().unwrap().values[0];
    assert_eq!(&text[action.span.clone()], "\"s3:Delete*\"");
    assert_eq!(rule_ids(Path::new("s3-backup.rst"), text.into_bytes()), ["resource-exposure", "unscoped-write"]);
}

#[test]
fn plain_text_with_trailing_commas_and_bold_debris_is_read_and_the_commas_reported() {
    let (text, loaded) = page("vendor-page.txt");
    assert_eq!(
        shapes(&loaded),
        vec![("line 7".into(), PolicyKind::Identity, false, 1), ("line 27".into(), PolicyKind::Identity, true, 1)]
    );
    let commas: Vec<_> = loaded.syntax.iter().map(|p| (p.message.as_str(), &text[p.span.clone()])).collect();
    assert_eq!(commas, vec![("trailing comma", ","); 3]);
    assert_eq!(
        rule_ids(Path::new("vendor-page.txt"), text.into_bytes()),
        ["data-exfiltration", "malformed-json", "malformed-policy", "privilege-escalation", "unscoped-write"]
    );
}

#[test]
fn a_page_without_policies_is_skipped_and_a_broken_policy_block_is_reported() {
    let text = fs::read(Path::new(DIR).join("no-policy.md")).unwrap();
    assert!(matches!(lint(Path::new("no-policy.md"), text), FileOutcome::Skipped(_)));
    let broken = "Paste this:\n\n```json\n{\"Version\": \"2012-10-17\", \"Statement\": [ ... ]}\n```\n";
    assert_eq!(rule_ids(Path::new("broken.md"), broken.as_bytes().to_vec()), ["malformed-json"]);
}

#[test]
fn a_raw_json_file_holding_a_run_of_statements_is_one_document() {
    let text = "{\"Effect\": \"Allow\", \"Action\": \"iam:PassRole\", \"Resource\": \"*\"},\n{\"Effect\": \"Allow\", \"Action\": [\"ec2:RunInstances\"], \"Resource\": \"*\"}\n";
    let Loaded::Policy(loaded) = load("snippet.json", text) else { panic!("not loaded") };
    assert!(loaded.syntax.is_empty(), "{:?}", loaded.syntax);
    assert_eq!(shapes(&loaded), vec![(String::new(), PolicyKind::Identity, true, 2)]);
    assert_eq!(loaded.documents[0].statements[1].locator, "Statement[1]");
    // Two policies separated by a comma are not a run: reported as JSON as before.
    let two = "{\"Version\": \"2012-10-17\", \"Statement\": []},\n{\"Version\": \"2012-10-17\", \"Statement\": []}";
    assert_eq!(rule_ids(Path::new("two.json"), two.as_bytes().to_vec()), ["malformed-json"]);
}

/// A policy pasted into a page (fenced markdown, indented markdown, RST, prose) gets the
/// same rule ids as the raw file.
#[test]
fn rules_fire_the_same_on_a_policy_in_a_docs_page() {
    let mut compared = 0;
    for path in common::inferred_fail_fixtures() {
        let Ok(raw) = fs::read_to_string(&path) else { continue };
        if raw.starts_with('\u{feff}') || raw.trim_start().starts_with('[') {
            continue;
        }
        let Loaded::Policy(file) = load("raw.json", &raw) else { continue };
        if !file.syntax.is_empty() || file.documents.len() != 1 {
            continue;
        }
        let expected = rule_ids(Path::new("raw.json"), raw.clone().into_bytes());
        let indent = |prefix: &str| raw.lines().map(|l| format!("{prefix}{l}\n")).collect::<String>();
        let pages = [
            ("page.md", format!("# Setup\n\nAttach this policy:\n\n```json\n{raw}\n```\n\nDone.\n")),
            ("page.md", format!("Attach this policy:\n\n{}\nDone.\n", indent("    "))),
            ("page.rst", format!("Setup\n=====\n\n.. code-block:: json\n\n{}\nDone.\n", indent("   "))),
            ("page.txt", format!("Copy the policy below into the IAM console.\n{raw}\nThat's all.\n")),
        ];
        for (name, text) in pages {
            let got = rule_ids(Path::new(name), text.into_bytes());
            assert_eq!(got, expected, "{} in {name}", path.display());
        }
        compared += 1;
    }
    assert!(compared > 50, "only {compared} fixtures compared");
}

/// Pages built to make a naive finder quadratic (every `{` opening a block that never
/// closes, nested openers, runs of commas). One pass over 1 MB finishes in well under a
/// second; a quadratic finder would take hours, so the bound only catches that.
#[test]
fn hostile_pages_are_linear() {
    let mb = 1 << 20;
    let pages = [
        "{\"".repeat(mb / 2),
        "[{\"a\":".repeat(mb / 6),
        "{\"Effect\":\"Allow\"},".repeat(mb / 19),
        "```\n{\"a\": [".repeat(mb / 10),
        format!("{{\"{}", "*".repeat(mb)),
        "\"{\n".repeat(mb / 3),
    ];
    for (i, text) in pages.iter().enumerate() {
        let start = Instant::now();
        let blocks = snippet::blocks(text);
        let found = start.elapsed();
        let _ = load("hostile.md", text);
        eprintln!("page {i}: {} blocks found in {found:?}, loaded in {:?}", blocks.len(), start.elapsed());
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "page {i}: {} blocks took {:?}",
            blocks.len(),
            start.elapsed()
        );
    }
}

const SEED: &str = "Intro *text* with {braces}.\n\n```json\n{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Effect\": \"Allow\", \"Action\": \"iam:PassRole\", \"Resource\": \"*\",},\n  ]\n}\n```\n\n    {\"Effect\": \"Allow\"},\n    {\"Effect\": \"Deny\", \"Action\": \"s3:*\", \"Resource\": \"*\"}\n\n> **{\"Sid\": \"x\\\"y\"}**\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_block_finder_never_panics_and_its_blocks_are_ordered(text in "[{}\\[\\],:\"\\\\*>` \n\ta-zA-Z0-9~é]{0,300}") {
        let blocks = snippet::blocks(&text);
        let mut last_end = 0;
        for b in &blocks {
            for v in &b.values {
                prop_assert!(v.start >= last_end && v.start < v.end && v.end <= text.len());
                let opens = matches!(text.as_bytes()[v.start], b'{' | b'[');
                prop_assert!(opens);
                last_end = v.end;
            }
        }
        prop_assert_eq!(snippet::clean(&text).len(), text.len());
    }

    #[test]
    fn mutated_pages_never_panic(cuts in proptest::collection::vec((0usize..SEED.len(), 0usize..8, any::<u8>()), 1..6), ext in prop::sample::select(vec!["md", "rst", "txt", "json"])) {
        let mut bytes = SEED.as_bytes().to_vec();
        for (at, len, byte) in cuts {
            let at = at.min(bytes.len());
            let end = (at + len).min(bytes.len());
            bytes.splice(at..end, [byte]);
        }
        let _ = lint(Path::new(&format!("page.{ext}")), bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Pages written with typographic or HTML-escaped quotes: linting never panics, and
    /// every character boundary of the straightened text maps to one of the page, in
    /// order (so every span iamlint reports can be shown).
    #[test]
    fn pages_with_rendered_quotes_never_panic(parts in proptest::collection::vec(prop::sample::select(vec!["{", "}", "[", "]", ",", ":", "\"", "\u{201c}", "\u{201d}", "\u{201e}", "&quot;", "&#34;", "&quot", "Effect", "Allow", "s3:*", " ", "\n", "é", "*"]), 0..80)) {
        let page: String = parts.concat();
        if let Some(s) = snippet::Straightened::new(&page) {
            let mut last = 0;
            for n in (0..=s.text.len()).filter(|&n| s.text.is_char_boundary(n)) {
                let at = s.offset(n);
                prop_assert!(at >= last && at <= page.len() && page.is_char_boundary(at), "{n} -> {at}");
                last = at;
            }
            prop_assert_eq!(s.offset(s.text.len()), page.len());
        }
        let _ = lint(Path::new("page.md"), page.into_bytes());
    }
}
