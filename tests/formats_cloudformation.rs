//! The CloudFormation adapter on realistic templates (fixtures/formats/cloudformation/):
//! documents, locators, kinds, the text under spans, principals, unresolved values, and
//! the rules that fire.

use iamlint::catalogue::Catalogue;
use iamlint::config::Settings;
use iamlint::diagnostic::Finding;
use iamlint::formats::{self, LoadOptions, Loaded, LoadedFile};
use iamlint::lint::{FileOutcome, LintOptions, lint_bytes};
use iamlint::policy::{PolicyDocument, PolicyKind, Statement};
use iamlint::rules::RULES;
use iamlint::source::SourceFile;
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const DIR: &str = "fixtures/formats/cloudformation";

fn path(name: &str) -> PathBuf {
    Path::new(DIR).join(name)
}

fn load_text(name: &str, text: String) -> Loaded {
    formats::load(Arc::new(SourceFile::new(name, text)), &LoadOptions { kind: None, explicit: true, tree: None })
}

fn load(name: &str) -> LoadedFile {
    let text = std::fs::read_to_string(path(name)).unwrap();
    match load_text(&path(name).to_string_lossy(), text) {
        Loaded::Policy(file) => file,
        Loaded::NotPolicy(reason) => {
            panic!("{name}: not read as a policy file: {reason}")
        }
    }
}

fn lint_text(name: &str, bytes: Vec<u8>) -> FileOutcome {
    let options =
        LintOptions { rules: RULES.to_vec(), kind: None, settings: Settings::default(), scps: Default::default() };
    lint_bytes(Path::new(name), bytes, true, &options, Catalogue::bundled())
}

fn lint(name: &str) -> Vec<Finding> {
    match lint_text(&path(name).to_string_lossy(), std::fs::read(path(name)).unwrap()) {
        FileOutcome::Linted(findings) => findings,
        other => panic!("{name}: {other:?}"),
    }
}

fn rules(findings: &[Finding]) -> Vec<&'static str> {
    let mut ids: Vec<&str> = findings.iter().map(|f| f.rule.id).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

fn doc<'f>(file: &'f LoadedFile, locator: &str) -> Vec<&'f PolicyDocument> {
    file.documents.iter().filter(|d| d.locator == locator).collect()
}

fn statement<'d>(d: &'d PolicyDocument, sid: &str) -> &'d Statement {
    d.statements.iter().find(|s| s.sid.as_ref().is_some_and(|x| x.value == sid)).unwrap_or_else(|| panic!("no {sid}"))
}

/// A locator without the snapshot's version and date (`[AWS managed X v3 of 2026-08-26]`
/// is `[AWS managed X]`), which change when the snapshot is refreshed.
fn snapshot_free(locator: &str) -> String {
    match locator.split_once("[AWS managed ") {
        Some((at, rest)) => format!("{at}[AWS managed {}]", rest.split(' ').next().unwrap_or_default()),
        None => locator.to_string(),
    }
}

fn text<'f>(file: &'f LoadedFile, span: &std::ops::Range<usize>) -> &'f str {
    &file.source.text[span.clone()]
}

