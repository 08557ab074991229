//! Safe output and fail closed (issue 14): text from the input never reaches a terminal
//! or CI log raw, files that are not policies (or links out of the tree) are never
//! echoed, a policy iamlint cannot read fails the gate whatever the flags, the exit code
//! survives a closed pipe, and files are decoded as IAM reads them. Run on the real binary.

mod common;

use common::Scratch as TempDir;
use common::iamlint;
use std::io::Read;
use std::process::{Command, Output, Stdio};

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A policy whose values, Sid and keys carry every kind of hostile text: ANSI escapes,
/// BiDi overrides, a newline followed by a workflow command, a carriage return, a very
/// long value, a Unicode tag character.
fn hostile_policy() -> String {
    let long = "A".repeat(5_000);
    format!(
        r#"{{"Version": "2012-10-17", "Statement": [
  {{"Sid": "a\u001b[31mred\u202eb", "Effect": "Allow", "Action": "s3:GetObject\n::error::pwned", "Resource": "*"}},
  {{"Sid": "x", "Effect": "Allow", "Action": "s3:Get{long}", "Resource": "arn:aws:s3:::b/\r##[group]x\u2028::warning::y\udb40\udc41"}},
  {{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*", "Condition": {{"StringEquals": {{"aws:x\n::error::k": "v\u001b]8;;http://e\u0007"}}}}}}
]}}"#
    )
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
        || ('\u{e0000}'..='\u{e007f}').contains(&c)
}

fn starts_command(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("::") || t.starts_with("##[") || t.starts_with("##vso[")
}

#[test]
fn input_text_is_escaped_in_human_concise_github_and_stderr() {
    let d = TempDir::new();
    d.write("p.json", hostile_policy());
    // A file name that is itself a workflow command.
    d.write("::error::name.json", hostile_policy());
    for format in ["human", "concise", "github"] {
        let o = iamlint(&["check", "--format", format, "--verbose", "p.json", "::error::name.json"], &d.0);
        let out = text(&o);
        assert!(out.contains("finding"), "{format}: {out}");
        for c in out.chars() {
            assert!(!is_unsafe(c), "{format}: raw {c:?} in\n{out}");
        }
        for line in out.lines() {
            // GitHub's own annotations begin with `::`; nothing else may.
            let ours =
                format == "github" && ["::error ", "::warning ", "::notice "].iter().any(|c| line.starts_with(c));
            assert!(ours || !starts_command(line), "{format}: a line begins a command: {line:?}");
            if format == "github" && ours {
                assert!(!line.contains("pwned") || line.contains("%0A"), "{line}");
            }
        }
        // The long value is cut, not printed whole.
        assert!(!out.contains(&"A".repeat(1_000)), "{format}: long value printed whole");
        assert!(out.contains("AAAA…"), "{format}: long value not marked as cut\n{out}");
    }
}

#[test]
fn stderr_escapes_file_names_and_messages() {
    let d = TempDir::new();
    let o = iamlint(&["check", "missing\n::error::x.json", "\u{1b}[2J.json"], &d.0);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("missing\\n::error::x.json"), "{err}");
    assert!(err.contains("\\u{1b}[2J.json"), "{err}");
    for line in err.lines() {
        assert!(!starts_command(line) && !line.chars().any(is_unsafe), "{line:?}");
    }
}

#[cfg(unix)]
#[test]
fn a_link_out_of_the_tree_and_a_file_that_is_not_a_policy_are_never_echoed() {
    let outside = TempDir::new();
    outside.write("environ", "PATH=/usr/bin\0AWS_SECRET_ACCESS_KEY=hunter2secret\0");
    let repo = TempDir::new();
    std::os::unix::fs::symlink(outside.0.join("environ"), repo.0.join("policy.json")).unwrap();
    // Not a link, but not a policy either: a secret saved under a policy's name.
    repo.write("token.json", "ghp_secretTOKEN1234567890 = do not print");
    for format in ["human", "concise", "github", "json", "sarif"] {
        let o = iamlint(&["check", "--format", format, "policy.json", "token.json"], &repo.0);
        let out = text(&o);
        assert_ne!(o.status.code(), Some(0), "{format}: {out}");
        assert!(!out.contains("hunter2secret") && !out.contains("AWS_SECRET"), "{format} echoed the link:\n{out}");
        assert!(!out.contains("ghp_secret"), "{format} echoed the file:\n{out}");
        assert!(out.contains("policy.json") && out.contains("token.json"), "{format}: {out}");
    }
    // A policy reached through a link inside the tree is shown as usual.
    repo.write("real/inner.json", "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\",}]}");
    std::os::unix::fs::symlink(repo.0.join("real/inner.json"), repo.0.join("inner.json")).unwrap();
    let o = iamlint(&["check", "inner.json"], &repo.0);
    assert!(text(&o).contains("\"Resource\": \"*\""), "{}", text(&o));
}

