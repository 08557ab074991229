//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning ingests it. Hand-written serde
//! structs (the `serde-sarif` crate costs ~26 s of build for the few fields used here);
//! tests/ci.rs validates the output with Microsoft's SARIF Multitool.
//!
//! Lines are 1-based and columns count Unicode code points (`columnKind`), as
//! `SourceFile::line_col` does; URIs are relative to the repository root (or
//! `--sarif-base`); `partialFingerprints` carries the baseline fingerprint.

use crate::diagnostic::{Finding, Outcome, RuleMeta, Severity, Suppressed};
use crate::filter::{self, Verdict};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    original_uri_base_ids: BTreeMap<&'static str, ArtifactLocation>,
    results: Vec<SarifResult<'a>>,
    invocations: [Invocation; 1],
    column_kind: &'static str,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<ReportingDescriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ReportingDescriptor<'a> {
    id: &'a str,
    /// Left out where it would only repeat the id (SARIF1001).
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    short_description: Text,
    full_description: Text,
    help: Help<'a>,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help<'a> {
    text: &'a str,
    markdown: &'a str,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    tags: Vec<&'static str>,
    precision: &'static str,
    #[serde(rename = "security-severity")]
    security_severity: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: [Location; 1],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: ResultProperties<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ResultProperties<'a> {
    severity: Severity,
    #[serde(skip_serializing_if = "str::is_empty")]
    locator: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    actions: &'a [String],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactLocation {
    uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    uri_base_id: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Suppression {
    kind: &'static str,
    justification: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Notification {
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<NotificationLocation>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NotificationLocation {
    physical_location: ArtifactOnly,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ArtifactOnly {
    artifact_location: ArtifactLocation,
}

/// The base every relative URI is resolved against.
const SRCROOT: &str = "%SRCROOT%";

/// SARIF level of a severity: GitHub shows `error` and `warning` as alerts, `note` as a
/// note.
fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "note",
    }
}

/// GitHub's `security-severity` scale: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium,
/// 0.1-3.9 low.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// `passrole-unscoped` -> `PassroleUnscoped` (SARIF's `name` is an identifier).
fn pascal(id: &str) -> String {
    id.split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
        })
        .collect()
}

/// The first paragraph under `## What it does` in a rule's documentation.
fn what_it_does(doc: &str) -> String {
    let section = doc.split("## What it does").nth(1).unwrap_or(doc);
    let paragraph = section.trim_start().split("\n\n").next().unwrap_or("");
    let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() { doc.lines().next().unwrap_or("").to_string() } else { text }
}

fn descriptor(rule: &'static RuleMeta) -> ReportingDescriptor<'static> {
    let mut tags = vec!["security", rule.category.as_str()];
    tags.dedup();
    ReportingDescriptor {
        id: rule.id,
        name: Some(pascal(rule.id)).filter(|n| !n.eq_ignore_ascii_case(rule.id)),
        short_description: Text { text: rule.summary.to_string() },
        full_description: Text { text: what_it_does(rule.doc) },
        help: Help { text: rule.doc, markdown: rule.doc },
        default_configuration: Configuration { level: level(rule.severity) },
        properties: RuleProperties {
            tags,
            precision: "high",
            security_severity: security_severity(rule.severity),
            problem_severity: match rule.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium | Severity::Low => "warning",
                Severity::Info => "recommendation",
            },
        },
    }
}

/// A path as a URI reference relative to `base` (percent-encoded), or an absolute
/// `file://` URI when it lies outside the base.
pub fn uri(path: &Path, base: &Path) -> (String, Option<&'static str>) {
    let absolute = crate::source::absolute(path);
    match absolute.strip_prefix(base) {
        Ok(relative) => (encode(&crate::source::display(relative)), Some(SRCROOT)),
        Err(_) => (format!("file://{}", encode(&crate::source::display(&absolute))), None),
    }
}

/// Percent-encodes what a URI path may not hold (RFC 3986 unreserved and `/` stay).
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn region(f: &Finding, span: &crate::source::Span) -> Region {
    let (start_line, start_column) = f.source.line_col(span.start);
    let (mut end_line, mut end_column) = f.source.line_col(span.end.max(span.start));
    // An empty span still marks one character: SARIF regions must not be empty to show.
    if (end_line, end_column) <= (start_line, start_column) {
        (end_line, end_column) = (start_line, start_column + 1);
    }
    Region { start_line, start_column, end_line, end_column }
}

fn message(f: &Finding) -> String {
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    if let Some(note) = &f.note {
        text.push_str("\nnote: ");
        text.push_str(note);
    }
    text
}

/// Each file's URI, worked out once (a run has thousands of findings in hundreds of files).
pub struct Uris<'b> {
    base: &'b Path,
    known: BTreeMap<std::path::PathBuf, (String, Option<&'static str>)>,
}

impl<'b> Uris<'b> {
    pub fn new(base: &'b Path) -> Uris<'b> {
        Uris { base, known: BTreeMap::new() }
    }

    fn of(&mut self, path: &Path) -> (String, Option<&'static str>) {
        if let Some(known) = self.known.get(path) {
            return known.clone();
        }
        let made = uri(path, self.base);
        self.known.insert(path.to_path_buf(), made.clone());
        made
    }
}

fn result<'a>(
    f: &'a Finding,
    rule_index: usize,
    uris: &mut Uris<'_>,
    suppressed: Option<&Suppressed>,
) -> SarifResult<'a> {
    let (uri, uri_base_id) = uris.of(&f.source.path);
    let artifact = || ArtifactLocation { uri: uri.clone(), uri_base_id };
    let primary = Location {
        id: None,
        physical_location: PhysicalLocation { artifact_location: artifact(), region: region(f, &f.span) },
        message: None,
    };
    let related = f
        .labels
        .iter()
        .enumerate()
        .map(|(i, l)| Location {
            id: Some(i + 1),
            physical_location: PhysicalLocation { artifact_location: artifact(), region: region(f, &l.span) },
            message: Some(Text { text: if l.text.is_empty() { "related value".into() } else { l.text.clone() } }),
        })
        .collect();
    let suppressions = suppressed
        .map(|s| {
            vec![Suppression {
                kind: if s.in_source { "inSource" } else { "external" },
                justification: format!("{} ({})", s.reason, s.by),
            }]
        })
        .unwrap_or_default();
    SarifResult {
        rule_id: f.rule.id,
        rule_index,
        level: level(f.severity),
        message: Text { text: message(f) },
        locations: [primary],
        related_locations: related,
        partial_fingerprints: BTreeMap::from([("iamlint/v1", filter::fingerprint(f))]),
        suppressions,
        properties: ResultProperties { severity: f.severity, locator: &f.locator, actions: &f.actions },
    }
}

