//! The Terraform HCL and plan JSON adapters on realistic module layouts
//! (`fixtures/formats/terraform/`, `fixtures/formats/plan/`): documents, locators, kinds,
//! the text under each span, principals, and the rules that fire. Also: every rule's fail
//! fixtures fire the same rules when wrapped in Terraform (heredoc, `jsonencode`) and in
//! plan JSON, and neither parser panics or hangs on arbitrary input.

mod common;

use iamlint::catalogue::Catalogue;
use iamlint::config::Settings;
use iamlint::diagnostic::Finding;
use iamlint::formats::{self, LoadOptions, Loaded, LoadedFile};
use iamlint::lint::{FileOutcome, LintOptions, lint_bytes, lint_path};
use iamlint::policy::PolicyKind;
use iamlint::rules::RULES;
use iamlint::source::{SourceFile, Span};
use proptest::prelude::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

const TF: &str = "fixtures/formats/terraform";

fn load(path: &str) -> LoadedFile {
    let text = std::fs::read_to_string(path).unwrap();
    let source = Arc::new(SourceFile::new(path, text));
    match formats::load(source, &LoadOptions { kind: None, explicit: true, tree: None }) {
        Loaded::Policy(f) => f,
        Loaded::NotPolicy(why) => panic!("{path}: not a policy: {why}"),
    }
}

fn under<'f>(f: &'f LoadedFile, span: &Span) -> &'f str {
    f.source.slice(span)
}

fn options() -> LintOptions {
    LintOptions { rules: RULES.to_vec(), kind: None, settings: Settings::default(), scps: Default::default() }
}

fn lint(path: &str) -> Vec<Finding> {
    match lint_path(Path::new(path), true, &options(), Catalogue::bundled()) {
        FileOutcome::Linted(findings) => findings,
        other => panic!("{path}: {other:?}"),
    }
}

fn rule_ids(findings: &[Finding]) -> BTreeSet<&'static str> {
    findings.iter().map(|f| f.rule.id).collect()
}

fn doc<'f>(f: &'f LoadedFile, locator: &str) -> &'f iamlint::policy::PolicyDocument {
    f.documents.iter().find(|d| d.locator == locator).unwrap_or_else(|| {
        panic!("no document {locator}: {:?}", f.documents.iter().map(|d| &d.locator).collect::<Vec<_>>())
    })
}

#[test]
fn a_ci_module_reads_every_way_a_policy_is_written() {
    let path = format!("{TF}/ci-module/main.tf");
    let f = load(&path);
    assert!(f.syntax.is_empty(), "{:?}", f.syntax);
    let locators: Vec<(&str, PolicyKind)> = f.documents.iter().map(|d| (d.locator.as_str(), d.kind)).collect();
    assert_eq!(
        locators,
        [
            ("data.aws_iam_policy_document.github_trust", PolicyKind::Trust),
            ("data.aws_iam_policy_document.launch", PolicyKind::Identity),
            ("aws_iam_policy.pass_instance_role", PolicyKind::Identity),
            ("aws_iam_role_policy.logs", PolicyKind::Identity),
        ]
    );

    // The data source: statement locators follow the HCL blocks; the provider's defaults
    // (Version, Effect) are filled in; `&{aws:username}` is the policy variable; a
    // variable's default (variables.tf, a sibling file) is substituted, spanned on the use.
    let trust = doc(&f, "data.aws_iam_policy_document.github_trust");
    let st = &trust.statements[0];
    assert_eq!(st.locator, "data.aws_iam_policy_document.github_trust.statement[0]");
    assert_eq!(under(&f, &st.action.as_ref().unwrap().values[0].span), "\"sts:AssumeRoleWithWebIdentity\"");
    let sub = st.condition.as_ref().unwrap().operators.iter().find(|o| o.name.value == "StringLike").unwrap();
    assert_eq!(sub.entries[0].values[0].value, "repo:acme/platform:*");
    assert_eq!(under(&f, &sub.entries[0].values[0].span), "\"repo:${var.github_repository}:*\"");
    let federated = match &st.principal.as_ref().unwrap().principal {
        iamlint::policy::Principal::Map(entries) => &entries[0],
        other => panic!("principal map expected: {other:?}"),
    };
    assert_eq!(federated.kind.value, "Federated");
    // An account id read from a data source is unknown until deployment.
    assert!(federated.values[0].value.contains("${data.aws_caller_identity.current.account_id}"));
    assert_eq!(trust.unresolved.len(), 1);

    let launch = doc(&f, "data.aws_iam_policy_document.launch");
    assert_eq!(launch.statements[1].locator, "data.aws_iam_policy_document.launch.statement[1]");
    assert!(launch.statements.iter().all(|s| s.is_allow()));
    let publish = &launch.statements[1].resource.as_ref().unwrap().values[0];
    assert_eq!(publish.value, "arn:aws:s3:::acme-ci-artifacts/builds/${aws:username}/*");

    // jsonencode: spans on the HCL.
    let pass = doc(&f, "aws_iam_policy.pass_instance_role");
    assert_eq!(pass.statements[0].locator, "aws_iam_policy.pass_instance_role.Statement[0]");
    assert_eq!(under(&f, &pass.statements[0].sid.as_ref().unwrap().span), "\"PassRoles\"");
    assert_eq!(under(&f, &pass.statements[0].resource.as_ref().unwrap().values[0].span), "\"*\"");

    // file(): the JSON file's values underline the call.
    let logs = doc(&f, "aws_iam_role_policy.logs");
    let value = &logs.statements[0].action.as_ref().unwrap().values[0];
    assert_eq!(value.value, "logs:CreateLogStream");
    assert_eq!(under(&f, &value.span), "file(\"${path.module}/policies/logs.json\")");

    // One principal: the role, its trust policy and its three policies.
    assert_eq!(f.principals.len(), 1);
    let role = &f.principals[0];
    assert_eq!(role.principal.kind, "role");
    assert_eq!(role.principal.name, "ci-deployer-${var.environment}");
    assert_eq!(role.principal.locator, "aws_iam_role.deployer");
    let index = |l: &str| f.documents.iter().position(|d| d.locator == l).unwrap();
    let mut expected = vec![
        index("aws_iam_policy.pass_instance_role"),
        index("data.aws_iam_policy_document.launch"),
        index("aws_iam_role_policy.logs"),
    ];
    expected.sort();
    assert_eq!(role.documents, expected);
    assert_eq!(role.trust, Some(index("data.aws_iam_policy_document.github_trust")));
}

