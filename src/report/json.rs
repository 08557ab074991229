//! `--format json`: the machine contract described in DESIGN.md ("version": 1).

use crate::catalogue::Catalogue;
use crate::diagnostic::{Chain, Finding, Outcome, PrincipalRef, Severity, StatementRef};
use crate::filter::{FailOn, Verdict};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

#[derive(Serialize)]
pub struct Report<'a> {
    pub version: u32,
    pub tool: Tool,
    pub catalogue: CatalogueInfo<'a>,
    pub findings: Findings<'a>,
    pub errors: Vec<JsonError>,
    /// Suppressed findings, with `--show-suppressed`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<JsonSuppressed<'a>>,
    /// What is not a finding but should be known (a suppression that matched nothing).
    pub warnings: &'a [String],
    pub summary: Summary,
}

#[derive(Serialize)]
pub struct JsonSuppressed<'a> {
    #[serde(flatten)]
    pub finding: JsonFinding<'a>,
    pub suppression: JsonSuppression<'a>,
}

#[derive(Serialize)]
pub struct JsonSuppression<'a> {
    pub reason: &'a str,
    pub by: &'a str,
}

#[derive(Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

#[derive(Serialize)]
pub struct CatalogueInfo<'a> {
    pub data_date: &'a str,
    pub services: usize,
    pub actions: u32,
    pub sources: Vec<SourceInfo<'a>>,
}

#[derive(Serialize)]
pub struct SourceInfo<'a> {
    pub name: &'a str,
    pub version: &'a str,
}

#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub rule: &'a str,
    pub severity: Severity,
    pub message: &'a str,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub locator: &'a str,
    pub statement: Option<&'a StatementRef>,
    pub actions: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<&'a PrincipalRef>,
    #[serde(skip_serializing_if = "<[Chain]>::is_empty")]
    pub chains: &'a [Chain],
    pub help: Option<&'a str>,
    pub note: Option<&'a str>,
    pub labels: Vec<JsonLabel<'a>>,
    /// Stable across line moves (rule, file, locator, value): what baselines and SARIF
    /// `partialFingerprints` use.
    pub fingerprint: String,
}

#[derive(Serialize)]
pub struct JsonLabel<'a> {
    pub text: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

#[derive(Serialize)]
pub struct JsonError {
    pub file: String,
    pub message: String,
}

#[derive(Serialize)]
pub struct Summary {
    pub files_checked: usize,
    pub files_skipped: usize,
    pub findings: usize,
    pub by_severity: BTreeMap<&'static str, usize>,
    /// Findings set aside by a suppression.
    pub suppressed: usize,
    /// Findings left out because the baseline records them.
    pub baselined: usize,
    /// Baseline entries of the files checked that no longer occur.
    pub baseline_fixed: usize,
    pub fail_on: FailOn,
    /// Whether the run fails the gate (exit code 1 or 2).
    pub failed: bool,
}

impl Summary {
    pub fn new(outcome: &Outcome, verdict: &Verdict) -> Summary {
        Summary::of(outcome, &super::Counts::of(outcome), verdict)
    }

    /// From `counts` of the findings and the rest of `outcome` (a streamed run's).
    pub fn of(outcome: &Outcome, counts: &super::Counts, verdict: &Verdict) -> Summary {
        let by_severity = Severity::ALL.iter().zip(counts.by_severity).map(|(s, n)| (s.as_str(), n)).collect();
        Summary {
            files_checked: outcome.checked,
            files_skipped: outcome.skipped.len(),
            findings: counts.findings,
            by_severity,
            suppressed: counts.suppressed,
            baselined: outcome.baselined,
            baseline_fixed: outcome.baseline_fixed,
            fail_on: verdict.fail_on,
            failed: verdict.failed(),
        }
    }
}

pub fn catalogue_info(catalogue: &Catalogue) -> CatalogueInfo<'_> {
    let h = catalogue.header();
    CatalogueInfo {
        data_date: &h.data_date,
        services: catalogue.service_count(),
        actions: h.totals.actions,
        sources: h.sources.iter().map(|s| SourceInfo { name: &s.name, version: &s.version }).collect(),
    }
}

pub fn finding(f: &Finding) -> JsonFinding<'_> {
    let ((line, column), (end_line, end_column)) = f.range();
    JsonFinding {
        rule: f.rule.id,
        severity: f.severity,
        message: &f.message,
        file: f.source.display_path(),
        line,
        column,
        end_line,
        end_column,
        locator: &f.locator,
        statement: f.statement.as_ref(),
        actions: &f.actions,
        principal: f.principal.as_ref(),
        chains: &f.chains,
        help: f.help.as_deref(),
        note: f.note.as_deref(),
        labels: f
            .labels
            .iter()
            .map(|l| {
                let (line, column) = f.source.line_col(l.span.start);
                let (end_line, end_column) = f.source.line_col(l.span.end);
                JsonLabel { text: &l.text, line, column, end_line, end_column }
            })
            .collect(),
        fingerprint: crate::filter::fingerprint(f),
    }
}