#[test]
fn corpus_role_template_documents_kinds_and_spans() {
    let f = load("role-inline-and-managed.yaml");
    let locators: Vec<(String, PolicyKind)> = f.documents.iter().map(|d| (snapshot_free(&d.locator), d.kind)).collect();
    let locators: Vec<(&str, PolicyKind)> = locators.iter().map(|(l, k)| (l.as_str(), *k)).collect();
    assert_eq!(
        locators,
        vec![
            ("Resources.DeployBoundary.Properties.PolicyDocument", PolicyKind::Boundary),
            ("Resources.DeployRole.Properties.AssumeRolePolicyDocument", PolicyKind::Trust),
            ("Resources.DeployRole.Properties.Policies[0].PolicyDocument", PolicyKind::Identity),
            // Statement WriteBuildLogs holds an Fn::If: one document per reading.
            ("Resources.DeployRole.Properties.Policies[1].PolicyDocument", PolicyKind::Identity),
            ("Resources.DeployRole.Properties.Policies[1].PolicyDocument", PolicyKind::Identity),
            // An AWS managed policy, from the bundled snapshot.
            (
                "Resources.DeployRole.Properties.ManagedPolicyArns[0][AWS managed AmazonSSMManagedInstanceCore]",
                PolicyKind::Identity
            ),
            ("Resources.ArtifactReadPolicy.Properties.PolicyDocument", PolicyKind::Identity),
            ("Resources.LaunchPolicy.Properties.PolicyDocument", PolicyKind::Identity),
        ]
    );
    assert!(f.syntax.is_empty());
    let pass = doc(&f, "Resources.DeployRole.Properties.Policies[0].PolicyDocument")[0];
    let st = statement(pass, "PassAnyRole");
    assert_eq!(st.locator, "Resources.DeployRole.Properties.Policies[0].PolicyDocument.Statement[0]");
    assert_eq!(text(&f, &st.action.as_ref().unwrap().values[0].span), "iam:PassRole");
    assert_eq!(text(&f, &st.resource.as_ref().unwrap().values[0].span), "\"*\"");

    // Both readings of `Resource: !If [IsProd, !Sub "...", "*"]`.
    let logs: Vec<String> = doc(&f, "Resources.DeployRole.Properties.Policies[1].PolicyDocument")
        .iter()
        .map(|d| statement(d, "WriteBuildLogs").resource.as_ref().unwrap().values[0].value.clone())
        .collect();
    assert_eq!(
        logs,
        vec!["arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:/ci/prod/*".to_string(), "*".to_string()]
    );
    // A parameter's Default is used; a parameter without one is unknown.
    let artifacts = doc(&f, "Resources.DeployRole.Properties.Policies[1].PolicyDocument")[0];
    let write = statement(artifacts, "WriteArtifacts").resource.as_ref().unwrap();
    assert_eq!(write.values[0].value, "arn:aws:s3:::acme-artifacts-prod/*");
    assert_eq!(text(&f, &write.values[0].span), "!Sub \"arn:${AWS::Partition}:s3:::${BucketName}/*\"");
    assert_eq!(write.values[1].value, "${ArtifactBucket.Arn}/*");
    let key = &statement(artifacts, "UseArtifactKey").resource.as_ref().unwrap().values[0];
    assert_eq!(key.value, "arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/${KmsKeyId}");
    let unresolved = artifacts.unresolved_at(&key.span).unwrap();
    let names: Vec<&str> = unresolved.parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["AWS::Region", "AWS::AccountId", "KmsKeyId"]);
    // An import is unknown, named by its function.
    let vpc = &statement(artifacts, "ReadSharedVpcEndpoint").resource.as_ref().unwrap().values[0];
    assert_eq!(vpc.value, "arn:aws:ec2:${AWS::Region}:${AWS::AccountId}:vpc/${ImportValue}");
}

#[test]
fn corpus_role_template_principal_and_escalation() {
    let f = load("role-inline-and-managed.yaml");
    assert_eq!(f.principals.len(), 2, "one per Fn::If reading: {:?}", f.principals);
    for p in &f.principals {
        assert_eq!((p.principal.kind, p.principal.name.as_str()), ("role", "DeployRole"));
        assert_eq!(p.principal.locator, "Resources.DeployRole");
        let locators: Vec<String> = p.documents.iter().map(|&i| snapshot_free(&f.documents[i].locator)).collect();
        assert_eq!(
            locators,
            [
                "Resources.DeployRole.Properties.Policies[0].PolicyDocument",
                "Resources.DeployRole.Properties.Policies[1].PolicyDocument",
                "Resources.DeployRole.Properties.ManagedPolicyArns[0][AWS managed AmazonSSMManagedInstanceCore]",
                "Resources.ArtifactReadPolicy.Properties.PolicyDocument",
                "Resources.LaunchPolicy.Properties.PolicyDocument",
            ]
        );
        assert_eq!(f.documents[p.ceilings[0]].locator, "Resources.DeployBoundary.Properties.PolicyDocument");
        assert_eq!(f.documents[p.trust.unwrap()].kind, PolicyKind::Trust);
    }
    let findings = lint("role-inline-and-managed.yaml");
    let escalation: Vec<&Finding> = findings.iter().filter(|f| f.rule.id == "privilege-escalation").collect();
    assert_eq!(escalation.len(), 1, "reported once for both readings");
    assert_eq!(escalation[0].principal.as_ref().unwrap().name, "DeployRole");
    assert!(escalation[0].message.contains("ec2-001"), "{}", escalation[0].message);
}

#[test]
fn escalation_split_across_a_role_and_an_attached_policy_is_found() {
    let findings = lint("escalation-split.yaml");
    let escalation: Vec<&Finding> = findings.iter().filter(|f| f.rule.id == "privilege-escalation").collect();
    assert_eq!(escalation.len(), 1);
    let p = escalation[0].principal.as_ref().expect("a principal finding");
    assert_eq!((p.kind, p.name.as_str()), ("role", "build-runner"));
    assert_eq!(&escalation[0].source.text[escalation[0].span.clone()], "iam:PassRole");
}

#[test]
fn the_same_pieces_held_by_two_roles_are_no_escalation() {
    let f = load("escalation-other-roles.yaml");
    // FleetRole: the managed policy (by `!Ref`) and the Policy naming it by RoleName.
    let fleet: Vec<_> = f.principals.iter().filter(|p| p.principal.name == "fleet-manager").collect();
    assert_eq!(fleet.len(), 1);
    let locators: Vec<&str> = fleet[0].documents.iter().map(|&i| f.documents[i].locator.as_str()).collect();
    assert_eq!(
        locators,
        ["Resources.LaunchInstances.Properties.PolicyDocument", "Resources.FleetDescribe.Properties.PolicyDocument"]
    );
    let findings = lint("escalation-other-roles.yaml");
    assert!(!rules(&findings).contains(&"privilege-escalation"), "{:?}", rules(&findings));
    assert!(rules(&findings).contains(&"passrole-unscoped"));
}

