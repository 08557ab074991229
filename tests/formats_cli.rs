//! AWS CLI output (`fixtures/formats/cli/`): where each response keeps its document, the
//! kind it gets, spans that land on the user's text inside objects, JSON strings and
//! URL-encoded strings, the rules that fire, and account dumps going to their own adapter.

mod common;

use iamlint::catalogue::Catalogue;
use iamlint::config::Settings;
use iamlint::formats::{self, LoadOptions, Loaded, LoadedFile};
use iamlint::lint::{FileOutcome, LintOptions, lint_bytes};
use iamlint::policy::PolicyKind;
use iamlint::rules::RULES;
use iamlint::source::SourceFile;
use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::sync::Arc;

const DIR: &str = "fixtures/formats/cli";

fn load(name: &str, text: &str) -> Loaded {
    formats::load(
        Arc::new(SourceFile::new(name, text.to_string())),
        &LoadOptions { kind: None, explicit: true, tree: None },
    )
}

fn loaded(path: &Path) -> LoadedFile {
    match load(&path.to_string_lossy(), &fs::read_to_string(path).unwrap()) {
        Loaded::Policy(file) => file,
        other => panic!("{}: {other:?}", path.display()),
    }
}

fn lint(name: &Path, bytes: Vec<u8>, kind: Option<PolicyKind>) -> FileOutcome {
    let options = LintOptions { rules: RULES.to_vec(), kind, settings: Settings::default(), scps: Default::default() };
    lint_bytes(name, bytes, true, &options, Catalogue::bundled())
}

/// The ids of the rules that fire on a file, sorted and once each.
fn rule_ids(name: &Path, bytes: Vec<u8>, kind: Option<PolicyKind>) -> Vec<&'static str> {
    match lint(name, bytes, kind) {
        FileOutcome::Linted(findings) => {
            findings.iter().map(|f| f.rule.id).collect::<BTreeSet<_>>().into_iter().collect()
        }
        other => panic!("{}: not linted: {other:?}", name.display()),
    }
}

struct Case {
    file: &'static str,
    locator: &'static str,
    kind: PolicyKind,
    /// The text under the first statement's first Action value, as written in the file.
    first_action: &'static str,
    rules: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        file: "get-policy-version.json",
        locator: "PolicyVersion.Document",
        kind: PolicyKind::Identity,
        first_action: r#""s3:GetObject""#,
        rules: &["passrole-unscoped", "placeholder", "privilege-escalation", "unscoped-write"],
    },
    Case {
        file: "get-policy-version-url-encoded.json",
        locator: "PolicyVersion.Document",
        kind: PolicyKind::Identity,
        first_action: "%22s3%3AGetObject%22",
        rules: &["passrole-unscoped", "placeholder", "privilege-escalation", "unscoped-write"],
    },
    Case {
        file: "get-role.json",
        locator: "Role.AssumeRolePolicyDocument",
        kind: PolicyKind::Trust,
        first_action: r#""sts:AssumeRole""#,
        rules: &["cross-account-without-external-id", "placeholder"],
    },
    Case {
        file: "get-role-policy.json",
        locator: "PolicyDocument",
        kind: PolicyKind::Identity,
        first_action: r#""logs:CreateLogStream""#,
        rules: &["full-admin", "placeholder"],
    },
    Case {
        file: "get-user-policy.json",
        locator: "PolicyDocument",
        kind: PolicyKind::Identity,
        first_action: r#""iam:CreateAccessKey""#,
        rules: &["credentials-exposure", "placeholder", "privilege-escalation", "unscoped-write"],
    },
    Case {
        file: "get-group-policy.json",
        locator: "PolicyDocument",
        kind: PolicyKind::Identity,
        first_action: r#""ec2:*""#,
        rules: &[
            "credentials-exposure",
            "missing-vpc-condition",
            "privilege-escalation",
            "resource-exposure",
            "service-wildcard",
            "unscoped-write",
        ],
    },
    Case {
        file: "s3api-get-bucket-policy.json",
        locator: "Policy",
        kind: PolicyKind::Resource,
        first_action: r#"\"s3:GetObject\""#,
        rules: &["public-principal"],
    },
    Case {
        file: "lambda-get-policy.json",
        locator: "Policy",
        kind: PolicyKind::Resource,
        first_action: r#"\"lambda:InvokeFunction\""#,
        rules: &["placeholder", "service-principal-without-source"],
    },
    Case {
        file: "kms-get-key-policy.json",
        locator: "Policy",
        kind: PolicyKind::Resource,
        first_action: r#"\"kms:*\""#,
        rules: &["placeholder", "public-principal"],
    },
    Case {
        file: "sqs-get-queue-attributes.json",
        locator: "Attributes.Policy",
        kind: PolicyKind::Resource,
        first_action: r#"\"SQS:SendMessage\""#,
        rules: &["placeholder", "public-principal"],
    },
];

