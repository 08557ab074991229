//! Account authorization dumps (`fixtures/formats/authz/`): principals and the documents
//! they hold, locators and spans (objects and URL-encoded strings, one object or pages),
//! escalations that exist only across a principal's policies and the controls that remove
//! them (one piece alone, a boundary, an SCP), target-aware escalation (a passable admin
//! role, an assume-role chain through two trust policies, targets that are not more
//! privileged), what a dump lacks, and mutated dumps that must not panic.

use iamlint::catalogue::Catalogue;
use iamlint::config::Settings;
use iamlint::diagnostic::{Finding, Severity};
use iamlint::formats::{self, LoadOptions, Loaded, LoadedFile};
use iamlint::lint::{FileOutcome, LintOptions, lint_bytes, load_ceiling};
use iamlint::policy::PolicyKind;
use iamlint::rules::{self, RULES};
use iamlint::source::SourceFile;
use proptest::prelude::*;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const DIR: &str = "fixtures/formats/authz";

fn text(name: &str) -> String {
    fs::read_to_string(Path::new(DIR).join(name)).unwrap()
}

fn loaded(name: &str) -> LoadedFile {
    let source = Arc::new(SourceFile::new(Path::new(DIR).join(name), text(name)));
    match formats::load(source, &LoadOptions { kind: None, explicit: true, tree: None }) {
        Loaded::Policy(file) => file,
        other => panic!("{name}: {other:?}"),
    }
}

fn lint_with(name: &str, rules: Vec<&'static rules::Rule>, scps: &[&str]) -> Vec<Finding> {
    let scps: Vec<_> = scps
        .iter()
        .flat_map(|s| load_ceiling(&Path::new(DIR).join(s), PolicyKind::ServiceControl, Catalogue::bundled()).unwrap())
        .collect();
    let options = LintOptions { rules, kind: None, settings: Settings::default(), scps: scps.into() };
    let path = Path::new(DIR).join(name);
    match lint_bytes(&path, fs::read(&path).unwrap(), true, &options, Catalogue::bundled()) {
        FileOutcome::Linted(findings) => findings,
        other => panic!("{name}: {other:?}"),
    }
}

fn escalations(name: &str, scps: &[&str]) -> Vec<Finding> {
    lint_with(name, vec![rules::find("privilege-escalation").unwrap()], scps)
}

fn principal_of(f: &Finding) -> Option<String> {
    f.principal.as_ref().map(|p| format!("{}/{}", p.kind, p.name))
}

#[test]
fn every_principal_holds_its_policies_and_its_groups() {
    let file = loaded("corpus-dump.json");
    assert!(file.whole_account);
    let find = |name: &str| file.principals.iter().find(|p| p.principal.name == name).unwrap();
    let locators = |list: &[usize]| list.iter().map(|&i| file.documents[i].locator.clone()).collect::<Vec<_>>();
    // bob: his inline policy, then each group's inline and attached policies.
    let bob = find("bob");
    assert_eq!(bob.principal.arn, "arn:aws:iam::123456789012:user/bob");
    assert_eq!(
        locators(&bob.documents),
        [
            "UserDetailList[1](bob).UserPolicyList[0](temp-debug).PolicyDocument",
            "GroupDetailList[0](developers).GroupPolicyList[0](dev-logs).PolicyDocument",
            "Policies[0](DeveloperAccess).PolicyVersionList[0](v2).Document",
            "GroupDetailList[1](ops).GroupPolicyList[0](require-mfa).PolicyDocument",
            "GroupDetailList[1](ops).AttachedManagedPolicies[0](AdministratorAccess)[AWS managed AdministratorAccess v1 of 2026-08-26]",
        ]
    );
    // ci-bot: inline + attached, under its boundary; the boundary is a boundary document.
    let ci = find("ci-bot");
    assert_eq!(
        locators(&ci.documents),
        [
            "UserDetailList[2](ci-bot).UserPolicyList[0](lambda-deploy).PolicyDocument",
            "Policies[3](DeployPolicy).PolicyVersionList[0](v1).Document"
        ]
    );
    assert_eq!(locators(&ci.ceilings), ["Policies[2](CiBoundary).PolicyVersionList[0](v1).Document"]);
    assert_eq!(file.documents[ci.ceilings[0]].kind, PolicyKind::Boundary);
    // A role's trust policy is its trust, checked as a trust policy; the copy inside its
    // instance profile is not read again; a managed policy is read at its default version only.
    let app = find("app-server");
    assert_eq!(file.documents[app.trust.unwrap()].kind, PolicyKind::Trust);
    assert!(file.documents.iter().all(|d| !d.locator.contains("InstanceProfileList")));
    assert!(file.documents.iter().all(|d| !d.locator.contains("DeveloperAccess).PolicyVersionList[1]")));
    // A managed policy held by two principals is one document.
    let deploy = find("github-deploy");
    assert!(deploy.documents.contains(&ci.documents[1]));
    assert_eq!(file.principals.len(), 2 + 3 + 4);
    assert!(file.gaps.is_empty(), "{:?}", file.gaps);
}