#[test]
fn intrinsics_become_values_that_know_what_they_stand_for() {
    let f = load("intrinsics.yaml");
    let docs = doc(&f, "Resources.AppPolicy.Properties.PolicyDocument");
    assert_eq!(docs.len(), 2, "a statement under Fn::If: two readings");
    let with_deny: Vec<usize> = docs.iter().map(|d| d.statements.len()).collect();
    assert_eq!(with_deny, [7, 6]);
    assert!(docs[0].statements.iter().any(|s| s.sid.as_ref().unwrap().value == "ProdOnlyDeny"));
    let d = docs[0];

    let read = &statement(d, "ReadReports").resource.as_ref().unwrap().values;
    let got: Vec<(&str, &str)> = read.iter().map(|v| (v.value.as_str(), text(&f, &v.span))).collect();
    assert_eq!(
        got,
        [
            ("${Reports.Arn}", "!GetAtt Reports.Arn"),
            ("${Reports.Arn}/*", "!Join [\"\", [!GetAtt Reports.Arn, \"/*\"]]"),
            ("arn:aws:s3:::${Reports}/prod/*", "Fn::Sub: \"arn:${AWS::Partition}:s3:::${Reports}/${Stage}/*\""),
        ]
    );
    let bucket = d.unresolved_at(&read[0].span).unwrap();
    assert_eq!(bucket.written, "!GetAtt Reports.Arn");
    assert_eq!(bucket.parts[0].stands_for, Some(("AWS::S3::Bucket".to_string(), "Arn".to_string())));
    let by_ref = d.unresolved_at(&read[2].span).unwrap();
    assert_eq!(by_ref.parts[0].stands_for, Some(("AWS::S3::Bucket".to_string(), String::new())));

    let table = &statement(d, "Table").resource.as_ref().unwrap().values[0];
    assert_eq!(table.value, "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TableName}");
    let logs = &statement(d, "Logs").resource.as_ref().unwrap().values[0];
    assert_eq!(logs.value, "arn:aws:logs:*:*:log-group:/app/prod:*", "FindInMap with the Stage default");
    assert!(d.unresolved_at(&logs.span).is_none(), "a value known at lint time is a literal");
    let imported = &statement(d, "Imported").resource.as_ref().unwrap().values[0];
    assert_eq!(
        (imported.value.as_str(), text(&f, &imported.span)),
        ("${ImportValue}", "!ImportValue shared-queue-arn")
    );
    let key = &statement(d, "Decrypt").resource.as_ref().unwrap().values[0];
    assert_eq!(d.unresolved_at(&key.span).unwrap().parts[0].stands_for.as_ref().unwrap().0, "AWS::KMS::Key");
    let literal = &statement(d, "Literal").resource.as_ref().unwrap().values[0];
    assert_eq!(literal.value, "arn:aws:s3:::${NotAVariable}/${Reports}");

    // Spans are bytes: the description's non-ASCII text does not shift them.
    let admins = statement(doc(&f, "Resources.ReportsKey.Properties.KeyPolicy")[0], "Admins");
    assert_eq!(text(&f, &admins.action.as_ref().unwrap().values[0].span), "kms:*");
    assert_eq!(doc(&f, "Resources.ReportsKey.Properties.KeyPolicy")[0].kind, PolicyKind::Resource);
}

#[test]
fn resource_policies_of_every_listed_type() {
    let f = load("resource-policies.json");
    let got: Vec<(&str, PolicyKind)> = f.documents.iter().map(|d| (d.locator.as_str(), d.kind)).collect();
    assert_eq!(
        got,
        [
            ("Resources.ExportBucketPolicy.Properties.PolicyDocument", PolicyKind::Resource),
            ("Resources.EventsQueuePolicy.Properties.PolicyDocument", PolicyKind::Resource),
            ("Resources.OrderTopicPolicy.Properties.PolicyDocument", PolicyKind::Resource),
            ("Resources.DataKey.Properties.KeyPolicy", PolicyKind::Resource),
            ("Resources.DbSecretPolicy.Properties.ResourcePolicy", PolicyKind::Resource),
            ("Resources.ServiceImages.Properties.RepositoryPolicyText", PolicyKind::Resource),
            ("Resources.ExportAccessPoint.Properties.Policy", PolicyKind::Resource),
        ]
    );
    // A Join of a parameter with a default is a literal ARN.
    let partner = statement(&f.documents[3], "PartnerDecrypt");
    let iamlint::policy::Principal::Map(entries) = &partner.principal.as_ref().unwrap().principal else { panic!() };
    assert_eq!(entries[0].values[0].value, "arn:aws:iam::210987654321:root");
    assert!(f.principals.is_empty());
    let findings = lint("resource-policies.json");
    let public: Vec<&str> =
        findings.iter().filter(|f| f.rule.id == "public-principal").map(|f| f.locator.as_str()).collect();
    assert_eq!(public, ["Resources.OrderTopicPolicy.Properties.PolicyDocument.Statement[0]"]);
    // An ECR repository policy has no Resource, as AWS writes them.
    assert!(!findings.iter().any(|f| f.rule.id == "malformed-policy"), "{:?}", rules(&findings));
}

