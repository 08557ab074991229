//! A report written as the run goes: each file's part is rendered where the file was
//! linted (`part`), written in path order as soon as every earlier file is done
//! (`Writer::file`), and the file's source and documents are dropped. What only the whole
//! run knows (the summary's counts, the baseline entries fixed, the suppressions that
//! matched nothing, the errors) is written at the end (`Writer::finish`). The bytes are
//! those `render` writes for the whole outcome.
//!
//! Human, concise, GitHub and JSON stream. SARIF lists the rules that reported before the
//! results, and each result's index into that list: its results are kept in a spool file
//! (memory when no temporary file can be made) and written at the end with their indices.
//! HTML, markdown and `--statistics` need the whole run (the overview ranks every
//! subject, the table counts every rule): they are rendered from the whole outcome.

use super::{Counts, Format, RenderOptions, concise, github, human, json, overview, sarif};
use crate::catalogue::Catalogue;
use crate::diagnostic::{Finding, Outcome, RuleMeta, SubjectSummary, Suppressed};
use crate::filter::Verdict;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Whether a report in these options is written as the run goes.
pub fn streams(options: &RenderOptions) -> bool {
    match options.format {
        Format::Human | Format::Concise => !options.statistics,
        Format::Json | Format::Sarif | Format::Github => true,
        Format::Html | Format::Markdown => false,
    }
}

/// One file's part of the report, rendered where the file was linted.
#[derive(Default)]
pub struct Part {
    /// Written in its place, between the earlier files' parts and the later ones'.
    text: String,
    /// Its suppressed findings as the end of the report lists them (`--show-suppressed`).
    suppressed: Vec<String>,
    /// Human: its principals with findings (worst severity, findings, the line).
    attention: Vec<overview::Ranked>,
    /// SARIF: the rules its results are about.
    rules: Vec<&'static RuleMeta>,
    counts: Counts,
    gated: usize,
    unreadable: usize,
}

/// Renders one file's findings (after the filter), its suppressed findings and what the
/// human summary needs of its subjects; `verdict` is the run's, empty (its threshold).
pub fn part(
    findings: &[Finding],
    suppressed: &[Suppressed],
    subjects: &[SubjectSummary],
    options: &RenderOptions,
    verdict: Verdict,
) -> Part {
    let mut counted = verdict;
    counted.count(findings);
    let mut part = Part { gated: counted.gated, unreadable: counted.unreadable, ..Part::default() };
    part.counts.add(findings);
    part.counts.suppressed = suppressed.len();
    let show = options.show_suppressed;
    match options.format {
        Format::Human => {
            part.text = human::findings_text(findings, human::Style { color: options.color, ..human::Style::PLAIN });
            if show {
                part.suppressed = suppressed.iter().map(concise::suppressed_line).collect();
            }
            if subjects.iter().any(|s| s.principal.is_some()) {
                let outcome =
                    Outcome { findings: findings.to_vec(), subjects: subjects.to_vec(), ..Outcome::default() };
                part.attention = overview::ranked_principals(&outcome);
            }
        }
        Format::Concise => {
            for f in findings {
                part.text.push_str(&concise::line(f));
                part.text.push('\n');
            }
            if show {
                part.suppressed = suppressed.iter().map(concise::suppressed_line).collect();
            }
        }
        Format::Github => {
            for f in findings {
                part.text.push_str(&github::annotation(f, &options.base));
                part.text.push('\n');
            }
        }
        Format::Json => {
            for f in findings {
                part.text.push_str(",\n    ");
                part.text.push_str(&json::item(&json::finding(f)));
            }
            if show {
                part.suppressed = suppressed.iter().map(|s| json::item(&json::suppressed(s))).collect();
            }
        }
        Format::Sarif => {
            let shown: &[Suppressed] = if show { suppressed } else { &[] };
            let mut uris = sarif::Uris::new(&options.base);
            for f in findings {
                part.text.push_str(",\n");
                part.text.push_str(&sarif::result_text(f, &mut uris, None));
            }
            part.suppressed = shown.iter().map(|s| sarif::result_text(&s.finding, &mut uris, Some(s))).collect();
            part.rules = findings.iter().chain(shown.iter().map(|s| &s.finding)).map(|f| f.rule).collect();
        }
        Format::Html | Format::Markdown => {}
    }
    part
}