/// The text under each span is the value it stands for, in an object dump and in a
/// paginated dump of URL-encoded strings.
#[test]
fn spans_land_on_the_values_in_the_dump() {
    for (name, encoded) in [("corpus-dump.json", false), ("corpus-dump-pages.json", true)] {
        let file = loaded(name);
        // 14 of the dump's own (inline, trust, default versions) and 3 AWS managed policies
        // from the snapshot.
        assert_eq!(file.documents.len(), 17, "{name}");
        let mut checked = 0;
        for doc in &file.documents {
            if doc.locator.contains("AWS managed") {
                // Snapshot documents are underlined at the attachment's PolicyArn.
                let under = &file.source.text[doc.statements[0].span.clone()];
                assert!(under.starts_with("\"arn:aws:iam::aws:policy/"), "{under}");
                continue;
            }
            for st in &doc.statements {
                for v in st.action.iter().chain(&st.resource).flat_map(|l| &l.values) {
                    let under = &file.source.text[v.span.clone()];
                    if encoded {
                        let decoded = url_decode(under);
                        assert_eq!(decoded, format!("\"{}\"", v.value), "{name} {}", doc.locator);
                    } else {
                        assert_eq!(under, format!("\"{}\"", v.value), "{name} {}", doc.locator);
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 40, "{name}: {checked}");
    }
}

fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 3 <= bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn a_paginated_dump_reads_as_the_whole_one() {
    let messages = |name: &str| {
        let mut m: Vec<(String, String, Option<String>)> = lint_with(name, RULES.to_vec(), &[])
            .iter()
            .map(|f| (f.rule.id.to_string(), f.message.clone(), principal_of(f)))
            .collect();
        m.sort();
        m
    };
    let whole = messages("corpus-dump.json");
    assert!(whole.len() > 10, "{whole:?}");
    assert_eq!(messages("corpus-dump-pages.json"), whole);
}

#[test]
fn the_corpus_dump_reports_each_document_once_and_trusts_with_the_trust_rules() {
    let found = lint_with("corpus-dump.json", RULES.to_vec(), &[]);
    let rules: Vec<&str> = found.iter().map(|f| f.rule.id).collect();
    for rule in ["full-admin", "oidc-trust-without-subject", "cross-account-without-external-id", "service-wildcard"] {
        assert!(rules.contains(&rule), "{rule}: {rules:?}");
    }
    // The instance profile's copy of app-server's trust policy is not reported twice, nor
    // the non-default version of DeveloperAccess.
    assert!(found.iter().all(|f| !f.locator.contains("InstanceProfileList")));
    assert!(found.iter().all(|f| !f.locator.contains("PolicyVersionList[1]")));
    // ci-bot's boundary does not allow Lambda: the Lambda path of its inline policy is gone.
    assert!(found.iter().all(|f| !f.message.contains("lambda-00")), "{rules:?}");
    // DeployPolicy is held by two principals: each gets its escalation, naming whom it reaches.
    let deploy: Vec<Option<String>> =
        found.iter().filter(|f| f.rule.id == "privilege-escalation").map(principal_of).collect();
    assert_eq!(deploy, [Some("role/github-deploy".to_string()), Some("user/ci-bot".to_string())]);
}

#[test]
fn escalations_split_over_one_principals_policies_are_found() {
    // Two attached managed policies of one role; inline + managed of a user; a group's
    // policy completing a user's inline policy.
    for (name, who, id) in [
        ("two-attached.json", "role/builder", "ec2-001"),
        ("inline-managed.json", "user/dev", "lambda-001"),
        ("group.json", "user/carol", "ec2-001"),
    ] {
        let found = escalations(name, &[]);
        assert_eq!(found.len(), 1, "{name}: {found:?}");
        assert_eq!(principal_of(&found[0]).as_deref(), Some(who), "{name}");
        assert!(found[0].message.contains(id), "{name}: {}", found[0].message);
        // Labels point into each policy that contributes.
        let f = &found[0];
        let labelled: Vec<&str> = std::iter::once(&f.span)
            .chain(f.labels.iter().map(|l| &l.span))
            .map(|s| &f.source.text[s.clone()])
            .collect();
        assert!(labelled.iter().any(|t| t.contains("iam:PassRole")), "{name}: {labelled:?}");
        assert!(
            labelled.iter().any(|t| t.contains("ec2:RunInstances") || t.contains("lambda:")),
            "{name}: {labelled:?}"
        );
    }
}

#[test]
fn a_groups_findings_are_reported_once_on_the_group() {
    // deployers' two policies escalate together (ec2-001); ann holds nothing else, bob
    // adds lambda:CreateFunction and InvokeFunction (lambda-001 with the group's PassRole).
    let found = escalations("group-members.json", &[]);
    let who: Vec<Option<String>> = found.iter().map(principal_of).collect();
    assert_eq!(who, [Some("group/deployers".to_string()), Some("user/bob".to_string())], "{found:#?}");
    assert!(found[1].message.contains("lambda-001"), "{}", found[1].message);
    // The report places the group's findings on the group alone: ann, who adds nothing,
    // has none of her own.
    let o = Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args(["check", &format!("{DIR}/group-members.json"), "--format", "markdown", "--isolated"])
        .args(["--select", "privilege-escalation,passrole-unscoped"])
        .output()
        .unwrap();
    let md = String::from_utf8(o.stdout).unwrap();
    assert_eq!(md.matches("#### high `passrole-unscoped`").count(), 1, "{md}");
    assert_eq!(md.matches("#### critical `privilege-escalation`").count(), 2, "{md}");
    assert!(!md.contains("<summary><b>user ann</b>"), "{md}");
    assert!(md.contains("Without findings: user ann, role ops\\-admin."), "{md}");
    assert!(md.contains("(identity, grants through a group)"), "{md}");
}

#[test]
fn one_piece_a_boundary_or_an_scp_removes_the_path() {
    assert!(escalations("one-piece.json", &[]).is_empty());
    assert!(escalations("boundary.json", &[]).is_empty());
    // An SCP that denies iam:PassRole, and one that allows a list without it.
    for scp in ["deny-passrole.scp.json", "allow-ec2-only.scp.json"] {
        for dump in ["two-attached.json", "group.json"] {
            assert!(escalations(dump, &[scp]).is_empty(), "{dump} under {scp}");
        }
    }
    // Without the SCP the same files escalate (the controls can fail).
    assert_eq!(escalations("two-attached.json", &[]).len(), 1);
}

#[test]
fn a_passable_admin_role_is_named_and_critical() {
    let found = escalations("two-attached.json", &[]);
    let f = &found[0];
    assert_eq!(f.severity, Severity::Critical);
    assert!(f.message.starts_with("role/builder: "), "{}", f.message);
    assert!(f.message.contains("role/ops-admin (full admin)"), "{}", f.message);
    assert_eq!(f.chains.len(), 1);
    let step = &f.chains[0].steps[0];
    assert_eq!(
        (step.from.as_str(), step.action.as_str(), step.to.as_str(), step.to_admin),
        ("arn:aws:iam::123456789012:role/builder", "iam:PassRole", "arn:aws:iam::123456789012:role/ops-admin", true)
    );
}

#[test]
fn role_assumption_follows_trust_policies_through_two_roles() {
    let found = escalations("assume-chain.json", &[]);
    let dev = found.iter().find(|f| principal_of(f).as_deref() == Some("user/dev")).unwrap();
    assert_eq!(dev.severity, Severity::Critical);
    assert!(dev.message.contains("role/top (full admin)"), "{}", dev.message);
    // `untrusting` is an admin role dev's grant names (`role/*` is not used here, but its
    // trust admits only EC2): never reached.
    assert!(!dev.message.contains("untrusting"), "{}", dev.message);
    let to_top = dev.chains.iter().find(|c| c.steps.last().unwrap().to.ends_with("role/top")).unwrap();
    let hops: Vec<(&str, &str)> = to_top.steps.iter().map(|s| (s.from.as_str(), s.to.as_str())).collect();
    assert_eq!(
        hops,
        [
            ("arn:aws:iam::123456789012:user/dev", "arn:aws:iam::123456789012:role/hop"),
            ("arn:aws:iam::123456789012:role/hop", "arn:aws:iam::123456789012:role/top")
        ]
    );
    assert!(to_top.steps[1].to_admin && !to_top.steps[0].to_admin);
}

#[test]
fn targets_that_are_not_more_privileged_make_it_low() {
    // dev may assume `role/*`, but only `reader` trusts it, and reader reads S3.
    let found = escalations("assume-reader.json", &[]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].severity, Severity::Low);
    assert!(found[0].message.contains("reaches role/reader, none more privileged"), "{}", found[0].message);
    assert!(!found[0].message.contains("role/admin"), "{}", found[0].message);
    // A passable role that only reads S3.
    let found = escalations("inline-managed.json", &[]);
    assert_eq!(found[0].severity, Severity::Low, "{}", found[0].message);
    assert!(found[0].message.contains("role/app-worker"), "{}", found[0].message);
}

#[test]
fn what_a_dump_lacks_is_reported_and_fails_the_run() {
    let dump = r#"{"UserDetailList": [{"UserName": "u", "Arn": "arn:aws:iam::123456789012:user/u",
        "UserPolicyList": [], "GroupList": ["missing-group"],
        "AttachedManagedPolicies": [{"PolicyName": "Gone", "PolicyArn": "arn:aws:iam::123456789012:policy/Gone"},
                                    {"PolicyName": "NoSuch", "PolicyArn": "arn:aws:iam::aws:policy/NoSuchPolicyXyz"},
                                    {"PolicyName": "ReadOnlyAccess", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}]}],
        "GroupDetailList": [], "RoleDetailList": [], "Policies": []}"#;
    let source = Arc::new(SourceFile::new("gaps.json", dump.to_string()));
    let Loaded::Policy(file) = formats::load(source, &LoadOptions { kind: None, explicit: true, tree: None }) else {
        panic!()
    };
    let under: Vec<&str> = file.gaps.iter().map(|g| &dump[g.span.clone()]).collect();
    assert_eq!(
        under,
        [
            "\"arn:aws:iam::123456789012:policy/Gone\"",
            "\"arn:aws:iam::aws:policy/NoSuchPolicyXyz\"",
            "\"missing-group\""
        ]
    );
    // ReadOnlyAccess came from the snapshot.
    assert_eq!(file.documents.len(), 1);
    assert!(file.documents[0].locator.contains("AWS managed ReadOnlyAccess"), "{}", file.documents[0].locator);
    let dir = std::env::temp_dir().join(format!("iamlint-gaps-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("gaps.json"), dump).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args(["check", "--isolated", "--fail-on", "none", "--format", "concise"])
        .arg(dir.join("gaps.json"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{stdout}");
    assert_eq!(stdout.matches("incomplete-analysis:").count(), 3, "{stdout}");
    assert!(stdout.contains("3 incomplete-analysis findings fail the run whatever --fail-on says"), "{stdout}");
    fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_binary_takes_scps_and_reports_chains_in_json() {
    let run = |extra: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_iamlint"))
            .args(["check", "--isolated", "--format", "json", "--select", "privilege-escalation"])
            .arg(Path::new(DIR).join("two-attached.json"))
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let json = run(&[]);
    let f = &json["findings"][0];
    assert_eq!(f["principal"]["arn"], "arn:aws:iam::123456789012:role/builder");
    assert_eq!(f["chains"][0]["steps"][0]["action"], "iam:PassRole");
    let scp = Path::new(DIR).join("deny-passrole.scp.json");
    let json = run(&["--scp", scp.to_str().unwrap()]);
    assert_eq!(json["findings"].as_array().unwrap().len(), 0, "{json}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Mutated dumps (bytes cut, replaced, inserted anywhere) never panic.
    #[test]
    fn mutated_dumps_never_panic(cuts in proptest::collection::vec((0usize..20_000, 0usize..12, any::<u8>()), 1..8),
                                 which in 0usize..4) {
        let name = ["corpus-dump.json", "corpus-dump-pages.json", "assume-chain.json", "group.json"][which];
        let mut bytes = text(name).into_bytes();
        for (at, len, byte) in cuts {
            let at = at % (bytes.len() + 1);
            let end = (at + len).min(bytes.len());
            bytes.splice(at..end, [byte]);
        }
        let options = LintOptions { rules: RULES.to_vec(), kind: None, settings: Settings::default(), scps: Default::default() };
        let _ = lint_bytes(Path::new("dump.json"), bytes, true, &options, Catalogue::bundled());
    }

    /// Dumps of random shape (principals naming each other, policies, groups and
    /// boundaries that may or may not exist) never panic.
    #[test]
    fn random_dumps_never_panic(roles in proptest::collection::vec((0usize..4, 0usize..4, any::<bool>()), 0..6),
                                users in proptest::collection::vec((0usize..4, 0usize..3), 0..4)) {
        let name = |i: usize| format!("arn:aws:iam::123456789012:role/r{i}");
        let policy = |i: usize| format!("arn:aws:iam::123456789012:policy/p{i}");
        let docs = [
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::*:role/*"}]}"#,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
            r#""%7B%22Statement%22%3A%5B%5D%7D""#,
        ];
        let role_json: Vec<String> = roles.iter().enumerate().map(|(i, (trust, p, boundary))| {
            let trust = format!(r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"{}"}},"Action":"sts:AssumeRole"}}]}}"#, name(*trust));
            let boundary = if *boundary { format!(r#","PermissionsBoundary":{{"PermissionsBoundaryArn":"{}"}}"#, policy(*p)) } else { String::new() };
            format!(r#"{{"RoleName":"r{i}","Arn":"{}","AssumeRolePolicyDocument":{trust},"RolePolicyList":[{{"PolicyName":"x","PolicyDocument":{}}}],"AttachedManagedPolicies":[{{"PolicyArn":"{}"}}]{boundary}}}"#, name(i), docs[*p], policy(*p))
        }).collect();
        let user_json: Vec<String> = users.iter().enumerate().map(|(i, (p, g))| {
            format!(r#"{{"UserName":"u{i}","Arn":"arn:aws:iam::123456789012:user/u{i}","GroupList":["g{g}"],"AttachedManagedPolicies":[{{"PolicyArn":"{}"}}]}}"#, policy(*p))
        }).collect();
        let policies: Vec<String> = (0..2).map(|i| format!(r#"{{"PolicyName":"p{i}","Arn":"{}","DefaultVersionId":"v1","PolicyVersionList":[{{"VersionId":"v1","IsDefaultVersion":true,"Document":{}}}]}}"#, policy(i), docs[i])).collect();
        let dump = format!(r#"{{"UserDetailList":[{}],"GroupDetailList":[{{"GroupName":"g0","AttachedManagedPolicies":[{{"PolicyArn":"{}"}}]}}],"RoleDetailList":[{}],"Policies":[{}]}}"#,
            user_json.join(","), policy(1), role_json.join(","), policies.join(","));
        let options = LintOptions { rules: RULES.to_vec(), kind: None, settings: Settings::default(), scps: Default::default() };
        let outcome = lint_bytes(Path::new("dump.json"), dump.into_bytes(), true, &options, Catalogue::bundled());
        prop_assert!(matches!(outcome, FileOutcome::Linted(_)));
    }
}
