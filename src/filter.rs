//! FILTER: which rules run, and what the run's findings decide. Rule selection, severity
//! overrides from the configuration, suppressions (configuration `[[suppress]]` entries,
//! inline `# iamlint: ignore[rule] reason` comments, waivers a template declares), the
//! baseline and the fail threshold all act here, before anything is rendered.

use crate::config::{Config, ConfigError};
use crate::diagnostic::{Declared, Finding, Outcome, Severity, Suppressed};
use crate::discover::PathGlob;
use crate::rules::{self, RULES, Rule};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::{self, Write};
use std::path::Path;
use toml::Spanned;

/// The rules to run: `select` (or all) minus `ignore`; unknown ids are errors with a
/// did-you-mean.
pub fn selected_rules(select: &[String], ignore: &[String]) -> Result<Vec<&'static Rule>, String> {
    // `--select a,` leaves an empty id: nothing to select.
    let select: Vec<&String> = select.iter().filter(|s| !s.trim().is_empty()).collect();
    let ignore: Vec<&String> = ignore.iter().filter(|s| !s.trim().is_empty()).collect();
    for id in select.iter().chain(&ignore) {
        if rules::find(id).is_none() {
            let suggestion = did_you_mean(id).map(|r| format!(" (did you mean `{r}`?)")).unwrap_or_default();
            return Err(format!("unknown rule `{id}`{suggestion}; `iamlint rules` lists them"));
        }
    }
    Ok(RULES
        .iter()
        .copied()
        .filter(|r| select.is_empty() || select.iter().any(|s| *s == r.id()))
        .filter(|r| !ignore.iter().any(|s| *s == r.id()))
        .collect())
}

/// The rule id closest to a misspelt one.
pub fn did_you_mean(id: &str) -> Option<&'static str> {
    RULES
        .iter()
        .map(|r| (strsim::jaro_winkler(r.id(), id), r.id()))
        .filter(|(s, _)| *s > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, r)| r)
}

/// A rule id written in the configuration file, checked.
pub fn config_rule(config: &Config, id: &Spanned<String>) -> Result<&'static str, ConfigError> {
    match rules::find(id.get_ref()) {
        Some(rule) => Ok(rule.id()),
        None => Err(config.error(
            id.span(),
            format!("unknown rule `{}`", id.get_ref()),
            Some(match did_you_mean(id.get_ref()) {
                Some(r) => format!("did you mean `{r}`? (`iamlint rules` lists them)"),
                None => "`iamlint rules` lists the rule ids".into(),
            }),
        )),
    }
}

/// A severity written in the configuration file, checked.
pub fn config_severity(config: &Config, value: &Spanned<String>) -> Result<Severity, ConfigError> {
    Severity::parse(value.get_ref()).ok_or_else(|| {
        config.error(
            value.span(),
            format!("unknown severity `{}`", value.get_ref()),
            Some("write one of critical, high, medium, low, info".into()),
        )
    })
}

/// When the run fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// On findings at or above this severity.
    AtLeast(Severity),
    /// Never on findings (`--fail-on none`); a file that could not be linted still fails.
    Never,
}

impl FailOn {
    pub fn parse(s: &str) -> Option<FailOn> {
        if s.eq_ignore_ascii_case("none") { Some(FailOn::Never) } else { Severity::parse(s).map(FailOn::AtLeast) }
    }
}

impl fmt::Display for FailOn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailOn::AtLeast(s) => write!(f, "{s}"),
            FailOn::Never => f.write_str("none"),
        }
    }
}

impl Serialize for FailOn {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The rule that says a file is not JSON IAM reads: what it reports may hide a policy
/// iamlint could not analyse, so it fails the gate whatever the threshold (fail closed).
pub const UNREADABLE: &str = "malformed-json";

/// The rule that says a principal's policies are not all in the input: like `UNREADABLE`,
/// it fails the gate whatever the threshold.
pub const INCOMPLETE: &str = "incomplete-analysis";

/// What a run decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    pub fail_on: FailOn,
    /// Findings at or above `fail_on`.
    pub gated: usize,
    /// `malformed-json` findings below `fail_on` (or with `--fail-on none`): they fail
    /// the run all the same.
    pub unreadable: usize,
    /// A file could not be linted: the gate fails whatever the threshold.
    pub broken: bool,
}

