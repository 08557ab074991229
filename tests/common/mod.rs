//! Helpers shared by the integration tests (a folder, so cargo does not run it as a test).
//! Each test file uses some of them.
#![allow(dead_code)]

use iamlint::rules::RULES;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs the real binary in `cwd`, without colour.
pub fn iamlint(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_iamlint")).args(args).current_dir(cwd).env("NO_COLOR", "1").output().unwrap()
}

/// An outside tool the tests drive: from its `IAMLINT_*` variable, else installed by
/// `.ci/install-tools` (which prints the variables it sets).
pub fn tool(var: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var).map(PathBuf::from)
        && path.is_file()
    {
        return path;
    }
    let installer = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/install-tools");
    let o = Command::new("bash").arg(&installer).output().expect("bash runs .ci/install-tools");
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{} failed; the test needs {var}:\n{stderr}", installer.display());
    let exports = String::from_utf8_lossy(&o.stdout).into_owned();
    let line = exports
        .lines()
        .find_map(|l| l.strip_prefix(&format!("export {var}=")))
        .unwrap_or_else(|| panic!("{} printed no {var}:\n{exports}", installer.display()));
    let path = PathBuf::from(line.trim_matches('\''));
    assert!(path.is_file(), "{var}={} is not a file", path.display());
    path
}

/// Fails unless the real SARIF Multitool (the SARIF schema and GitHub's ingestion rules)
/// finds no error in `sarif`. `dir` holds its files.
pub fn assert_valid_sarif(multitool: &Path, dir: &Path, sarif: &[u8]) {
    let input = dir.join("in.sarif");
    fs::write(&input, sarif).unwrap();
    let verdict = dir.join("out.sarif");
    let v = Command::new(multitool)
        .args(["validate", "--rule-kind", "Sarif;Gh", "--log", "ForceOverwrite", "-o"])
        .arg(&verdict)
        .arg(&input)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .unwrap();
    let said = || format!("{}{}", String::from_utf8_lossy(&v.stdout), String::from_utf8_lossy(&v.stderr));
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(&verdict).unwrap_or_else(|e| panic!("no verdict ({e}): {}", said()))).unwrap();
    let problems: Vec<String> = report["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["level"] == "error")
        .map(|r| format!("{}: {}", r["ruleId"], r["message"]))
        .collect();
    assert!(problems.is_empty(), "SARIF Multitool errors:\n{}", problems.join("\n"));
}

/// A fresh directory under the system temp dir, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new() -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "iamlint-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    /// A scratch repository: it holds `.git`, so no configuration file above it is read.
    pub fn repo() -> Scratch {
        let s = Scratch::new();
        fs::create_dir_all(s.0.join(".git")).unwrap();
        s
    }

    pub fn write(&self, name: &str, text: impl AsRef<[u8]>) -> &Scratch {
        let path = self.0.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
        self
    }

    /// The binary run in this directory.
    pub fn run(&self, args: &[&str]) -> Output {
        iamlint(args, &self.0)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Every rule's fail fixtures whose kind is inferred: `name.json`, not `name.scp.json`
/// (those are linted as a forced kind) nor `name.dump.json` (an account dump, not a policy). What the format tests wrap in their format and
/// compare rule by rule with the raw file.
pub fn inferred_fail_fixtures() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for rule in RULES {
        let dir = Path::new("fixtures").join(rule.id()).join("fail");
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        for e in entries.flatten() {
            let path = e.path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".json") && name.matches('.').count() == 1 {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