/// Writes the run as one SARIF log. `base` is the absolute directory URIs are relative
/// to; suppressed findings are included (with their suppression) when `show_suppressed`.
pub fn write(
    outcome: &Outcome,
    verdict: &Verdict,
    base: &Path,
    show_suppressed: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let suppressed: &[Suppressed] = if show_suppressed { &outcome.suppressed } else { &[] };
    let mut rules: BTreeMap<&'static str, &'static RuleMeta> = BTreeMap::new();
    for f in outcome.findings.iter().chain(suppressed.iter().map(|s| &s.finding)) {
        rules.insert(f.rule.id, f.rule);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let mut uris = Uris::new(base);
    let mut results: Vec<SarifResult<'_>> =
        outcome.findings.iter().map(|f| result(f, index[f.rule.id], &mut uris, None)).collect();
    results.extend(suppressed.iter().map(|s| result(&s.finding, index[s.finding.rule.id], &mut uris, Some(s))));
    serde_json::to_writer_pretty(&mut *out, &log(outcome, verdict, base, &rules, results))?;
    writeln!(out)
}

fn log<'a>(
    outcome: &Outcome,
    verdict: &Verdict,
    base: &Path,
    rules: &BTreeMap<&'static str, &'static RuleMeta>,
    results: Vec<SarifResult<'a>>,
) -> Log<'a> {
    let notifications = outcome
        .errors
        .iter()
        .map(|(path, message)| {
            let (uri, uri_base_id) = uri(path, base);
            Notification {
                level: "error",
                message: Text { text: format!("{}: {message}", crate::source::display(path)) },
                locations: vec![NotificationLocation {
                    physical_location: ArtifactOnly { artifact_location: ArtifactLocation { uri, uri_base_id } },
                }],
            }
        })
        .chain(outcome.warnings.iter().map(|w| Notification {
            level: "warning",
            message: Text { text: w.clone() },
            locations: Vec::new(),
        }))
        .collect();
    let mut base_uri = format!("file://{}", encode(&crate::source::display(base)));
    if !base_uri.ends_with('/') {
        base_uri.push('/');
    }
    Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "iamlint",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules: rules.values().map(|r| descriptor(r)).collect(),
                },
            },
            original_uri_base_ids: BTreeMap::from([(SRCROOT, ArtifactLocation { uri: base_uri, uri_base_id: None })]),
            results,
            invocations: [Invocation {
                execution_successful: !verdict.broken,
                tool_execution_notifications: notifications,
            }],
            column_kind: "unicodeCodePoints",
        }],
    }
}

/// One result as it stands in the log's `results` (8 spaces deep), its `ruleIndex` left
/// at 0: the rules that report are known at the end of the run (`write_spooled` sets it).
pub fn result_text(f: &Finding, uris: &mut Uris<'_>, suppressed: Option<&Suppressed>) -> String {
    let text = serde_json::to_string_pretty(&result(f, 0, uris, suppressed)).unwrap_or_default();
    format!("        {}", text.replace('\n', "\n        "))
}