impl Verdict {
    pub fn of(outcome: &Outcome, fail_on: FailOn) -> Verdict {
        let mut verdict = Verdict::new(fail_on);
        verdict.count(&outcome.findings);
        verdict.broken = !outcome.errors.is_empty();
        verdict
    }

    /// Nothing counted yet (a run that streams its report counts file by file).
    pub fn new(fail_on: FailOn) -> Verdict {
        Verdict { fail_on, gated: 0, unreadable: 0, broken: false }
    }

    /// Counts more of the run's findings (after the filter).
    pub fn count(&mut self, findings: &[Finding]) {
        let fail_on = self.fail_on;
        let gates = |f: &Finding| matches!(fail_on, FailOn::AtLeast(s) if f.severity >= s);
        self.gated += findings.iter().filter(|f| gates(f)).count();
        self.unreadable +=
            findings.iter().filter(|f| (f.rule.id == UNREADABLE || f.rule.id == INCOMPLETE) && !gates(f)).count();
    }

    pub fn failed(&self) -> bool {
        self.broken || self.gated > 0 || self.unreadable > 0
    }
}

/// A `[[suppress]]` entry of the configuration, checked.
#[derive(Debug, Clone)]
pub struct Suppression {
    pub rule: &'static str,
    pub path: PathGlob,
    pub sid: Option<String>,
    pub locator: Option<String>,
    pub reason: String,
    /// `iamlint.toml:12`.
    pub by: String,
}

impl Suppression {
    fn covers(&self, f: &Finding, path: &Path) -> bool {
        f.rule.id == self.rule
            && self.path.matches(path)
            && self.sid.as_ref().is_none_or(|sid| f.statement.as_ref().and_then(|s| s.sid.as_ref()) == Some(sid))
            && self.locator.as_ref().is_none_or(|l| under(&f.locator, l))
    }
}

/// `Statement[2].Condition` is under `Statement[2]`, not under `Statement[20]`.
fn under(locator: &str, prefix: &str) -> bool {
    locator
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('[') || prefix.is_empty())
}

