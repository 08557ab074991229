//! `iamlint diff`, run as users run it (the real binary): real AWS managed-policy history
//! with the expected action-level changes written by hand from the two JSON versions
//! (fixtures/diff/managed/README.md), hand-made cases for each kind of change, Denies,
//! NotAction, principals, CloudFormation and Terraform, findings, exit codes, `--git`,
//! and SARIF validated by the SARIF Multitool.

mod common;

use common::Scratch;
use common::{iamlint, tool};
use serde_json::Value;
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(o)))
}

/// One change as (file name without directory, "+" or "-", kind, action).
type Row = (String, &'static str, String, String);

fn rows(report: &Value) -> BTreeSet<Row> {
    let mut out = BTreeSet::new();
    for c in report["changes"].as_array().unwrap() {
        let file = c["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
        for (sign, list) in [("+", &c["added"]), ("-", &c["removed"])] {
            for ch in list.as_array().unwrap() {
                out.insert((
                    file.clone(),
                    sign,
                    ch["kind"].as_str().unwrap().to_string(),
                    ch["action"].as_str().unwrap().to_string(),
                ));
            }
        }
    }
    out
}

fn of<'r>(rows: &'r BTreeSet<Row>, file: &str) -> Vec<&'r Row> {
    rows.iter().filter(|r| r.0 == file).collect()
}

fn has(rows: &BTreeSet<Row>, file: &str, sign: &'static str, kind: &str, action: &str) -> bool {
    rows.contains(&(file.to_string(), sign, kind.to_string(), action.to_string()))
}

/// The change of `action` in `file`, as JSON.
fn change<'r>(report: &'r Value, file: &str, kind: &str, action: &str) -> &'r Value {
    report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["file"].as_str().unwrap().ends_with(file))
        .flat_map(|c| c["added"].as_array().unwrap().iter().chain(c["removed"].as_array().unwrap()))
        .find(|ch| ch["kind"] == kind && ch["action"] == action)
        .unwrap_or_else(|| panic!("no {kind} {action} in {file}:\n{report:#}"))
}

/// A role and the attachment of `aws_iam_policy.builds` to it: the Terraform module
/// tests' `iam.tf`.
const CI_ROLE_TF: &str = r#"resource "aws_iam_role" "ci" {
  name               = "ci"
  assume_role_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { Service = "codebuild.amazonaws.com" }, Action = "sts:AssumeRole" }] })
}

resource "aws_iam_role_policy_attachment" "ci" {
  role       = aws_iam_role.ci.name
  policy_arn = aws_iam_policy.builds.arn
}
"#;

/// Runs the real `git` in `dir` with a fixed author; fails the test if git fails.
fn git_in(dir: &Path, args: &[&str]) {
    let o = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .unwrap();
    assert!(o.status.success(), "git {args:?}: {}", text(&o));
}

fn policy(statements: &str) -> String {
    format!("{{\"Version\": \"2012-10-17\", \"Statement\": [{statements}]}}\n")
}

// ------------------------------------------------------------ real managed-policy history