#[test]
fn every_response_yields_its_document_with_spans_on_the_written_text() {
    for case in CASES {
        let path = Path::new(DIR).join(case.file);
        let file = loaded(&path);
        let text = &file.source.text;
        assert!(file.syntax.is_empty(), "{}: {:?}", case.file, file.syntax);
        assert_eq!(file.documents.len(), 1, "{}", case.file);
        let doc = &file.documents[0];
        assert_eq!(doc.locator, case.locator, "{}", case.file);
        assert_eq!(doc.kind, case.kind, "{}", case.file);
        assert!(doc.problems.is_empty(), "{}: {:?}", case.file, doc.problems);
        assert_eq!(doc.statements[0].locator, format!("{}.Statement[0]", case.locator));
        let action = &doc.statements[0].action.as_ref().expect("an Action").values[0];
        assert_eq!(&text[action.span.clone()], case.first_action, "{}", case.file);
        // Every statement lies inside its document, and the document inside the file.
        assert!(doc.span.end <= text.len());
        for st in &doc.statements {
            assert!(doc.span.start <= st.span.start && st.span.end <= doc.span.end, "{}", case.file);
        }
        let ids = rule_ids(&path, fs::read(&path).unwrap(), None);
        assert_eq!(ids, case.rules, "{}", case.file);
    }
}