/// What the filter does besides selection and the threshold.
#[derive(Debug, Default)]
pub struct FilterOptions {
    /// The rules that ran (a suppression of another rule cannot match, and is not stale).
    pub ran: Vec<&'static str>,
    /// Severity per rule, from the configuration.
    pub severity: Vec<(&'static str, Severity)>,
    pub suppressions: Vec<Suppression>,
    pub baseline: Option<Baseline>,
}

/// Reads the configuration's `[severity]` and `[[suppress]]` into filter options.
pub fn from_config(config: &Config) -> Result<FilterOptions, ConfigError> {
    let mut options = FilterOptions::default();
    for (id, value) in config.options.severity.iter().flatten() {
        let rule = rules::find(id).ok_or_else(|| {
            let help = match did_you_mean(id) {
                Some(r) => format!("did you mean `{r}`? (`iamlint rules` lists them)"),
                None => "`iamlint rules` lists the rule ids".into(),
            };
            config.error(value.span(), format!("unknown rule `{id}` in [severity]"), Some(help))
        })?;
        options.severity.push((rule.id(), config_severity(config, value)?));
    }
    for entry in &config.options.suppress {
        let e = entry.get_ref();
        let rule = config_rule(config, &e.rule)?;
        let reason = e.reason.get_ref().trim();
        if reason.is_empty() {
            return Err(config.error(
                e.reason.span(),
                "a suppression needs a reason",
                Some("say why this finding is accepted, e.g. reason = \"the bucket is public by design (ticket SEC-12)\"".into()),
            ));
        }
        let path =
            PathGlob::new(e.path.get_ref(), Some(config.dir())).map_err(|m| config.error(e.path.span(), m, None))?;
        let text = |v: &Option<Spanned<String>>| v.as_ref().map(|s| s.get_ref().clone());
        options.suppressions.push(Suppression {
            rule,
            path,
            sid: text(&e.sid),
            locator: text(&e.locator),
            reason: reason.to_string(),
            by: config.place(&entry.span()),
        });
    }
    Ok(options)
}

/// Applies severity overrides, suppressions and the baseline to a run's findings.
/// What is set aside is counted in the outcome; what no suppression matched is said in
/// `outcome.warnings`.
pub fn apply(outcome: &mut Outcome, options: &FilterOptions) {
    let mut used = vec![false; options.suppressions.len()];
    let mut used_in_source = InSource::new();
    let mut warnings = BTreeSet::new();
    let findings = std::mem::take(&mut outcome.findings);
    let (mut kept, suppressed) = set_aside(findings, None, options, &mut used, &mut used_in_source, &mut warnings);
    outcome.suppressed.extend(suppressed);
    warnings.extend(unmatched(options, &used, &outcome.checked_paths));
    for declared in &outcome.declared {
        stale_in_source(declared, &options.ran, &used_in_source, &mut warnings);
    }
    if let Some(baseline) = &options.baseline {
        let taken = baseline.take(&mut kept);
        outcome.baselined += taken.values().sum::<usize>();
        let checked: BTreeSet<String> = outcome.checked_paths.iter().map(|p| crate::source::display(p)).collect();
        outcome.baseline_fixed += baseline.fixed(checked.iter().map(String::as_str), &taken);
    }
    outcome.findings = kept;
    outcome.warnings.extend(warnings);
}

/// What the filter made of one file's findings (a run that streams its report filters
/// each file where it was linted).
#[derive(Debug, Default)]
pub struct Filtered {
    pub kept: Vec<Finding>,
    pub suppressed: Vec<Suppressed>,
    /// Findings the baseline records.
    pub baselined: usize,
    /// Baseline entries of this file that no longer occur.
    pub baseline_fixed: usize,
    /// Which of `FilterOptions::suppressions` matched a finding here.
    pub used: Vec<bool>,
    /// Which in-source suppressions set a finding aside here.
    used_in_source: InSource,
    pub warnings: BTreeSet<String>,
}

/// `apply` for the findings of one linted file (`path`), whole: a fingerprint names its
/// file, so the baseline's entries of one file are matched by that file's findings alone,
/// and a file's own suppressions (`declared`: template metadata, inline comments) only
/// ever set aside that file's findings (a finding a sibling's run moved into a file linted
/// in the same run is dropped there), so applying file by file gives what `apply` gives for
/// the run, the suppressions it declares that matched nothing included. What no
/// configuration suppression matched over the run is `unmatched`.
pub fn apply_file(
    findings: Vec<Finding>,
    path: &Path,
    declared: Option<&Declared>,
    options: &FilterOptions,
) -> Filtered {
    let mut filtered = apply_file_at(findings, path, None, options);
    if let Some(declared) = declared {
        stale_in_source(declared, &options.ran, &filtered.used_in_source, &mut filtered.warnings);
    }
    filtered
}

/// `apply_file`, the configuration's suppressions matched at the path `at` instead of the
/// file's own (`diff` matches both sides of a file at its path in NEW); the file's own
/// suppressions that matched nothing are not looked for.
pub fn apply_file_at(findings: Vec<Finding>, path: &Path, at: Option<&Path>, options: &FilterOptions) -> Filtered {
    let mut used = vec![false; options.suppressions.len()];
    let mut used_in_source = InSource::new();
    let mut warnings = BTreeSet::new();
    let (mut kept, suppressed) = set_aside(findings, at, options, &mut used, &mut used_in_source, &mut warnings);
    let (mut baselined, mut baseline_fixed) = (0, 0);
    if let Some(baseline) = &options.baseline {
        let taken = baseline.take(&mut kept);
        baselined = taken.values().sum();
        baseline_fixed = baseline.fixed(std::iter::once(crate::source::display(path).as_str()), &taken);
    }
    Filtered { kept, suppressed, baselined, baseline_fixed, used, used_in_source, warnings }
}

/// In-source suppressions that set a finding aside: (file, where it is written, rule).
type InSource = BTreeSet<(String, usize, &'static str)>;

/// Severity overrides, then suppressions (a template's waivers and inline comments, whose
/// use is marked in `used_in_source`, the configuration's entries, whose use is marked in
/// `used`): the findings kept, and those set aside.
fn set_aside(
    findings: Vec<Finding>,
    at: Option<&Path>,
    options: &FilterOptions,
    used: &mut [bool],
    used_in_source: &mut InSource,
    warnings: &mut BTreeSet<String>,
) -> (Vec<Finding>, Vec<Suppressed>) {
    let mut suppressed = Vec::new();
    let mut kept = Vec::with_capacity(findings.len());
    for mut f in findings {
        if let Some((_, s)) = options.severity.iter().find(|(r, _)| *r == f.rule.id) {
            f.severity = *s;
        }
        if let Some(w) = f.waiver.as_ref().filter(|w| {
            let by = format!("{}:{}", f.source.display_path(), f.source.line_col(w.span.start).0);
            if w.reason.is_empty() {
                warnings.insert(format!(
                    "the iamlint ignore of `{}` at {by} gives no reason: it suppresses nothing",
                    w.rule
                ));
            }
            !w.reason.is_empty()
        }) {
            let by = format!("{}:{}", f.source.display_path(), f.source.line_col(w.span.start).0);
            used_in_source.insert((f.source.display_path(), w.span.start, f.rule.id));
            let reason = w.reason.clone();
            suppressed.push(Suppressed { finding: f, reason, by, in_source: true });
            continue;
        }
        if let Some((reason, by, line)) = inline(&f, warnings) {
            used_in_source.insert((f.source.display_path(), line, f.rule.id));
            suppressed.push(Suppressed { finding: f, reason, by, in_source: true });
            continue;
        }
        let path = at.unwrap_or(&f.source.path);
        if let Some(i) = options.suppressions.iter().position(|s| s.covers(&f, path)) {
            used[i] = true;
            let s = &options.suppressions[i];
            suppressed.push(Suppressed { finding: f, reason: s.reason.clone(), by: s.by.clone(), in_source: false });
            continue;
        }
        kept.push(f);
    }
    (kept, suppressed)
}

/// The warnings for the configuration's suppressions that matched no finding (`used`)
/// although they are about a rule that ran and a file that was linted.
pub fn unmatched(options: &FilterOptions, used: &[bool], checked_paths: &[std::path::PathBuf]) -> BTreeSet<String> {
    let mut warnings = BTreeSet::new();
    for (s, used) in options.suppressions.iter().zip(used) {
        // A run over a few files (a pre-commit hook) says nothing of suppressions about others.
        let applies = options.ran.contains(&s.rule) && checked_paths.iter().any(|p| s.path.matches(p));
        if !used && applies {
            warnings.insert(format!(
                "the suppression at {} (`{}` in `{}`) matched no finding; remove it",
                s.by, s.rule, s.path.text
            ));
        }
    }
    warnings
}

/// The suppressions a linted file declares (template metadata, inline comments) that set
/// no finding aside: said as an unmatched `[[suppress]]` entry is. One about a rule that did
/// not run (`--select`) is not stale.
fn stale_in_source(declared: &Declared, ran: &[&'static str], used: &InSource, warnings: &mut BTreeSet<String>) {
    let source = &declared.source;
    let path = source.display_path();
    let ran_rule = |id: &str| ran.iter().copied().find(|r| *r == id);
    for w in &declared.waivers {
        let Some(rule) = ran_rule(&w.rule) else { continue };
        let line = source.line_col(w.span.start).0;
        if w.reason.is_empty() {
            warnings.insert(format!(
                "the iamlint ignore of `{rule}` at {path}:{line} gives no reason: it suppresses nothing"
            ));
            continue;
        }
        if used.contains(&(path.clone(), w.span.start, rule)) {
            continue;
        }
        warnings.insert(format!(
            "the iamlint ignore of `{rule}` at {path}:{line} (under `{}`) matched no finding; remove it",
            escape(&w.locator)
        ));
    }
    // Comments are read from the text; a withheld file's text is not quoted.
    let Some(hcl) = comment_syntax(&source.path) else { return };
    if source.withheld() || !source.text.contains("iamlint") {
        return;
    }
    for (n, text) in source.text.lines().enumerate().map(|(i, t)| (i + 1, t.trim_end_matches('\r'))) {
        let Some((_, comment)) = comment_of(text, hcl) else { continue };
        let Some((ids, reason)) = parse_ignore(comment) else { continue };
        let by = format!("{path}:{n}");
        for id in &ids {
            let Some(rule) = rules::find(id) else {
                let hint = did_you_mean(id).map(|r| format!(" (did you mean `{r}`?)")).unwrap_or_default();
                warnings.insert(format!("{by}: the inline suppression names unknown rule `{}`{hint}", escape(id)));
                continue;
            };
            let Some(rule) = ran_rule(rule.id()) else { continue };
            if reason.is_empty() {
                warnings.insert(format!(
                    "{by}: the inline suppression of `{rule}` has no reason, so it suppresses nothing; write `# iamlint: ignore[{rule}] why it is accepted`"
                ));
            } else if !used.contains(&(path.clone(), n, rule)) {
                warnings.insert(format!("{by}: the inline suppression of `{rule}` matched no finding; remove it"));
            }
        }
    }
}

/// Whether a file's comments are HCL's (`#`, `//`) or YAML's (`#`); `None` without comments.
fn comment_syntax(path: &Path) -> Option<bool> {
    match path.extension().and_then(|e| e.to_str()) {
        Some("yaml" | "yml") => Some(false),
        Some("tf" | "hcl") => Some(true),
        _ => None,
    }
}

/// An inline suppression on the finding's line or alone on the line above it, in a
/// format with comments (YAML, HCL): `# iamlint: ignore[rule-id, other-id] reason`.
/// Gives the reason, where it is written (`file:line`) and its line.
fn inline(f: &Finding, warnings: &mut BTreeSet<String>) -> Option<(String, String, usize)> {
    let hcl = comment_syntax(&f.source.path)?;
    let (line, _) = f.source.line_col(f.span.start);
    let candidates = [(line, false), (line.saturating_sub(1), true)];
    for (n, alone) in candidates {
        if n == 0 {
            continue;
        }
        let text = f.source.line_text(n);
        // Most lines hold no suppression: a substring search rules them out before the
        // character-by-character reading of quotes and comment markers.
        if !text.contains("iamlint") {
            continue;
        }
        let Some((at, comment)) = comment_of(text, hcl) else { continue };
        if alone && !text[..at].trim().is_empty() {
            continue;
        }
        let Some((ids, reason)) = parse_ignore(comment) else { continue };
        let by = format!("{}:{n}", f.source.display_path());
        for id in &ids {
            if rules::find(id).is_none() {
                let hint = did_you_mean(id).map(|r| format!(" (did you mean `{r}`?)")).unwrap_or_default();
                warnings.insert(format!("{by}: the inline suppression names unknown rule `{}`{hint}", escape(id)));
            }
        }
        if !ids.iter().any(|id| id == f.rule.id) {
            continue;
        }
        if reason.is_empty() {
            warnings.insert(format!(
                "{by}: the inline suppression of `{}` has no reason, so it suppresses nothing; write `# iamlint: ignore[{}] why it is accepted`",
                f.rule.id, f.rule.id
            ));
            continue;
        }
        return Some((reason, by, n));
    }
    None
}

/// The text after the comment marker of a line, and where the marker starts (a `#` or,
/// in HCL, `//` outside quotes).
fn comment_of(line: &str, hcl: bool) -> Option<(usize, &str)> {
    let (mut double, mut single, mut escaped) = (false, false, false);
    let mut prev_blank = true;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if double {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => double = false,
                _ => {}
            }
        } else if single {
            single = c != '\'';
        } else {
            match c {
                '"' => double = true,
                '\'' if !hcl && prev_blank => single = true,
                // YAML needs a blank before `#` (`a#b` is a plain scalar); HCL does not.
                '#' if prev_blank || hcl => return Some((i, &line[i + 1..])),
                '/' if hcl && chars.peek().is_some_and(|(_, n)| *n == '/') => return Some((i, &line[i + 2..])),
                _ => {}
            }
        }
        prev_blank = c.is_whitespace() || c == '-' || c == ':' || c == '[' || c == ',';
    }
    None
}

/// `iamlint: ignore[a, b] reason` -> (["a", "b"], "reason").
fn parse_ignore(comment: &str) -> Option<(Vec<String>, String)> {
    let rest = comment.trim_start().strip_prefix("iamlint:")?.trim_start().strip_prefix("ignore[")?;
    let (ids, reason) = rest.split_once(']')?;
    let ids = ids.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
    let reason = reason.trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == '-' || c == '\u{2014}');
    Some((ids, reason.trim_end().to_string()))
}

