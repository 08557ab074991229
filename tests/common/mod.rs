//! Helpers shared by the integration tests (a folder, so cargo does not run it as a test).

use iamlint::rules::RULES;
use std::path::{Path, PathBuf};

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
