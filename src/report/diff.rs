//! The reports of `iamlint diff`: human (by document, then access level, most dangerous
//! first), markdown (a pull-request comment), the version-1 JSON contract, and SARIF
//! (the introduced findings only, through the SARIF renderer of `check`).

use crate::catalogue::Catalogue;
use crate::catalogue::model::AccessLevel;
use crate::diagnostic::Outcome;
use crate::diff::{Change, Cond, DiffReport, StatementAt, SubjectChanges};
use crate::filter::{FailOn, Verdict};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    /// Changes grouped by document, then access level, most dangerous first
    Human,
    /// A pull-request comment
    Markdown,
    /// One JSON object (the documented version-1 contract)
    Json,
    /// SARIF 2.1.0 of the introduced findings
    Sarif,
}

/// What the diff decides.
#[derive(Debug, Clone, Copy)]
pub struct DiffVerdict {
    /// New access at or above this level fails the run (`None`: never).
    pub fail_on_access: Option<AccessLevel>,
    pub fail_on: FailOn,
    /// Added changes at or above `fail_on_access`.
    pub gated_access: usize,
    /// Introduced findings at or above `fail_on`.
    pub gated_findings: usize,
    /// A file could not be read or parsed on either side.
    pub broken: bool,
}

impl DiffVerdict {
    pub fn of(report: &DiffReport, fail_on_access: Option<AccessLevel>, fail_on: FailOn) -> DiffVerdict {
        let gated_access = fail_on_access.map_or(0, |l| report.new_access_at_or_above(l));
        let gated_findings = match fail_on {
            FailOn::Never => 0,
            FailOn::AtLeast(s) => report.introduced.iter().filter(|f| f.severity >= s).count(),
        };
        DiffVerdict { fail_on_access, fail_on, gated_access, gated_findings, broken: !report.errors.is_empty() }
    }

    pub fn failed(&self) -> bool {
        self.broken || self.gated_access > 0 || self.gated_findings > 0
    }
}

pub fn level_arg(level: AccessLevel) -> &'static str {
    match level {
        AccessLevel::PermissionsManagement => "permissions-management",
        AccessLevel::Write => "write",
        AccessLevel::Tagging => "tagging",
        AccessLevel::Read => "read",
        AccessLevel::List => "list",
    }
}

pub fn render(
    report: &DiffReport,
    verdict: &DiffVerdict,
    format: DiffFormat,
    base: &Path,
    catalogue: &Catalogue,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<()> {
    match format {
        DiffFormat::Human => human(report, verdict, out)?,
        DiffFormat::Markdown => markdown(report, verdict, out)?,
        DiffFormat::Json => json(report, verdict, catalogue, out)?,
        DiffFormat::Sarif => {
            let outcome = Outcome {
                findings: report.introduced.clone(),
                errors: report.errors.clone(),
                checked: report.files,
                ..Outcome::default()
            };
            let v = Verdict {
                fail_on: verdict.fail_on,
                gated: verdict.gated_findings,
                unreadable: 0,
                broken: verdict.broken,
            };
            super::sarif::write(&outcome, &v, base, false, out)?;
        }
    }
    out.flush()?;
    if format != DiffFormat::Json {
        for (path, message) in &report.errors {
            writeln!(err, "iamlint: error: {}: {message}", super::display(path))?;
        }
    }
    Ok(())
}

/// Text from the input, safe for a terminal or a CI log.
fn clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if super::escape::is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Changes that differ only by action, shown as one line: same kind, level, resources,
/// conditions, detail and statements.
struct Group<'r> {
    first: &'r Change,
    actions: Vec<&'r str>,
}

fn groups(changes: &[Change]) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    let mut index: BTreeMap<String, usize> = BTreeMap::new();
    for c in changes {
        let key = format!(
            "{:?}\0{:?}\0{:?}\0{:?}\0{:?}\0{:?}",
            c.kind, c.access_level, c.resources, c.conditions, c.detail, c.statements
        );
        match index.get(&key) {
            Some(&i) => out[i].actions.push(&c.action),
            None => {
                index.insert(key, out.len());
                out.push(Group { first: c, actions: vec![&c.action] });
            }
        }
    }
    out
}

/// At most `n` names, then how many more.
fn names(actions: &[&str], n: usize, quote: bool) -> String {
    let q = |a: &str| if quote { format!("`{}`", clean(a)) } else { clean(a) };
    let mut s: Vec<String> = actions.iter().take(n).map(|a| q(a)).collect();
    if actions.len() > n {
        s.push(format!("and {} more", actions.len() - n));
    }
    s.join(", ")
}

