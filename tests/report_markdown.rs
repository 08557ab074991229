//! `--format markdown` on the bundled example, compared with the rendered text committed
//! beside it (`fixtures/examples/account.md`; `IAMLINT_BLESS=1` rewrites it, never under
//! `CI=true`: read it before committing).

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
