//! Human output: miette graphical diagnostics that underline the exact values.

use super::escape;
use crate::diagnostic::{Finding, Outcome, Severity};
use crate::filter::{FailOn, Verdict};
use crate::source::SourceFile;
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};
use rayon::prelude::*;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Write};
use std::sync::Arc;

/// How the graphical report looks.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Style {
    /// What tests and files get: no colour, fixed width.
    pub const PLAIN: Style = Style { color: false, width: 100 };
}

struct View<'a> {
    finding: &'a Finding,
    /// The message, escaped (`escape::message`).
    message: String,
    /// None when a label sits on a line too long to show (minified JSON), or when the
    /// file is not shown (`SourceFile::withheld`).
    source: Option<Named<'a>>,
    help: Option<String>,
}

/// The file's text under the name shown in the report header (miette's NamedSource
/// wants owned `'static` text; this borrows).
struct Named<'a> {
    name: String,
    source: &'a SourceFile,
    /// `source.text` as a snippet may show it (`escape::source`: same byte offsets).
    text: &'a str,
}

impl SourceCode for Named<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        // miette reads a span by scanning the text from its first byte: over the whole
        // file that is quadratic in its size (a label per finding). Hand it the lines
        // around the span only (one more line each side than it keeps).
        let len = self.text.len();
        let start = span.offset().min(len);
        let end = (start + span.len()).min(len);
        let first = self.source.line_col(start).0;
        let last = self.source.line_col(end.saturating_sub(1).max(start)).0;
        let from_line = first.saturating_sub(context_lines_before + 1).max(1);
        let lo = self.source.line_start(from_line);
        let hi = self.source.line_start(last + context_lines_after + 2);
        let window = &self.text[lo..hi];
        let local = SourceSpan::new((start - lo).into(), end - start);
        let inner = window.read_span(&local, context_lines_before, context_lines_after)?;
        let offset = inner.span().offset() + lo;
        // Lines and columns as every other output counts them (characters, BOM skipped),
        // not miette's own count.
        let (line, column) = self.source.line_col(offset);
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            SourceSpan::new(offset.into(), inner.span().len()),
            line - 1,
            column - 1,
            // As miette counts it over the whole text: the lines before the window too
            // (it decides from this whether two labels share one snippet).
            from_line - 1 + inner.line_count(),
        )))
    }
}

impl fmt::Debug for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for View<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for View<'_> {}

impl Diagnostic for View<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(format!("{}[{}]", self.finding.rule.id, self.finding.severity)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Critical | Severity::High => miette::Severity::Error,
            Severity::Medium | Severity::Low => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.source.as_ref()?;
        let f = self.finding;
        let text = |t: &str| (!t.is_empty()).then(|| escape::message(t).into_owned());
        let primary = LabeledSpan::new_primary_with_span(text(&f.label), f.span.clone());
        let others = f.labels.iter().map(move |l| LabeledSpan::new_with_span(text(&l.text), l.span.clone()));
        Some(Box::new(std::iter::once(primary).chain(others)))
    }
}

/// Lines longer than this are not drawn (minified policies put everything on one):
/// the finding names its position and quotes the value instead. miette also cannot
/// draw past column 65,535.
const LONG_LINE: usize = 1_000;

/// Renders one finding as a graphical diagnostic.
pub fn render(finding: &Finding, style: Style) -> String {
    render_shown(finding, style, &escape::source(&finding.source.text))
}