#[test]
fn an_escalation_split_across_a_roles_policies_is_found_with_its_principal() {
    let findings = lint(&format!("{TF}/ci-module/main.tf"));
    let escalation: Vec<&Finding> = findings.iter().filter(|f| f.rule.id == "privilege-escalation").collect();
    assert_eq!(escalation.len(), 1, "{escalation:#?}");
    let principal = escalation[0].principal.as_ref().expect("found on the role, not on one policy");
    assert_eq!(principal.locator, "aws_iam_role.deployer");
    assert!(escalation[0].message.contains("ec2-001"), "{}", escalation[0].message);
    assert!(rule_ids(&findings).contains("passrole-unscoped"));
}

#[test]
fn the_same_policies_attached_to_different_roles_are_not_an_escalation() {
    let f = load(&format!("{TF}/split-roles/main.tf"));
    // Each role is a principal (the reports list it), with one policy: nothing to judge
    // together.
    assert_eq!(f.principals.len(), 2, "{:#?}", f.principals);
    assert!(f.principals.iter().all(|p| p.documents.len() == 1 && p.ceilings.is_empty()), "{:#?}", f.principals);
    let trusts: Vec<PolicyKind> =
        f.documents.iter().filter(|d| d.locator.ends_with("assume_role_policy")).map(|d| d.kind).collect();
    assert_eq!(trusts, [PolicyKind::Trust, PolicyKind::Trust]);
    let findings = lint(&format!("{TF}/split-roles/main.tf"));
    assert!(!rule_ids(&findings).contains("privilege-escalation"), "{findings:#?}");
    assert!(rule_ids(&findings).contains("passrole-unscoped"));
}

#[test]
fn resource_policies_in_heredocs_keep_exact_offsets() {
    let path = format!("{TF}/resource-policies/main.tf");
    let f = load(&path);
    assert!(f.syntax.is_empty(), "{:?}", f.syntax);
    let kinds: Vec<(&str, PolicyKind)> = f.documents.iter().map(|d| (d.locator.as_str(), d.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("data.aws_iam_policy_document.key", PolicyKind::Resource),
            ("aws_s3_bucket_policy.logs", PolicyKind::Resource),
            ("aws_sqs_queue_policy.events", PolicyKind::Resource),
        ]
    );
    let bucket = doc(&f, "aws_s3_bucket_policy.logs");
    let resource = &bucket.statements[0].resource.as_ref().unwrap().values[0];
    assert_eq!(resource.value, "${aws_s3_bucket.logs.arn}/AWSLogs/*");
    assert_eq!(under(&f, &resource.span), "\"${aws_s3_bucket.logs.arn}/AWSLogs/*\"");
    let part = &bucket.unresolved[0].parts[0];
    assert_eq!(part.stands_for, Some(("aws_s3_bucket".into(), "arn".into())));
    // A whole reference: unresolved, knowing what it stands for.
    let queue = doc(&f, "aws_sqs_queue_policy.events");
    let arn = &queue.statements[0].resource.as_ref().unwrap().values[0];
    assert_eq!((arn.value.as_str(), under(&f, &arn.span)), ("${aws_sqs_queue.events.arn}", "aws_sqs_queue.events.arn"));
    // The provider's `"*"` for a lone AWS principal of ["*"] is not at play here; the key
    // policy names the account.
    let findings = lint(&path);
    let public: Vec<&Finding> = findings.iter().filter(|f| f.rule.id == "public-principal").collect();
    assert_eq!(public.len(), 1);
    assert_eq!(public[0].locator, "aws_s3_bucket_policy.logs.Statement[1]");
    assert_eq!(f.source.slice(&public[0].span), "\"*\"");
}

#[test]
fn organizations_policies_are_scps_or_rcps_by_type_and_other_types_are_not_read() {
    let f = load(&format!("{TF}/organizations/main.tf"));
    let kinds: Vec<(&str, PolicyKind)> = f.documents.iter().map(|d| (d.locator.as_str(), d.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("aws_organizations_policy.deny_leaving", PolicyKind::ServiceControl),
            ("aws_organizations_policy.data_perimeter", PolicyKind::ResourceControl),
        ]
    );
    assert!(f.documents.iter().all(|d| d.problems.is_empty()), "{:?}", f.documents[1].problems);
}

#[test]
fn a_syntax_error_is_one_finding_with_its_span() {
    let findings = lint(&format!("{TF}/broken/main.tf"));
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0].rule.id, "malformed-json");
    assert!(findings[0].message.starts_with("Terraform syntax error"));
    assert_eq!(findings[0].range().0, (5, 62));
}

#[test]
fn policies_iamlint_cannot_read_are_findings_not_skips() {
    let f = load(&format!("{TF}/unreadable/main.tf"));
    let problems: Vec<(&str, &str)> =
        f.documents.iter().map(|d| (d.problems[0].message.as_str(), under(&f, &d.problems[0].span))).collect();
    assert_eq!(
        problems,
        [
            ("policy is `var.policy_json`, unknown until deployment", "var.policy_json"),
            (
                "policy file `../../secrets/policy.json` is outside this module's directory, which iamlint does not read",
                "file(\"../../secrets/policy.json\")"
            ),
        ]
    );
    let findings = lint(&format!("{TF}/unreadable/main.tf"));
    assert_eq!(rule_ids(&findings), BTreeSet::from(["malformed-policy"]));
}

#[test]
fn dynamic_statements_are_analysed_with_their_values_unresolved() {
    let f = load(&format!("{TF}/dynamic-statements/main.tf"));
    let d = doc(&f, "data.aws_iam_policy_document.this");
    assert_eq!(d.statements.len(), 2);
    let actions = &d.statements[1].action.as_ref().unwrap().values[0];
    assert_eq!(actions.value, "${statement.value.actions}");
    assert_eq!(d.statements[1].locator, "data.aws_iam_policy_document.this.statement[1]");
}

#[test]
fn a_directory_without_policies_is_passed_over() {
    let source = Arc::new(SourceFile::new("versions.tf", "terraform {\n  required_version = \">= 1.5\"\n}\n".into()));
    assert!(matches!(formats::load(source, &LoadOptions::default()), Loaded::NotPolicy(_)));
}

