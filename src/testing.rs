//! Test helpers shared by the unit tests of every layer (compiled for tests only): load
//! a JSON snippet through the adapter registry, resolve it, run one rule on it.

use crate::catalogue::Catalogue;
use crate::config::Settings;
use crate::diagnostic::Finding;
use crate::formats::{self, LoadOptions, Loaded, LoadedFile};
use crate::lint::{FileOutcome, LintOptions, lint_bytes};
use crate::policy::PolicyKind;
use crate::resolve::{ResolvedDocument, resolve};
use crate::rules::Rule;
use crate::source::SourceFile;
use std::path::Path;
use std::sync::Arc;

/// `{"Version": "2012-10-17", "Statement": [<statements>]}`.
pub fn policy(statements: &str) -> String {
    format!(r#"{{"Version": "2012-10-17", "Statement": [{statements}]}}"#)
}

/// A file's text loaded as `policy.json` (or another name, for format detection).
pub fn load(name: &str, text: &str, kind: Option<PolicyKind>) -> LoadedFile {
    let source = Arc::new(SourceFile::new(name, text.to_string()));
    match formats::load(source, &LoadOptions { kind, explicit: true, tree: None }) {
        Loaded::Policy(loaded) => loaded,
        Loaded::NotPolicy(reason) => panic!("{name} is not a policy: {reason}"),
    }
}

/// The first document of a JSON policy, resolved.
pub fn resolved(json: &str, kind: Option<PolicyKind>) -> ResolvedDocument {
    let loaded = load("policy.json", json, kind);
    resolve(loaded.documents.into_iter().next().expect("one document"), Catalogue::bundled())
}

/// What one rule reports on a file's text, as the engine completes it.
pub fn run(rule: &'static Rule, name: &str, text: &str) -> Vec<Finding> {
    let options =
        LintOptions { rules: vec![rule], kind: None, settings: Settings::default(), scps: Default::default() };
    match lint_bytes(Path::new(name), text.as_bytes().to_vec(), true, &options, Catalogue::bundled()) {
        FileOutcome::Linted(findings) => findings,
        other => panic!("{name} was not linted: {other:?}"),
    }
}