#[test]
fn organizations_and_sso_policies() {
    let f = load("org-and-sso.yaml");
    let kinds: Vec<(&str, PolicyKind)> = f.documents.iter().map(|d| (d.locator.as_str(), d.kind)).collect();
    assert_eq!(kinds[0], ("Resources.DenyLeaveOrgAndRegions.Properties.Content", PolicyKind::ServiceControl));
    assert_eq!(kinds[1], ("Resources.EnforceOrgOnlyAccess.Properties.Content", PolicyKind::ResourceControl));
    // A JSON string in a YAML block scalar: spans land on its characters.
    let sso = doc(&f, "Resources.DataEngineerPermissionSet.Properties.InlinePolicy")[0];
    let athena = &statement(sso, "AthenaAndGlue").action.as_ref().unwrap().values[0];
    assert_eq!(athena.value, "athena:*");
    assert_eq!(text(&f, &athena.span), "\"athena:*\"");
    assert_eq!(f.source.line_col(athena.span.start), (92, 17));
    // The break-glass user gets the policy attached to it; its group too.
    let names: Vec<(&str, &str)> = f.principals.iter().map(|p| (p.principal.kind, p.principal.name.as_str())).collect();
    assert!(names.is_empty() || names.iter().all(|(k, _)| *k == "user" || *k == "group"), "{names:?}");
    let findings = lint("org-and-sso.yaml");
    assert!(findings.iter().all(|f| !f.locator.contains("DenyLeaveOrgAndRegions")), "an SCP grants nothing");
    assert!(rules(&findings).contains(&"privilege-escalation"));
}

#[test]
fn policies_as_json_strings_are_parsed_with_spans_into_the_template() {
    let f = load("policy-as-string.json");
    let admin = doc(&f, "Resources.PlatformAdminPolicy.Properties.PolicyDocument")[0];
    let action = &statement(admin, "ManageIam").action.as_ref().unwrap().values[0];
    assert_eq!(text(&f, &action.span), "\\\"iam:*\\\"");
    // Fn::Sub JSON text: `${...}` become unresolved values, spanned inside the string.
    let auditor = doc(&f, "Resources.AuditorPolicy.Properties.PolicyDocument")[0];
    let resource = &auditor.statements[0].resource.as_ref().unwrap().values[0];
    assert_eq!(resource.value, "arn:aws:config:${AWS::Region}:${AWS::AccountId}:*");
    assert_eq!(text(&f, &resource.span), "\\\"arn:${AWS::Partition}:config:${AWS::Region}:${AWS::AccountId}:*\\\"");
    assert!(auditor.unresolved_at(&resource.span).is_some());
    // Roles named literally, but no role of that name in the template: no principal.
    assert!(f.principals.is_empty());

    let g = load("users-and-groups.json");
    let bucket = doc(&g, "Resources.ReportsBucketPolicy.Properties.PolicyDocument")[0];
    let object = &bucket.statements[0].resource.as_ref().unwrap().values[0];
    assert_eq!(object.value, "arn:aws:s3:::acme-reports/*");
    assert_eq!(text(&g, &object.span), "\\\"arn:aws:s3:::acme-reports/\\u002a\\\"");
}

#[test]
fn users_get_their_groups_policies() {
    let f = load("users-and-groups.json");
    let ci: Vec<_> = f.principals.iter().filter(|p| p.principal.name == "ci").collect();
    assert_eq!(ci.len(), 2, "the group's policy holds an Fn::If: two readings");
    for p in &ci {
        let locators: Vec<&str> = p.documents.iter().map(|&i| f.documents[i].locator.as_str()).collect();
        assert_eq!(
            locators,
            [
                "Resources.Deployers.Properties.Policies[0].PolicyDocument",
                "Resources.CiUser.Properties.Policies[0].PolicyDocument",
                "Resources.CreateFunctions.Properties.PolicyDocument",
            ]
        );
    }
    let findings = lint("users-and-groups.json");
    let by_user: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.rule.id == "privilege-escalation" && f.principal.as_ref().is_some_and(|p| p.name == "ci"))
        .collect();
    assert!(!by_user.is_empty(), "PassRole (user) + CreateFunction (group policy) + invoke (group)");
    assert!(by_user.iter().any(|f| f.message.contains("lambda-001")), "{:?}", by_user[0].message);
}