/// Expected changes, written from reading the two versions of each policy (not from
/// iamlint's expansion): `fixtures/diff/managed/{old,new}/NAME.json`.
#[test]
fn consecutive_versions_of_aws_managed_policies() {
    let o = iamlint(
        &["diff", "fixtures/diff/managed/old", "fixtures/diff/managed/new", "--format", "json", "--fail-on", "none"],
        &root(),
    );
    assert_eq!(o.status.code(), Some(1), "new Write access fails the default --fail-on-access: {}", text(&o));
    let report = json(&o);
    let r = rows(&report);
    assert_eq!(report["version"], 1);
    assert_eq!(report["summary"]["files_compared"], 14);

    // ECR full access v1 -> v2 adds one named action, cloudtrail:LookupEvents; `ecr:*` stays.
    assert_eq!(
        of(&r, "AmazonEC2ContainerRegistryFullAccess.json"),
        [&(
            "AmazonEC2ContainerRegistryFullAccess.json".into(),
            "+",
            "new-action".into(),
            "cloudtrail:LookupEvents".into()
        )]
    );
    let lookup = change(&report, "AmazonEC2ContainerRegistryFullAccess.json", "new-action", "cloudtrail:LookupEvents");
    assert_eq!(lookup["access_level"], "Read");
    assert_eq!(lookup["resources"], serde_json::json!(["*"]));
    assert_eq!(lookup["statements"][0]["side"], "new");
    assert_eq!(lookup["statements"][0]["index"], 0);

    // S3 full access v1 -> v2 adds `s3-object-lambda:*`: only s3-object-lambda actions are
    // new (GetObject and WriteGetObjectResponse among them), nothing of s3 changes.
    let s3 = of(&r, "AmazonS3FullAccess.json");
    assert!(s3.iter().all(|x| x.1 == "+" && x.2 == "new-action" && x.3.starts_with("s3-object-lambda:")), "{s3:?}");
    assert!(has(&r, "AmazonS3FullAccess.json", "+", "new-action", "s3-object-lambda:GetObject"));
    assert!(has(&r, "AmazonS3FullAccess.json", "+", "new-action", "s3-object-lambda:WriteGetObjectResponse"));

    // OpenSearch read-only v1 -> v2 adds `es:Get*`: new actions all start with es:Get.
    let es = of(&r, "AmazonESReadOnlyAccess.json");
    assert!(!es.is_empty() && es.iter().all(|x| x.1 == "+" && x.2 == "new-action" && x.3.starts_with("es:Get")));
    assert!(has(&r, "AmazonESReadOnlyAccess.json", "+", "new-action", "es:GetCompatibleVersions"));

    // Grafana console read-only v2 -> v3: Resource `arn:aws:grafana:*:*:/workspaces*` -> `*`:
    // the workspace actions are wider (now on `*`); nothing is taken away.
    let describe = change(&report, "AWSGrafanaConsoleReadOnlyAccess.json", "wider", "grafana:DescribeWorkspace");
    assert_eq!(describe["resources"], serde_json::json!(["*"]));
    assert_eq!(describe["certain"], true);
    assert!(of(&r, "AWSGrafanaConsoleReadOnlyAccess.json").iter().all(|x| x.1 == "+"));

    // Greengrass OTA v1 -> v2: five named update buckets -> `arn:aws:s3:::*-greengrass-updates/*`,
    // which contains them all: s3:GetObject wider by that pattern, nothing narrower.
    assert_eq!(
        of(&r, "GreengrassOTAUpdateArtifactAccess.json"),
        [&("GreengrassOTAUpdateArtifactAccess.json".into(), "+", "wider".into(), "s3:GetObject".into())]
    );
    let ota = change(&report, "GreengrassOTAUpdateArtifactAccess.json", "wider", "s3:GetObject");
    assert_eq!(ota["resources"], serde_json::json!(["arn:aws:s3:::*-greengrass-updates/*"]));

    // CodeGuru Profiler agent v2 -> v3: Resource `*` -> `...:profilingGroup/*`: narrower for
    // the agent actions, nothing added.
    assert!(has(&r, "AmazonCodeGuruProfilerAgentAccess.json", "-", "narrower", "codeguru-profiler:ConfigureAgent"));
    assert!(has(&r, "AmazonCodeGuruProfilerAgentAccess.json", "-", "narrower", "codeguru-profiler:PostAgentProfile"));
    let narrower =
        change(&report, "AmazonCodeGuruProfilerAgentAccess.json", "narrower", "codeguru-profiler:ConfigureAgent");
    assert_eq!(narrower["resources"], serde_json::json!(["*"]));
    assert_eq!(narrower["statements"][0]["side"], "old");
    assert!(of(&r, "AmazonCodeGuruProfilerAgentAccess.json").iter().all(|x| x.1 == "-"));

    // CloudFront logger v1 -> v2: `arn:aws:logs:*:*:/aws/cloudfront/*` has no `log-group:`
    // and names no log group; v2's `log-group:/aws/cloudfront/*` grants the three actions.
    for action in ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"] {
        assert!(has(&r, "AWSCloudFrontLogger.json", "+", "new-action", action), "{action}");
    }

    // IoT FleetWise v1 -> v2: `cloudwatch:namespace` StringEquals gains `AWS/Usage`: looser.
    assert_eq!(
        of(&r, "AWSIoTFleetwiseServiceRolePolicy.json"),
        [&("AWSIoTFleetwiseServiceRolePolicy.json".into(), "+", "looser".into(), "cloudwatch:PutMetricData".into())]
    );
    let looser = change(&report, "AWSIoTFleetwiseServiceRolePolicy.json", "looser", "cloudwatch:PutMetricData");
    assert!(looser["detail"].as_str().unwrap().contains("AWS/Usage"), "{looser}");

    // ECS events role v1 -> v2 adds iam:PassRole under iam:PassedToService.
    assert_eq!(
        of(&r, "AmazonEC2ContainerServiceEventsRole.json"),
        [&("AmazonEC2ContainerServiceEventsRole.json".into(), "+", "new-action".into(), "iam:PassRole".into())]
    );
    let pass = change(&report, "AmazonEC2ContainerServiceEventsRole.json", "new-action", "iam:PassRole");
    assert_eq!(pass["access_level"], "Write");
    assert_eq!(pass["conditions"][0]["key"], "iam:PassedToService");
    assert_eq!(pass["conditions"][0]["values"], serde_json::json!(["ecs-tasks.amazonaws.com"]));

    // Connect read-only v1 -> v2: the Deny adds connect:GetFederationToken, which
    // `connect:Get*` granted: removed, nothing else.
    assert_eq!(
        of(&r, "AmazonConnectReadOnlyAccess.json"),
        [&("AmazonConnectReadOnlyAccess.json".into(), "-", "removed".into(), "connect:GetFederationToken".into())]
    );

    // PowerUserAccess v2 -> v3: NotAction still leaves out iam:*; three iam actions named.
    let power: Vec<&str> = of(&r, "PowerUserAccess.json").iter().map(|x| x.3.as_str()).collect();
    assert_eq!(power, ["iam:CreateServiceLinkedRole", "iam:DeleteServiceLinkedRole", "iam:ListRoles"]);
    assert!(of(&r, "PowerUserAccess.json").iter().all(|x| x.1 == "+" && x.2 == "new-action"));

    // IAMUserChangePassword v2 -> v3 adds `arn:aws:iam::*:user/*/${aws:username}` (users
    // with a path), which `user/${aws:username}` does not contain.
    let pw = change(&report, "IAMUserChangePassword.json", "wider", "iam:ChangePassword");
    assert_eq!(pw["resources"], serde_json::json!(["arn:aws:iam::*:user/*/${aws:username}"]));
    assert_eq!(of(&r, "IAMUserChangePassword.json").len(), 1);

    // Only a Sid added (AWSDenyAll, AWSXrayFullAccess): no change at all.
    assert!(of(&r, "AWSDenyAll.json").is_empty());
    assert!(of(&r, "AWSXrayFullAccess.json").is_empty());
}

