//! The one harness every fuzz target calls: the real load path (`lint_bytes`: decode,
//! the adapter registry picked by the file name and content, resolve, every rule), then
//! the filter's verdict and every output format, with the properties iamlint promises
//! checked on the way (a panic or a failed assertion is a crash libFuzzer keeps).

use iamlint::catalogue::Catalogue;
use iamlint::config::Settings;
use iamlint::diagnostic::{Outcome, Severity};
use iamlint::filter::{FailOn, FilterOptions, Verdict, apply};
use iamlint::lint::{FileOutcome, LintOptions, lint_bytes, record};
use iamlint::report::escape::is_unsafe;
use iamlint::report::{Format, RenderOptions, render};
use iamlint::rules::RULES;
use std::path::{Path, PathBuf};

/// Lints `data` as the file `name` and renders the result in every format.
pub fn lint(name: &str, data: &[u8]) {
    let options =
        LintOptions { rules: RULES.to_vec(), kind: None, settings: Settings::default(), scps: Default::default() };
    let catalogue = Catalogue::bundled();
    let result = lint_bytes(Path::new(name), data.to_vec(), true, &options, catalogue);
    let broken = matches!(result, FileOutcome::Failed(_));
    let mut outcome = Outcome::default();
    record(&mut outcome, PathBuf::from(name), result);
    apply(&mut outcome, &FilterOptions::default());
    // Fail closed: a file that could not be linted, or whose text could not be read as
    // a policy, fails the gate whatever the threshold says.
    let verdict = Verdict::of(&outcome, FailOn::Never);
    let unreadable = outcome.findings.iter().any(|f| f.rule.id == "malformed-json");
    assert!(!(broken || unreadable) || verdict.failed(), "a broken file passes the gate: {outcome:?}");
    let verdict = Verdict::of(&outcome, FailOn::AtLeast(Severity::Medium));
    for format in
        [Format::Human, Format::Concise, Format::Json, Format::Sarif, Format::Github, Format::Html, Format::Markdown]
    {
        let render_options = RenderOptions {
            format,
            color: false,
            verbose: true,
            statistics: false,
            show_suppressed: true,
            base: PathBuf::from("/fuzz"),
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        render(&outcome, &verdict, &render_options, catalogue, &mut out, &mut err).expect("rendering to memory");
        let out = String::from_utf8(out).expect("output is UTF-8");
        let err = String::from_utf8(err).expect("stderr is UTF-8");
        match format {
            Format::Json | Format::Sarif => {
                serde_json::from_str::<serde_json::Value>(&out).expect("JSON output parses");
            }
            Format::Human | Format::Concise => safe_for_people(&out),
            _ => {}
        }
        safe_for_people(&err);
    }
}

/// Text for a terminal or a CI log: no character `escape::is_unsafe` names (control
/// characters, ANSI escapes, BiDi overrides, zero-width and tag characters, a BOM) but the
/// line break and the tab, and no line that starts a workflow command.
fn safe_for_people(text: &str) {
    for line in text.lines() {
        let start = line.trim_start();
        assert!(
            !start.starts_with("::") && !start.starts_with("##[") && !start.starts_with("##vso["),
            "workflow command in output: {line:?}"
        );
        assert!(!line.chars().any(|c| c != '\t' && is_unsafe(c)), "raw unsafe character in output: {line:?}");
    }
}