#[test]
fn sam_function_policies() {
    let f = load("sam-function.yaml");
    let locators: Vec<String> = f.documents.iter().map(|d| snapshot_free(&d.locator)).collect();
    assert_eq!(
        locators,
        [
            "Resources.ThumbnailFunction.Properties.Policies[0]",
            "Resources.ThumbnailFunction.Properties.Policies[1]",
            "Resources.ThumbnailFunction.Properties.Policies[2][AWS managed AWSXrayWriteOnlyAccess]",
            "Resources.ThumbnailFunction.Properties.Policies[3]",
            "Resources.ThumbnailFunction.Properties.Policies[4]",
            "Resources.CleanupFunction.Properties.Policies[AWS managed AmazonS3FullAccess]",
        ]
    );
    assert_eq!(f.principals[0].principal.name, "ThumbnailFunctionRole");
    assert_eq!(f.principals[0].documents, [0, 1, 2, 3, 4]);
    assert_eq!(f.principals[1].principal.name, "CleanupFunctionRole");
    assert_eq!(text(&f, &f.documents[5].span), "AmazonS3FullAccess");
    let write = statement(&f.documents[3], "WriteThumbnails").resource.as_ref().unwrap();
    assert_eq!(write.values[0].value, "arn:aws:s3:::acme-uploads-thumbs/*");

    // The SAM policy templates, expanded as SAM does (rules/packs/sam-policy-templates.json):
    // the parameter's value (a parameter default here) fills the template's ARNs, and the
    // spans are on what the user wrote: the parameter's value, or the template's name.
    let s3 = &f.documents[0].statements[0];
    let actions: Vec<&str> = s3.action.as_ref().unwrap().values.iter().map(|v| v.value.as_str()).collect();
    assert!(actions.contains(&"s3:GetObject") && actions.contains(&"s3:ListBucket"), "{actions:?}");
    assert_eq!(text(&f, &s3.action.as_ref().unwrap().values[0].span), "S3ReadPolicy");
    let resources = s3.resource.as_ref().unwrap();
    let values: Vec<&str> = resources.values.iter().map(|v| v.value.as_str()).collect();
    assert_eq!(values, ["arn:aws:s3:::acme-uploads", "arn:aws:s3:::acme-uploads/*"]);
    assert_eq!(text(&f, &resources.values[0].span), "!Ref SourceBucketName");
    let table = &f.documents[1].statements[0].resource.as_ref().unwrap().values[0];
    assert_eq!(table.value, "arn:aws:dynamodb:${AWS::Region}:${AWS::AccountId}:table/thumbnails");
    assert_eq!(text(&f, &table.span), "!Ref ThumbnailTableName");
}

