//! `--format json`: the machine contract described in DESIGN.md ("version": 1).

use crate::catalogue::Catalogue;
use crate::diagnostic::{Finding, Outcome, PrincipalRef, Severity, StatementRef};
use crate::filter::Verdict;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};

#[derive(Serialize)]
pub struct Report<'a> {
    pub version: u32,
    pub tool: Tool,
    pub catalogue: CatalogueInfo<'a>,
    pub findings: Vec<JsonFinding<'a>>,
    pub errors: Vec<JsonError>,
    pub summary: Summary,
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
    pub help: Option<&'a str>,
    pub note: Option<&'a str>,
    pub labels: Vec<JsonLabel<'a>>,
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
    pub fail_on: Severity,
    /// Whether the run fails the gate (exit code 1 or 2).
    pub failed: bool,
}

impl Summary {
    pub fn new(findings: &[Finding], checked: usize, skipped: usize, fail_on: Severity, failed: bool) -> Summary {
        let mut by_severity: BTreeMap<&'static str, usize> = Severity::ALL.iter().map(|s| (s.as_str(), 0)).collect();
        for f in findings {
            *by_severity.entry(f.severity.as_str()).or_default() += 1;
        }
        Summary {
            files_checked: checked,
            files_skipped: skipped,
            findings: findings.len(),
            by_severity,
            fail_on,
            failed,
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
    }
}

/// The version-1 report: one JSON object.
pub fn write(outcome: &Outcome, verdict: &Verdict, catalogue: &Catalogue, out: &mut impl Write) -> io::Result<()> {
    let report = Report {
        version: 1,
        tool: Tool { name: "iamlint", version: env!("CARGO_PKG_VERSION") },
        catalogue: catalogue_info(catalogue),
        findings: outcome.findings.iter().map(finding).collect(),
        errors: outcome.errors.iter().map(|(p, m)| JsonError { file: super::display(p), message: m.clone() }).collect(),
        summary: Summary::new(
            &outcome.findings,
            outcome.checked,
            outcome.skipped.len(),
            verdict.fail_on,
            verdict.failed(),
        ),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)
}