/// Text from an input file, safe to print in a message: control characters escaped.
fn escape(s: &str) -> String {
    s.chars().flat_map(|c| if c.is_control() { c.escape_default().collect::<Vec<_>>() } else { vec![c] }).collect()
}

/// The parts a finding's fingerprint is made of: rule, file, where in the file (the
/// statement by its Sid, not its index, so adding a statement above changes nothing),
/// and the value it is about (the text under the underline, whitespace removed, so
/// reformatting changes nothing). Line numbers are not part of it.
pub fn fingerprint_parts(f: &Finding) -> [String; 4] {
    let sid = f.statement.as_ref().and_then(|s| s.sid.as_deref()).unwrap_or("");
    let mut locator = String::with_capacity(f.locator.len());
    let mut rest = f.locator.as_str();
    while let Some(i) = rest.find("Statement[") {
        let after = &rest[i + "Statement[".len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        locator.push_str(&rest[..i + "Statement[".len()]);
        if digits > 0 && after[digits..].starts_with(']') {
            locator.push_str(sid);
            rest = &after[digits..];
        } else {
            rest = after;
        }
    }
    locator.push_str(rest);
    let value: String = f.source.slice(&f.span).chars().filter(|c| !c.is_whitespace()).collect();
    [f.rule.id.to_string(), f.source.display_path(), locator, value]
}

/// A finding's fingerprint: 32 hex digits of FNV-1a (128 bits) over its parts. Stable
/// across runs, machines and iamlint versions (it is written to baseline files).
pub fn fingerprint(f: &Finding) -> String {
    fingerprint_of(&fingerprint_parts(f))
}

pub fn fingerprint_of(parts: &[String; 4]) -> String {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013B;
    let mut hash = OFFSET;
    // Parts joined by NUL, which none of them holds.
    for (i, part) in parts.iter().enumerate() {
        let separator = (i > 0).then_some(0u8);
        for b in separator.into_iter().chain(part.bytes()) {
            hash ^= u128::from(b);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:032x}")
}

/// A baseline file: the findings a repository accepted on the day it adopted iamlint.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<BaselineEntry>,
}

/// One accepted finding; `rule`, `file`, `locator` and `value` are there for the
/// reviewer, `fingerprint` is what is matched.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct BaselineEntry {
    file: String,
    rule: String,
    locator: String,
    value: String,
    fingerprint: String,
    /// How many findings share the fingerprint (the same value twice in one place).
    count: usize,
}

