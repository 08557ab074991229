//! `iamlint check -` reads standard input; `--stdin-filename NAME` names it for format
//! detection and reports (ruff's convention).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn iamlint(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A closed pipe is fine: iamlint may refuse the arguments before reading.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const ADMIN: &str = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}"#;

#[test]
fn a_dash_lints_standard_input() {
    let o = iamlint(&["check", "-", "--format", "concise", "--select", "full-admin"], ADMIN.as_bytes());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(
        stdout(&o),
        "<stdin>:1:71: critical full-admin: `*` allowed on every resource: full administrator access\n\
         1 finding (1 critical) in 1 file; 1 at or above medium\n"
    );
    let clean = ADMIN
        .replace("\"*\", \"Resource\"", "\"s3:GetObject\", \"Resource\"")
        .replace("\"Resource\": \"*\"", "\"Resource\": \"arn:aws:s3:::reports/*\"");
    let o = iamlint(&["check", "-", "--select", "full-admin"], clean.as_bytes());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn the_stdin_filename_picks_the_format_and_names_the_file() {
    let page = std::fs::read("fixtures/formats/docs/lambda-deploy-snippet.md").unwrap();
    let args =
        ["check", "-", "--stdin-filename", "docs/deploy.md", "--format", "json", "--select", "privilege-escalation"];
    let o = iamlint(&args, &page);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let finding = &json["findings"][0];
    assert_eq!(finding["file"], "docs/deploy.md");
    assert_eq!(finding["rule"], "privilege-escalation");
    assert_eq!(finding["locator"].as_str().map(|l| l.starts_with("line 7.Statement[")), Some(true), "{finding}");
    assert_eq!(json["summary"]["files_checked"], 1);
    // The same page under a `.json` name is not a docs page: it does not parse as JSON.
    let o = iamlint(&["check", "--stdin-filename", "deploy.json", "--format", "concise"], &page);
    assert!(stdout(&o).contains("malformed-json"), "{}", stdout(&o));
}

#[test]
fn standard_input_and_files_are_linted_together_and_cli_output_is_read() {
    let role = std::fs::read("fixtures/formats/cli/get-role.json").unwrap();
    let args = ["check", "fixtures/formats/cli/get-role-policy.json", "-", "--format", "json"];
    let o = iamlint(&args, &role);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["summary"]["files_checked"], 2, "{json}");
    let files: Vec<&str> = json["findings"].as_array().unwrap().iter().filter_map(|f| f["file"].as_str()).collect();
    assert!(files.contains(&"<stdin>") && files.contains(&"fixtures/formats/cli/get-role-policy.json"), "{files:?}");
    let locators: Vec<&str> =
        json["findings"].as_array().unwrap().iter().filter_map(|f| f["locator"].as_str()).collect();
    assert!(locators.iter().any(|l| l.starts_with("Role.AssumeRolePolicyDocument.Statement[0]")), "{locators:?}");
}

#[test]
fn an_account_dump_on_standard_input_is_analysed_per_principal() {
    let dump = std::fs::read(Path::new("fixtures/formats/cli/get-account-authorization-details.json")).unwrap();
    let o = iamlint(&["check", "-", "--format", "json", "--fail-on", "none"], &dump);
    // The user is in group `ops`, which the dump does not hold: the analysis is incomplete,
    // and that fails the run whatever --fail-on says.
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(json["summary"]["files_checked"], 1);
    let rules: Vec<&str> = json["findings"].as_array().unwrap().iter().filter_map(|f| f["rule"].as_str()).collect();
    assert!(rules.contains(&"incomplete-analysis"), "{rules:?}");
}

#[test]
fn a_stdin_filename_without_standard_input_is_an_error() {
    let o = iamlint(&["check", "fixtures/formats/cli/get-role.json", "--stdin-filename", "x.json"], b"");
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--stdin-filename"));
}