#[test]
fn sam_policy_templates_unscoped_unknown_or_incomplete() {
    let template = |policies: &str| {
        format!(
            "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: a.b\n      Policies:\n{policies}"
        )
    };
    let run = |policies: &str| match lint_text("sam.yaml", template(policies).into_bytes()) {
        FileOutcome::Linted(findings) => findings
            .iter()
            .map(|f| (f.rule.id, f.message.clone(), f.source.text[f.span.clone()].to_string()))
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    // A table name of `*` makes the CRUD template a grant on every table.
    let star = run("        - DynamoDBCrudPolicy:\n            TableName: '*'\n");
    assert!(star.iter().any(|(rule, _, under)| *rule == "unscoped-write" && under == "'*'"), "{star:#?}");
    // A named table: the same template is scoped.
    let named = run("        - DynamoDBCrudPolicy:\n            TableName: orders\n");
    assert!(!named.iter().any(|(rule, ..)| *rule == "unscoped-write"), "{named:#?}");
    // SAM rejects an unknown template or a missing parameter: never passed over.
    let unknown = run("        - S3CrudPolicyy:\n            BucketName: b\n");
    assert!(
        unknown.iter().any(|(rule, message, under)| *rule == "malformed-policy"
            && message.contains("`S3CrudPolicyy` is not a SAM policy template")
            && under == "S3CrudPolicyy"),
        "{unknown:#?}"
    );
    // SAM's own text is not the user's to fix: the batch operation names in its SQS
    // poller template are not reported (they are API operations, not IAM actions).
    let poller = run("        - SQSPollerPolicy:\n            QueueName: jobs\n");
    assert!(poller.is_empty(), "{poller:#?}");
    let missing = run("        - S3CrudPolicy: {}\n");
    assert!(
        missing
            .iter()
            .any(|(rule, message, _)| *rule == "malformed-policy" && message.contains("missing `BucketName`")),
        "{missing:#?}"
    );
}

#[test]
fn what_cannot_be_read_is_reported_never_skipped() {
    let findings = lint("fail-closed.yaml");
    let got: Vec<(&str, &str, &str)> =
        findings.iter().map(|f| (f.rule.id, f.message.as_str(), &f.source.text[f.span.clone()])).collect();
    let has = |rule: &str, message: &str| got.iter().any(|(r, m, _)| *r == rule && m.contains(message));
    assert!(has("malformed-policy", "unknown policy element `Statment`"), "{got:#?}");
    assert!(has("malformed-policy", "policy has no Statement"));
    assert!(has(
        "malformed-policy",
        "an entry of Policies without a PolicyDocument (a map with keys `PolicyName`, `Document`)"
    ));
    assert!(has("malformed-policy", "an entry of Policies without a PolicyDocument (a string)"));
    assert!(has(
        "malformed-policy",
        "Policies is a map with keys `PolicyName`, `PolicyDocument`, not a list of policies"
    ));
    assert!(has("malformed-policy", "policy document is `!Ref ExternalPolicy`, a value unknown until deployment"));
    assert!(has("malformed-policy", "resource `NoDocument` has no PolicyDocument"));
    let comma: Vec<_> = got.iter().filter(|(r, ..)| *r == "malformed-json").collect();
    assert_eq!(comma.len(), 1);
    assert_eq!((comma[0].1, comma[0].2), ("trailing comma (in the policy JSON string)", ","));
    // No finding says a document has no Version when nothing of it could be read.
    assert!(!got.iter().any(|(r, ..)| *r == "policy-version"), "{got:#?}");
    // Every one of them fails the default gate.
    assert!(findings.iter().all(|f| f.severity >= iamlint::diagnostic::Severity::Medium));
}

#[test]
fn a_yaml_syntax_error_is_one_finding_with_its_span() {
    let findings = lint("syntax-error.yaml");
    assert_eq!(findings.len(), 1, "{:?}", findings.iter().map(|f| &f.message).collect::<Vec<_>>());
    assert_eq!(findings[0].rule.id, "malformed-json");
    assert!(findings[0].message.starts_with("invalid YAML"));
    assert_eq!(findings[0].range().0.0, 9);
}

#[test]
fn yaml_that_is_not_a_template_is_passed_over_unless_iam_shaped() {
    let text = std::fs::read_to_string(path("not-a-template.yaml")).unwrap();
    match load_text("not-a-template.yaml", text) {
        Loaded::NotPolicy(reason) => assert!(reason.contains("not a CloudFormation template"), "{reason}"),
        Loaded::Policy(_) => panic!("a workflow file is not a policy"),
    }
    let f = load("policy.yaml");
    assert_eq!(f.documents.len(), 1);
    assert_eq!(f.documents[0].locator, "");
    assert_eq!(rules(&lint("policy.yaml")), ["full-admin"]);
    // A broken YAML file that names no CloudFormation or IAM element, when walked.
    let options =
        LintOptions { rules: RULES.to_vec(), kind: None, settings: Settings::default(), scps: Default::default() };
    let walked =
        lint_bytes(Path::new("chart.yaml"), b"a: [1\nb: {{ x }}".to_vec(), false, &options, Catalogue::bundled());
    assert!(matches!(walked, FileOutcome::Skipped(_)), "{walked:?}");
    let named =
        lint_bytes(Path::new("chart.yaml"), b"a: [1\nb: {{ x }}".to_vec(), true, &options, Catalogue::bundled());
    assert!(matches!(named, FileOutcome::Linted(f) if f.len() == 1));
}

#[test]
fn the_adapter_claims_templates_and_leaves_policies_to_json() {
    let template = std::fs::read_to_string(path("resource-policies.json")).unwrap();
    assert_eq!(formats::detect(Path::new("t.json"), &template).unwrap().name, "CloudFormation");
    assert_eq!(formats::detect(Path::new("t.template"), &template).unwrap().name, "CloudFormation");
    assert_eq!(formats::detect(Path::new("t.yml"), "a: 1").unwrap().name, "CloudFormation");
    let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "cloudformation:CreateStack",
        "Resource": "*", "Condition": {"ForAllValues:StringLike": {"cloudformation:ResourceTypes": ["AWS::S3::*"]}}}],
        "Id": "Resources"}"#;
    assert_eq!(formats::detect(Path::new("p.json"), policy).unwrap().name, "CloudFormation");
    // Claimed for its words, read as the policy it is.
    let Loaded::Policy(f) = load_text("p.json", policy.to_string()) else { panic!() };
    assert_eq!(f.documents.len(), 1);
    assert_eq!(f.documents[0].locator, "");
    let empty = load_text("t.json", r#"{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}"#.into());
    assert!(matches!(empty, Loaded::NotPolicy(r) if r.contains("CloudFormation template")));
}