/// The baseline, read.
#[derive(Debug, Default)]
pub struct Baseline {
    /// fingerprint -> (count, file).
    entries: BTreeMap<String, (usize, String)>,
    /// file -> its fingerprints.
    by_file: BTreeMap<String, Vec<String>>,
}

/// The baseline file format's version.
const BASELINE_VERSION: u32 = 1;

impl Baseline {
    pub fn read(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline {}: {}", path.display(), crate::discover::io_reason(&e)))?;
        let file: BaselineFile =
            serde_json::from_str(&text).map_err(|e| format!("{} is not an iamlint baseline: {e}", path.display()))?;
        if file.version != BASELINE_VERSION {
            return Err(format!(
                "{} is a version {} baseline; this iamlint reads version {BASELINE_VERSION}",
                path.display(),
                file.version
            ));
        }
        let mut entries: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for e in file.findings {
            let slot = entries.entry(e.fingerprint).or_insert((0, e.file));
            slot.0 += e.count;
        }
        let mut by_file: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (print, (_, file)) in &entries {
            by_file.entry(file.clone()).or_default().push(print.clone());
        }
        Ok(Baseline { entries, by_file })
    }

    /// Leaves out the findings the baseline records (each entry as many times as it
    /// counts): how many of each fingerprint were left out.
    fn take(&self, findings: &mut Vec<Finding>) -> BTreeMap<String, usize> {
        let mut taken: BTreeMap<String, usize> = BTreeMap::new();
        findings.retain(|f| {
            let print = fingerprint(f);
            let Some((n, _)) = self.entries.get(&print) else { return true };
            let t = taken.entry(print).or_default();
            if *t < *n {
                *t += 1;
                false
            } else {
                true
            }
        });
        taken
    }

