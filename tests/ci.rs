//! iamlint as a CI gate: SARIF (validated by Microsoft's SARIF Multitool), GitHub
//! annotations, the configuration file, suppressions, the baseline, thresholds,
//! statistics, completions and the man page, and the pre-commit hook run by the real
//! `pre-commit`.
//!
//! The two tests that drive outside tools install them with `.ci/install-tools` when
//! they are missing, and fail (never skip) when they cannot.

mod common;

use common::Scratch as Repo;
use common::{iamlint, tool};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const ADMIN: &str = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Sid\": \"Admin\", \"Effect\": \"Allow\", \"Action\": \"*\", \"Resource\": \"*\"}]\n}\n";
const CLEAN: &str = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::artefacts/*"}]}"#;

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)))
}

fn rules_of(v: &serde_json::Value) -> Vec<String> {
    v["findings"].as_array().unwrap().iter().map(|f| f["rule"].as_str().unwrap().to_string()).collect()
}

// ---------------------------------------------------------------- threshold, statistics

#[test]
fn fail_on_none_reports_without_failing_but_a_broken_file_still_fails() {
    let r = Repo::repo();
    r.write("admin.json", ADMIN).write("broken.json", "{\"Statement\": [");
    let o = r.run(&["check", "admin.json", "--fail-on", "none", "--format", "concise"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("full-admin"));
    assert!(stdout(&o).contains("none fails the run (--fail-on none)"), "{}", stdout(&o));
    // A policy that does not parse fails the gate whatever --fail-on says.
    let o = r.run(&["check", "admin.json", "broken.json", "--fail-on", "none", "--format", "concise"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("1 malformed-json finding fails the run whatever --fail-on says"), "{}", stdout(&o));
    let o = r.run(&["check", "broken.json", "--fail-on", "critical"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = r.run(&["check", "admin.json", "missing.json", "--fail-on", "none"]);
    assert_eq!(o.status.code(), Some(2), "a file that could not be read fails the gate");
    let v = json(&r.run(&["check", "admin.json", "--fail-on", "none", "--format", "json"]));
    assert_eq!(v["summary"]["fail_on"], "none");
    assert_eq!(v["summary"]["failed"], false);
}

#[test]
fn statistics_count_findings_per_rule_and_concise_ends_with_a_summary() {
    let r = Repo::repo();
    let example =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/examples/node-launcher.json"));
    r.write("node.json", example.unwrap());
    let o = r.run(&["check", "node.json", "--statistics"]);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    // Most frequent first, ties by id; the summary line last.
    assert!(lines[0].starts_with("2\tmissing-vpc-condition"), "{out}");
    assert!(lines.iter().any(|l| l.starts_with("1\tpassrole-unscoped")), "{out}");
    let total: usize =
        lines[..lines.len() - 1].iter().map(|l| l.split('\t').next().unwrap().parse::<usize>().unwrap()).sum();
    assert!(lines.last().unwrap().starts_with(&format!("{total} findings")), "{out}");
    let concise = stdout(&r.run(&["check", "node.json", "--format", "concise"]));
    assert_eq!(concise.lines().count(), total + 1);
    assert!(concise.lines().last().unwrap().starts_with(&format!("{total} findings (")), "{concise}");
    let o = r.run(&["check", "node.json", "--statistics", "--format", "sarif"]);
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------- GitHub annotations

#[test]
fn github_annotations_point_at_the_value_and_escape_hostile_text() {
    let r = Repo::repo();
    // A Sid and a value crafted to end the command and start new ones.
    let hostile = r#"{"Version": "2012-10-17", "Statement": [{"Sid": "a::b,c%0A", "Effect": "Allow", "Action": "s3:Get\nObject::x%\r::error file=x::pwned", "Resource": "*"}, {"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;
    r.write("dir,with:colon/p%.json", hostile);
    let o = r.run(&["check", ".", "--format", "github"]);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    let commands: Vec<&&str> = lines.iter().filter(|l| l.starts_with("::")).collect();
    // Every line is a command iamlint meant, except the summary.
    assert_eq!(commands.len(), lines.len() - 1, "{out}");
    for c in &commands {
        assert!(
            c.starts_with("::error file=dir%2Cwith%3Acolon/p%25.json,line=")
                || c.starts_with("::warning file=dir%2Cwith%3Acolon/p%25.json,line=")
                || c.starts_with("::notice file=dir%2Cwith%3Acolon/p%25.json,line="),
            "{c}"
        );
        // The properties end at the first `::` after the command name; nothing of the
        // policy can be in them.
        let props = &c[2..][c[2..].find(' ').unwrap()..];
        let props = &props[..props.find("::").unwrap()];
        assert!(props.contains(",title=iamlint "), "{props}");
        assert!(!props.contains('\n') && !props.contains('\r'));
    }
    assert!(!out.contains("\n::error file=x"), "{out}");
    let admin = commands.iter().find(|c| c.contains("full-admin")).unwrap();
    assert!(admin.starts_with("::error file=dir%2Cwith%3Acolon/p%25.json,line=1,endLine=1,col="), "{admin}");
    assert_eq!(o.status.code(), Some(1));
}

// ---------------------------------------------------------------- configuration

#[test]
fn configuration_is_found_upward_and_flags_override_it() {
    let r = Repo::repo();
    r.write("policies/admin.json", ADMIN).write("iamlint.toml", "select = [\"placeholder\"]\nfail-on = \"critical\"\n");
    // From a subdirectory, the file at the repository root applies: only placeholder runs.
    let o = iamlint(&["check", "admin.json", "--format", "json"], &r.0.join("policies"));
    let v = json(&o);
    assert!(rules_of(&v).is_empty(), "{v}");
    assert_eq!(v["summary"]["fail_on"], "critical");
    // Flags win over the file.
    let v =
        json(&iamlint(&["check", "admin.json", "--format", "json", "--select", "full-admin"], &r.0.join("policies")));
    assert_eq!(rules_of(&v), ["full-admin"]);
    // --isolated reads no file.
    let v = json(&iamlint(&["check", "admin.json", "--format", "json", "--isolated"], &r.0.join("policies")));
    assert!(rules_of(&v).contains(&"full-admin".to_string()));
    assert_eq!(v["summary"]["fail_on"], "medium");
    // --config names another file.
    r.write("other.toml", "select = [\"full-admin\"]\n[severity]\nfull-admin = \"low\"\n");
    let v = json(&r.run(&["check", "policies", "--format", "json", "--config", "other.toml"]));
    assert_eq!(v["findings"][0]["severity"], "low");
    assert_eq!(v["summary"]["failed"], false, "low is below the default threshold");
}

#[test]
fn a_wrong_configuration_is_exit_2_with_its_place_and_a_suggestion() {
    let r = Repo::repo();
    r.write("p.json", CLEAN);
    for (text, place, wanted) in [
        ("fial-on = \"high\"\n", "iamlint.toml:1:1", "unknown key `fial-on`"),
        ("select = [\"full-admin\", \"passrole-unscope\"]\n", "iamlint.toml:1:25", "did you mean `passrole-unscoped`?"),
        ("[severity]\nfull-admn = \"low\"\n", "iamlint.toml:2:13", "did you mean `full-admin`?"),
        ("[severity]\nfull-admin = \"severe\"\n", "iamlint.toml:2:14", "unknown severity `severe`"),
        ("fail-on = \"hihg\"\n", "iamlint.toml:1:11", "unknown fail-on `hihg`"),
        ("known-accounts = [\"1234\"]\n", "iamlint.toml:1:19", "not a 12-digit account id"),
        ("[policy-kinds]\nscps = [\"x\"]\n", "iamlint.toml:2:1", "did you mean `scp`?"),
        ("[[suppress]]\nrule = \"full-admin\"\npath = \"*.json\"\n", "iamlint.toml:1:1", "missing field `reason`"),
        (
            "[[suppress]]\nrule = \"full-admin\"\npath = \"*.json\"\nreason = \" \"\n",
            "iamlint.toml:4:10",
            "needs a reason",
        ),
        ("[[suppress]]\nrule = \"full-admin\"\npath = \"[\"\nreason = \"r\"\n", "iamlint.toml:3:8", "invalid glob"),
    ] {
        r.write("iamlint.toml", text);
        let o = r.run(&["check", "p.json"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{text}: {err}");
        assert!(err.contains(place) && err.contains(wanted), "{text}:\n{err}");
    }
    // Both names in one directory: which one wins would be a guess.
    r.write("iamlint.toml", "").write(".iamlint.toml", "");
    assert_eq!(r.run(&["check", "p.json"]).status.code(), Some(2));
}

#[test]
fn policy_kinds_by_glob() {
    let r = Repo::repo();
    // An SCP-shaped document: as an identity policy, full-admin reports it; as an SCP it
    // grants nothing and is not reported.
    r.write("org/scps/allow-all.json", ADMIN).write("iamlint.toml", "[policy-kinds]\nscp = [\"org/scps/**\"]\n");
    let v = json(&r.run(&["check", ".", "--format", "json", "--select", "full-admin"]));
    assert!(rules_of(&v).is_empty(), "{v}");
    let v = json(&r.run(&["check", ".", "--format", "json", "--select", "full-admin", "--isolated"]));
    assert_eq!(rules_of(&v), ["full-admin"]);
    r.write("iamlint.toml", "[policy-kinds]\nscp = [\"org/scps/**\"]\ntrust = [\"*.json\"]\n");
    let o = r.run(&["check", "."]);
    assert_eq!(o.status.code(), Some(2), "two kinds for one file: {}", stderr(&o));
    assert!(stderr(&o).contains("two kinds"), "{}", stderr(&o));
}

// ---------------------------------------------------------------- suppressions

#[test]
fn configured_suppressions_need_a_reason_are_counted_and_stale_ones_reported() {
    let r = Repo::repo();
    r.write("deploy/admin.json", ADMIN).write("other/admin.json", ADMIN).write(
        "iamlint.toml",
        r#"select = ["full-admin"]

[[suppress]]
rule = "full-admin"
path = "deploy/*.json"
sid = "Admin"
reason = "break-glass role, reviewed in SEC-12"

[[suppress]]
rule = "full-admin"
path = "other/*.json"
locator = "Statement[3]"
reason = "a statement that no longer exists"
"#,
    );
    let o = r.run(&["check", ".", "--format", "concise"]);
    let out = stdout(&o);
    assert_eq!(out.lines().filter(|l| l.contains("full-admin")).count(), 1, "{out}");
    assert!(out.contains("other/admin.json"), "{out}");
    assert!(out.lines().last().unwrap().contains("; 1 suppressed"), "{out}");
    assert!(
        stderr(&o).contains("the suppression at iamlint.toml:9 (`full-admin` in `other/*.json`) matched no finding"),
        "{}",
        stderr(&o)
    );
    let o = r.run(&["check", ".", "--format", "concise", "--show-suppressed"]);
    assert!(
        stdout(&o).contains("deploy/admin.json:3:")
            && stdout(&o).contains("(suppressed by iamlint.toml:3: break-glass role, reviewed in SEC-12)"),
        "{}",
        stdout(&o)
    );
    let v = json(&r.run(&["check", ".", "--format", "json", "--show-suppressed"]));
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["suppressed"][0]["suppression"]["by"], "iamlint.toml:3");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 1);
    // A run over one file says nothing of suppressions about other files.
    let o = r.run(&["check", "deploy/admin.json"]);
    assert!(!stderr(&o).contains("matched no finding"), "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn waivers_a_template_declares_suppress_under_their_locator() {
    use iamlint::diagnostic::{Outcome, Waiver};
    use iamlint::filter::{FilterOptions, apply};
    let findings = iamlint::lint::lint_bytes(
        Path::new("p.json"),
        format!("[{ADMIN}, {ADMIN}]").into_bytes(),
        true,
        &iamlint::lint::LintOptions {
            rules: vec![iamlint::rules::find("full-admin").unwrap()],
            kind: None,
            settings: Default::default(),
            scps: Default::default(),
        },
        iamlint::catalogue::Catalogue::bundled(),
    );
    let iamlint::lint::FileOutcome::Linted(mut findings) = findings else { panic!() };
    assert_eq!(
        findings.iter().map(|f| f.locator.as_str()).collect::<Vec<_>>(),
        ["[0].Statement[0]", "[1].Statement[0]"]
    );
    // What an adapter records in LoadedFile.waivers and the engine attaches.
    let waiver = Waiver { locator: "[1]".into(), rule: "full-admin".into(), reason: "approved".into(), span: 0..1 };
    assert!(waiver.covers("full-admin", "[1].Statement[0]"));
    assert!(!waiver.covers("full-admin", "[10].Statement[0]"));
    assert!(!waiver.covers("placeholder", "[1].Statement[0]"));
    findings[1].waiver = Some(waiver);
    let mut outcome = Outcome { findings, checked: 1, ..Outcome::default() };
    apply(&mut outcome, &FilterOptions::default());
    assert_eq!(outcome.findings.len(), 1);
    assert_eq!(outcome.suppressed[0].reason, "approved");
    assert!(outcome.suppressed[0].in_source);
}

// ---------------------------------------------------------------- baseline

#[test]
fn a_baseline_keeps_old_findings_out_and_shrinks_as_they_are_fixed() {
    let r = Repo::repo();
    let two = r#"{"Version": "2012-10-17", "Statement": [
  {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"},
  {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
]}"#;
    r.write("p.json", two);
    let o = r.run(&["check", "p.json", "--write-baseline", "baseline.json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let written = fs::read_to_string(r.0.join("baseline.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(v["version"], 1);
    let entries = v["findings"].as_array().unwrap();
    assert!(entries.len() >= 2, "{written}");
    // Sorted, reviewable: file, rule, locator, value.
    let keys: Vec<(String, String)> = entries.iter().map(|e| (e["file"].to_string(), e["rule"].to_string())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(written.contains("\"locator\": \"Statement[Admin]\""), "{written}");
    // Writing again gives the same bytes.
    r.run(&["check", "p.json", "--write-baseline", "again.json"]);
    assert_eq!(written, fs::read_to_string(r.0.join("again.json")).unwrap());

    // Nothing new: passes, and the summary says how many are in the baseline.
    let o = r.run(&["check", "p.json", "--baseline", "baseline.json", "--format", "concise"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(stdout(&o).contains("in the baseline"), "{}", stdout(&o));

    // Reformatted, with a new statement above: only the new statement is reported.
    let moved = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "New", "Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"},
    {
      "Sid": "Admin",
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    },
    {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
  ]
}"#;
    r.write("p.json", moved);
    let v = json(&r.run(&["check", "p.json", "--baseline", "baseline.json", "--format", "json"]));
    for f in v["findings"].as_array().unwrap() {
        assert_eq!(f["statement"]["sid"], "New", "{f}");
    }
    assert!(!v["findings"].as_array().unwrap().is_empty());
    assert_eq!(v["summary"]["baseline_fixed"], 0);

    // The admin statement removed: its entries are counted as fixed.
    r.write("p.json", two.replace("\"Action\": \"*\"", "\"Action\": \"s3:GetObject\"").as_str());
    let o = r.run(&[
        "check",
        "p.json",
        "--baseline",
        "baseline.json",
        "--format",
        "json",
        "--select",
        "full-admin,passrole-unscoped",
    ]);
    let v = json(&o);
    assert!(v["summary"]["baseline_fixed"].as_u64().unwrap() >= 1, "{v}");
    let o = r.run(&["check", "p.json", "--baseline", "baseline.json", "--select", "full-admin,passrole-unscoped"]);
    assert!(stdout(&o).contains("fixed since (--write-baseline shrinks it)"), "{}", stdout(&o));

    // A missing or foreign baseline fails the run.
    assert_eq!(r.run(&["check", "p.json", "--baseline", "nope.json"]).status.code(), Some(2));
    r.write("bad.json", "{\"version\": 9, \"findings\": []}");
    assert_eq!(r.run(&["check", "p.json", "--baseline", "bad.json"]).status.code(), Some(2));
}

#[test]
fn a_baseline_is_not_written_when_a_file_could_not_be_linted() {
    let r = Repo::repo();
    r.write("p.json", ADMIN);
    let o = r.run(&["check", "p.json", "missing.json", "--write-baseline", "b.json"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!r.0.join("b.json").exists());
}

// ---------------------------------------------------------------- completions, man page

#[test]
fn completions_and_man_page_come_from_the_clap_definitions() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = iamlint(&["completions", shell], here);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(stdout(&o).contains("write-baseline"), "{shell} completion lacks a check flag");
    }
    assert_eq!(iamlint(&["completions", "tcsh"], here).status.code(), Some(2));
    let o = iamlint(&["man"], here);
    let page = stdout(&o);
    assert!(page.starts_with(".ie") || page.contains(".TH iamlint"), "{page}");
    assert!(page.contains(".SH \"IAMLINT CHECK\""));
    assert!(page.contains("\\-\\-fail\\-on") && page.contains("\\-\\-sarif\\-base"));
}

// ---------------------------------------------------------------- outside tools

#[test]
fn sarif_passes_the_multitool_with_github_rules() {
    let multitool = tool("IAMLINT_SARIF_MULTITOOL");
    let r = Repo::repo();
    let example =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/examples/node-launcher.json"));
    // Findings with secondary labels, a suppressed one, a file that cannot be read, a
    // non-ASCII value before a finding, and a path that needs percent-encoding.
    r.write("policies/node launcher.json", example.unwrap())
        .write("policies/admin.json", ADMIN)
        .write("policies/é.json", "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Ünï\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObjekt\", \"Resource\": \"*\"}]}")
        .write("iamlint.toml", "[[suppress]]\nrule = \"full-admin\"\npath = \"policies/admin.json\"\nreason = \"break glass\"\n");
    let o = r.run(&["check", "policies", "missing.json", "--format", "sarif", "--show-suppressed"]);
    assert_eq!(o.status.code(), Some(2), "missing.json cannot be read");
    let sarif: serde_json::Value = json(&o);
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    assert!(results.len() > 10);
    assert!(results.iter().any(|r| r["relatedLocations"].is_array()), "secondary labels become related locations");
    assert!(
        results.iter().any(|r| r["suppressions"][0]["justification"].as_str().unwrap_or("").contains("break glass"))
    );
    for res in results {
        let uri = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("policies/"), "{uri}");
        assert!(res["partialFingerprints"]["iamlint/v1"].as_str().unwrap().len() == 32);
        let rule = &run["tool"]["driver"]["rules"][res["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], res["ruleId"]);
    }
    assert!(
        results.iter().any(
            |r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "policies/node%20launcher.json"
        )
    );
    // The unknown action after "Ünï": columns count code points.
    let unknown = results
        .iter()
        .find(|r| {
            r["ruleId"] == "unknown-action"
                && r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "policies/%C3%A9.json"
        })
        .unwrap();
    let text = "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Sid\": \"Ünï\", \"Effect\": \"Allow\", \"Action\": ";
    assert_eq!(unknown["locations"][0]["physicalLocation"]["region"]["startColumn"], text.chars().count() + 1);
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    assert_eq!(run["columnKind"], "unicodeCodePoints");
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        assert!(rule["help"]["markdown"].as_str().unwrap().contains("## What it does"));
        assert!(rule["properties"]["security-severity"].as_str().unwrap().parse::<f64>().is_ok());
    }

    common::assert_valid_sarif(&multitool, &r.0, &o.stdout);
}

#[test]
fn the_pre_commit_hook_fails_a_bad_policy_and_passes_a_good_one() {
    let pre_commit = tool("IAMLINT_PRE_COMMIT");
    let r = Repo::repo();
    fs::remove_dir_all(r.0.join(".git")).unwrap();
    let home = r.0.join("pre-commit-home");
    let scratch = r.0.join("scratch");
    fs::create_dir_all(&scratch).unwrap();
    let git = |args: &[&str]| {
        let o = Command::new("git").args(args).current_dir(&scratch).output().unwrap();
        assert!(o.status.success(), "git {args:?}: {}", stderr(&o));
    };
    git(&["init", "-q"]);
    fs::write(scratch.join("good.json"), CLEAN).unwrap();
    fs::write(scratch.join("package.json"), "{\"name\": \"not-a-policy\"}").unwrap();
    git(&["add", "."]);
    // One cargo target directory for every run of this test: the hook's `cargo install`
    // then rebuilds only iamlint itself (unoptimised: this tests the hook, not speed).
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-target");
    let try_repo = || {
        Command::new(&pre_commit)
            .args(["try-repo", env!("CARGO_MANIFEST_DIR"), "iamlint", "--all-files", "--color", "never"])
            .current_dir(&scratch)
            .env("PRE_COMMIT_HOME", &home)
            .env("CARGO_TARGET_DIR", &target)
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_LTO", "off")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
            .env("GIT_AUTHOR_NAME", "iamlint test")
            .env("GIT_AUTHOR_EMAIL", "test@example.com")
            .env("GIT_COMMITTER_NAME", "iamlint test")
            .env("GIT_COMMITTER_EMAIL", "test@example.com")
            .output()
            .unwrap()
    };
    let o = try_repo();
    assert!(o.status.success(), "a good policy and a package.json pass:\n{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("iamlint") && stdout(&o).contains("Passed"), "{}", stdout(&o));
    fs::write(scratch.join("bad.json"), ADMIN).unwrap();
    git(&["add", "bad.json"]);
    let o = try_repo();
    assert_eq!(o.status.code(), Some(1), "a bad policy fails:\n{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("Failed") && stdout(&o).contains("full-admin"), "{}", stdout(&o));
}

#[test]
fn a_template_resource_waives_a_rule_in_its_metadata_with_a_reason() {
    let template = |reason: &str| {
        format!(
            "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  BreakGlass:\n    Type: AWS::IAM::Role\n    Metadata:\n      iamlint:\n        ignore:\n          - rule: full-admin\n{reason}    Properties:\n      AssumeRolePolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Principal: {{AWS: arn:aws:iam::111122223333:role/oncall}}\n            Action: sts:AssumeRole\n      Policies:\n        - PolicyName: admin\n          PolicyDocument:\n            Version: '2012-10-17'\n            Statement:\n              - Effect: Allow\n                Action: '*'\n                Resource: '*'\n"
        )
    };
    let r = Repo::repo();
    r.write("stack.yaml", template("            reason: break-glass role, reviewed in SEC-12\n"));
    let v = json(&r.run(&["check", "stack.yaml", "--format", "json", "--select", "full-admin"]));
    assert!(rules_of(&v).is_empty(), "{v}");
    assert_eq!(v["summary"]["suppressed"], 1);
    let o = r.run(&["check", "stack.yaml", "--format", "concise", "--select", "full-admin", "--show-suppressed"]);
    assert!(stdout(&o).contains("break-glass role, reviewed in SEC-12"), "{}", stdout(&o));
    // Without a reason the waiver suppresses nothing, and says so.
    r.write("stack.yaml", template(""));
    let o = r.run(&["check", "stack.yaml", "--format", "concise", "--select", "full-admin"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("critical full-admin"), "{}", stdout(&o));
    assert!(stderr(&o).contains("gives no reason: it suppresses nothing"), "{}", stderr(&o));
}

/// An in-source suppression (template metadata, an inline comment) that sets no finding
/// aside is reported like a stale `[[suppress]]` entry: on stderr and in JSON `warnings`.
/// One about a rule that did not run is not stale; one that is used is not reported.
#[test]
fn in_source_suppressions_that_match_nothing_are_reported() {
    let r = Repo::repo();
    r.write(
        "stack.yaml",
        "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  Reader:\n    Type: AWS::IAM::ManagedPolicy\n    Metadata:\n      iamlint:\n        ignore:\n          - rule: full-admin\n            reason: was an admin policy once (SEC-12)\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: arn:aws:s3:::acme-reports/*\n",
    )
    .write(
        "main.tf",
        r#"resource "aws_iam_policy" "deploy" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      # iamlint: ignore[passrole-unscoped] the deploy role passes every role (SEC-40)
      { Effect = "Allow", Action = "iam:PassRole", Resource = "*" },
      # iamlint: ignore[full-admin] left from an old admin statement
      { Effect = "Allow", Action = "s3:GetObject", Resource = "arn:aws:s3:::acme-reports/*" },
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:aws:s3:::acme-reports" }, # iamlint: ignore[no-such-rule] typo
    ]
  })
}
"#,
    );
    let o = r.run(&["check", ".", "--format", "concise", "--select", "full-admin,passrole-unscoped"]);
    let err = stderr(&o);
    assert!(
        err.contains("the iamlint ignore of `full-admin` at stack.yaml:8 (under `Resources.Reader`) matched no finding; remove it"),
        "{err}"
    );
    assert!(err.contains("main.tf:7: the inline suppression of `full-admin` matched no finding; remove it"), "{err}");
    assert!(err.contains("main.tf:9: the inline suppression names unknown rule `no-such-rule`"), "{err}");
    // The comment that suppresses the PassRole finding is used: not reported.
    assert!(!err.contains("main.tf:5"), "{err}");
    assert!(stdout(&o).contains("; 1 suppressed"), "{}", stdout(&o));
    let v = json(&r.run(&["check", ".", "--format", "json", "--select", "full-admin,passrole-unscoped"]));
    let warnings: Vec<&str> = v["warnings"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    // When full-admin does not run, its suppressions are not stale.
    let o = r.run(&["check", ".", "--format", "concise", "--select", "passrole-unscoped"]);
    assert!(!stderr(&o).contains("matched no finding"), "{}", stderr(&o));
}
