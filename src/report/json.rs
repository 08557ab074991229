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
        let mut by_severity: BTreeMap<&'static str, usize> = Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for f in &outcome.findings {
            *by_severity.entry(f.severity.as_str()).or_default() += 1;
        }
        Summary {
            files_checked: outcome.checked,
            files_skipped: outcome.skipped.len(),
            findings: outcome.findings.len(),
            by_severity,
            suppressed: outcome.suppressed.len(),
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

/// The version-1 report: one JSON object.
pub fn write(
    outcome: &Outcome,
    verdict: &Verdict,
    catalogue: &Catalogue,
    show_suppressed: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let report = Report {
        version: 1,
        tool: Tool { name: "iamlint", version: env!("CARGO_PKG_VERSION") },
        catalogue: catalogue_info(catalogue),
        findings: Findings(&outcome.findings),
        errors: outcome.errors.iter().map(|(p, m)| JsonError { file: super::display(p), message: m.clone() }).collect(),
        suppressed: if show_suppressed {
            outcome
                .suppressed
                .iter()
                .map(|s| JsonSuppressed {
                    finding: finding(&s.finding),
                    suppression: JsonSuppression { reason: &s.reason, by: &s.by },
                })
                .collect()
        } else {
            Vec::new()
        },
        warnings: &outcome.warnings,
        summary: Summary::new(outcome, verdict),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}