/// Every rule fires the same on a policy whether it is a raw JSON file or inside a
/// template, JSON or YAML (JSON is YAML's flow style), in the slot its kind has.
#[test]
fn rules_fire_the_same_inside_a_template() {
    let mut compared = 0;
    let mut differences = Vec::new();
    for rule in RULES {
        let dir = Path::new("fixtures").join(rule.meta.id).join("fail");
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.retain(|p| p.extension().is_some_and(|e| e == "json"));
        paths.sort();
        for p in paths.iter().take(3) {
            let Ok(raw) = std::fs::read_to_string(p) else { continue };
            let Loaded::Policy(file) = load_text("raw.json", raw.clone()) else { continue };
            let Some(kind_from_name) = p.file_stem().and_then(|s| s.to_str()).map(|s| s.rsplit_once('.').map(|x| x.1))
            else {
                continue;
            };
            if !file.syntax.is_empty()
                || file.documents.len() != 1
                || file.documents[0].bare_statement
                || kind_from_name.is_some()
            {
                continue;
            }
            let kind = file.documents[0].kind;
            let (ty, key) = match kind {
                PolicyKind::Identity => ("AWS::IAM::ManagedPolicy", "PolicyDocument"),
                PolicyKind::Trust => ("AWS::IAM::Role", "AssumeRolePolicyDocument"),
                PolicyKind::Resource => ("AWS::S3::BucketPolicy", "PolicyDocument"),
                _ => continue,
            };
            let ids = |outcome: FileOutcome| -> Vec<&'static str> {
                match outcome {
                    FileOutcome::Linted(f) => rules(&f),
                    other => panic!("{}: {other:?}", p.display()),
                }
            };
            let expected = ids(lint_text("raw.json", raw.clone().into_bytes()));
            let json = format!(
                "{{\"AWSTemplateFormatVersion\": \"2010-09-09\", \"Resources\": {{\"R\": {{\"Type\": \"{ty}\", \"Properties\": {{\"{key}\": {raw}}}}}}}}}"
            );
            let indented: String = raw.lines().map(|l| format!("        {l}\n")).collect();
            let yaml = format!(
                "AWSTemplateFormatVersion: \"2010-09-09\"\nResources:\n  R:\n    Type: {ty}\n    Properties:\n      {key}:\n{indented}"
            );
            for (name, text) in [("t.json", json), ("t.yaml", yaml)] {
                let got = ids(lint_text(name, text.into_bytes()));
                if got != expected {
                    differences.push(format!("{} as {name}: raw {expected:?}, wrapped {got:?}", p.display()));
                }
            }
            compared += 1;
        }
    }
    assert!(compared > 40, "only {compared} fixtures compared");
    assert!(differences.is_empty(), "{}", differences.join("\n"));
}

const TEMPLATE_SEED: &str = "AWSTemplateFormatVersion: \"2010-09-09\"\nParameters:\n  P: {Type: String, Default: x}\nResources:\n  B: {Type: AWS::S3::Bucket}\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument: {Version: \"2012-10-17\", Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: sts:AssumeRole}]}\n      Policies:\n        - PolicyName: p\n          PolicyDocument:\n            Version: \"2012-10-17\"\n            Statement:\n              - Effect: !If [C, Allow, Deny]\n                Action: [iam:PassRole, !Sub \"s3:${P}\"]\n                Resource: [!GetAtt B.Arn, !Join [\"\", [!Ref B, \"/*\"]], !Select [0, [a, b]]]\n        - PolicyName: q\n          PolicyDocument: !Sub |\n            {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"ec2:RunInstances\", \"Resource\": \"arn:aws:s3:::${B}\"}]}\n  M:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Roles: [!Ref R]\n      PolicyDocument: {\"Fn::If\": [C, {Version: \"2012-10-17\", Statement: []}, {Ref: AWS::NoValue}]}\n";

fn mutate(seed: &str, cuts: Vec<(usize, usize, u8)>) -> Vec<u8> {
    let mut bytes = seed.as_bytes().to_vec();
    for (at, len, byte) in cuts {
        let at = at.min(bytes.len());
        let end = (at + len).min(bytes.len());
        bytes.splice(at..end, [byte]);
    }
    bytes
}