// ---------------------------------------------------------------------------------------
// A module split across files (main.tf / iam.tf / policies.tf / variables.tf)

const SPLIT: &str = "fixtures/formats/terraform/split-module";

/// The role in iam.tf is one principal with the policy attached from policies.tf and its
/// trust policy, a data source of policies.tf: resolved across the module's files.
#[test]
fn references_and_attachments_resolve_across_a_modules_files() {
    let f = load(&format!("{SPLIT}/iam.tf"));
    assert_eq!(f.principals.len(), 1, "{:?}", f.principals);
    let role = &f.principals[0];
    assert_eq!(
        (role.principal.name.as_str(), role.principal.locator.as_str()),
        ("ci-deployer-prod", "aws_iam_role.deployer")
    );
    let held: Vec<&str> = role.documents.iter().map(|&i| f.documents[i].locator.as_str()).collect();
    assert_eq!(held, ["data.aws_iam_policy_document.publish", "aws_iam_role_policy.runners"]);
    assert_eq!(role.trust.map(|i| f.documents[i].locator.as_str()), Some("data.aws_iam_policy_document.github_trust"));
    // The documents of policies.tf are read with spans past this file's text, in its context.
    let publish = doc(&f, "data.aws_iam_policy_document.publish");
    assert!(publish.span.start > f.source.text.len());
    let (base, sibling) = f.context.iter().rev().find(|(base, _)| *base <= publish.span.start).unwrap();
    assert!(sibling.path.ends_with("policies.tf"), "{}", sibling.path.display());
    let pass = &publish.statements[1].action.as_ref().unwrap().values[0];
    assert_eq!(sibling.slice(&(pass.span.start - base..pass.span.end - base)), "\"iam:PassRole\"");
    // A file that holds no policy of its own (only a reference to a data source of another
    // file) is still passed over: its policy is linted where it is written.
    let main = std::fs::read_to_string(format!("{SPLIT}/main.tf")).unwrap();
    let loaded = formats::load(Arc::new(SourceFile::new(format!("{SPLIT}/main.tf"), main)), &LoadOptions::default());
    assert!(matches!(loaded, Loaded::NotPolicy(_)));
}

fn findings_json(args: &[&str]) -> Vec<serde_json::Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = vec!["check", "--format", "json", "--fail-on", "none", "--isolated"];
    all.extend(args);
    let o = common::iamlint(&all, dir);
    let v: serde_json::Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    v["findings"].as_array().unwrap().clone()
}

/// What a finding is, as a user sees it.
fn seen(f: &serde_json::Value) -> String {
    let place = format!("{}:{}:{}", f["file"], f["line"], f["column"]);
    format!("{} {place} {} {} {} {}", f["rule"], f["message"], f["note"], f["labels"], f["fingerprint"])
}

/// An escalation split across iam.tf (ec2:RunInstances) and policies.tf (iam:PassRole) is
/// found once, in the file of its primary value, the other file's values named in its note.
/// A run over one file of the module (as pre-commit passes changed files) reports that
/// file's findings as the module run does, and the escalation that involves it even though
/// its primary value is in a file not named: the same finding (file, place, fingerprint).
#[test]
fn an_escalation_split_across_a_modules_files_is_found_once_and_runs_agree() {
    let module = findings_json(&[SPLIT]);
    let escalation: Vec<&serde_json::Value> = module.iter().filter(|f| f["rule"] == "privilege-escalation").collect();
    assert_eq!(escalation.len(), 1, "{escalation:#?}");
    let e = escalation[0];
    assert_eq!(e["principal"]["name"], "ci-deployer-prod");
    assert!(e["file"].as_str().unwrap().ends_with("policies.tf"), "{e}");
    let note = e["note"].as_str().unwrap();
    assert!(note.contains(&format!("also {SPLIT}/iam.tf:15:19: grants `ec2:RunInstances`")), "{note}");
    // Each finding once.
    let all: Vec<String> = module.iter().map(seen).collect();
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "{all:#?}");
    // One file named: its findings as in the module run, and the findings of other files
    // that point into it (named in their note).
    for file in ["iam.tf", "policies.tf", "variables.tf"] {
        let path = format!("{SPLIT}/{file}");
        let alone: BTreeSet<String> = findings_json(&[&path, "--allow-empty"]).iter().map(seen).collect();
        let expected: BTreeSet<String> = module
            .iter()
            .filter(|f| {
                f["file"] == path.as_str() || f["note"].as_str().is_some_and(|n| n.contains(&format!("also {path}:")))
            })
            .map(seen)
            .collect();
        assert_eq!(alone, expected, "{file}");
    }
    let alone = findings_json(&[&format!("{SPLIT}/iam.tf")]);
    let moved = alone.iter().find(|f| f["rule"] == "privilege-escalation").expect("reported from iam.tf alone");
    assert_eq!(moved["fingerprint"], e["fingerprint"]);
}

const THREE: &str = "fixtures/formats/terraform/three-way-module";
const THREE_FILES: [&str; 3] = ["a-pass.tf", "b-functions.tf", "c-role.tf"];

/// The role of c-role.tf holds a policy of a-pass.tf (`iam:PassRole`), one of
/// b-functions.tf (`lambda:CreateFunction`) and its own (`lambda:InvokeFunction`, and
/// `iam:PassRole` again): lambda-001 needs all three files. A run over the directory
/// reads the module once and finds the escalation once, in the first file (by path) that
/// holds its primary value, the other two files named in its note. (Each file's run read
/// the module with that file first: a-pass.tf's and c-role.tf's runs each anchored the
/// escalation in their own `iam:PassRole`, and the directory run reported it twice.)
#[test]
fn an_escalation_split_across_three_files_is_found_once() {
    let module = findings_json(&[THREE]);
    let escalation: Vec<&serde_json::Value> = module.iter().filter(|f| f["rule"] == "privilege-escalation").collect();
    assert_eq!(escalation.len(), 1, "{escalation:#?}");
    let e = escalation[0];
    assert_eq!(e["principal"]["name"], "builder");
    assert_eq!(e["file"], format!("{THREE}/a-pass.tf"));
    let note = e["note"].as_str().unwrap();
    assert!(note.contains(&format!("also {THREE}/b-functions.tf:")), "{note}");
    assert!(note.contains(&format!("also {THREE}/c-role.tf:")), "{note}");
    assert!(note.contains("lambda-001"), "{note}");
    let all: Vec<String> = module.iter().map(seen).collect();
    let unique: BTreeSet<&String> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "{all:#?}");
}

