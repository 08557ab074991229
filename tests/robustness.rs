//! No input may crash iamlint: arbitrary bytes, mutated policies, hostile shapes.

use iamlint::catalogue::Catalogue;
use iamlint::config::Settings;
use iamlint::lint::{FileOutcome, LintOptions, lint_bytes};
use iamlint::rules::RULES;
use proptest::prelude::*;
use std::path::Path;

fn lint(bytes: Vec<u8>) -> FileOutcome {
    let options =
        LintOptions { rules: RULES.to_vec(), kind: None, settings: Settings::default(), scps: Default::default() };
    let outcome = lint_bytes(Path::new("fuzz.json"), bytes, true, &options, Catalogue::bundled());
    if let FileOutcome::Linted(findings) = &outcome {
        for f in findings {
            // Every finding must render, in every format, without panicking.
            let _ = iamlint::report::human::render(f, iamlint::report::human::Style::PLAIN);
            let _ = iamlint::report::concise::line(f);
            let _ = serde_json::to_string(&iamlint::report::json::finding(f)).unwrap();
        }
    }
    outcome
}

const SEED: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"A1","Effect":"Allow","Action":["s3:Get*","iam:PassRole","ec2:RunInstances"],"Resource":["*","arn:aws:iam::123456789012:role/**x**"],"Condition":{"StringEquals":{"ec2:Vpc":["vpc-1"]},"Bool":{"aws:SecureTransport":true}}},{"Effect":"Deny","NotAction":"s3:*","NotResource":"*","Principal":{"AWS":["*"]}}]}"#;

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        lint(bytes);
    }

    #[test]
    fn mutated_policies_never_panic(cuts in proptest::collection::vec((0usize..SEED.len(), 0usize..8, any::<u8>()), 1..6)) {
        let mut bytes = SEED.as_bytes().to_vec();
        for (at, len, byte) in cuts {
            let at = at.min(bytes.len());
            let end = (at + len).min(bytes.len());
            bytes.splice(at..end, [byte]);
        }
        lint(bytes);
    }

    #[test]
    fn arbitrary_strings_in_every_slot_never_panic(s in "\\PC{0,40}", t in "[*?:a-zA-Z0-9${}/<>\\[\\]-]{0,30}") {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Sid": s, "Effect": "Allow", "Action": [t.clone(), s.clone()], "Resource": [t.clone(), s.clone()],
                "Principal": {"AWS": [t.clone()]}, "Condition": {t.clone(): {s.clone(): [t.clone()]}}}]
        });
        lint(policy.to_string().into_bytes());
    }
}

#[test]
fn hostile_shapes_are_reported_not_crashed() {
    let deep = "[".repeat(100_000);
    assert!(matches!(lint(deep.into_bytes()), FileOutcome::Linted(f) if !f.is_empty()));
    let long = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:{}","Resource":"*"}}]}}"#,
        "a*".repeat(50_000)
    );
    assert!(matches!(lint(long.into_bytes()), FileOutcome::Linted(_)));
    assert!(matches!(lint(Vec::new()), FileOutcome::Linted(f) if !f.is_empty()));
    assert!(matches!(lint(b"\xef\xbb\xbf".to_vec()), FileOutcome::Linted(f) if !f.is_empty()));
    // Valid JSON that is not a policy is skipped (and listed by --verbose), even when named.
    assert!(matches!(lint(b"null".to_vec()), FileOutcome::Skipped(_)));
}

#[test]
fn minified_policies_render_without_drawing_the_whole_line() {
    // One 70 KB line: miette cannot draw past column 65,535, so the finding quotes the value.
    let statements: Vec<String> = (0..800)
        .map(|i| {
            format!(
                r#"{{"Sid":"S{i}","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket-{i:05}/*"}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{},{{"Effect":"Allow","Action":"*","Resource":"*"}}]}}"#,
        statements.join(",")
    );
    assert!(text.len() > 70_000);
    let FileOutcome::Linted(findings) = lint(text.into_bytes()) else { panic!("not linted") };
    let admin = findings.iter().find(|f| f.rule.id == "full-admin").expect("full-admin found");
    let rendered = iamlint::report::human::render(admin, iamlint::report::human::Style::PLAIN);
    assert!(rendered.contains("at fuzz.json (Statement[800]) line 1, column"), "{rendered}");
    assert!(rendered.lines().all(|l| l.chars().count() < 200), "{rendered}");
}

#[test]
fn thousands_of_statements_with_one_sid_are_linted() {
    let statements: Vec<String> = (0..5_000)
        .map(|_| r#"{"Sid":"Same","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#.to_string())
        .collect();
    let text = format!(r#"{{"Version":"2012-10-17","Statement":[{}]}}"#, statements.join(",\n"));
    // Every rule, without rendering 5,000 findings (rendering is covered above).
    let options =
        LintOptions { rules: RULES.to_vec(), kind: None, settings: Settings::default(), scps: Default::default() };
    let outcome = lint_bytes(Path::new("many.json"), text.into_bytes(), true, &options, Catalogue::bundled());
    let FileOutcome::Linted(findings) = outcome else { panic!("not linted") };
    assert_eq!(findings.iter().filter(|f| f.rule.id == "duplicate-sid").count(), 4_999);
}

#[test]
fn hundreds_of_unknown_condition_keys_under_every_action_are_linted() {
    let keys: Vec<String> = (0..500).map(|i| format!(r#""s3:bogus{i}": "x""#)).collect();
    let text = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"StringEquals":{{{}}}}}}}]}}"#,
        keys.join(",")
    );
    let options =
        LintOptions { rules: RULES.to_vec(), kind: None, settings: Settings::default(), scps: Default::default() };
    let outcome = lint_bytes(Path::new("keys.json"), text.into_bytes(), true, &options, Catalogue::bundled());
    let FileOutcome::Linted(findings) = outcome else { panic!("not linted") };
    assert_eq!(findings.iter().filter(|f| f.rule.id == "unknown-condition-key").count(), 500);
}

/// Found by `mutated_policies_never_panic`: condition keys without a `:` (and with
/// multi-byte characters) once made the key suggestion slice out of bounds.
#[test]
fn condition_keys_without_a_prefix_are_reported_not_crashed() {
    for key in ["ec", "ec\u{e9}", "s4", "\u{0}", "caf\u{e9}", "\u{e9}:x", ":"] {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "ec2:RunInstances", "Resource": "*",
                "Condition": {"StringEquals": {key: "vpc-1"}}}]
        });
        assert!(matches!(lint(policy.to_string().into_bytes()), FileOutcome::Linted(_)), "{key:?}");
    }
}