fn never_panics(name: &str, bytes: Vec<u8>) {
    if let FileOutcome::Linted(findings) = lint_text(name, bytes) {
        for f in findings {
            let _ = iamlint::report::human::render(&f, iamlint::report::human::Style::PLAIN);
            let _ = iamlint::report::concise::line(&f);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn mutated_yaml_templates_never_panic(cuts in proptest::collection::vec((0usize..TEMPLATE_SEED.len(), 0usize..6, any::<u8>()), 1..6)) {
        never_panics("t.yaml", mutate(TEMPLATE_SEED, cuts));
    }

    #[test]
    fn mutated_json_templates_never_panic(cuts in proptest::collection::vec((0usize..2000, 0usize..6, any::<u8>()), 1..6)) {
        let seed = std::fs::read_to_string(path("users-and-groups.json")).unwrap();
        never_panics("t.json", mutate(&seed, cuts));
    }

    #[test]
    fn arbitrary_yaml_never_panics(s in "[-:!&*|>{}\\[\\],'\" \\n\\ta-zA-Z0-9${}.\u{e9}]{0,300}") {
        never_panics("t.yaml", s.clone().into_bytes());
        never_panics("t.template", format!("AWSTemplateFormatVersion: x\nResources:\n  R:\n    Type: AWS::IAM::Policy\n    Properties:\n      PolicyDocument: {s}").into_bytes());
    }
}

/// AWS managed policies a template attaches by ARN (or a SAM function names) are judged
/// with the principal, from the bundled snapshot, underlined where the template names them.
#[test]
fn aws_managed_policies_attached_by_arn_or_name_are_analysed() {
    let template = r#"AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Resources:
  AdminRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: ec2.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - !Sub "arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess"
  Launcher:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: codebuild.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: pass
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: iam:PassRole
                Resource: "*"
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AmazonEC2FullAccess
        - arn:aws:iam::aws:policy/NoSuchManagedPolicyEver
      PermissionsBoundary: arn:aws:iam::aws:policy/ReadOnlyAccess
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.b
      Policies:
        - AWSLambdaBasicExecutionRole
"#;
    let Loaded::Policy(f) = load_text("t.yaml", template.to_string()) else { panic!("not read") };
    let located: Vec<(&str, PolicyKind)> = f.documents.iter().map(|d| (d.locator.as_str(), d.kind)).collect();
    let date = iamlint::catalogue::managed::data_date();
    let managed = |at: &str, name: &str, version: &str| format!("{at}[AWS managed {name} {version} of {date}]");
    for (at, name) in [
        ("Resources.AdminRole.Properties.ManagedPolicyArns[0]", "AdministratorAccess"),
        ("Resources.Launcher.Properties.ManagedPolicyArns[0]", "AmazonEC2FullAccess"),
        ("Resources.Launcher.Properties.PermissionsBoundary", "ReadOnlyAccess"),
        ("Resources.Fn.Properties.Policies[0]", "AWSLambdaBasicExecutionRole"),
    ] {
        let found = located.iter().find(|(l, _)| l.starts_with(&format!("{at}[AWS managed {name} ")));
        assert!(found.is_some(), "{at} {name}: {located:#?}");
        let version = found.unwrap().0.rsplit(' ').nth(2).unwrap();
        assert_eq!(found.unwrap().0, managed(at, name, version));
    }
    let boundary = f.documents.iter().find(|d| d.locator.contains("ReadOnlyAccess")).unwrap();
    assert_eq!(boundary.kind, PolicyKind::Boundary);
    let launcher = f.principals.iter().find(|p| p.principal.name == "Launcher").unwrap();
    assert_eq!(launcher.ceilings.len(), 1);
    assert_eq!(launcher.documents.len(), 2, "the inline policy and AmazonEC2FullAccess");

    let FileOutcome::Linted(findings) = lint_text("t.yaml", template.as_bytes().to_vec()) else { panic!() };
    let on = |rule: &str, text: &str| {
        findings.iter().any(|x| x.rule.id == rule && x.source.text[x.span.clone()].contains(text))
    };
    // AdministratorAccess: full admin, underlined on the ARN the template writes.
    assert!(on("full-admin", "iam::aws:policy/AdministratorAccess"), "{:#?}", rules(&findings));
    // The unknown AWS managed policy is a gap that fails the run, never a silent hole.
    assert!(on("incomplete-analysis", "NoSuchManagedPolicyEver"), "{:#?}", rules(&findings));
    // Nothing about the validity or style of AWS's own text is reported (AmazonEC2FullAccess
    // lists actions its own `ec2:Describe*` covers): what it grants is.
    use iamlint::diagnostic::Category;
    let about_text: Vec<&str> = findings
        .iter()
        .filter(|x| matches!(x.rule.category, Category::Validity | Category::Suspicious))
        .filter(|x| x.rule.id != "incomplete-analysis" && x.source.text[x.span.clone()].contains("iam::aws:policy/"))
        .map(|x| x.rule.id)
        .collect();
    assert!(about_text.is_empty(), "{about_text:?}");
    assert!(on("service-wildcard", "AmazonEC2FullAccess"), "{:#?}", rules(&findings));
}

/// The boundary decides: the same inline PassRole and AWS managed EC2 access escalate
/// (ec2-001) without a boundary, and not under ReadOnlyAccess as the boundary.
#[test]
fn escalation_across_an_inline_and_an_aws_managed_policy() {
    let template = |boundary: &str| {
        format!(
            "Resources:\n  Launcher:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Statement:\n          - Effect: Allow\n            Principal: {{Service: codebuild.amazonaws.com}}\n            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: pass\n          PolicyDocument:\n            Version: \"2012-10-17\"\n            Statement:\n              - Effect: Allow\n                Action: iam:PassRole\n                Resource: \"*\"\n      ManagedPolicyArns:\n        - arn:aws:iam::aws:policy/AmazonEC2FullAccess\n{boundary}"
        )
    };
    let escalation = |text: String| -> Vec<String> {
        let FileOutcome::Linted(findings) = lint_text("t.yaml", text.into_bytes()) else { panic!() };
        findings
            .iter()
            .filter(|f| f.rule.id == "privilege-escalation" && f.principal.is_some())
            .map(|f| f.message.clone())
            .collect()
    };
    let open = escalation(template(""));
    assert!(open.iter().any(|m| m.contains("ec2-001")), "{open:#?}");
    let bounded = escalation(template("      PermissionsBoundary: arn:aws:iam::aws:policy/ReadOnlyAccess\n"));
    assert!(bounded.is_empty(), "{bounded:#?}");
}