/// Whichever files of a module a run names (one, as a pre-commit hook passes a changed
/// file; two; all three; the directory), each named file gets the findings anchored in it
/// and those anchored in a file not named that point into it, exactly as the directory run
/// reports them (file, place, message, note, fingerprint); naming every file gives the
/// directory run's output byte for byte.
#[test]
fn a_modules_files_linted_together_or_one_by_one_report_the_same() {
    let module = findings_json(&[THREE]);
    let path = |f: &str| format!("{THREE}/{f}");
    let subsets: Vec<Vec<&str>> = vec![
        vec![THREE_FILES[0]],
        vec![THREE_FILES[1]],
        vec![THREE_FILES[2]],
        vec![THREE_FILES[0], THREE_FILES[1]],
        vec![THREE_FILES[1], THREE_FILES[2]],
        vec![THREE_FILES[0], THREE_FILES[2]],
    ];
    for subset in subsets {
        let named: Vec<String> = subset.iter().map(|f| path(f)).collect();
        let args: Vec<&str> = named.iter().map(String::as_str).collect();
        let got: BTreeSet<String> = findings_json(&args).iter().map(seen).collect();
        let expected: BTreeSet<String> = module
            .iter()
            .filter(|f| {
                named.iter().any(|p| f["file"] == p.as_str())
                    || named.iter().any(|p| f["note"].as_str().is_some_and(|n| n.contains(&format!("also {p}:"))))
            })
            .map(seen)
            .collect();
        assert!(!expected.is_empty(), "{subset:?}");
        assert_eq!(got, expected, "{subset:?}");
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let every: Vec<String> = THREE_FILES.iter().map(|f| path(f)).collect();
    for format in ["json", "human", "sarif", "markdown"] {
        let mut by_file = vec!["check", "--isolated", "--format", format];
        by_file.extend(every.iter().map(String::as_str));
        let by_file = common::iamlint(&by_file, dir);
        let whole = common::iamlint(&["check", "--isolated", "--format", format, THREE], dir);
        assert_eq!(by_file.status.code(), Some(1), "{format}");
        assert_eq!(whole.status.code(), Some(1), "{format}");
        assert_eq!(String::from_utf8_lossy(&by_file.stdout), String::from_utf8_lossy(&whole.stdout), "{format}");
    }
}

const MIXED: &str = "fixtures/formats/terraform/mixed-syntax";

/// Terraform reads a directory's `.tf` and `.tf.json` files as one configuration: the role
/// of main.tf holds the policy of attach.tf.json (attached in main.tf) and the policy of
/// main.tf (attached in attach.tf.json), which open ec2-001 together. The escalation is
/// found whichever of the two files a run names, underlined in the JSON file's own text,
/// the HCL file's value named in its note; the role's name uses main.tf's variable.
#[test]
fn tf_json_files_are_read_with_the_tf_files_of_their_module() {
    let module = findings_json(&[MIXED]);
    let escalation: Vec<&serde_json::Value> = module.iter().filter(|f| f["rule"] == "privilege-escalation").collect();
    assert_eq!(escalation.len(), 1, "{module:#?}");
    let e = escalation[0];
    assert_eq!(e["principal"]["name"], "deployer-prod");
    assert_eq!(e["file"], format!("{MIXED}/attach.tf.json"));
    assert_eq!(e["locator"], "aws_iam_policy.passer.Statement[0]");
    let json = std::fs::read_to_string(format!("{MIXED}/attach.tf.json")).unwrap();
    let line = json.lines().nth(e["line"].as_u64().unwrap() as usize - 1).unwrap();
    let (from, to) = (e["column"].as_u64().unwrap() as usize - 1, e["end_column"].as_u64().unwrap() as usize - 1);
    assert_eq!(&line[from..to], "\\\"iam:PassRole\\\"", "{line}");
    let note = e["note"].as_str().unwrap();
    assert!(note.contains(&format!("also {MIXED}/main.tf:18:63: grants `ec2:RunInstances`")), "{note}");
    for file in ["main.tf", "attach.tf.json"] {
        let alone = findings_json(&[&format!("{MIXED}/{file}")]);
        let found: Vec<String> = alone.iter().filter(|f| f["rule"] == "privilege-escalation").map(seen).collect();
        assert_eq!(found, [seen(e)], "{file}");
    }
}

const GROUPS: &str = "fixtures/formats/terraform/group-membership";
const GROUPS_PLAN: &str = "fixtures/formats/plan/groups.plan.json";

/// The principals the escalations of a run are found on, with their paths.
fn escalated(findings: &[serde_json::Value]) -> BTreeSet<String> {
    findings
        .iter()
        .filter(|f| f["rule"] == "privilege-escalation")
        .map(|f| {
            let message = f["message"].as_str().unwrap();
            let path = message.rsplit_once('(').map_or("", |(_, p)| p.split(')').next().unwrap_or(""));
            format!("{}/{} {path}", f["principal"]["kind"].as_str().unwrap(), f["principal"]["name"].as_str().unwrap())
        })
        .collect()
}

/// Group memberships (`aws_iam_group_membership`: a group and its users;
/// `aws_iam_user_group_membership`: a user and its groups) give a user its groups' inline
/// and attached policies, in a module and in a plan: ann's own `iam:PassRole` and her
/// group's `ec2:RunInstances` open ec2-001, cat's own `iam:PassRole` and the managed policy
/// attached to his group open lambda-001, found on the users. What a group grants alone
/// (operators) is reported on the group, not again on its member dan, as for an account
/// dump. Without the memberships, no user escalates.
#[test]
fn group_memberships_give_users_their_groups_policies_in_modules_and_plans() {
    let expected: BTreeSet<String> =
        ["user/ann ec2-001", "user/cat lambda-001", "group/operators ec2-001"].iter().map(|s| s.to_string()).collect();
    assert_eq!(escalated(&findings_json(&[GROUPS])), expected);
    assert_eq!(escalated(&findings_json(&[GROUPS_PLAN])), expected);
    // The member names its groups, whose policies it holds.
    let f = load(&format!("{GROUPS}/users.tf"));
    let ann = f.principals.iter().find(|p| p.principal.name == "ann").expect("ann is a principal");
    assert_eq!(ann.groups, ["aws_iam_group.builders"]);
    let held: Vec<&str> = ann.documents.iter().map(|&i| f.documents[i].locator.as_str()).collect();
    assert!(held.contains(&"aws_iam_group_policy.builders"), "{held:?}");

    // The same module and plan without their memberships.
    let membership = |block: &str| {
        block.contains("resource \"aws_iam_group_membership\"")
            || block.contains("resource \"aws_iam_user_group_membership\"")
    };
    let scratch = common::Scratch::repo();
    for file in ["groups.tf", "users.tf"] {
        let text = std::fs::read_to_string(format!("{GROUPS}/{file}")).unwrap();
        let kept: Vec<&str> = text.split("\n\n").filter(|b| !membership(b)).collect();
        assert!(kept.len() < text.split("\n\n").count(), "{file}");
        scratch.write(&format!("module/{file}"), kept.join("\n\n"));
    }
    let mut plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(GROUPS_PLAN).unwrap()).unwrap();
    let resources = plan["planned_values"]["root_module"]["resources"].as_array_mut().unwrap();
    let before = resources.len();
    resources.retain(|r| !r["type"].as_str().unwrap().ends_with("group_membership"));
    assert_eq!(resources.len(), before - 3);
    scratch.write("groups.plan.json", serde_json::to_string_pretty(&plan).unwrap());
    let without: BTreeSet<String> = ["group/operators ec2-001".to_string()].into_iter().collect();
    for target in ["module", "groups.plan.json"] {
        let o = scratch.run(&["check", "--format", "json", "--fail-on", "none", target]);
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(escalated(v["findings"].as_array().unwrap()), without, "{target}");
    }
}

