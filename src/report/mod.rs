//! RENDER: one dispatch over every output format. Renderers read the run's `Outcome`
//! and `Verdict`; they know no rule, policy model or grant model.

pub mod concise;
pub mod diff;
pub mod escape;
pub mod excerpt;
pub mod github;
pub mod html;
pub mod human;
pub mod json;
pub mod markdown;
pub mod overview;
pub mod sarif;
pub mod stream;

use crate::catalogue::Catalogue;
use crate::diagnostic::{Finding, Outcome, Severity};
use crate::filter::Verdict;
use std::io::{self, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Graphical diagnostics with the values underlined
    Human,
    /// One line per finding: path:line:col: severity rule-id: message
    Concise,
    /// One JSON object (the documented machine contract)
    Json,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers
    Sarif,
    /// GitHub Actions workflow commands: one annotation per finding
    Github,
    /// One self-contained HTML page for people: principals, what they can do, findings
    Html,
    /// GitHub-flavoured markdown for a ticket or a pull-request comment
    Markdown,
}

impl Format {
    /// Formats whose stdout is one machine-read document (nothing else may be printed there).
    pub fn is_document(self) -> bool {
        matches!(self, Format::Json | Format::Sarif | Format::Html | Format::Markdown)
    }

    /// Formats that show what each principal can do (the access tables cost a grant-model
    /// query per action granted, so only these ask for them).
    pub fn shows_access(self) -> bool {
        matches!(self, Format::Html | Format::Markdown)
    }
}

/// What the summaries count of a run's findings: taken from the whole outcome, or added up
/// file by file as a streamed report goes.
#[derive(Debug, Clone, Default)]
pub struct Counts {
    pub findings: usize,
    /// In `Severity::ALL` order.
    pub by_severity: [usize; 5],
    /// The rules that reported.
    pub rules: std::collections::BTreeSet<&'static str>,
    /// Findings a suppression set aside.
    pub suppressed: usize,
}

impl Counts {
    pub fn of(outcome: &Outcome) -> Counts {
        let mut counts = Counts { suppressed: outcome.suppressed.len(), ..Counts::default() };
        counts.add(&outcome.findings);
        counts
    }

    pub fn add(&mut self, findings: &[Finding]) {
        self.findings += findings.len();
        for f in findings {
            self.by_severity[Severity::ALL.iter().position(|s| *s == f.severity).unwrap_or(0)] += 1;
            self.rules.insert(f.rule.id);
        }
    }
}

/// How to render, apart from the format.
#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub format: Format,
    /// Colour in human output.
    pub color: bool,
    /// Also name the files passed over, and why (on stderr).
    pub verbose: bool,
    /// Counts per rule instead of the findings (human and concise).
    pub statistics: bool,
    /// Also list the suppressed findings, with their reasons.
    pub show_suppressed: bool,
    /// The absolute directory SARIF URIs and GitHub paths are relative to (the
    /// repository root, or `--sarif-base`).
    pub base: std::path::PathBuf,
}

/// Writes the run's report: findings and summary to `out`; files passed over (with
/// `verbose`) and files that could not be linted to `err`, except in JSON, which
/// carries its errors in the document.
pub fn render(
    outcome: &Outcome,
    verdict: &Verdict,
    options: &RenderOptions,
    catalogue: &Catalogue,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<()> {
    // No line of a report for people (nor of stderr) may begin a CI workflow command,
    // whatever text from the input ends up at its start.
    let mut guarded;
    let mut out: &mut dyn Write = if matches!(options.format, Format::Human | Format::Concise) {
        guarded = escape::LineGuard::new(&mut *out);
        &mut guarded
    } else {
        out
    };
    let out = &mut out;
    match options.format {
        Format::Json => json::write(outcome, verdict, catalogue, options.show_suppressed, out)?,
        Format::Sarif => sarif::write(outcome, verdict, &options.base, options.show_suppressed, out)?,
        Format::Github => github::write(outcome, verdict, &options.base, out)?,
        Format::Html => html::write(outcome, verdict, catalogue, out)?,
        Format::Markdown => markdown::write(outcome, verdict, out)?,
        Format::Concise | Format::Human if options.statistics => {
            statistics(outcome, out)?;
            writeln!(out, "{}", human::summary_line(outcome, verdict))?;
        }
        Format::Concise => concise::write(outcome, verdict, options.show_suppressed, out)?,
        Format::Human => human::write(outcome, verdict, options.color, options.show_suppressed, out)?,
    }
    // What goes to `err` comes after the report, also when both go to one terminal.
    out.flush()?;
    epilogue(outcome, options, err)
}

/// What goes to `err` after the report: the files passed over (with `verbose`), the files
/// that could not be linted (except in the formats that carry them), the warnings.
pub fn epilogue(outcome: &Outcome, options: &RenderOptions, err: &mut dyn Write) -> io::Result<()> {
    let mut err = escape::LineGuard::new(err);
    if options.verbose {
        for (path, reason) in &outcome.skipped {
            writeln!(err, "iamlint: skipped {}: {}", escape::path(&display(path)), escape::message(reason))?;
        }
    }
    if !options.format.is_document() {
        for (path, message) in &outcome.errors {
            writeln!(err, "iamlint: error: {}: {}", escape::path(&display(path)), escape::message(message))?;
        }
    }
    if options.format != Format::Json && options.format != Format::Github {
        for w in &outcome.warnings {
            writeln!(err, "iamlint: warning: {}", escape::message(w))?;
        }
    }
    err.flush()
}

/// `--statistics`: how many findings each rule made, most first (as ruff prints them).
pub fn statistics(outcome: &Outcome, out: &mut impl Write) -> io::Result<()> {
    let mut by_rule: std::collections::BTreeMap<&str, (usize, std::collections::BTreeSet<Severity>)> =
        Default::default();
    for f in &outcome.findings {
        let entry = by_rule.entry(f.rule.id).or_default();
        entry.0 += 1;
        entry.1.insert(f.severity);
    }
    let mut rows: Vec<_> = by_rule.into_iter().collect();
    rows.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    let count_width = rows.first().map_or(1, |r| r.1.0.to_string().len());
    let id_width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    for (id, (n, severities)) in rows {
        let severities: Vec<&str> = severities.iter().rev().map(|s| s.as_str()).collect();
        writeln!(out, "{n:>count_width$}\t{id:<id_width$}\t{}", severities.join(", "))?;
    }
    Ok(())
}

/// A path as every output prints it: `/` separators, no leading `./`.
pub fn display(p: &std::path::Path) -> String {
    crate::source::display(p)
}