    /// The entries of these files that `taken` did not use up: fixed since.
    fn fixed<'a>(&self, files: impl Iterator<Item = &'a str>, taken: &BTreeMap<String, usize>) -> usize {
        files
            .flat_map(|file| self.by_file.get(file).into_iter().flatten())
            .map(|print| self.entries[print].0 - taken.get(print).copied().unwrap_or(0))
            .sum()
    }
}

/// Writes the findings as a baseline: sorted JSON, one entry per distinct fingerprint.
pub fn write_baseline(findings: &[Finding], out: &mut impl Write) -> io::Result<()> {
    let mut entries: BTreeMap<String, BaselineEntry> = BTreeMap::new();
    for f in findings {
        let parts = fingerprint_parts(f);
        let fingerprint = fingerprint_of(&parts);
        let [rule, file, locator, value] = parts;
        let value: String = if value.chars().count() > 120 {
            value.chars().take(119).chain(std::iter::once('…')).collect()
        } else {
            value
        };
        entries.entry(fingerprint.clone()).and_modify(|e| e.count += 1).or_insert(BaselineEntry {
            file,
            rule,
            locator,
            value,
            fingerprint,
            count: 1,
        });
    }
    let mut findings: Vec<BaselineEntry> = entries.into_values().collect();
    findings.sort();
    serde_json::to_writer_pretty(&mut *out, &BaselineFile { version: BASELINE_VERSION, findings })?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::find;
    use crate::source::SourceFile;
    use crate::testing::{policy, run};
    use std::sync::Arc;

    fn findings(name: &str, text: &str) -> Vec<Finding> {
        run(find("full-admin").unwrap(), name, text)
    }

    const ADMIN: &str = r#"{"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}"#;

    #[test]
    fn fingerprints_survive_moved_lines_and_new_statements_above() {
        let a = findings("p.json", &policy(ADMIN));
        let moved = format!(
            "\n\n{}",
            policy(&format!(
                r#"{{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}},
                {}"#,
                ADMIN.replace(", ", ",\n    ")
            ))
        );
        let b = findings("p.json", &moved);
        assert_eq!(a.len(), 1);
        assert_eq!(b.len(), 1);
        assert_ne!(a[0].range(), b[0].range(), "the finding moved");
        assert_eq!(fingerprint(&a[0]), fingerprint(&b[0]));
        // Another file or another value is another finding.
        assert_ne!(fingerprint(&a[0]), fingerprint(&findings("q.json", &policy(ADMIN))[0]));
        let other = ADMIN.replace("\"Admin\"", "\"Other\"");
        assert_ne!(fingerprint(&a[0]), fingerprint(&findings("p.json", &policy(&other))[0]));
    }

    #[test]
    fn fingerprint_is_a_fixed_function_of_its_parts() {
        // Written to baseline files: it must never change between versions.
        let parts = ["full-admin", "p.json", "Statement[Admin]", "\"*\""].map(String::from);
        // FNV-1a 128 of the parts joined by NUL, as computed independently (Python).
        assert_eq!(fingerprint_of(&parts), "18ddf5b0c347f993737e694ed84ceaf4");
        assert_eq!(fingerprint_of(&["".into(), "".into(), "".into(), "".into()]), "a68bb3934c8b5822836dbc78c7423ce7");
    }

    /// A full-admin finding on the first non-blank character of a 1-based line.
    fn finding_on(source: &Arc<SourceFile>, line: usize) -> Finding {
        let start: usize = source.text.split_inclusive('\n').take(line - 1).map(str::len).sum();
        let indent = source.line_text(line).len() - source.line_text(line).trim_start().len();
        let rule = &find("full-admin").unwrap().meta;
        Finding {
            rule,
            severity: rule.severity,
            message: "m".into(),
            source: source.clone(),
            span: start + indent..start + indent + 1,
            label: String::new(),
            labels: Vec::new(),
            help: None,
            note: None,
            locator: String::new(),
            statement: None,
            actions: Vec::new(),
            principal: None,
            chains: Vec::new(),
            waiver: None,
        }
    }

    #[test]
    fn inline_suppressions_in_yaml_and_hcl_comments() {
        let yaml = "Statement:\n  # iamlint: ignore[full-admin] break-glass role (SEC-12)\n  - Effect: Allow\n  - Effect: Allow # iamlint: ignore[full-admin]\n  - Effect: Allow # iamlint: ignore[ful-admin] typo\n  - Sid: \"x # iamlint: ignore[full-admin] in a string\"\n  - Effect: Allow # iamlint: ignore[placeholder, full-admin] -- two rules\n";
        let run = |name: &str, text: &str, lines: &[usize]| {
            let source = Arc::new(SourceFile::new(name, text.to_string()));
            let findings = lines.iter().map(|&l| finding_on(&source, l)).collect();
            let mut outcome = Outcome { findings, checked: 1, ..Outcome::default() };
            apply(&mut outcome, &FilterOptions { ran: vec!["full-admin"], ..FilterOptions::default() });
            outcome
        };
        let outcome = run("t.yaml", yaml, &[3, 4, 5, 6, 7]);
        let lines = |fs: &[Finding]| fs.iter().map(|f| f.range().0.0).collect::<Vec<_>>();
        assert_eq!(lines(&outcome.findings), [4, 5, 6]);
        let by: Vec<(&str, &str)> = outcome.suppressed.iter().map(|s| (s.by.as_str(), s.reason.as_str())).collect();
        assert_eq!(by, [("t.yaml:2", "break-glass role (SEC-12)"), ("t.yaml:7", "two rules")]);
        assert!(outcome.suppressed.iter().all(|s| s.in_source));
        let w = &outcome.warnings;
        assert!(
            w.iter().any(|w| w.starts_with("t.yaml:4: the inline suppression of `full-admin` has no reason")),
            "{w:?}"
        );
        assert!(
            w.iter().any(|w| w.contains(
                "t.yaml:5: the inline suppression names unknown rule `ful-admin` (did you mean `full-admin`?)"
            )),
            "{w:?}"
        );
        // The line above counts only when the comment is alone on it.
        let above = "a: 1 # iamlint: ignore[full-admin] about a\nb: 2\n";
        assert!(run("t.yml", above, &[2]).suppressed.is_empty());
        assert_eq!(run("t.yml", above, &[1]).suppressed.len(), 1);
        // HCL has `#` and `//`; JSON has no comments, so the same text suppresses nothing.
        let hcl = "  // iamlint: ignore[full-admin] reviewed\n  actions = [\"*\"]\n";
        assert_eq!(run("main.tf", hcl, &[2]).suppressed.len(), 1);
        assert!(run("p.json", hcl, &[2]).suppressed.is_empty());
        assert!(run("t.yaml", hcl, &[2]).suppressed.is_empty(), "`//` is not a YAML comment");
    }

    #[test]
    fn inline_comments_are_found_outside_quotes_only() {
        assert_eq!(comment_of("a: b # c", false), Some((5, " c")));
        assert_eq!(comment_of("a: \"b # c\"", false), None);
        assert_eq!(comment_of("a: 'b # c'", false), None);
        assert_eq!(comment_of("a: b#c", false), None);
        assert_eq!(comment_of("  # iamlint: x", false), Some((2, " iamlint: x")));
        assert_eq!(comment_of("x = \"a // b\" // c", true), Some((13, " c")));
        assert_eq!(comment_of("x = \"a \\\" # b\" # c", true), Some((15, " c")));
        assert_eq!(parse_ignore(" iamlint: ignore[a, b] -- why"), Some((vec!["a".into(), "b".into()], "why".into())));
        assert_eq!(parse_ignore(" iamlint: ignore[a]"), Some((vec!["a".into()], String::new())));
        assert_eq!(parse_ignore(" iamlint ignore[a] x"), None);
    }

    #[test]
    fn under_respects_boundaries() {
        assert!(under("Statement[2].Action", "Statement[2]"));
        assert!(under("Statement[2]", "Statement[2]"));
        assert!(!under("Statement[20]", "Statement[2]"));
        assert!(under("anything", ""));
    }
}
