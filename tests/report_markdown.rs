//! `--format markdown` on the bundled example, compared with the rendered text committed
//! beside it (`fixtures/examples/account.md`; `IAMLINT_BLESS=1` rewrites it, never under
//! `CI=true`: read it before committing).

use iamlint::diagnostic::thousands;
use std::path::Path;
use std::process::Command;

#[test]
fn the_markdown_report_of_the_example_is_what_was_read() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args(["check", "fixtures/examples/account.yaml", "--format", "markdown", "--isolated"])
        .current_dir(root)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let got = String::from_utf8(o.stdout).unwrap();
    let expected_path = root.join("fixtures/examples/account.md");
    let bless = std::env::var_os("IAMLINT_BLESS").is_some() && std::env::var("CI").as_deref() != Ok("true");
    if bless {
        std::fs::write(&expected_path, &got).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_path)
        .unwrap_or_else(|_| panic!("{} is missing: run with IAMLINT_BLESS=1 and read it", expected_path.display()));
    assert!(got == expected, "the markdown report changed; diff it with {}:\n{got}", expected_path.display());
    // What a reviewer looks for, whatever the wording around it.
    for part in [
        "| user dev | fixtures/examples/account\\.yaml | **critical** |",
        "<summary><b>role build-runner</b> · critical",
        "#### critical `privilege-escalation`: role/build\\-runner\\: privilege escalation\\: launch an EC2 instance with a passed instance profile \\(ec2\\-001\\)",
        "| iam | ",
    ] {
        assert!(got.contains(part), "{part}");
    }
}

/// The progress bar goes to a terminal only: a long run with stderr piped prints none.
#[test]
fn a_piped_run_shows_no_progress_bar() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .args(["check", "fixtures", "--format", "concise", "--fail-on", "none", "--isolated"])
        .current_dir(root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!stderr.contains("linting [") && !stderr.contains('\u{1b}'), "{stderr}");
    assert!(String::from_utf8_lossy(&o.stdout).lines().count() > 100, "a run long enough to draw a bar");
}

/// A large account: the comment stays under GitHub's 65,536 characters, with the overview,
/// the worst findings first, and a line counting what was left out and where it is.
#[test]
fn a_large_run_is_cut_to_fit_a_comment() {
    let mut roles = Vec::new();
    for i in 0..120 {
        roles.push(format!(
            r#"{{"RoleName": "app-{i}", "Arn": "arn:aws:iam::123456789012:role/app-{i}",
            "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow",
              "Principal": {{"Service": "ec2.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}},
            "RolePolicyList": [{{"PolicyName": "p{i}", "PolicyDocument": {{"Version": "2012-10-17", "Statement": [
              {{"Effect": "Allow", "Action": ["iam:PassRole", "ec2:RunInstances"], "Resource": "*"}},
              {{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}}]}}}}],
            "AttachedManagedPolicies": []}}"#
        ));
    }
    let dump = format!(
        r#"{{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [{}], "Policies": []}}"#,
        roles.join(",")
    );
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("markdown-large-dump.json");
    std::fs::write(&path, dump).unwrap();
    let run = |format: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_iamlint"))
            .args(["check", path.to_str().unwrap(), "--format", format, "--isolated", "--fail-on", "none"])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let md = run("markdown");
    let json = run("json");
    let total = json.matches("\"fingerprint\":").count();
    assert!(total > 500, "{total} findings: a run too small to cut");
    assert!(md.chars().count() <= 65_536, "{} characters", md.chars().count());
    assert!(md.contains("### Principals, the worst first") && md.contains("### Findings by rule"), "{md}");
    assert!(md.contains("and 70 more principals with findings."), "{md}");
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("#### ")).collect();
    assert!(headings[0].starts_with("#### critical"), "{headings:?}");
    let note = md.lines().find(|l| l.contains("findings are not shown")).expect("a line says what was left out");
    assert!(note.contains(&format!("of {} findings", thousands(total))), "{note} ({total})");
    assert!(note.contains("--format html"), "{note}");
    assert!(md.trim_end().ends_with("</sub>"));
}