// ------------------------------------------------------------ hand-made cases

#[test]
fn wider_may_be_wider_looser_tighter_and_narrower() {
    let s = Scratch::new();
    s.write(
        "old/p.json",
        policy(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/app/*"},
               {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/*?"},
               {"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}},
               {"Effect": "Allow", "Action": "ec2:StopInstances", "Resource": "*"},
               {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": ["arn:aws:s3:::a/*", "arn:aws:s3:::b/*"]}"#,
        ),
    )
    .write(
        "new/p.json",
        policy(
            r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"},
               {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::data/?*"},
               {"Effect": "Allow", "Action": "ec2:TerminateInstances", "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/team": ["a", "b"]}}},
               {"Effect": "Allow", "Action": "ec2:StopInstances", "Resource": "*",
                "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}},
               {"Effect": "Allow", "Action": "s3:DeleteObject", "Resource": "arn:aws:s3:::a/*"}"#,
        ),
    );
    let o = s.run(&["diff", "old", "new", "--format", "json"]);
    let report = json(&o);
    let r = rows(&report);
    assert!(has(&r, "p.json", "+", "wider", "s3:GetObject"));
    assert_eq!(
        change(&report, "p.json", "wider", "s3:GetObject")["resources"],
        serde_json::json!(["arn:aws:s3:::logs/*"])
    );
    // `data/?*` and `data/*?` match the same objects; neither test decides it: "may be wider".
    let maybe = change(&report, "p.json", "wider", "s3:PutObject");
    assert_eq!(maybe["certain"], false);
    assert!(maybe["detail"].as_str().unwrap().starts_with("may be wider"));
    let looser = change(&report, "p.json", "looser", "ec2:TerminateInstances");
    assert!(looser["detail"].as_str().unwrap().contains("widened to `b`"), "{looser}");
    let tighter = change(&report, "p.json", "tighter", "ec2:StopInstances");
    assert_eq!(tighter["statements"][0]["side"], "old");
    let narrower = change(&report, "p.json", "narrower", "s3:DeleteObject");
    assert_eq!(narrower["resources"], serde_json::json!(["arn:aws:s3:::b/*"]));
    assert_eq!(o.status.code(), Some(1), "a looser Write fails: {}", text(&o));
    // Read-only widening passes the default threshold, and fails at --fail-on-access read.
    let s2 = Scratch::new();
    s2.write(
        "old.json",
        policy(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/app/*"}"#),
    )
    .write("new.json", policy(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::logs/*"}"#));
    assert_eq!(s2.run(&["diff", "old.json", "new.json"]).status.code(), Some(0));
    assert_eq!(s2.run(&["diff", "old.json", "new.json", "--fail-on-access", "read"]).status.code(), Some(1));
    assert_eq!(
        s2.run(&["diff", "new.json", "old.json", "--fail-on-access", "list"]).status.code(),
        Some(0),
        "only removed"
    );
}

#[test]
fn denies_are_credited_and_not_action_is_expanded() {
    let s = Scratch::new();
    s.write(
        "old/p.json",
        policy(
            r#"{"Effect": "Allow", "Action": ["iam:*"], "Resource": "*"},
               {"Effect": "Deny", "Action": ["iam:PassRole", "iam:CreateAccessKey"], "Resource": "*"},
               {"Effect": "Allow", "NotAction": ["s3:*", "ec2:*"], "Resource": "*"}"#,
        ),
    )
    .write(
        "new/p.json",
        // The Deny no longer names CreateAccessKey; a conditional Deny removes nothing for
        // sure; the NotAction list no longer leaves out ec2:*; a new Deny removes s3:* no
        // more (it never was granted) and kms:Decrypt.
        policy(
            r#"{"Effect": "Allow", "Action": ["iam:*"], "Resource": "*"},
               {"Effect": "Deny", "Action": ["iam:PassRole"], "Resource": "*"},
               {"Effect": "Deny", "Action": ["iam:DeleteRole"], "Resource": "*", "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}},
               {"Effect": "Allow", "NotAction": ["s3:*"], "Resource": "*"},
               {"Effect": "Deny", "Action": ["kms:Decrypt"], "Resource": "*"}"#,
        ),
    );
    let report = json(&s.run(&["diff", "old", "new", "--format", "json"]));
    let r = rows(&report);
    assert!(has(&r, "p.json", "+", "new-action", "iam:CreateAccessKey"));
    assert!(!r.iter().any(|x| x.3 == "iam:PassRole" || x.3 == "iam:DeleteRole"), "{r:?}");
    assert!(has(&r, "p.json", "+", "new-action", "ec2:RunInstances"));
    assert!(has(&r, "p.json", "+", "new-action", "ec2:TerminateInstances"));
    assert!(has(&r, "p.json", "-", "removed", "kms:Decrypt"));
    assert!(!r.iter().any(|x| x.3.starts_with("s3:")), "s3 is left out on both sides");
    let created = change(&report, "p.json", "new-action", "iam:CreateAccessKey");
    assert_eq!(created["access_level"], "Write");
    // The grant comes from the iam:* statement (index 0).
    assert_eq!(created["statements"][0]["index"], 0);
}

#[test]
fn principals_of_trust_and_resource_policies() {
    let s = Scratch::new();
    let bucket = |principals: &str| {
        policy(&format!(
            r#"{{"Effect": "Allow", "Principal": {principals}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}}"#
        ))
    };
    s.write("old/bucket.json", bucket(r#"{"AWS": "arn:aws:iam::111122223333:role/reader"}"#))
        .write(
            "new/bucket.json",
            bucket(r#"{"AWS": ["arn:aws:iam::111122223333:role/reader", "arn:aws:iam::111122223333:role/writer", "arn:aws:iam::210987654321:root", "*"]}"#),
        )
        .write(
            "old/trust.json",
            policy(r#"{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}"#),
        )
        .write(
            "new/trust.json",
            policy(r#"{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}"#),
        );
    let report = json(&s.run(&["diff", "old", "new", "--format", "json"]));
    let public = change(&report, "bucket.json", "new-principal", "*");
    assert!(public["detail"].as_str().unwrap().contains("public"));
    let account = change(&report, "bucket.json", "new-principal", "arn:aws:iam::210987654321:root");
    assert!(account["detail"].as_str().unwrap().contains("an account not named before"), "{account}");
    let writer = change(&report, "bucket.json", "new-principal", "arn:aws:iam::111122223333:role/writer");
    assert!(!writer["detail"].as_str().unwrap().contains("not named before"), "{writer}");
    assert_eq!(writer["access_level"], "Read");
    let lambda = change(&report, "trust.json", "new-principal", "lambda.amazonaws.com");
    assert!(lambda["detail"].as_str().unwrap().contains("service"));
    change(&report, "trust.json", "removed-principal", "ec2.amazonaws.com");
}

const TEMPLATE_OLD: &str = r#"AWSTemplateFormatVersion: "2010-09-09"
Resources:
  DeployRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: codebuild.amazonaws.com}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: deploy
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: arn:aws:s3:::artifacts/*
"#;

#[test]
fn a_cloudformation_role_gains_a_statement_and_a_managed_policy() {
    let s = Scratch::new();
    let statement = TEMPLATE_OLD.replace(
        "                Resource: arn:aws:s3:::artifacts/*\n",
        "                Resource: arn:aws:s3:::artifacts/*\n              - Effect: Allow\n                Action: lambda:UpdateFunctionCode\n                Resource: \"*\"\n",
    );
    s.write("old/stack.yaml", TEMPLATE_OLD).write("new/stack.yaml", &statement);
    let o = s.run(&["diff", "old", "new", "--format", "json"]);
    let report = json(&o);
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{report:#}");
    // Every role of a template is a principal: the change is the role's, judged with all
    // its policies.
    assert_eq!(changes[0]["locator"], "Resources.DeployRole");
    assert_eq!(changes[0]["principal"]["name"], "DeployRole");
    assert_eq!(changes[0]["added"].as_array().unwrap().len(), 1);
    let update = &changes[0]["added"][0];
    assert_eq!(update["action"], "lambda:UpdateFunctionCode");
    assert_eq!(update["kind"], "new-action");
    assert_eq!(update["statements"][0]["line"], 20, "the new statement's line in NEW");
    assert_eq!(o.status.code(), Some(1));
    let human = String::from_utf8(s.run(&["diff", "old", "new"]).stdout).unwrap();
    assert!(human.contains("  + Write\n    + new-action     lambda:UpdateFunctionCode on *"), "{human}");

    // A managed policy attached to the role: the role (a principal now, with two
    // policies) is compared with its one inline policy before, and gains only what the
    // managed policy adds.
    let managed = format!(
        "{TEMPLATE_OLD}  Extra:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Roles: [!Ref DeployRole]\n      PolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Action: [s3:GetObject, ssm:GetParameter]\n            Resource: \"*\"\n"
    );
    s.write("new/stack.yaml", &managed);
    let report = json(&s.run(&["diff", "old", "new", "--format", "json"]));
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{report:#}");
    assert_eq!(changes[0]["principal"]["name"], "DeployRole");
    assert_eq!(changes[0]["status"], "changed");
    let r = rows(&report);
    assert!(has(&r, "stack.yaml", "+", "new-action", "ssm:GetParameter"), "{r:?}");
    assert!(has(&r, "stack.yaml", "+", "wider", "s3:GetObject"), "{r:?}");
    assert!(!r.iter().any(|x| x.1 == "-"), "nothing removed: {r:?}");
    let human = String::from_utf8(s.run(&["diff", "old", "new"]).stdout).unwrap();
    assert!(human.contains("new/stack.yaml role DeployRole (changed principal)"), "{human}");
}

#[test]
fn a_terraform_policy_gains_an_action() {
    let s = Scratch::new();
    let tf = |actions: &str| {
        format!(
            r#"data "aws_iam_policy_document" "ci" {{
  statement {{
    actions   = [{actions}]
    resources = ["arn:aws:s3:::builds/*"]
  }}
}}
"#
        )
    };
    s.write("old/main.tf", tf(r#""s3:GetObject""#)).write("new/main.tf", tf(r#""s3:GetObject", "s3:PutObject""#));
    let report = json(&s.run(&["diff", "old", "new", "--format", "json"]));
    let r = rows(&report);
    assert_eq!(r.len(), 1, "{r:?}");
    let put = change(&report, "main.tf", "new-action", "s3:PutObject");
    assert_eq!(put["resources"], serde_json::json!(["arn:aws:s3:::builds/*"]));
    assert_eq!(report["changes"][0]["locator"], "data.aws_iam_policy_document.ci");
}

/// A module's files are read together (a role in iam.tf, its policy in policies.tf): each
/// change is reported once, a document's for its file, a principal's for one file.
#[test]
fn a_change_in_a_terraform_modules_file_is_reported_once() {
    let s = Scratch::new();
    let iam = CI_ROLE_TF;
    let policies = |actions: &str| {
        format!(
            r#"data "aws_iam_policy_document" "builds" {{
  statement {{
    actions   = [{actions}]
    resources = ["arn:aws:s3:::builds/*"]
  }}
}}

resource "aws_iam_policy" "builds" {{
  policy = data.aws_iam_policy_document.builds.json
}}

resource "aws_iam_policy" "spare" {{
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = [{actions}], Resource = "arn:aws:s3:::spare/*" }}] }})
}}
"#
        )
    };
    s.write("old/iam.tf", iam)
        // Changed too (a comment), so that iam.tf is compared.
        .write("new/iam.tf", format!("# the CI role\n{iam}"))
        .write("old/policies.tf", policies(r#""s3:GetObject""#))
        .write("new/policies.tf", policies(r#""s3:GetObject", "s3:PutObject""#));
    let report = json(&s.run(&["diff", "old", "new", "--format", "json"]));
    let r = rows(&report);
    // The role's grant (its attached policy) and the policy no one holds, each once: the
    // policy for policies.tf, the role for the first file (by path) holding one of its
    // documents, iam.tf (its trust policy).
    let found: Vec<(String, String)> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let file = c["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (file, c["locator"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        found,
        [
            ("iam.tf".to_string(), "aws_iam_role.ci".to_string()),
            ("policies.tf".to_string(), "aws_iam_policy.spare".to_string())
        ],
        "{report:#}"
    );
    assert!(r.iter().all(|row| row.1 == "+" && row.2 == "new-action" && row.3 == "s3:PutObject"), "{r:?}");
}

/// The same module with iam.tf unchanged byte for byte: the role it declares holds the
/// policy policies.tf changes, so its grant changes though its file does not. The role is
/// judged in iam.tf (the first file holding one of its documents), which is compared, not
/// passed over as an unchanged file.
#[test]
fn a_principal_whose_policy_changes_in_a_sibling_file_is_compared() {
    let s = Scratch::new();
    let iam = CI_ROLE_TF;
    let policies = |actions: &str| {
        format!(
            r#"data "aws_iam_policy_document" "builds" {{
  statement {{
    actions   = [{actions}]
    resources = ["arn:aws:s3:::builds/*"]
  }}
}}

resource "aws_iam_policy" "builds" {{
  policy = data.aws_iam_policy_document.builds.json
}}
"#
        )
    };
    s.write("old/iam.tf", iam)
        .write("new/iam.tf", iam)
        .write("old/policies.tf", policies(r#""s3:GetObject""#))
        .write("new/policies.tf", policies(r#""s3:GetObject", "s3:DeleteObject""#));
    let o = s.run(&["diff", "old", "new", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report = json(&o);
    let found: Vec<(String, String)> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let file = c["file"].as_str().unwrap().rsplit('/').next().unwrap().to_string();
            (file, c["locator"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(found, [("iam.tf".to_string(), "aws_iam_role.ci".to_string())], "{report:#}");
    assert_eq!(
        rows(&report),
        BTreeSet::from([("iam.tf".to_string(), "+", "new-action".to_string(), "s3:DeleteObject".to_string())])
    );
    // The statement it comes from is named where it is written: policies.tf, line 2.
    let at = &change(&report, "iam.tf", "new-action", "s3:DeleteObject")["statements"][0];
    assert!(at["file"].as_str().unwrap().ends_with("new/policies.tf"), "{at}");
    assert_eq!((&at["line"], &at["column"]), (&serde_json::json!(2), &serde_json::json!(3)), "{at}");
    // A file of another directory that did not change is still passed over.
    s.write("old/other/iam.tf", iam).write("new/other/iam.tf", iam);
    let again = json(&s.run(&["diff", "old", "new", "--format", "json"]));
    assert_eq!(again["changes"].as_array().unwrap().len(), 1, "{again:#}");
}

/// `--git`: the revision's Terraform files are read with their module as the working
/// tree's are (the revision is not on disk: its files are handed to the Terraform reader),
/// with their variable defaults and the JSON files `file()` reads, so a policy changed in
/// one file is compared on the role of another, and nothing that did not change is
/// reported as removed or new.
#[test]
fn git_reads_a_revisions_terraform_module_whole() {
    let s = Scratch::new();
    let git = |args: &[&str]| git_in(&s.0, args);
    let iam = CI_ROLE_TF;
    let policies = |actions: &str| {
        format!(
            r#"variable "bucket" {{
  default = "builds"
}}

resource "aws_iam_policy" "builds" {{
  policy = jsonencode({{ Version = "2012-10-17", Statement = [{{ Effect = "Allow", Action = [{actions}], Resource = "arn:aws:s3:::${{var.bucket}}/*" }}] }})
}}

resource "aws_iam_policy" "logs" {{
  policy = file("${{path.module}}/logs.json")
}}

resource "aws_iam_role_policy_attachment" "logs" {{
  role       = aws_iam_role.ci.name
  policy_arn = aws_iam_policy.logs.arn
}}
"#
        )
    };
    git(&["init", "-q", "-b", "main"]);
    s.write("infra/iam.tf", iam).write("infra/policies.tf", policies(r#""s3:GetObject""#)).write(
        "infra/logs.json",
        policy(r#"{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "arn:aws:logs:*:*:log-group:ci:*"}"#),
    );
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    s.write("infra/policies.tf", policies(r#""s3:GetObject", "s3:DeleteObject""#));
    let o = s.run(&["diff", "--git", "main", "infra", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report = json(&o);
    // Only the new action, on the role that holds the policy: the role's other grants (one
    // read with `file()`), its trust policy and the variable's bucket are the same on both
    // sides.
    assert_eq!(
        rows(&report),
        BTreeSet::from([("iam.tf".to_string(), "+", "new-action".to_string(), "s3:DeleteObject".to_string())]),
        "{report:#}"
    );
    assert!(report["findings"]["fixed"].as_array().unwrap().is_empty(), "{report:#}");
}

#[test]
fn added_and_removed_documents_are_whole_changes() {
    let s = Scratch::new();
    s.write("old/gone.json", policy(r#"{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}"#))
        .write("new/fresh.json", policy(r#"{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}"#))
        .write("old/package.json", "{\"name\": \"x\"}")
        .write("new/package.json", "{\"name\": \"y\"}");
    let report = json(&s.run(&["diff", "old", "new", "--format", "json"]));
    let statuses: Vec<(String, String)> = report["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["file"].as_str().unwrap().to_string(), c["status"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(
        statuses,
        [("new/fresh.json".to_string(), "added".to_string()), ("old/gone.json".into(), "removed".into())]
    );
    let r = rows(&report);
    assert!(has(&r, "fresh.json", "+", "new-action", "sns:Publish"));
    assert!(has(&r, "gone.json", "-", "removed", "sqs:SendMessage"));
}

// ------------------------------------------------------------ findings, exit codes, outputs

#[test]
fn findings_introduced_and_fixed_and_the_fail_on_threshold() {
    let s = Scratch::new();
    s.write("old.json", policy(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#))
        .write(
            "new.json",
            policy(r#"{"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/*"}"#),
        );
    let o = s.run(&["diff", "old.json", "new.json", "--format", "json", "--fail-on-access", "none"]);
    let report = json(&o);
    let introduced: Vec<&str> =
        report["findings"]["introduced"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(introduced.contains(&"passrole-unscoped"), "{introduced:?}");
    assert_eq!(o.status.code(), Some(1), "an introduced high finding fails at --fail-on medium");
    let o = s.run(&["diff", "old.json", "new.json", "--fail-on-access", "none", "--fail-on", "none"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The other way round, the finding is fixed.
    let report = json(&s.run(&["diff", "new.json", "old.json", "--format", "json"]));
    assert!(report["findings"]["fixed"].as_array().unwrap().iter().any(|f| f["rule"] == "passrole-unscoped"));
    assert!(report["findings"]["introduced"].as_array().unwrap().is_empty());
    // A moved statement is the same finding (fingerprints ignore lines).
    s.write(
        "moved.json",
        format!(
            "\n\n{}",
            policy(r#"{"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/*"}"#)
        ),
    );
    let o = s.run(&["diff", "new.json", "moved.json", "--format", "json"]);
    let report = json(&o);
    assert!(report["findings"]["introduced"].as_array().unwrap().is_empty(), "{report:#}");
    assert!(report["changes"].as_array().unwrap().is_empty());
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn a_file_that_cannot_be_read_or_parsed_on_either_side_breaks_the_run() {
    let s = Scratch::new();
    let good = policy(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#);
    s.write("good.json", &good).write("broken.json", "{\"Version\": \"2012-10-17\", \"Statement\": [");
    for (old, new) in [("broken.json", "good.json"), ("good.json", "broken.json"), ("good.json", "missing.json")] {
        let o = s.run(&["diff", old, new]);
        assert_eq!(o.status.code(), Some(2), "{old} -> {new}: {}", text(&o));
        assert!(text(&o).contains("iamlint: error:"), "{}", text(&o));
    }
    // Unchanged but unparseable is still a break.
    s.write("old/b.json", "{\"Statement\": [").write("new/b.json", "{\"Statement\": [");
    assert_eq!(s.run(&["diff", "old", "new"]).status.code(), Some(2));
    let o = s.run(&["diff", "good.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("two paths"), "{}", text(&o));
    let o = s.run(&["diff", "old", "good.json"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn markdown_names_every_change_in_a_table() {
    let s = Scratch::new();
    s.write("old.json", policy(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#)).write(
        "new.json",
        policy(r#"{"Effect": "Allow", "Action": ["s3:GetObject", "iam:AttachRolePolicy"], "Resource": ["arn:aws:s3:::b/*", "arn:aws:iam::*:role/x|y"]}"#),
    );
    let o = s.run(&["diff", "old.json", "new.json", "--format", "markdown"]);
    let md = String::from_utf8(o.stdout).unwrap();
    assert!(md.starts_with("### iamlint diff: what this change grants\n"), "{md}");
    assert!(
        md.contains(
            "| ➕ | new-action | Permissions management | `iam:AttachRolePolicy` | on `arn:aws:iam::*:role/x\\|y` |"
        ),
        "{md}"
    );
    // Every table row has the header's six cells (a `|` in a value is escaped).
    for line in md.lines().filter(|l| l.starts_with("| ➕") || l.starts_with("| ➖") || l.starts_with("| | change")) {
        let cells = line.replace("\\|", "").matches('|').count();
        assert_eq!(cells, 7, "{line}");
    }
}

#[test]
fn compares_the_working_tree_with_a_git_revision() {
    let s = Scratch::new();
    let git = |args: &[&str]| git_in(&s.0, args);
    git(&["init", "-q", "-b", "main"]);
    s.write("infra/a.json", policy(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}"#))
        .write("infra/gone.json", policy(r#"{"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}"#))
        .write("docs/readme.json", policy(r#"{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}"#));
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "base"]);
    s.write(
        "infra/a.json",
        policy(r#"{"Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": "*"}"#),
    )
    .write("infra/new.json", policy(r#"{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}"#));
    fs::remove_file(s.0.join("infra/gone.json")).unwrap();
    let o = s.run(&["diff", "--git", "main", "infra", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report = json(&o);
    let r = rows(&report);
    assert_eq!(
        r.iter().map(|x| (x.0.as_str(), x.1, x.3.as_str())).collect::<Vec<_>>(),
        [("a.json", "+", "s3:PutObject"), ("gone.json", "-", "sqs:SendMessage"), ("new.json", "+", "kms:Decrypt")]
    );
    // The removed document's statements are in the revision.
    let gone = change(&report, "gone.json", "removed", "sqs:SendMessage");
    assert_eq!(gone["statements"][0]["file"], "main:infra/gone.json");
    // Unchanged files outside the paths are not read; a bad revision is exit 2.
    assert!(!text(&o).contains("readme"));
    let o = s.run(&["diff", "--git", "no-such-branch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("`no-such-branch` is not a commit"), "{}", text(&o));
    // Committed, the working tree equals HEAD: nothing changes.
    git(&["add", "-A"]);
    git(&["commit", "-q", "-m", "change"]);
    let o = s.run(&["diff", "--git", "HEAD"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn sarif_holds_the_introduced_findings_and_passes_the_multitool() {
    let multitool = tool("IAMLINT_SARIF_MULTITOOL");
    let s = Scratch::new();
    fs::create_dir_all(s.0.join(".git")).unwrap();
    s.write(
        "old/p.json",
        policy(r#"{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#),
    )
    .write(
        "new/p.json",
        policy(
            r#"{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
                   {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}"#,
        ),
    );
    let o = s.run(&["diff", "old", "new", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(1));
    let sarif = json(&o);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "passrole-unscoped"));
    for r in results {
        assert_eq!(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "new/p.json");
    }
    common::assert_valid_sarif(&multitool, &s.0, &o.stdout);
}

#[test]
fn help_documents_the_changes_and_exit_codes() {
    let o = iamlint(&["diff", "--help"], &root());
    let help = String::from_utf8(o.stdout).unwrap();
    for needle in ["new-action", "may be wider", "--fail-on-access", "--git", "Exit codes", "markdown"] {
        assert!(help.contains(needle), "{needle} missing from diff --help:\n{help}");
    }
}

/// Account authorization dumps are compared principal by principal: a role given an
/// inline policy is the role's change (and its user, untouched, is not); the gate fails on
/// the new write access.
#[test]
fn an_account_dump_principal_gains_an_inline_policy() {
    let s = Scratch::new();
    let old = fs::read_to_string(root().join("fixtures/formats/authz/corpus-dump.json")).unwrap();
    let mut dump: Value = serde_json::from_str(&old).unwrap();
    let role = &mut dump["RoleDetailList"][0];
    let name = role["RoleName"].as_str().unwrap().to_string();
    let extra = serde_json::json!({"PolicyName": "extra", "PolicyDocument": {"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}]}});
    role["RolePolicyList"].as_array_mut().unwrap().push(extra);
    s.write("old/dump.json", &old).write("new/dump.json", serde_json::to_string_pretty(&dump).unwrap());
    let o = s.run(&["diff", "old", "new", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let report = json(&o);
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{report:#}");
    assert_eq!(changes[0]["principal"]["name"], name.as_str());
    assert_eq!(changes[0]["principal"]["kind"], "role");
    let r = rows(&report);
    assert!(r.iter().any(|(_, sign, _, action)| *sign == "+" && action == "s3:PutObject"), "{r:?}");
    assert!(!r.iter().any(|x| x.1 == "-"), "nothing removed: {r:?}");
}

// ------------------------------------------------------------ configuration and ceilings

/// `diff` reads the configuration `check` reads: selection, severity overrides and
/// suppressions act on the findings compared; policy-kinds on the documents; `--isolated`
/// reads none.
#[test]
fn the_configuration_check_reads_applies_to_the_findings_compared() {
    let s = Scratch::new();
    let pass = r#"{"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::111122223333:role/*"}"#;
    s.write("old/p.json", policy(r#"{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}"#))
        .write("new/p.json", policy(pass));
    let introduced = |o: &Output| -> Vec<(String, String)> {
        json(o)["findings"]["introduced"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["rule"].as_str().unwrap().to_string(), f["severity"].as_str().unwrap().to_string()))
            .collect()
    };
    let args = ["diff", "old", "new", "--format", "json", "--fail-on-access", "none"];
    let before = s.run(&args);
    assert!(introduced(&before).contains(&("passrole-unscoped".into(), "high".into())), "{}", text(&before));
    assert_eq!(before.status.code(), Some(1));
    // Suppressed in NEW's path, lowered, or not selected: not introduced at that severity.
    s.write(
        "iamlint.toml",
        "fail-on = \"high\"\nignore = [\"placeholder\"]\n[severity]\nunscoped-write = \"info\"\n\
         [[suppress]]\nrule = \"passrole-unscoped\"\npath = \"new/p.json\"\nreason = \"reviewed (SEC-1)\"\n",
    );
    let o = s.run(&args);
    let got = introduced(&o);
    assert!(!got.iter().any(|(r, _)| r == "passrole-unscoped" || r == "placeholder"), "{got:?}");
    // What is left is below the configuration's fail-on (high), so the run passes.
    assert!(got.iter().all(|(_, sev)| sev != "high" && sev != "critical"), "{got:?}");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The flags stand over the file; --isolated reads none.
    assert_eq!(s.run(&[&args[..], &["--fail-on", "info"]].concat()).status.code(), Some(1));
    assert_eq!(introduced(&s.run(&[&args[..], &["--isolated"]].concat())), introduced(&before));
    // A bad key is an error pointing into the file, as for check.
    s.write("iamlint.toml", "fail-on = \"loud\"\n");
    let o = s.run(&args);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("unknown fail-on `loud`"), "{}", text(&o));
}

/// An SCP (or RCP, or boundary) changed on its own is compared as what it allows: an
/// Allow that lets more through (`new-action`, `wider`), an unconditional Deny gone
/// (`new-action`), a conditional Deny gone (`looser`), and the reverse.
#[test]
fn ceilings_changed_on_their_own_are_compared_as_what_they_allow() {
    let s = Scratch::new();
    let region = r#"{"Sid": "Regions", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "*", "Condition": {"StringNotEquals": {"aws:RequestedRegion": "eu-west-1"}}}"#;
    s.write(
        "old/org/scps/guard.json",
        policy(&format!(
            r#"{{"Effect": "Allow", "Action": ["ec2:*", "s3:GetObject"], "Resource": "*"}}, {{"Effect": "Deny", "Action": "ec2:TerminateInstances", "Resource": "*"}}, {region}"#
        )),
    )
    .write(
        "new/org/scps/guard.json",
        policy(r#"{"Sid": "Open", "Effect": "Allow", "Action": ["ec2:*", "s3:GetObject", "s3:PutObject"], "Resource": "*"}"#),
    )
    .write("iamlint.toml", "[policy-kinds]\nscp = [\"new/org/scps/**\"]\n");
    let o = s.run(&["diff", "old", "new", "--format", "json"]);
    let report = json(&o);
    assert_eq!(o.status.code(), Some(1), "a ceiling that lets Write through fails at --fail-on-access write");
    let changes = report["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 1, "{report:#}");
    assert_eq!(changes[0]["policy_kind"], "scp");
    assert_eq!(changes[0]["status"], "changed");
    let r = rows(&report);
    assert!(has(&r, "guard.json", "+", "new-action", "s3:PutObject"), "{r:?}");
    assert!(has(&r, "guard.json", "+", "new-action", "ec2:TerminateInstances"), "the unconditional Deny is gone");
    assert!(has(&r, "guard.json", "+", "looser", "ec2:RunInstances"), "the region Deny is gone");
    assert_eq!(change(&report, "guard.json", "looser", "ec2:RunInstances")["statements"][0]["sid"], "Regions");
    // Nothing else: ec2:* and s3:GetObject pass both.
    assert_eq!(of(&r, "guard.json").len(), 3, "{r:?}");
    // The other way round: removed, and the region Deny added is tighter.
    let report = json(&s.run(&["diff", "new", "old", "--format", "json", "--policy-kind", "scp"]));
    let r = rows(&report);
    assert!(has(&r, "guard.json", "-", "removed", "s3:PutObject"), "{r:?}");
    assert!(has(&r, "guard.json", "-", "tighter", "ec2:RunInstances"), "{r:?}");
    // Without the kind, the same files are identity policies: the change is a grant.
    let report = json(&s.run(&["diff", "old", "new", "--format", "json", "--isolated"]));
    assert_eq!(report["changes"][0]["policy_kind"], "identity");
}