#[test]
fn a_policy_that_cannot_be_read_fails_whatever_the_flags() {
    let d = TempDir::new();
    d.write(
        "broken.json",
        "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:GetObject\"",
    );
    for args in [
        vec!["--fail-on", "none"],
        vec!["--select", "unscoped-write"],
        vec!["--ignore", "malformed-json"],
        vec!["--select", "full-admin", "--fail-on", "critical"],
    ] {
        let mut all = vec!["check", "broken.json", "--format", "concise"];
        all.extend(&args);
        let o = iamlint(&all, &d.0);
        assert_ne!(o.status.code(), Some(0), "{args:?} passed an unreadable policy: {}", text(&o));
        assert!(text(&o).contains("malformed-json"), "{args:?}: {}", text(&o));
    }
}

#[cfg(unix)]
#[test]
fn the_exit_code_survives_a_closed_pipe() {
    let d = TempDir::new();
    // Enough findings (cheap ones: one action each) that the output of every format
    // overflows a pipe's buffer.
    let statements: Vec<String> = (0..1_000)
        .map(|i| {
            format!("{{\"Sid\": \"S{i}\", \"Effect\": \"Allow\", \"Action\": \"s3:GetObject\", \"Resource\": \"*\"}}")
        })
        .collect();
    d.write("big.json", format!("{{\"Version\": \"2012-10-17\", \"Statement\": [{}]}}", statements.join(",\n")));
    // Every output format; and a run that could not lint a file (exit 2) says so too.
    let formats = ["concise", "json", "human", "sarif", "github", "html", "markdown"];
    for (files, expected) in [(&["big.json"][..], 1), (&["big.json", "missing.json"][..], 2)] {
        for format in formats {
            let mut child = Command::new(env!("CARGO_BIN_EXE_iamlint"))
                .arg("check")
                .args(files)
                .args(["--format", format])
                .current_dir(&d.0)
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            // Read a little, then close the pipe as `| head -1` does.
            let mut stdout = child.stdout.take().unwrap();
            let mut first = [0u8; 64];
            stdout.read_exact(&mut first).unwrap();
            drop(stdout);
            let status = child.wait().unwrap();
            assert_eq!(status.code(), Some(expected), "{format} {files:?}: the run's exit code");
        }
    }
}

#[test]
fn files_are_decoded_as_iam_reads_them() {
    let d = TempDir::new();
    let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#;
    let utf16le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(policy.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    let utf16be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(policy.encode_utf16().flat_map(u16::to_be_bytes)).collect();
    d.write("le.json", utf16le).write("be.json", utf16be);
    let mut latin1 = policy.as_bytes().to_vec();
    latin1.insert(policy.find("b/*").unwrap(), 0xE9);
    d.write("latin1.json", latin1);
    d.write("raw.json", policy.replace("s3:GetObject", "s3:Get\tObject\u{1}"));
    let o = iamlint(&["check", "--format", "concise", "le.json", "be.json", "latin1.json", "raw.json"], &d.0);
    let out = text(&o);
    assert_ne!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("le.json:1:1: critical malformed-json: file is UTF-16 (little-endian), not UTF-8"), "{out}");
    assert!(out.contains("be.json:1:1: critical malformed-json: file is UTF-16 (big-endian), not UTF-8"), "{out}");
    assert!(out.contains("latin1.json") && out.contains("file is not valid UTF-8"), "{out}");
    assert!(out.contains("raw control character U+0009 inside a string"), "{out}");
    assert!(out.contains("raw control character U+0001 inside a string"), "{out}");
    // The UTF-16 policies are still analysed: their values are read in characters.
    assert!(!out.contains("le.json:1:1: critical malformed-json: unexpected"), "{out}");
}