// ---------------------------------------------------------------------------------------
// Plan JSON

#[test]
fn a_plan_reads_root_and_child_modules_with_exact_spans() {
    let f = load("fixtures/formats/plan/ci.plan.json");
    assert!(f.syntax.is_empty(), "{:?}", f.syntax);
    let kinds: Vec<(&str, PolicyKind)> = f.documents.iter().map(|d| (d.locator.as_str(), d.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("aws_s3_bucket_policy.site", PolicyKind::Resource),
            ("module.ci.aws_iam_policy.launch", PolicyKind::Identity),
            ("module.ci.aws_iam_policy.pass", PolicyKind::Identity),
            ("module.ci.aws_iam_role.deployer.assume_role_policy", PolicyKind::Trust),
            ("module.ci.aws_iam_role.deployer.inline_policy[0]", PolicyKind::Identity),
            ("module.ci.aws_iam_role_policy.unknown", PolicyKind::Identity),
        ]
    );
    let pass = doc(&f, "module.ci.aws_iam_policy.pass");
    let action = &pass.statements[0].action.as_ref().unwrap().values[0];
    assert_eq!((action.value.as_str(), under(&f, &action.span)), ("iam:PassRole", r#"\"iam:PassRole\""#));
    assert_eq!(pass.statements[0].locator, "module.ci.aws_iam_policy.pass.Statement[0]");
    let unknown = doc(&f, "module.ci.aws_iam_role_policy.unknown");
    assert_eq!(
        unknown.problems[0].message,
        "policy of `module.ci.aws_iam_role_policy.unknown` is known only after apply"
    );

    // The role, with its inline policy and both attachments (one matched by ARN, one
    // through the configuration's references, its ARN unknown until apply).
    assert_eq!(f.principals.len(), 1);
    let role = &f.principals[0];
    assert_eq!(role.principal.name, "ci-deployer");
    assert_eq!(role.documents.len(), 3, "{:?}", role.documents);

    let findings = lint("fixtures/formats/plan/ci.plan.json");
    let escalation: Vec<&Finding> = findings.iter().filter(|f| f.rule.id == "privilege-escalation").collect();
    assert_eq!(escalation.len(), 1, "{escalation:#?}");
    assert_eq!(escalation[0].principal.as_ref().unwrap().name, "ci-deployer");
    let public = findings.iter().find(|f| f.rule.id == "public-principal").expect("public bucket policy");
    assert_eq!(public.locator, "aws_s3_bucket_policy.site.Statement[0]");
    assert_eq!(f.source.slice(&public.span), r#"\"*\""#);
}

/// A role's or user's `permissions_boundary` in the plan is its ceiling: a customer managed
/// policy of the plan (by ARN, or through the configuration when the ARN is known only
/// after apply) or an AWS managed one from the snapshot. The same two attachments make an
/// escalation only for the role without a boundary.
#[test]
fn a_plan_boundary_removes_an_escalation() {
    let path = "fixtures/formats/plan/boundaries.plan.json";
    let f = load(path);
    let ceilings: Vec<(&str, Vec<&str>)> = f
        .principals
        .iter()
        .map(|p| {
            // The snapshot's version and date are left out (they change with a refresh).
            let locators = p.ceilings.iter().map(|&i| f.documents[i].locator.split(" v").next().unwrap_or_default());
            (p.principal.name.as_str(), locators.collect())
        })
        .collect();
    assert_eq!(
        ceilings,
        [
            ("build-bounded", vec!["module.build.aws_iam_policy.boundary"]),
            ("build-late", vec!["module.build.aws_iam_policy.boundary"]),
            ("build-open", vec![]),
            (
                "build-readonly",
                vec!["module.build.aws_iam_role.readonly.permissions_boundary[AWS managed ReadOnlyAccess"]
            ),
        ]
    );
    assert_eq!(doc(&f, "module.build.aws_iam_policy.boundary").kind, PolicyKind::Boundary);
    let readonly = f.principals.iter().find(|p| p.principal.name == "build-readonly").unwrap();
    let aws = &f.documents[readonly.ceilings[0]];
    assert_eq!(under(&f, &aws.span), "\"arn:aws:iam::aws:policy/ReadOnlyAccess\"");

    let findings = lint(path);
    let escalated: Vec<&str> = findings
        .iter()
        .filter(|f| f.rule.id == "privilege-escalation")
        .filter_map(|f| f.principal.as_ref().map(|p| p.name.as_str()))
        .collect();
    assert_eq!(escalated, ["build-open"], "{findings:#?}");
    // The boundary's own `ec2:*` is a ceiling, not a grant: nothing reports it as one.
    assert!(!findings.iter().any(|x| x.locator.starts_with("module.build.aws_iam_policy.boundary")), "{findings:#?}");
}

// ---------------------------------------------------------------------------------------
// The same rules fire whatever the format

fn ids_of(path: &str, bytes: Vec<u8>) -> Option<BTreeSet<&'static str>> {
    match lint_bytes(Path::new(path), bytes, true, &options(), Catalogue::bundled()) {
        FileOutcome::Linted(findings) => Some(rule_ids(&findings)),
        _ => None,
    }
}

/// Rules about the JSON text itself, or its size, which a wrapper changes by nature.
const TEXT_RULES: [&str; 2] = ["malformed-json", "policy-size"];

#[test]
fn rules_fire_the_same_inside_terraform_and_plans() {
    let mut compared = 0;
    for path in common::inferred_fail_fixtures() {
        let Ok(json) = std::fs::read_to_string(&path) else { continue };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&json) else { continue };
        if !value.get("Statement").is_some_and(|s| s.is_array() || s.is_object()) {
            continue;
        }
        let Some(mut raw) = ids_of("policy.json", json.clone().into_bytes()) else { continue };
        if raw.contains("malformed-json") {
            continue;
        }
        raw.retain(|r| !TEXT_RULES.contains(r));
        // The resource that holds this kind of policy (the kind the raw file is inferred as).
        let source = Arc::new(SourceFile::new("policy.json", json.clone()));
        let Loaded::Policy(loaded) = formats::load(source, &LoadOptions::default()) else { continue };
        let (ty, attr) = match loaded.documents[0].kind {
            PolicyKind::Trust => ("aws_iam_role", "assume_role_policy"),
            PolicyKind::Resource => ("aws_s3_bucket_policy", "policy"),
            _ => ("aws_iam_policy", "policy"),
        };
        let escaped = json.replace("${", "$${").replace("%{", "%%{");
        let heredoc = format!("resource \"{ty}\" \"p\" {{\n  {attr} = <<EOT\n{escaped}\nEOT\n}}\n");
        let encoded = format!("resource \"{ty}\" \"p\" {{\n  {attr} = jsonencode({escaped})\n}}\n");
        let string = serde_json::to_string(&value.to_string()).unwrap();
        let plan = format!(
            r#"{{"format_version":"1.2","planned_values":{{"root_module":{{"resources":[{{"address":"{ty}.p","mode":"managed","type":"{ty}","name":"p","values":{{"{attr}":{string}}}}}]}}}}}}"#
        );
        // Terraform JSON syntax: the policy as a JSON string, a template (`$${` for `${`).
        let template = serde_json::to_string(&json.replace("${", "$${").replace("%{", "%%{")).unwrap();
        let tf_json = format!(r#"{{"resource": {{"{ty}": {{"p": {{"{attr}": {template}}}}}}}}}"#);
        let wrapped =
            [("heredoc.tf", heredoc), ("jsonencode.tf", encoded), ("plan.json", plan), ("main.tf.json", tf_json)];
        for (name, text) in wrapped {
            let Some(mut got) = ids_of(name, text.into_bytes()) else {
                panic!("{}: {name} not linted", path.display())
            };
            if got.contains("malformed-json") && name == "jsonencode.tf" {
                // JSON that is not HCL (e.g. `\/` escapes): nothing to compare.
                continue;
            }
            got.retain(|r| !TEXT_RULES.contains(r));
            assert_eq!(got, raw, "{} wrapped as {name}", path.display());
            compared += 1;
        }
    }
    assert!(compared > 130, "only {compared} comparisons");
}

// ---------------------------------------------------------------------------------------
// Robustness

const SEED: &str = r#"variable "b" { default = "x" }
data "aws_iam_policy_document" "d" {
  source_policy_documents = [data.aws_iam_policy_document.d.json]
  statement {
    sid = "A"
    actions = ["s3:*", var.b]
    resources = ["arn:aws:s3:::${var.b}/&{aws:username}"]
    principals { type = "AWS" identifiers = ["*"] }
    condition { test = "StringEquals" variable = "aws:x" values = [1, true] }
  }
}
resource "aws_iam_policy" "p" {
  policy = <<-EOT
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ${jsonencode(var.a)}, "Resource": "${aws_s3_bucket.b.arn}/*"}]}
  EOT
}
resource "aws_iam_role_policy_attachment" "a" { role = "r" policy_arn = aws_iam_policy.p.arn }
"#;