fn statement_text(s: &StatementAt) -> String {
    let sid = s.sid.as_ref().map(|sid| format!(" \"{}\"", clean(sid))).unwrap_or_default();
    format!("Statement[{}]{sid} at {}:{}", s.index, clean(&s.file), s.line)
}

fn conditions_text(conds: &[Cond]) -> String {
    conds
        .iter()
        .map(|c| format!("{} {} {}", clean(&c.operator), clean(&c.key), clean(&c.values.join(" or "))))
        .collect::<Vec<_>>()
        .join(" and ")
}

/// What a change is about, in words; `markdown` puts values in code spans (a `*` would
/// otherwise start emphasis).
fn what(c: &Change, markdown: bool) -> String {
    // Markdown: `|` is escaped once, over the whole cell.
    let value = |v: &str| {
        let v = clean(v).replace('\n', " ");
        match (markdown, v.contains('`')) {
            (false, _) => v,
            (true, false) => format!("`{v}`"),
            (true, true) => format!("`` {v} ``"),
        }
    };
    let resources = c.resources.iter().map(|r| value(r)).collect::<Vec<_>>().join(", ");
    let mut s = match c.kind.as_str() {
        "new-principal" | "removed-principal" => String::new(),
        "wider" => format!("now also on {resources}"),
        "narrower" => format!("no longer on {resources}"),
        _ if resources.is_empty() => String::new(),
        _ => format!("on {resources}"),
    };
    if !c.conditions.is_empty() && matches!(c.kind.as_str(), "new-action" | "removed") {
        s.push_str(&format!(" when {}", conditions_text(&c.conditions)));
    }
    if let Some(d) = &c.detail {
        if !s.is_empty() {
            s.push_str(": ");
        }
        s.push_str(&clean(d));
    }
    s
}

fn heading(s: &SubjectChanges) -> String {
    let mut h = clean(&s.file);
    if let Some(p) = &s.principal {
        h.push_str(&format!(" {} {}", p.kind, clean(&p.name)));
    } else if !s.locator.is_empty() {
        h.push_str(&format!(" {}", clean(&s.locator)));
    }
    format!(
        "{h} ({} {} policy {})",
        s.status.as_str(),
        s.kind,
        if s.principal.is_some() { "principal" } else { "document" }
    )
    .replace(" identity policy principal", " principal")
}