#[test]
fn a_string_document_maps_every_value_exactly_even_after_multibyte_escapes() {
    // `\u00e9` (6 bytes written, 2 decoded) and `\n` before the Action shift every offset.
    let text = r#"{"Policy": "{\"Version\":\"2012-10-17\",\"Id\":\"caf\u00e9\",\n\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"arn:aws:s3:::b/*\"}]}"}"#;
    let Loaded::Policy(file) = load("bucket.json", text) else { panic!("not loaded") };
    let doc = &file.documents[0];
    let st = &doc.statements[0];
    assert_eq!(&text[st.action.as_ref().unwrap().values[0].span.clone()], r#"\"s3:GetObject\""#);
    assert_eq!(&text[st.resource.as_ref().unwrap().values[0].span.clone()], r#"\"arn:aws:s3:::b/*\""#);
    assert_eq!(&text[doc.id.as_ref().unwrap().span.clone()], r#"\"caf\u00e9\""#);
    assert_eq!(doc.id.as_ref().unwrap().value, "caf\u{e9}");
}

#[test]
fn a_broken_document_string_is_reported_where_it_is_written() {
    let text = r#"{"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:*\",\"Resource\":\"*\",}]}"}"#;
    let Loaded::Policy(file) = load("bucket.json", text) else { panic!("not loaded") };
    let comma: Vec<_> = file.syntax.iter().map(|p| (p.message.as_str(), &text[p.span.clone()])).collect();
    assert_eq!(comma, vec![("trailing comma", ",")]);
    // A string that is not a policy at all is reported, not passed over.
    let Loaded::Policy(file) = load("bucket.json", r#"{"Policy": "none"}"#) else { panic!("not loaded") };
    assert!(file.documents.is_empty());
    assert_eq!(file.syntax[0].message, "a policy document string that is not policy JSON");
}

#[test]
fn account_dumps_are_read_by_the_dump_adapter() {
    for file in ["get-account-authorization-details.json", "get-account-authorization-details-pages.json"] {
        let path = Path::new(DIR).join(file);
        let text = fs::read_to_string(&path).unwrap();
        let adapter = iamlint::formats::detect(&path, &text).unwrap();
        assert_eq!(adapter.name, "account authorization dump", "{file}");
        match lint(&path, text.into_bytes(), None) {
            FileOutcome::Linted(_) => {}
            other => panic!("{file}: an account dump is linted, got {other:?}"),
        }
    }
}

#[test]
fn responses_without_a_document_are_passed_over_with_the_reason() {
    let path = Path::new(DIR).join("get-policy.json");
    match lint(&path, fs::read(&path).unwrap(), None) {
        FileOutcome::Skipped(reason) => assert!(reason.contains("get-policy-version"), "{reason}"),
        other => panic!("expected a skip, got {other:?}"),
    }
    // A plain policy is still the JSON adapter's, even with a `Policy`-like key inside.
    let Loaded::Policy(file) = load(
        "p.json",
        r#"{"Version": "2012-10-17", "Statement": {"Sid": "Policy", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}}"#,
    ) else {
        panic!("not loaded")
    };
    assert_eq!(file.documents[0].locator, "");
}

#[test]
fn organizations_policies_are_scps_or_rcps_by_type() {
    let scp = r#"{"Policy": {"PolicySummary": {"Id": "p-abcd1234", "Name": "deny-leave", "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": false}, "Content": "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"organizations:LeaveOrganization\",\"Resource\":\"*\"}]}"}}"#;
    let Loaded::Policy(file) = load("scp.json", scp) else { panic!("not loaded") };
    assert_eq!(file.documents[0].kind, PolicyKind::ServiceControl);
    assert_eq!(file.documents[0].locator, "Policy.Content");
    let tag = scp.replace("SERVICE_CONTROL_POLICY", "TAG_POLICY");
    assert!(matches!(load("tag.json", &tag), Loaded::NotPolicy(_)));
}

/// Wrapping a policy in CLI output (as an object, a JSON string, a URL-encoded string)
/// changes nothing a rule sees: the same rule ids fire as on the raw file.
#[test]
fn rules_fire_the_same_on_a_policy_inside_cli_output() {
    let mut compared = 0;
    for path in common::inferred_fail_fixtures() {
        let Ok(raw) = fs::read_to_string(&path) else { continue };
        let Loaded::Policy(file) = load("raw.json", &raw) else { continue };
        // Broken files, arrays of policies and bare statements are not what AWS returns.
        if !file.syntax.is_empty() || file.documents.len() != 1 || file.documents[0].bare_statement {
            continue;
        }
        let expected = rule_ids(Path::new("raw.json"), raw.clone().into_bytes(), None);
        // The policy's text is kept byte for byte inside each wrapping (what it escapes,
        // how it is laid out), so what AWS would count and store is the same.
        let as_string = serde_json::to_string(&raw).unwrap();
        let wrappings = [
            (
                "object",
                format!(
                    "{{\n    \"PolicyVersion\": {{\n        \"Document\": {raw},\n        \"VersionId\": \"v1\"\n    }}\n}}\n"
                ),
            ),
            ("string", format!("{{\"PolicyVersion\": {{\"Document\": {as_string}, \"VersionId\": \"v1\"}}}}")),
            ("url-encoded", format!("{{\"PolicyVersion\": {{\"Document\": \"{}\"}}}}", url_encode(&raw))),
        ];
        for (how, text) in wrappings {
            let got = rule_ids(Path::new("cli.json"), text.into_bytes(), None);
            assert_eq!(got, expected, "{} wrapped as {how}", path.display());
        }
        compared += 1;
    }
    assert!(compared > 50, "only {compared} fixtures compared");
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

mod robustness {
    use super::*;
    use proptest::prelude::*;

    const SEEDS: [&str; 3] = [
        r#"{"Policy": "{\"Version\":\"2012-10-17\",\"Id\":\"caf\u00e9 \ud83d\ude00\",\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}", "RevisionId": "x"}"#,
        r#"{"PolicyVersion": {"Document": "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"}}"#,
        r#"[{"RoleDetailList": [{"RoleName": "r", "AssumeRolePolicyDocument": "%7B%7D"}]}, {"Role": {"AssumeRolePolicyDocument": {}}}]"#,
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Mutated responses (broken escapes, half percent-escapes, cut strings) never panic.
        #[test]
        fn mutated_responses_never_panic(seed in 0usize..3, cuts in proptest::collection::vec((0usize..400, 0usize..6, any::<u8>()), 1..6)) {
            let mut bytes = SEEDS[seed].as_bytes().to_vec();
            for (at, len, byte) in cuts {
                let at = at.min(bytes.len());
                let end = (at + len).min(bytes.len());
                bytes.splice(at..end, [byte]);
            }
            let _ = lint(Path::new("response.json"), bytes, None);
        }
    }
}