/// Renders one finding; `shown` is its file's text as a snippet may show it
/// (`escape::source`, worked out once per file by the caller).
fn render_shown(finding: &Finding, style: Style, shown: &str) -> String {
    let path = escape::path(&finding.source.display_path()).into_owned();
    let name = match finding.locator.as_str() {
        "" => path.clone(),
        loc => format!("{path} ({})", escape::value(loc)),
    };
    let withheld = finding.source.withheld();
    let spans = || std::iter::once(&finding.span).chain(finding.labels.iter().map(|l| &l.span));
    let drawable = !withheld && spans().all(|span| line_length(&finding.source.text, span.start) <= LONG_LINE);
    // A context line too long to show (a 5,000-character value on the next line) is left out.
    let short = |line: usize| finding.source.line_text(line).len() <= LONG_LINE;
    let context_fits = spans().all(|span| {
        let (first, last) = (finding.source.line_col(span.start).0, finding.source.line_col(span.end).0);
        short(first.saturating_sub(1)) && short(last + 1)
    });
    let (h, n) = (finding.help.as_deref().map(escape::lines), finding.note.as_deref().map(escape::lines));
    let mut help = match (h, n) {
        (Some(h), Some(n)) => Some(format!("{h}\nnote: {n}")),
        (Some(h), None) => Some(h.into_owned()),
        (None, Some(n)) => Some(format!("note: {n}")),
        (None, None) => None,
    };
    let source = if drawable {
        Some(Named { name, source: &finding.source, text: shown })
    } else {
        let ((line, col), _) = finding.range();
        let at = if withheld {
            // Not a policy, or a link out of the tree (`policy.json -> /proc/self/environ`):
            // its text is never echoed.
            format!("at {name} line {line}, column {col} (the file's text is not shown: {})", WITHHELD)
        } else {
            let value: String = finding.source.slice(&finding.span).chars().take(80).collect();
            format!("at {name} line {line}, column {col}: {}", escape::value(&value))
        };
        help = Some(match help {
            Some(h) => format!("{at}\n{h}"),
            None => at,
        });
        None
    };
    let view = View { finding, message: escape::message(&finding.message).into_owned(), source, help };
    let theme = if style.color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_urls(false)
        .with_context_lines(usize::from(context_fits));
    let mut out = String::new();
    if handler.render_report(&mut out, &view).is_err() {
        // miette only fails on a formatter error; fall back to the one-line form.
        out = super::concise::line(finding);
    }
    out
}

/// Why a file's text is withheld from snippets.
const WITHHELD: &str = "it is not a policy, or a link out of the tree";

/// Length in bytes of the line holding `offset`.
fn line_length(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    let start = text.as_bytes()[..offset].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let end = text.as_bytes()[offset..].iter().position(|&b| b == b'\n').map_or(text.len(), |i| offset + i);
    end - start
}

/// Every finding, then the summary line.
pub fn write(
    outcome: &Outcome,
    verdict: &Verdict,
    color: bool,
    show_suppressed: bool,
    out: &mut impl Write,
) -> io::Result<()> {
    let style = Style { color, ..Style::PLAIN };
    out.write_all(findings_text(&outcome.findings, style).as_bytes())?;
    let suppressed: Vec<String> = if show_suppressed {
        outcome.suppressed.iter().map(super::concise::suppressed_line).collect()
    } else {
        Vec::new()
    };
    write_end(&suppressed, &summary_line(outcome, verdict), &super::overview::attention(outcome, ATTENTION), out)
}

/// The snippets of (ordered) findings, those underlining one value folded under one.
pub fn findings_text(findings: &[Finding], style: Style) -> String {
    // Each file's text as snippets show it, worked out once per file.
    let key = |f: &Finding| Arc::as_ptr(&f.source) as usize;
    let mut shown: HashMap<usize, Cow<'_, str>> = HashMap::new();
    for f in findings {
        shown.entry(key(f)).or_insert_with(|| escape::source(&f.source.text));
    }
    let shown_for = |f: &Finding| -> &str { &shown[&key(f)] };
    let groups = same_value_groups(findings);
    // miette's layout is the costly part of a large run: render in parallel, print in order.
    let render = |g: &Group| {
        let lead = &findings[g.lead];
        let mut text = render_shown(lead, style, shown_for(lead));
        for &i in &g.folded {
            text.push_str("  also at this value: ");
            text.push_str(&super::concise::line(&findings[i]));
            text.push('\n');
        }
        text
    };
    let rendered: Vec<String> =
        if groups.len() > 16 { groups.par_iter().map(render).collect() } else { groups.iter().map(render).collect() };
    rendered.concat()
}

