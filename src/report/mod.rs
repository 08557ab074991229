//! RENDER: one dispatch over every output format. Renderers read the run's `Outcome`
//! and `Verdict`; they know no rule, policy model or grant model.

pub mod concise;
pub mod human;
pub mod json;

use crate::catalogue::Catalogue;
use crate::diagnostic::Outcome;
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
}

/// How to render, apart from the format.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    pub format: Format,
    /// Colour in human output.
    pub color: bool,
    /// Also name the files passed over, and why (on stderr).
    pub verbose: bool,
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
    match options.format {
        Format::Json => json::write(outcome, verdict, catalogue, out)?,
        Format::Concise => concise::write(outcome, out)?,
        Format::Human => human::write(outcome, verdict, options.color, out)?,
    }
    if options.verbose {
        for (path, reason) in &outcome.skipped {
            writeln!(err, "iamlint: skipped {}: {reason}", display(path))?;
        }
    }
    if options.format != Format::Json {
        for (path, message) in &outcome.errors {
            writeln!(err, "iamlint: error: {}: {message}", display(path))?;
        }
    }
    Ok(())
}

/// A path as every output prints it: `/` separators, no leading `./`.
pub fn display(p: &std::path::Path) -> String {
    let s = p.to_string_lossy();
    s.strip_prefix("./").unwrap_or(&s).replace('\\', "/")
}
