//! Hostile inputs (issue 14): shapes that once ran for minutes or took gigabytes, deep
//! nesting, huge strings, special files and symbolic link loops. Each runs the real binary
//! and must end (findings, or a clear error with exit 2) within a time and memory bound.
//! The bounds are generous on purpose (a debug build on a loaded two-core CI machine):
//! they catch a hang or a quadratic blow-up, not a slowdown. Inputs are built here.

mod common;

use common::Scratch as TempDir;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// No shape may take longer than this (debug build, loaded machine).
const TIME_BOUND: Duration = Duration::from_secs(150);

/// Nor hold more memory than this at its peak (resident set, Linux only).
const MEMORY_BOUND_KB: u64 = 1_500_000;

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    peak_kb: Option<u64>,
}

/// The peak resident set of a running process (`VmHWM`), where the system says it.
fn peak_kb(pid: u32) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `iamlint check` on one file, killing it at the time bound; watches its memory.
fn check(dir: &Path, name: &str, extra: &[&str]) -> Run {
    let out_path = dir.join(format!("{name}.stdout"));
    let err_path = dir.join(format!("{name}.stderr"));
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_iamlint"))
        .arg("check")
        .arg(name)
        .args(if extra.contains(&"--format") { &[][..] } else { &["--format", "concise"][..] })
        .args(extra)
        .current_dir(dir)
        .stdout(fs::File::create(&out_path).unwrap())
        .stderr(fs::File::create(&err_path).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let mut peak = None;
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        peak = peak.max(peak_kb(child.id()));
        if start.elapsed() > TIME_BOUND {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{name}: still running after {TIME_BOUND:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code,
        stdout: fs::read_to_string(out_path).unwrap_or_default(),
        stderr: fs::read_to_string(err_path).unwrap_or_default(),
        elapsed: start.elapsed(),
        peak_kb: peak,
    }
}

fn policy(statements: &[String]) -> String {
    format!("{{\"Version\": \"2012-10-17\", \"Statement\": [{}]}}", statements.join(","))
}

/// Asserts the bounds and that the run ended as a linter run ends: 0, 1 or 2, never a
/// crash; returns the run for shape-specific checks.
fn bounded(dir: &Path, name: &str, text: &str) -> Run {
    fs::write(dir.join(name), text).unwrap();
    let run = check(dir, name, &[]);
    assert!(
        matches!(run.code, Some(0..=2)),
        "{name}: exit {:?} after {:?}\n{}",
        run.code,
        run.elapsed,
        run.stderr.chars().take(2_000).collect::<String>()
    );
    assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
    if let Some(kb) = run.peak_kb {
        assert!(kb < MEMORY_BOUND_KB, "{name}: peak memory {kb} KB");
    }
    eprintln!("{name}: exit {:?} in {:?}, peak {:?} KB", run.code, run.elapsed, run.peak_kb);
    run
}

/// A run that stopped the document as too much work: exit 2 and the message says so.
fn incomplete(run: &Run, name: &str) {
    assert_eq!(run.code, Some(2), "{name}: {}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("analysis incomplete"), "{name}: {}", run.stderr);
}

#[test]
fn a_hundred_thousand_statements_stop_as_incomplete() {
    let d = TempDir::new();
    let statements: Vec<String> = (0..100_000)
        .map(|i| {
            format!(
                r#"{{"Sid": "S{i}", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b{i}/*"}}"#
            )
        })
        .collect();
    let run = bounded(&d.0, "statements.json", &policy(&statements));
    incomplete(&run, "statements.json");
    assert!(run.stderr.contains("characters of policy"), "{}", run.stderr);
}

#[test]
fn ec2_allows_against_as_many_denies() {
    let d = TempDir::new();
    let n = 150;
    let mut statements: Vec<String> = (0..n)
        .map(|i| {
            format!(r#"{{"Effect": "Allow", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:instance/i-{i:08x}"}}"#)
        })
        .collect();
    statements.extend((0..n).map(|i| {
        format!(r#"{{"Effect": "Deny", "Action": "ec2:*", "Resource": "arn:aws:ec2:*:*:volume/vol-{i:08x}"}}"#)
    }));
    let run = bounded(&d.0, "ec2.json", &policy(&statements));
    // Either analysed within the budget or stopped by it; never a pass without analysis.
    if run.code == Some(2) {
        incomplete(&run, "ec2.json");
    }
}

#[test]
fn one_minified_line_with_many_findings() {
    let d = TempDir::new();
    // Non-ASCII, so columns are counted in characters: 4,000 findings on one line (kept
    // small for a debug build: unknown actions cost a did-you-mean each).
    let statements: Vec<String> = (0..250)
        .map(|i| {
            format!(
                r#"{{"Sid":"é{i}","Effect":"Allow","Action":["s3:NoSuch{i}a","s3:NoSuch{i}b","s3:NoSuch{i}c"],"Resource":"arn:aws:s3:::é/{i}"}}"#
            )
        })
        .collect();
    let text = format!("[{}]", (0..4).map(|_| policy(&statements).replace(": ", ":")).collect::<Vec<_>>().join(","));
    assert!(!text.contains('\n'));
    let run = bounded(&d.0, "minified.json", &text);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(run.stdout.lines().count() > 3_000, "{}", run.stdout.lines().count());
    // The last finding's column is counted in characters over the whole line.
    let last = run.stdout.lines().rev().find(|l| l.contains("unknown-action")).unwrap();
    let column: usize = last.split(':').nth(2).unwrap().parse().unwrap();
    assert!(column > 50_000, "{last}");
    // The same in human output (miette reads only the lines around each label).
    let human = check(&d.0, "minified.json", &["--format", "human"]);
    assert_eq!(human.code, Some(1), "{}", human.stderr);
}

#[test]
fn one_minified_line_with_eighty_thousand_findings() {
    let d = TempDir::new();
    // The issue's size: 80,000 findings on one 4.6 MB line, as 80 policies of 1,000
    // statements (each policy under the document size), one non-ASCII character first so
    // that columns are counted in characters (from a checkpoint, not the line's start).
    let statements = vec![r#"{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}"#; 1_000].join(",");
    let policies: Vec<String> =
        (0..80).map(|i| format!(r#"{{"Version":"2012-10-17","Id":"é{i}","Statement":[{statements}]}}"#)).collect();
    let text = format!("[{}]", policies.join(","));
    assert!(!text.contains('\n'));
    let run = bounded(&d.0, "eighty.json", &text);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    let findings = run.stdout.lines().filter(|l| l.contains("data-exfiltration")).count();
    assert_eq!(findings, 80_000);
    let last = run.stdout.lines().rev().find(|l| l.contains("data-exfiltration")).unwrap();
    let column: usize = last.split(':').nth(2).unwrap().parse().unwrap();
    assert!(column > 4_000_000, "{last}");
}

#[test]
fn thousands_of_condition_keys_on_every_action() {
    let d = TempDir::new();
    let keys: Vec<String> = (0..2_000).map(|i| format!(r#""aws:PrincipalTag/k{i}": "v""#)).collect();
    let statement = format!(
        r#"{{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {{"StringEquals": {{{}}}}}}}"#,
        keys.join(",")
    );
    let run = bounded(&d.0, "keys.json", &policy(&[statement]));
    if run.code == Some(2) {
        incomplete(&run, "keys.json");
    }
}

#[test]
fn unclosed_substitutions() {
    let d = TempDir::new();
    // 200,000 unclosed `${` (400 KB) in each place a value can hold one, one document each:
    // a search for the closing `}` per `${` once made each of these quadratic (minutes).
    let value = "${".repeat(200_000);
    let shapes = [
        ("resource", format!(r#""Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/{value}""#)),
        ("sid", format!(r#""Sid": "{value}", "Action": "s3:GetObject", "Resource": "*""#)),
        (
            "key",
            format!(
                r#""Action": "s3:GetObject", "Resource": "*", "Condition": {{"StringLike": {{"s3:prefix{value}": "x"}}}}"#
            ),
        ),
        (
            "value",
            format!(
                r#""Action": "*", "Resource": "*", "Condition": {{"ArnLike": {{"aws:SourceArn": "arn:aws:s3:::{value}"}}}}"#
            ),
        ),
        // Terraform's `&{` spelling, closed once at the very end: each `&{` is read again.
        ("terraform", format!(r#""Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/{}}}""#, "&{".repeat(200_000))),
    ];
    for (name, body) in shapes {
        let statement = format!(r#"{{"Effect": "Allow", {body}}}"#);
        let run = bounded(&d.0, &format!("dollar-{name}.json"), &policy(&[statement]));
        // Linted (a 400 KB policy is over IAM's size quota), not stopped.
        assert_eq!(run.code, Some(1), "{name}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("policy-size"), "{name}: {}", run.stdout);
    }
}

#[test]
fn thousands_of_denies_of_everything() {
    let d = TempDir::new();
    let mut statements = vec![r#"{"Effect": "Allow", "Action": "*", "Resource": "*"}"#.to_string()];
    statements
        .extend((0..2_000).map(|i| format!(r#"{{"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::x{i}"}}"#)));
    let run = bounded(&d.0, "denies.json", &policy(&statements));
    if run.code == Some(2) {
        incomplete(&run, "denies.json");
    }
    // Twenty thousand of them are over the document size iamlint analyses.
    statements.extend(
        (0..18_000).map(|i| format!(r#"{{"Effect": "Deny", "Action": "*", "Resource": "arn:aws:s3:::y{i}"}}"#)),
    );
    let run = bounded(&d.0, "denies20k.json", &policy(&statements));
    incomplete(&run, "denies20k.json");
    // Minified Denies of `*` on `*` fit under that size (20,000 in 920 KB). Each held its
    // own map of every service (40 KB: 20,000 took 811 MB and 6 s in a release build);
    // `Action: *` now shares one, so 20,000 are analysed in bounded memory.
    let mut compact = vec![r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#; 20_001];
    compact[0] = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
    let compact = compact.join(",");
    let text = format!(r#"{{"Version":"2012-10-17","Statement":[{compact}]}}"#);
    assert!(text.len() < 1 << 20);
    let run = bounded(&d.0, "denies20k-star.json", &text);
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.peak_kb.is_none_or(|kb| kb < 200_000), "20,000 Denies of `*` took {:?} KB", run.peak_kb);
}

#[test]
fn deep_nesting_and_huge_strings() {
    let d = TempDir::new();
    for depth in [1_000, 100_000] {
        let nested = format!(
            r#"{{"Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {}1{}}}]}}"#,
            "{\"a\":".repeat(depth),
            "}".repeat(depth)
        );
        bounded(&d.0, &format!("nested{depth}.json"), &nested);
        let arrays = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        bounded(&d.0, &format!("arrays{depth}.json"), &arrays);
        let yaml =
            format!("AWSTemplateFormatVersion: '2010-09-09'\nResources: {}1{}\n", "[".repeat(depth), "]".repeat(depth));
        bounded(&d.0, &format!("nested{depth}.yaml"), &yaml);
        let hcl = format!(
            "resource \"aws_iam_policy\" \"p\" {{\n  policy = jsonencode({}1{})\n}}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        );
        bounded(&d.0, &format!("nested{depth}.tf"), &hcl);
        // The other adapters: a plan, CLI output, a docs page, and an authorization dump
        // (3,000 nested arrays in a dump once overflowed the stack: found by fuzzing).
        let deep = |open: &str, close: &str| format!("{}1{}", open.repeat(depth), close.repeat(depth));
        let plan = format!(r#"{{"format_version":"1.2","planned_values":{}}}"#, deep("[", "]"));
        bounded(&d.0, &format!("plan{depth}.json"), &plan);
        let cli = format!(r#"{{"Policy":{}}}"#, deep(r#"{"a":"#, "}"));
        bounded(&d.0, &format!("cli{depth}.json"), &cli);
        let page =
            format!("# Policy\n\n```json\n{{\"Version\":\"2012-10-17\",\"Statement\":{}}}\n```\n", deep("[", "]"));
        bounded(&d.0, &format!("page{depth}.md"), &page);
        let dump = format!(r#"{{"UserDetailList":{},"RoleDetailList":[]}}"#, deep("[", "]"));
        let run = bounded(&d.0, &format!("dump{depth}.json"), &dump);
        assert_eq!(run.code, Some(1), "dump{depth}.json: {}{}", run.stdout, run.stderr);
    }
    // A 200 KB Sid, a 200 KB action, a 20 MB value (over the document size).
    let long = "A".repeat(200_000);
    let statement = format!(r#"{{"Sid": "{long}", "Effect": "Allow", "Action": "s3:{long}", "Resource": "*"}}"#);
    let run = bounded(&d.0, "long.json", &policy(&[statement]));
    assert!(!run.stdout.contains(&"A".repeat(1_000)), "a huge value is printed whole");
    let huge = format!(
        r#"{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::{}"}}"#,
        "b".repeat(20 << 20)
    );
    let run = bounded(&d.0, "huge.json", &policy(&[huge]));
    incomplete(&run, "huge.json");
}

#[test]
fn every_encoding() {
    let d = TempDir::new();
    let text = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}"#;
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("utf8.json", text.as_bytes().to_vec()),
        ("bom.json", [&[0xEF, 0xBB, 0xBF][..], text.as_bytes()].concat()),
        ("crlf.json", text.replace(", ", ",\r\n").into_bytes()),
        ("utf16le.json", [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()),
        ("utf16be.json", [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect()),
        ("utf16-odd.json", vec![0xFF, 0xFE, b'{', 0, b'"']),
        (
            "utf32.json",
            [0xFF, 0xFE, 0, 0].into_iter().chain(text.chars().flat_map(|c| (c as u32).to_le_bytes())).collect(),
        ),
        ("latin1.json", text.replace("b/*", "caf\u{e9}").chars().map(|c| c as u8).collect()),
        ("binary.json", (0..=255u8).cycle().take(100_000).collect()),
        ("nul.json", vec![0; 10_000]),
        ("empty.json", Vec::new()),
    ];
    for (name, bytes) in inputs {
        fs::write(d.0.join(name), &bytes).unwrap();
        let run = check(&d.0, name, &[]);
        assert!(matches!(run.code, Some(0..=2)), "{name}: {:?} {}", run.code, run.stderr);
        assert!(!run.stderr.contains("panicked"), "{name}: {}", run.stderr);
        let fails = run.code != Some(0) || name == "utf8.json" || name == "crlf.json";
        assert!(fails, "{name} passed: {}{}", run.stdout, run.stderr);
        // A UTF-16 file is reported as UTF-16, not also for its mark as a UTF-8 BOM.
        let bom_finding = run.stdout.contains("byte order mark");
        assert_eq!(bom_finding, name == "bom.json", "{name}: {}", run.stdout);
    }
    // IAM rejects a policy starting with a UTF-8 BOM; a YAML template's parser takes one
    // (CloudFormation converts the policy to JSON before it reaches IAM).
    let template = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  P:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Version: '2012-10-17'\n        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: arn:aws:s3:::b/*\n";
    fs::write(d.0.join("bom.yaml"), [&[0xEF, 0xBB, 0xBF][..], template.as_bytes()].concat()).unwrap();
    let run = check(&d.0, "bom.yaml", &[]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let run = check(&d.0, "bom.json", &["--fail-on", "none"]);
    assert_eq!(run.code, Some(1), "a BOM fails the gate whatever --fail-on says: {}", run.stdout);
    assert!(run.stdout.contains("malformed-json"), "{}", run.stdout);
}

#[cfg(unix)]
#[test]
fn special_files_and_symlink_loops() {
    let d = TempDir::new();
    std::os::unix::fs::symlink("loop-b.json", d.0.join("loop-a.json")).unwrap();
    std::os::unix::fs::symlink("loop-a.json", d.0.join("loop-b.json")).unwrap();
    fs::create_dir(d.0.join("tree")).unwrap();
    std::os::unix::fs::symlink("..", d.0.join("tree/up")).unwrap();
    std::os::unix::fs::symlink(".", d.0.join("tree/self")).unwrap();
    // A named loop is an error; a walk over looping directories ends.
    let run = check(&d.0, "loop-a.json", &[]);
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    let run = check(&d.0, "tree", &["--allow-empty"]);
    assert!(matches!(run.code, Some(0 | 2)), "{:?} {}", run.code, run.stderr);
    // A named pipe with no writer would block a read forever: named or walked, refused.
    if Command::new("mkfifo").arg(d.0.join("pipe.json")).status().is_ok_and(|s| s.success()) {
        let run = check(&d.0, "pipe.json", &[]);
        assert_eq!(run.code, Some(2), "{}", run.stderr);
        assert!(run.stderr.contains("not a regular file"), "{}", run.stderr);
        let run = check(&d.0, ".", &["--allow-empty"]);
        assert!(matches!(run.code, Some(0 | 2)), "{:?} {}", run.code, run.stderr);
    }
    // Devices and directories named as files are refused, not read forever.
    for special in ["/dev/zero", "/dev/urandom", "/dev/null"] {
        if Path::new(special).exists() {
            let run = check(&d.0, special, &[]);
            assert_eq!(run.code, Some(2), "{special}: {}", run.stderr);
        }
    }
}