/// Where a streamed run keeps its results until the rules that report are known: an
/// unlinked temporary file, or memory when none can be made.
pub enum Spool {
    File(io::BufWriter<std::fs::File>),
    Memory(Vec<u8>),
}

impl Spool {
    pub fn open() -> Spool {
        let name = format!(
            "iamlint-{}-{}.sarif-results",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
        );
        let path = std::env::temp_dir().join(name);
        let opened = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path);
        match opened {
            Ok(file) => {
                // Unlinked at once: nothing is left behind, whatever happens to the run.
                let _ = std::fs::remove_file(&path);
                Spool::File(io::BufWriter::with_capacity(1 << 16, file))
            }
            Err(_) => Spool::Memory(Vec::new()),
        }
    }

    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self {
            Spool::File(f) => f.write_all(bytes),
            Spool::Memory(m) => {
                m.extend_from_slice(bytes);
                Ok(())
            }
        }
    }

    /// Copies what was spooled to `out`, each `ruleIndex` set from the `ruleId` before it.
    fn copy(self, index: &BTreeMap<&str, usize>, out: &mut impl Write) -> io::Result<bool> {
        use io::{BufRead, Seek};
        let mut reader: Box<dyn BufRead> = match self {
            Spool::File(f) => {
                let mut file = f.into_inner().map_err(|e| e.into_error())?;
                file.seek(io::SeekFrom::Start(0))?;
                Box::new(io::BufReader::with_capacity(1 << 16, file))
            }
            Spool::Memory(m) => Box::new(io::Cursor::new(m)),
        };
        let mut line = String::new();
        let mut rule = String::new();
        let mut any = false;
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(any);
            }
            any = true;
            fix_index(&line, &mut rule, index, out)?;
        }
    }
}

/// Writes a line of spooled results, with its `ruleIndex` set (`rule` remembers the last
/// `ruleId`). Such a key starts its line: a value holding the text has its quotes escaped.
fn fix_index(line: &str, rule: &mut String, index: &BTreeMap<&str, usize>, out: &mut impl Write) -> io::Result<()> {
    let body = line.trim_start();
    if let Some(id) = body.strip_prefix("\"ruleId\": \"") {
        *rule = id.split('"').next().unwrap_or("").to_string();
    } else if let Some(rest) = body.strip_prefix("\"ruleIndex\": ") {
        let indent = &line[..line.len() - body.len()];
        let after = rest.trim_start_matches(|c: char| c.is_ascii_digit());
        let i = index.get(rule.as_str()).copied().unwrap_or(0);
        return write!(out, "{indent}\"ruleIndex\": {i}{after}");
    }
    out.write_all(line.as_bytes())
}

/// Where the results stand in the pretty-printed log, written empty.
const NO_RESULTS: &str = "\n      \"results\": [],";

/// Writes a streamed run's log: its results from the spool (`spooled`: it holds some;
/// each separated by `,\n`, as `result_text` wrote them) and the suppressed ones after.
pub fn write_spooled(
    outcome: &Outcome,
    verdict: &Verdict,
    base: &Path,
    rules: &BTreeMap<&'static str, &'static RuleMeta>,
    (spool, spooled): (Spool, bool),
    suppressed: &[String],
    out: &mut impl Write,
) -> io::Result<()> {
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, id)| (*id, i)).collect();
    let text = serde_json::to_string_pretty(&log(outcome, verdict, base, rules, Vec::new()))?;
    let Some(at) = text.find(NO_RESULTS) else {
        return Err(io::Error::other("the SARIF log has no results"));
    };
    out.write_all(&text.as_bytes()[..at])?;
    out.write_all(b"\n      \"results\": [")?;
    let mut rule = String::new();
    if spooled {
        out.write_all(b"\n")?;
    }
    let mut any = spool.copy(&index, out)?;
    for s in suppressed {
        out.write_all(if any { b",\n" } else { b"\n" })?;
        for line in s.split_inclusive('\n') {
            fix_index(line, &mut rule, &index, out)?;
        }
        any = true;
    }
    out.write_all(if any { b"\n      ]," } else { b"]," })?;
    out.write_all(&text.as_bytes()[at + NO_RESULTS.len()..])?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_encoded() {
        let base = crate::source::absolute(Path::new("."));
        assert_eq!(uri(Path::new("a b/p#1.json"), &base), ("a%20b/p%231.json".into(), Some(SRCROOT)));
        assert_eq!(uri(Path::new("./x/../y.json"), &base).0, "y.json");
        assert_eq!(uri(Path::new("/elsewhere/p.json"), Path::new("/repo")), ("file:///elsewhere/p.json".into(), None));
    }

    #[test]
    fn names_and_descriptions_come_from_the_rule() {
        assert_eq!(pascal("passrole-unscoped"), "PassroleUnscoped");
        let doc = "# x\n\n## What it does\n\nReports a\nthing.\n\nMore.\n";
        assert_eq!(what_it_does(doc), "Reports a thing.");
    }
}