/// The end of the report: the suppressed findings (rendered, when asked), the summary
/// line, the principals to look at first.
pub fn write_end(suppressed: &[String], summary: &str, attention: &[String], out: &mut impl Write) -> io::Result<()> {
    if !suppressed.is_empty() {
        writeln!(out, "suppressed:")?;
        for s in suppressed {
            writeln!(out, "  {s}")?;
        }
    }
    writeln!(out, "{summary}")?;
    if !attention.is_empty() {
        writeln!(out, "principals to look at first:")?;
        for line in attention {
            writeln!(out, "  {line}")?;
        }
    }
    Ok(())
}

/// How many principals the summary names.
pub const ATTENTION: usize = 5;

/// Findings of different rules that underline the same value of the same file: one
/// snippet for the most severe (`lead`, the first of them on a tie), the others folded
/// under it as one line each (`folded`).
struct Group {
    lead: usize,
    folded: Vec<usize>,
}

/// Groups the (already ordered) findings by the value they underline. A reviewer reads
/// each fact once: `ec2:*` on `*` is one service wildcard whose consequences
/// (escalation, exposure, unscoped writes) are listed under it, not six snippets of the
/// same line. Machine formats keep one finding per rule.
fn same_value_groups(findings: &[Finding]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut start = 0;
    while start < findings.len() {
        let first = &findings[start];
        let mut end = start + 1;
        while end < findings.len()
            && findings[end].span == first.span
            && std::sync::Arc::ptr_eq(&findings[end].source, &first.source)
            && findings[start..end].iter().all(|f| f.rule.id != findings[end].rule.id)
        {
            end += 1;
        }
        let lead = (start..end).max_by_key(|&i| (findings[i].severity, std::cmp::Reverse(i))).unwrap_or(start);
        groups.push(Group { lead, folded: (start..end).filter(|&i| i != lead).collect() });
        start = end;
    }
    groups
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{n} {word}s") }
}

/// `3 findings (1 high, 2 medium) in 2 files; 3 at or above medium; ...`
pub fn summary_line(outcome: &Outcome, verdict: &Verdict) -> String {
    summary_of(outcome, &super::Counts::of(outcome), verdict)
}

/// The summary line from `counts` of the findings and the rest of `outcome` (whose own
/// findings a streamed run no longer holds).
pub fn summary_of(outcome: &Outcome, counts: &super::Counts, verdict: &Verdict) -> String {
    let mut line = if counts.findings == 0 {
        format!("no findings in {}", plural(outcome.checked, "file"))
    } else {
        let gate = match verdict.fail_on {
            FailOn::AtLeast(s) => format!("{} at or above {s}", verdict.gated),
            FailOn::Never => "none fails the run (--fail-on none)".to_string(),
        };
        let parts: Vec<String> = Severity::ALL
            .iter()
            .zip(counts.by_severity)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        format!(
            "{} ({}) in {}; {gate}",
            plural(counts.findings, "finding"),
            parts.join(", "),
            plural(outcome.checked, "file"),
        )
    };
    if verdict.unreadable > 0 {
        // Named by the rules that say it: a file not fully read, a principal not fully seen.
        let rules: Vec<&str> = [crate::filter::UNREADABLE, crate::filter::INCOMPLETE]
            .into_iter()
            .filter(|id| counts.rules.contains(id))
            .collect();
        let verb = if verdict.unreadable == 1 { "fails" } else { "fail" };
        line.push_str(&format!(
            "; {} {verb} the run whatever --fail-on says",
            plural(verdict.unreadable, &format!("{} finding", rules.join(" or ")))
        ));
    }
    if counts.suppressed > 0 {
        line.push_str(&format!("; {} suppressed", counts.suppressed));
    }
    if outcome.baselined > 0 {
        line.push_str(&format!("; {} in the baseline", outcome.baselined));
    }
    if outcome.baseline_fixed > 0 {
        line.push_str(&format!(
            "; {} fixed since (--write-baseline shrinks it)",
            plural(outcome.baseline_fixed, "baseline entry").replace("entrys", "entries")
        ));
    }
    if !outcome.skipped.is_empty() {
        line.push_str(&format!("; {} skipped (--verbose says why)", plural(outcome.skipped.len(), "file")));
    }
    if !outcome.errors.is_empty() {
        line.push_str(&format!("; {} could not be linted", plural(outcome.errors.len(), "file")));
    }
    line
}