/// Writes the parts in order, then the end. A write that fails (a reader that closed the
/// pipe) stops the writing, not the run: the verdict is still counted.
pub struct Writer {
    options: RenderOptions,
    counts: Counts,
    verdict: Verdict,
    /// Any part written yet (JSON separates items by commas).
    any: bool,
    suppressed: Vec<String>,
    attention: overview::Attention,
    rules: BTreeMap<&'static str, &'static RuleMeta>,
    spool: Option<sarif::Spool>,
    error: Option<io::Error>,
}

impl Writer {
    /// Starts the report (the JSON document's head); `verdict` is the run's threshold.
    pub fn start(options: &RenderOptions, catalogue: &Catalogue, verdict: Verdict, out: &mut dyn Write) -> Writer {
        let mut w = Writer {
            options: options.clone(),
            counts: Counts::default(),
            verdict,
            any: false,
            suppressed: Vec::new(),
            attention: overview::Attention::new(human::ATTENTION),
            rules: BTreeMap::new(),
            spool: (options.format == Format::Sarif).then(sarif::Spool::open),
            error: None,
        };
        if options.format == Format::Json {
            let head = json::head(catalogue);
            w.write(out, head.as_bytes());
        }
        w
    }

    fn write(&mut self, out: &mut dyn Write, bytes: &[u8]) {
        if self.error.is_none()
            && let Err(e) = out.write_all(bytes)
        {
            self.error = Some(e);
        }
    }

    /// One file's part, in its place.
    pub fn file(&mut self, part: Part, out: &mut dyn Write) {
        let Part { text, suppressed, attention, rules, counts, gated, unreadable } = part;
        self.counts.findings += counts.findings;
        for (mine, theirs) in self.counts.by_severity.iter_mut().zip(counts.by_severity) {
            *mine += theirs;
        }
        self.counts.rules.extend(counts.rules);
        self.counts.suppressed += counts.suppressed;
        self.verdict.gated += gated;
        self.verdict.unreadable += unreadable;
        self.suppressed.extend(suppressed);
        for a in attention {
            self.attention.push(a);
        }
        for r in rules {
            self.rules.insert(r.id, r);
        }
        match self.options.format {
            Format::Json => {
                // The first item follows `[` directly.
                let text = if self.any { text.as_str() } else { text.strip_prefix(',').unwrap_or(&text) };
                self.write(out, text.as_bytes());
            }
            Format::Sarif => {
                let text = if self.any { text.as_str() } else { text.strip_prefix(",\n").unwrap_or(&text) };
                if let Some(spool) = &mut self.spool
                    && let Err(e) = spool.write(text.as_bytes())
                {
                    self.error.get_or_insert(e);
                }
            }
            _ => self.write(out, text.as_bytes()),
        }
        self.any |= !text.is_empty();
    }

    /// The end of the report, from the run's `outcome` (its files, errors, warnings and
    /// baseline counts: the findings went by in the parts); then what goes to `err`.
    /// Returns the run's verdict, and the first write error.
    pub fn finish(mut self, outcome: &Outcome, out: &mut dyn Write, err: &mut dyn Write) -> (Verdict, io::Result<()>) {
        self.verdict.broken = !outcome.errors.is_empty();
        let verdict = self.verdict;
        let written = if self.error.is_some() { Ok(()) } else { self.end(outcome, out) };
        let result = match (self.error.take(), written) {
            (Some(e), _) | (None, Err(e)) => Err(e),
            (None, Ok(())) => out.flush().and_then(|()| super::epilogue(outcome, &self.options, err)),
        };
        (verdict, result)
    }

    fn end(&mut self, outcome: &Outcome, mut out: &mut dyn Write) -> io::Result<()> {
        let out = &mut out;
        let verdict = &self.verdict;
        match self.options.format {
            Format::Human => {
                let summary = human::summary_of(outcome, &self.counts, verdict);
                human::write_end(&self.suppressed, &summary, &self.attention.lines(), out)
            }
            Format::Concise => {
                for s in &self.suppressed {
                    writeln!(out, "{s}")?;
                }
                writeln!(out, "{}", human::summary_of(outcome, &self.counts, verdict))
            }
            Format::Github => github::write_end(outcome, &human::summary_of(outcome, &self.counts, verdict), out),
            Format::Json => json::tail(outcome, &self.counts, verdict, self.any, &self.suppressed, out),
            Format::Sarif => {
                let spool = self.spool.take().unwrap_or_else(sarif::Spool::open);
                let spooled = (spool, self.any);
                sarif::write_spooled(outcome, verdict, &self.options.base, &self.rules, spooled, &self.suppressed, out)
            }
            Format::Html | Format::Markdown => Ok(()),
        }
    }
}