fn human(report: &DiffReport, verdict: &DiffVerdict, out: &mut impl Write) -> io::Result<()> {
    for s in &report.changes {
        writeln!(out, "{}", heading(s))?;
        for (sign, list) in [('+', &s.added), ('-', &s.removed)] {
            let gs = groups(list);
            for level in AccessLevel::ALL {
                let at: Vec<&Group<'_>> = gs.iter().filter(|g| g.first.access_level == level).collect();
                if at.is_empty() {
                    continue;
                }
                writeln!(out, "  {sign} {}", level.as_str())?;
                for g in at {
                    let principal = matches!(g.first.kind.as_str(), "new-principal" | "removed-principal");
                    let shown = if principal { String::new() } else { format!("{} ", names(&g.actions, 8, false)) };
                    writeln!(out, "    {sign} {:<14} {shown}{}", g.first.kind.as_str(), what(g.first, false))?;
                    let statements: Vec<String> = g.first.statements.iter().map(statement_text).collect();
                    if !statements.is_empty() {
                        writeln!(out, "        from {}", statements.join(", "))?;
                    }
                }
            }
        }
    }
    for (title, list) in [("introduced", &report.introduced), ("fixed", &report.fixed)] {
        if !list.is_empty() {
            writeln!(out, "findings {title}:")?;
            for f in list {
                writeln!(out, "  {}", super::concise::line(f))?;
            }
        }
    }
    writeln!(out, "{}", summary_line(report, verdict))
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub fn summary_line(report: &DiffReport, verdict: &DiffVerdict) -> String {
    let added: Vec<&Change> = report.changes.iter().flat_map(|c| &c.added).collect();
    let removed: usize = report.changes.iter().map(|c| c.removed.len()).sum();
    let by_level: Vec<String> = AccessLevel::ALL
        .iter()
        .filter_map(|l| {
            let n = added.iter().filter(|c| c.access_level == *l).count();
            (n > 0).then(|| format!("{n} {}", l.as_str()))
        })
        .collect();
    let mut s = format!(
        "{} compared, {} changed: {} added{}, {} removed; {} introduced, {} fixed",
        count(report.files, "file", "files"),
        count(report.changes.len(), "document or principal", "documents or principals"),
        count(added.len(), "change", "changes"),
        if by_level.is_empty() { String::new() } else { format!(" ({})", by_level.join(", ")) },
        removed,
        count(report.introduced.len(), "finding", "findings"),
        report.fixed.len(),
    );
    if verdict.broken {
        s.push_str(&format!("; {} could not be read", count(report.errors.len(), "file", "files")));
    } else if verdict.gated_access > 0 {
        s.push_str(&format!(
            "; fails: new access at or above {} (--fail-on-access)",
            verdict.fail_on_access.map_or("none", |l| l.as_str())
        ));
    } else if verdict.gated_findings > 0 {
        s.push_str(&format!("; fails: introduced findings at or above {} (--fail-on)", verdict.fail_on));
    }
    s
}

/// A markdown table cell: no line breaks, `|` escaped.
fn cell(s: &str) -> String {
    clean(s).replace('|', "\\|").replace('\n', " ")
}

/// Inline code that survives backticks inside.
fn code(s: &str) -> String {
    let s = cell(s);
    if s.contains('`') { format!("`` {s} ``") } else { format!("`{s}`") }
}

fn markdown(report: &DiffReport, verdict: &DiffVerdict, out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "### iamlint diff: what this change grants\n")?;
    writeln!(out, "{}\n", cell(&summary_line(report, verdict)))?;
    for s in &report.changes {
        writeln!(out, "#### {}\n", cell(&heading(s)))?;
        writeln!(out, "| | change | access level | actions | what | statements |")?;
        writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
        for (sign, list) in [("➕", &s.added), ("➖", &s.removed)] {
            let gs = groups(list);
            for level in AccessLevel::ALL {
                for g in gs.iter().filter(|g| g.first.access_level == level) {
                    let actions: Vec<String> = g.actions.iter().take(12).map(|a| code(a)).collect();
                    let more = if g.actions.len() > 12 {
                        format!(" and {} more", g.actions.len() - 12)
                    } else {
                        String::new()
                    };
                    let statements: Vec<String> = g.first.statements.iter().map(statement_text).collect();
                    writeln!(
                        out,
                        "| {sign} | {} | {} | {}{more} | {} | {} |",
                        g.first.kind.as_str(),
                        level.as_str(),
                        actions.join(", "),
                        what(g.first, true).replace('|', "\\|").replace('\n', " "),
                        cell(&statements.join(", "))
                    )?;
                }
            }
        }
        writeln!(out)?;
    }
    for (title, list) in [("Findings introduced", &report.introduced), ("Findings fixed", &report.fixed)] {
        if list.is_empty() {
            continue;
        }
        writeln!(out, "#### {title}\n")?;
        writeln!(out, "| severity | rule | where | message |")?;
        writeln!(out, "| --- | --- | --- | --- |")?;
        for f in list {
            let ((line, col), _) = f.range();
            writeln!(
                out,
                "| {} | `{}` | {} | {} |",
                f.severity,
                f.rule.id,
                code(&format!("{}:{line}:{col}", f.source.display_path())),
                cell(&f.message)
            )?;
        }
        writeln!(out)?;
    }
    if !report.errors.is_empty() {
        writeln!(out, "#### Files that could not be read\n")?;
        for (path, message) in &report.errors {
            writeln!(out, "- {}: {}", code(&super::display(path)), cell(message))?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonReport<'r> {
    version: u32,
    tool: super::json::Tool,
    catalogue: super::json::CatalogueInfo<'r>,
    changes: Vec<JsonSubject<'r>>,
    findings: JsonFindings<'r>,
    errors: Vec<super::json::JsonError>,
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonSubject<'r> {
    file: &'r str,
    locator: &'r str,
    #[serde(skip_serializing_if = "Option::is_none")]
    principal: Option<&'r crate::diagnostic::PrincipalRef>,
    policy_kind: &'static str,
    status: &'static str,
    added: Vec<JsonChange<'r>>,
    removed: Vec<JsonChange<'r>>,
}

#[derive(Serialize)]
struct JsonChange<'r> {
    kind: &'static str,
    action: &'r str,
    access_level: &'static str,
    resources: &'r [String],
    conditions: Vec<JsonCondition<'r>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'r str>,
    certain: bool,
    statements: Vec<JsonStatement<'r>>,
}

#[derive(Serialize)]
struct JsonCondition<'r> {
    operator: &'r str,
    key: &'r str,
    values: &'r [String],
}