/// A run's findings, each converted as it is written: an account dump has tens of
/// thousands, and a second copy of them all would only wait for the writer.
pub struct Findings<'a>(pub &'a [Finding]);

impl Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(finding))
    }
}

/// A finding set aside, with its suppression.
pub fn suppressed(s: &crate::diagnostic::Suppressed) -> JsonSuppressed<'_> {
    JsonSuppressed { finding: finding(&s.finding), suppression: JsonSuppression { reason: &s.reason, by: &s.by } }
}

/// An item of a top-level array, pretty-printed as it stands there (its lines after the
/// first indented by 4).
pub fn item(value: &impl Serialize) -> String {
    try_item(value).unwrap_or_default()
}

/// `item`, or the serializer's error.
pub fn try_item(value: &impl Serialize) -> serde_json::Result<String> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, Nested { level: 2, has_value: false });
    value.serialize(&mut ser)?;
    // The serializer writes UTF-8 only.
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// `serde_json`'s pretty layout (two spaces a level) for a value that stands `level` levels
/// deep: what `to_string_pretty` writes with each newline followed by that many more
/// levels, written straight (replacing the newlines afterwards scanned the whole text
/// again: a tenth of a large `diff` report's time).
struct Nested {
    level: usize,
    has_value: bool,
}

impl Nested {
    fn newline<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut n = self.level * 2;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline(w, !first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.newline(w, !first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// Where the findings stand in the pretty-printed report, written empty.
const NO_FINDINGS: &str = "\n  \"findings\": [],";

fn report<'a>(
    outcome: &'a Outcome,
    summary: Summary,
    catalogue: &'a Catalogue,
    findings: &'a [Finding],
    suppressed: Vec<JsonSuppressed<'a>>,
) -> Report<'a> {
    Report {
        version: 1,
        tool: Tool { name: "iamlint", version: env!("CARGO_PKG_VERSION") },
        catalogue: catalogue_info(catalogue),
        findings: Findings(findings),
        errors: outcome.errors.iter().map(|(p, m)| JsonError { file: super::display(p), message: m.clone() }).collect(),
        suppressed,
        warnings: &outcome.warnings,
        summary,
    }
}

/// The report's text up to its findings (`"findings": [`), for a report written as the
/// run goes (`report::stream`): the items follow, each `,\n    ` and `item` (the first
/// without its comma).
pub fn head(catalogue: &Catalogue) -> String {
    let outcome = Outcome::default();
    let summary = Summary::new(&outcome, &Verdict::of(&outcome, FailOn::Never));
    let text = serde_json::to_string_pretty(&report(&outcome, summary, catalogue, &[], Vec::new())).unwrap_or_default();
    let at = text.find(NO_FINDINGS).unwrap_or(text.len());
    format!("{}\n  \"findings\": [", &text[..at])
}

/// The report's text after its findings (`any`: some were written), with the suppressed
/// findings already rendered by `item`.
pub fn tail(
    outcome: &Outcome,
    counts: &super::Counts,
    verdict: &Verdict,
    any: bool,
    suppressed: &[String],
    out: &mut impl Write,
) -> io::Result<()> {
    let summary = Summary::of(outcome, counts, verdict);
    let text = serde_json::to_string_pretty(&report(outcome, summary, Catalogue::bundled(), &[], Vec::new()))?;
    let rest = text.find(NO_FINDINGS).map_or("", |at| &text[at + NO_FINDINGS.len()..]);
    out.write_all(if any { b"\n  ]," } else { b"]," })?;
    match rest.find("\n  \"warnings\": ").filter(|_| !suppressed.is_empty()) {
        Some(at) => {
            out.write_all(&rest.as_bytes()[..at])?;
            write!(out, "\n  \"suppressed\": [\n    {}\n  ],", suppressed.join(",\n    "))?;
            out.write_all(&rest.as_bytes()[at..])?;
        }
        None => out.write_all(rest.as_bytes())?,
    }
    writeln!(out)
}

/// The version-1 report: one JSON object.
pub fn write(
    outcome: &Outcome,
    verdict: &Verdict,
    catalogue: &Catalogue,
    show_suppressed: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let suppressed = if show_suppressed { outcome.suppressed.iter().map(suppressed).collect() } else { Vec::new() };
    let report = report(outcome, Summary::new(outcome, verdict), catalogue, &outcome.findings, suppressed);
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}
