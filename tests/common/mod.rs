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