#[derive(Serialize)]
struct JsonStatement<'r> {
    side: &'static str,
    file: &'r str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    index: usize,
    sid: Option<&'r str>,
}

#[derive(Serialize)]
struct JsonFindings<'r> {
    introduced: Vec<super::json::JsonFinding<'r>>,
    fixed: Vec<super::json::JsonFinding<'r>>,
}

#[derive(Serialize)]
struct JsonSummary {
    files_compared: usize,
    changed: usize,
    added: usize,
    removed: usize,
    added_by_access_level: BTreeMap<&'static str, usize>,
    introduced: usize,
    fixed: usize,
    fail_on_access: &'static str,
    fail_on: FailOn,
    failed: bool,
}

fn json_change(c: &Change) -> JsonChange<'_> {
    JsonChange {
        kind: c.kind.as_str(),
        action: &c.action,
        access_level: c.access_level.as_str(),
        resources: &c.resources,
        conditions: c
            .conditions
            .iter()
            .map(|k| JsonCondition { operator: &k.operator, key: &k.key, values: &k.values })
            .collect(),
        detail: c.detail.as_deref(),
        certain: c.certain,
        statements: c
            .statements
            .iter()
            .map(|s| JsonStatement {
                side: s.side.as_str(),
                file: &s.file,
                line: s.line,
                column: s.column,
                end_line: s.end_line,
                end_column: s.end_column,
                index: s.index,
                sid: s.sid.as_deref(),
            })
            .collect(),
    }
}

fn json(report: &DiffReport, verdict: &DiffVerdict, catalogue: &Catalogue, out: &mut impl Write) -> io::Result<()> {
    let added: Vec<&Change> = report.changes.iter().flat_map(|c| &c.added).collect();
    let mut by_level: BTreeMap<&'static str, usize> = AccessLevel::ALL.iter().map(|l| (l.as_str(), 0)).collect();
    for c in &added {
        *by_level.entry(c.access_level.as_str()).or_default() += 1;
    }
    let doc = JsonReport {
        version: 1,
        tool: super::json::Tool { name: "iamlint", version: env!("CARGO_PKG_VERSION") },
        catalogue: super::json::catalogue_info(catalogue),
        changes: Vec::new(),
        findings: JsonFindings {
            introduced: report.introduced.iter().map(super::json::finding).collect(),
            fixed: report.fixed.iter().map(super::json::finding).collect(),
        },
        errors: report
            .errors
            .iter()
            .map(|(p, m)| super::json::JsonError { file: super::display(p), message: m.clone() })
            .collect(),
        summary: JsonSummary {
            files_compared: report.files,
            changed: report.changes.len(),
            added: added.len(),
            removed: report.changes.iter().map(|c| c.removed.len()).sum(),
            added_by_access_level: by_level,
            introduced: report.introduced.len(),
            fixed: report.fixed.len(),
            fail_on_access: verdict.fail_on_access.map_or("none", level_arg),
            fail_on: verdict.fail_on,
            failed: verdict.failed(),
        },
    };
    // The changes are most of the document (one entry per action): each subject's is
    // serialized on the thread pool, then put in its place as `to_writer_pretty` would.
    let subject = |s: &SubjectChanges| {
        let json = JsonSubject {
            file: &s.file,
            locator: &s.locator,
            principal: s.principal.as_ref(),
            policy_kind: s.kind.as_str(),
            status: s.status.as_str(),
            added: s.added.iter().map(json_change).collect(),
            removed: s.removed.iter().map(json_change).collect(),
        };
        super::json::try_item(&json)
    };
    let changes: Vec<String> = report.changes.par_iter().map(subject).collect::<Result<_, _>>()?;
    let text = serde_json::to_string_pretty(&doc)?;
    const NO_CHANGES: &str = "\n  \"changes\": [],";
    match text.find(NO_CHANGES).filter(|_| !changes.is_empty()) {
        Some(at) => {
            out.write_all(&text.as_bytes()[..at])?;
            out.write_all(b"\n  \"changes\": [")?;
            for (i, c) in changes.iter().enumerate() {
                out.write_all(if i == 0 { b"\n    " } else { b",\n    " })?;
                out.write_all(c.as_bytes())?;
            }
            out.write_all(b"\n  ],")?;
            out.write_all(&text.as_bytes()[at + NO_CHANGES.len()..])?;
        }
        None => out.write_all(text.as_bytes())?,
    }
    writeln!(out)
}