fn lint_text(name: &str, bytes: Vec<u8>) {
    let _ = lint_bytes(Path::new(name), bytes, true, &options(), Catalogue::bundled());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_as_terraform_or_plan(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        lint_text("fuzz.tf", bytes.clone());
        let mut plan = br#"{"format_version":"1","planned_values":"#.to_vec();
        plan.extend(bytes);
        lint_text("fuzz.json", plan);
    }

    #[test]
    fn mutated_modules_never_panic(cuts in proptest::collection::vec((0usize..SEED.len(), 0usize..8, any::<u8>()), 1..6)) {
        let mut bytes = SEED.as_bytes().to_vec();
        for (at, len, byte) in cuts {
            let at = at.min(bytes.len());
            let end = (at + len).min(bytes.len());
            bytes.splice(at..end, [byte]);
        }
        lint_text("fuzz.tf", bytes);
    }

    #[test]
    fn arbitrary_bytes_never_panic_as_terraform_json(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut text = br#"{"resource": {"aws_iam_policy": {"p": "#.to_vec();
        text.extend(bytes);
        lint_text("fuzz.tf.json", text);
    }

    #[test]
    fn mutated_cdktf_stacks_never_panic(cuts in proptest::collection::vec((0usize..4000, 0usize..8, any::<u8>()), 1..6)) {
        let mut bytes = std::fs::read(format!("{TF}/cdktf/cdk.tf.json")).unwrap();
        for (at, len, byte) in cuts {
            let at = at.min(bytes.len());
            let end = (at + len).min(bytes.len());
            bytes.splice(at..end, [byte]);
        }
        lint_text("fuzz.tf.json", bytes);
    }

    #[test]
    fn arbitrary_json_string_templates_never_panic(s in "[{}\\[\\]\":,$%{}a-z0-9 \\\\]{0,60}") {
        let string = serde_json::to_string(&s).unwrap();
        let text = format!(r#"{{"resource": {{"aws_iam_policy": {{"p": {{"policy": {string}}}}}}}}}"#);
        lint_text("fuzz.tf.json", text.into_bytes());
    }

    #[test]
    fn arbitrary_heredoc_bodies_never_panic(body in "[{}\\[\\]\":,${}%a-z0-9 \\\\\n]{0,80}") {
        let text = format!("resource \"aws_iam_policy\" \"p\" {{\n  policy = <<EOT\n{body}\nEOT\n}}\n");
        lint_text("fuzz.tf", text.into_bytes());
    }

    #[test]
    fn arbitrary_escaped_policy_strings_never_panic(s in "\\PC{0,60}") {
        let string = serde_json::to_string(&format!("{{\"Statement\": [{s}]}}")).unwrap();
        let plan = format!(r#"{{"format_version":"1.2","planned_values":{{"root_module":{{"resources":[{{"address":"aws_iam_policy.p","type":"aws_iam_policy","values":{{"policy":{string}}}}}]}}}}}}"#);
        lint_text("fuzz.json", plan.into_bytes());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// A module of `.tf` and `.tf.json` files read as one (`lint_files` over a directory's
    /// files), each file mutated: no panic, and every file linted, passed over or failed.
    #[test]
    fn mutated_mixed_modules_never_panic(
        cuts in proptest::collection::vec((0usize..3, 0usize..2000, 0usize..8, any::<u8>()), 1..6)
    ) {
        let seeds = [
            ("main.tf", std::fs::read(format!("{MIXED}/main.tf")).unwrap()),
            ("attach.tf.json", std::fs::read(format!("{MIXED}/attach.tf.json")).unwrap()),
            ("c-role.tf", std::fs::read(format!("{THREE}/c-role.tf")).unwrap()),
        ];
        let mut files: Vec<(&str, Vec<u8>)> = seeds.to_vec();
        for (file, at, len, byte) in cuts {
            let bytes = &mut files[file].1;
            let at = at.min(bytes.len());
            let end = (at + len).min(bytes.len());
            bytes.splice(at..end, [byte]);
        }
        let scratch = common::Scratch::new();
        for (name, bytes) in &files {
            scratch.write(name, bytes);
        }
        let candidates: Vec<iamlint::discover::Candidate> = files
            .iter()
            .map(|(name, _)| iamlint::discover::Candidate { path: scratch.0.join(name), explicit: true, kind: None })
            .collect();
        let outcome = iamlint::lint::lint_files(&candidates, &options(), Catalogue::bundled());
        prop_assert_eq!(outcome.checked + outcome.skipped.len() + outcome.errors.len(), files.len());
    }
}

#[test]
fn hostile_terraform_is_reported_not_crashed() {
    let deep = format!("locals {{ a = {}{} }}\n", "[".repeat(10_000), "]".repeat(10_000));
    lint_text("deep.tf", deep.into_bytes());
    let deep_json = format!(
        "resource \"aws_iam_policy\" \"p\" {{\n  policy = <<EOT\n{{\"Statement\": {}\nEOT\n}}\n",
        "[".repeat(100_000)
    );
    lint_text("deep.tf", deep_json.into_bytes());
    let cycle = "data \"aws_iam_policy_document\" \"a\" { source_policy_documents = [data.aws_iam_policy_document.b.json] }\n\
                 data \"aws_iam_policy_document\" \"b\" { source_policy_documents = [data.aws_iam_policy_document.a.json] }\n";
    lint_text("cycle.tf", cycle.as_bytes().to_vec());
}

// ---------------------------------------------------------------------------------------
// Terraform JSON syntax (`.tf.json`, as CDKTF writes it)

#[test]
fn a_cdktf_stack_in_json_syntax_is_read_like_hcl_with_spans_in_the_json() {
    let path = format!("{TF}/cdktf/cdk.tf.json");
    let f = load(&path);
    assert!(f.syntax.is_empty(), "{:?}", f.syntax);
    let kinds: Vec<(&str, PolicyKind)> = f.documents.iter().map(|d| (d.locator.as_str(), d.kind)).collect();
    assert_eq!(
        kinds,
        [
            ("data.aws_iam_policy_document.ci_trust", PolicyKind::Trust),
            ("data.aws_iam_policy_document.deploy", PolicyKind::Identity),
            ("aws_iam_policy.launch", PolicyKind::Identity),
            ("aws_iam_role_policy.logs", PolicyKind::Identity),
            ("aws_s3_bucket_policy.artifacts", PolicyKind::Resource),
        ]
    );
    // A data source's statement blocks: values underlined in the JSON, the variable's
    // default filled in, the statement located as in HCL.
    let deploy = doc(&f, "data.aws_iam_policy_document.deploy");
    assert_eq!(deploy.statements[1].locator, "data.aws_iam_policy_document.deploy.statement[1]");
    let pass = &deploy.statements[1].action.as_ref().unwrap().values[0];
    assert_eq!((pass.value.as_str(), under(&f, &pass.span)), ("iam:PassRole", "\"iam:PassRole\""));
    let artifacts = &deploy.statements[0].resource.as_ref().unwrap().values[0];
    assert_eq!(artifacts.value, "arn:aws:s3:::acme-ci-artifacts/*");
    assert_eq!(under(&f, &artifacts.span), "\"arn:aws:s3:::${var.artifact_bucket}/*\"");
    // `${jsonencode({...})}` inside a JSON string: each value on its escaped text.
    let launch = doc(&f, "aws_iam_policy.launch");
    let run = &launch.statements[0].action.as_ref().unwrap().values[0];
    assert_eq!((run.value.as_str(), under(&f, &run.span)), ("ec2:RunInstances", r#"\"ec2:RunInstances\""#));
    // A policy written as a JSON string (JSON.stringify): exact too.
    let logs = doc(&f, "aws_iam_role_policy.logs");
    let stream = &logs.statements[0].action.as_ref().unwrap().values[0];
    assert_eq!(under(&f, &stream.span), r#"\"logs:CreateLogStream\""#);
    // The trust policy's condition, from `condition` blocks written as a JSON array.
    let trust = doc(&f, "data.aws_iam_policy_document.ci_trust");
    let cond = trust.statements[0].condition.as_ref().unwrap();
    assert_eq!(under(&f, &cond.operators[0].entries[0].values[0].span), "\"repo:acme/*\"");

    // The role with its trust policy, inline policy and both attachments.
    assert_eq!(f.principals.len(), 1);
    let role = &f.principals[0];
    assert_eq!((role.principal.kind, role.principal.locator.as_str()), ("role", "aws_iam_role.ci"));
    let held: Vec<&str> = role.documents.iter().map(|&i| f.documents[i].locator.as_str()).collect();
    assert_eq!(held, ["data.aws_iam_policy_document.deploy", "aws_iam_policy.launch", "aws_iam_role_policy.logs"]);
    assert_eq!(role.trust.map(|i| f.documents[i].locator.as_str()), Some("data.aws_iam_policy_document.ci_trust"));

    let findings = lint(&path);
    let escalation: Vec<&Finding> = findings.iter().filter(|f| f.rule.id == "privilege-escalation").collect();
    assert_eq!(escalation.len(), 1, "{escalation:#?}");
    assert_eq!(escalation[0].principal.as_ref().unwrap().name, "ci-deployer-${var.environment}");
    let public = findings.iter().find(|f| f.rule.id == "public-principal").expect("public bucket policy");
    assert_eq!(f.source.slice(&public.span), r#"\"*\""#);
    assert!(rule_ids(&findings).contains("oidc-trust-without-subject"), "{:?}", rule_ids(&findings));
}

#[test]
fn terraform_json_syntax_problems_are_reported_in_the_json_and_files_without_iam_passed_over() {
    let load_as = |name: &str, text: &str| {
        formats::load(Arc::new(SourceFile::new(name, text.to_string())), &LoadOptions::default())
    };
    // Not JSON: one problem at its place, never a skip.
    let broken = "{\"resource\": {\"aws_iam_policy\": {\"p\": {\"policy\": \"x\",}}}}";
    let Loaded::Policy(f) = load_as("main.tf.json", broken) else { panic!("reported expected") };
    assert_eq!(f.syntax.len(), 1, "{:?}", f.syntax);
    assert_eq!(f.source.slice(&f.syntax[0].span), ",");
    // An interpolation never closed: the HCL parser's error, placed in the JSON string.
    let open = r#"{"resource": {"aws_iam_policy": {"p": {"policy": "${jsonencode(local.p)"}}}}"#;
    let Loaded::Policy(f) = load_as("main.tf.json", open) else { panic!("reported expected") };
    assert_eq!(f.syntax.len(), 1, "{:?}", f.syntax);
    assert!(f.syntax[0].message.starts_with("Terraform syntax error"), "{}", f.syntax[0].message);
    let policy_at = open.find("\"${").unwrap();
    assert!(f.syntax[0].span.start >= policy_at && f.syntax[0].span.end <= open.len() - 4, "{:?}", f.syntax[0].span);
    // A policy from a variable without a default: unreadable, underlined on the reference.
    let unknown = r#"{"resource": {"aws_iam_policy": {"p": {"policy": "${var.policy}"}}}}"#;
    let Loaded::Policy(f) = load_as("main.tf.json", unknown) else { panic!("reported expected") };
    assert_eq!(f.source.slice(&f.documents[0].problems[0].span), "var.policy");
    assert!(matches!(load_as("vars.tf.json", r#"{"variable": {"region": {}}}"#), Loaded::NotPolicy(_)));
}

#[test]
fn an_interpolated_string_that_is_not_json_is_unreadable_not_a_syntax_error() {
    let text = "resource \"aws_iam_policy\" \"p\" {\n  policy = \"${var.a}${var.b}\"\n}\n";
    let f = formats::load(Arc::new(SourceFile::new("p.tf", text.into())), &LoadOptions::default());
    let Loaded::Policy(f) = f else { panic!("policy expected") };
    assert!(f.syntax.is_empty(), "{:?}", f.syntax);
    assert_eq!(f.documents[0].problems[0].message, "policy is `\"${var.a}${var.b}\"`, unknown until deployment");
}

/// AWS managed policies a role attaches by ARN (`managed_policy_arns`, an attachment's
/// `policy_arn`, also with the partition interpolated) are judged with the role, from the
/// bundled snapshot, underlined on the ARN; an unknown one is a gap.
#[test]
fn aws_managed_policies_attached_by_arn_are_analysed() {
    let text = r#"
data "aws_partition" "current" {}

resource "aws_iam_role" "admin" {
  name                = "admin"
  assume_role_policy  = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "ec2.amazonaws.com" }, Action = "sts:AssumeRole" }] })
  managed_policy_arns = ["arn:${data.aws_partition.current.partition}:iam::aws:policy/AdministratorAccess"]
}

resource "aws_iam_role" "launcher" {
  name               = "launcher"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "codebuild.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy" "pass" {
  role   = aws_iam_role.launcher.id
  policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "iam:PassRole", Resource = "*" }] })
}

resource "aws_iam_role_policy_attachment" "ec2" {
  role       = aws_iam_role.launcher.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonEC2FullAccess"
}

resource "aws_iam_role_policy_attachment" "typo" {
  role       = aws_iam_role.launcher.name
  policy_arn = "arn:aws:iam::aws:policy/NoSuchManagedPolicyEver"
}
"#;
    let findings =
        match lint_bytes(Path::new("main.tf"), text.as_bytes().to_vec(), true, &options(), Catalogue::bundled()) {
            FileOutcome::Linted(findings) => findings,
            other => panic!("{other:?}"),
        };
    let on = |rule: &str, under: &str| {
        findings.iter().any(|f| f.rule.id == rule && f.source.text[f.span.clone()].contains(under))
    };
    assert!(on("full-admin", "iam::aws:policy/AdministratorAccess"), "{findings:#?}");
    assert!(on("incomplete-analysis", "NoSuchManagedPolicyEver"), "{findings:#?}");
    let escalation: Vec<&str> = findings
        .iter()
        .filter(|f| f.rule.id == "privilege-escalation" && f.principal.as_ref().is_some_and(|p| p.name == "launcher"))
        .map(|f| f.message.as_str())
        .collect();
    assert!(escalation.iter().any(|m| m.contains("ec2-001")), "{escalation:#?}");
}
